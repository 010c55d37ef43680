"""The server-rendered web portal. Views validate input, call a service or a selector,
and render; every rule lives in the services, shared with the REST API."""
