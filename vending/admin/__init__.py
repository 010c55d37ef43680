"""The Django admin: where admins manage teams and their leads, users and groups
(`people`); requests, accounts, approvals, the audit trail and drift are read-only
(`records`)."""

from vending.admin import people, records

__all__ = ["people", "records"]
