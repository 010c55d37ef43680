"""The Django admin: where admins manage teams and their leads, users and groups
(`people`); requests, accounts, approvals, the audit trail and drift are read-only
(`records`); sign-in lockouts are lifted and API tokens revoked (`security`)."""

from vending.admin import people, records, security

__all__ = ["people", "records", "security"]
