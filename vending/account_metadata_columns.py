"""The columns that say whose an account is and what it costs: its owner, cost centre,
tags, alternate contacts and monthly budget (rules: vending/account_metadata.py).

A request keeps what was asked (`RequestMetadataColumns`); each of its accounts a copy
(`AccountMetadataColumns`), with where its contacts and budget stand in AWS: they are
set after the account is ready (vending/services/account_setup.py) and a failure shows
on the account, never failing the vend.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from vending.choices import SetupStatus


class RequestMetadataColumns(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, "+", null=True, blank=True)
    cost_centre = models.CharField(max_length=64, blank=True)
    # The requested tags ({key: value}), besides the portal's own `vending:` tags.
    tags = models.JSONField(default=dict, blank=True)
    # {"billing" | "operations" | "security": {"name", "title", "email", "phone"}}
    contacts = models.JSONField(default=dict, blank=True)
    # Monthly, in USD; on a request: asked for (none: the blueprint's default); on an
    # account: the one it has (none: no budget).
    budget_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        abstract = True


class AccountMetadataColumns(RequestMetadataColumns):
    contacts_status = models.CharField(max_length=16, choices=SetupStatus.choices, blank=True)
    contacts_error = models.TextField(blank=True)
    budget_status = models.CharField(max_length=16, choices=SetupStatus.choices, blank=True)
    budget_error = models.TextField(blank=True)
    # Who the budget's notifications e-mail in AWS, as last set: when the owner, the
    # team's leads or their addresses change, the notifications are made again.
    budget_emails = models.JSONField(default=list, blank=True)
    # When the setup was last queued: the sweeper queues it again if it did not finish.
    setup_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
