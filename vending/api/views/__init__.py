"""One API view per resource and action; see the modules beside this file."""
