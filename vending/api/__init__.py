"""REST API v1 (DESIGN.md section 9): thin views over the same services as the web UI."""
