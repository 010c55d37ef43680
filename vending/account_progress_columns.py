"""The columns of a vended account that say how its provisioning goes (written by
vending/services/provisioning.py and its steps, read by vending/selectors/account_progress.py).
"""

from __future__ import annotations

from django.db import models


class AccountProgressColumns(models.Model):
    """Tries that ended in an error since the account was queued, the last error (AWS's
    code, in words, whether it heals by itself, when), and the last step done (a status
    change, CreateAccount accepted, a status read answered)."""

    attempts = models.PositiveIntegerField(default=0)
    last_error_code = models.CharField(max_length=64, blank=True)
    last_error_message = models.TextField(blank=True)
    last_error_transient = models.BooleanField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
