"""An account's access through IAM Identity Center: which IdP group holds which
permission set on it, as the portal asked AWS for it (vending/services/account_access.py
writes them, vending/selectors/access.py reads them). Registered with the app by
vending/models.py, which imports it."""

from __future__ import annotations

from django.db import models

from vending.choices import AccessStatus


class AccountAccess(models.Model):
    """Per account: the lease of the one delivery syncing its access, when an assignment
    AWS is working on is read again, and why the portal does not manage its access
    (shown on the account page; empty when it does)."""

    account = models.OneToOneField(
        "vending.VendedAccount", models.CASCADE, primary_key=True, related_name="access_state"
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    notice = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"access of account {self.account_id}"


class AccessAssignment(models.Model):
    """One (account, group, permission set): CreateAccountAssignment asked, polled until
    assigned; DeleteAccountAssignment when the account is decommissioned or changes team.

    `requested_at` is written before the call (the write-ahead marker), `request_id` right
    after it: a later run that finds the marker without an id asks AWS what is assigned
    before calling again. A row is never deleted: a removed one is revived if the access
    is wanted again.
    """

    account = models.ForeignKey(
        "vending.VendedAccount", models.CASCADE, related_name="access_assignments"
    )
    # The group's display name in the identity store, and its id once resolved.
    group = models.CharField(max_length=128)
    group_id = models.CharField(max_length=64, blank=True)
    permission_set = models.CharField(max_length=32)
    permission_set_arn = models.CharField(max_length=256, blank=True)
    status = models.CharField(
        max_length=16, choices=AccessStatus.choices, default=AccessStatus.PENDING
    )
    # AWS's request id of the creation or deletion in flight.
    request_id = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    # Failed tries (transient or not) since the last success, and the last error.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error_code = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id", "group", "permission_set"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "group", "permission_set"], name="one_assignment_per_grant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group} as {self.permission_set} on {self.account_id}: {self.status}"


class IdentityCenterName(models.Model):
    """A name Identity Center knows, kept with what it stands for, so an access sync asks
    AWS only for the assignment (vending/services/identity_names.py): the instance
    (`kind` instance, no name: its ARN and identity store id), a group's id by its display
    name, a permission set's ARN by its name, in the instance `instance_arn`."""

    kind = models.CharField(max_length=16)
    instance_arn = models.CharField(max_length=256, blank=True)
    name = models.CharField(max_length=128, blank=True)
    value = models.CharField(max_length=256)
    identity_store_id = models.CharField(max_length=64, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "instance_arn", "name"], name="one_identity_center_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.name or self.value}"
