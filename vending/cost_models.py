"""What the organization's accounts spent, as Cost Explorer last said (a cache: reading
it costs nothing, asking AWS costs USD 0.01 a call), and each refresh of it.
Registered with the app by vending/models.py, which imports it."""

from __future__ import annotations

from django.db import models


class CostRefresh(models.Model):
    """One refresh of the figures: every account's months in one set of calls. A failed
    one keeps its error and changes no figure (the last good ones stay)."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The period asked for: first day of the oldest month, and the exclusive end.
    period_start = models.DateField()
    period_end = models.DateField()
    # GetCostAndUsage calls (pages) made, and the figures kept.
    calls = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # True while it runs, null once finished: the unique constraint lets one run at a time
    # (two workers seeing it due at once start one refresh, not two sets of paid calls).
    under_way = models.BooleanField(null=True, default=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["under_way"], name="one_cost_refresh_under_way")
        ]

    def __str__(self) -> str:
        return f"cost refresh {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def succeeded(self) -> bool:
        return self.finished_at is not None and not self.error


class AccountMonthlyCost(models.Model):
    """What one AWS account spent in one month (the current one: so far). Keyed by the
    AWS account id, not the portal's record: Cost Explorer also reports accounts the
    portal does not hold (the management account, accounts nobody imported)."""

    account_id = models.CharField(max_length=12)
    month = models.DateField(help_text="The first day of the month.")
    amount = models.DecimalField(max_digits=20, decimal_places=6)
    currency = models.CharField(max_length=3, default="USD")
    # AWS may still change it (the month is open, or not yet billed).
    estimated = models.BooleanField(default=False)
    # The account's name as Cost Explorer knows it (for accounts the portal does not hold).
    aws_name = models.CharField(max_length=50, blank=True)
    # When the refresh that last wrote it finished.
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["account_id", "month"], name="one_cost_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}: {self.amount} {self.currency}"
