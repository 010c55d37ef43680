"""What provisioning keeps beside the accounts: the organization's CreateAccount slots
(vending/services/creation_slots.py) and the OU ids placing uses without lookups
(vending/services/org_units.py). Registered with the app by vending/models.py, which
imports it."""

from __future__ import annotations

from django.db import models


class CreationSlot(models.Model):
    """One of the organization's CreateAccount slots (AWS allows 5 in progress).

    A slot is claimed with a conditional UPDATE, so workers on any database and any
    host agree on who holds it without a lock service.
    """

    index = models.PositiveSmallIntegerField(primary_key=True)
    holder = models.OneToOneField(
        "vending.VendedAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="slot",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When a ListCreateAccountStatus(IN_PROGRESS) call last reported on the holder's
    # creation, and whether it listed it (in progress) or not (finished).
    listed_at = models.DateTimeField(null=True, blank=True)
    listed_in_progress = models.BooleanField(default=False)

    class Meta:
        ordering = ["index"]

    def __str__(self) -> str:
        return f"slot {self.index}: {self.holder_id or 'free'}"


class OrganizationalUnitRecord(models.Model):
    """The id of an OU (the root: path "") as the blueprint apply or the drift scan last
    saw it: placing uses it without lookups (vending/services/org_units.py)."""

    path = models.CharField(max_length=512, unique=True, blank=True)
    ou_id = models.CharField(max_length=68)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.path or 'Root'}: {self.ou_id}"
