"""The columns of a vended account that its life after creation writes: decommissioning,
invitation and lease (vending/services/decommission.py, invitations.py, leases.py)."""

from __future__ import annotations

from django.db import models


class AccountLifecycleColumns(models.Model):
    # Decommissioning: the write-ahead marker of CloseAccount (also what the rolling
    # 30-day close quota counts), and when a close held back by that quota is expected.
    close_requested_at = models.DateTimeField(null=True, blank=True)
    close_expected_on = models.DateField(null=True, blank=True)
    # Invitations: the write-ahead marker of InviteAccountToOrganization (also what the
    # daily limit counts), the handshake, and when a queued invitation is expected out.
    invite_requested_at = models.DateTimeField(null=True, blank=True)
    invite_expected_at = models.DateTimeField(null=True, blank=True)
    handshake_id = models.CharField(max_length=64, blank=True)
    handshake_state = models.CharField(max_length=16, blank=True)
    handshake_expires_at = models.DateTimeField(null=True, blank=True)
    # Its lease: decommissioned by the portal on this day unless extended; and the last
    # reminder sent to its team's leads (7 or 1 days before; 0: none yet).
    expires_on = models.DateField(null=True, blank=True)
    expiry_reminded_days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
