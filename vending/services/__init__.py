"""Every write of the portal. Views, API views, tasks and commands call these."""
