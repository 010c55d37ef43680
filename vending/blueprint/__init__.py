"""The org blueprint: a declarative file of the OU tree, SCPs and class mapping, with
validation before any API call, plan (a diff against the live organization) and apply."""
