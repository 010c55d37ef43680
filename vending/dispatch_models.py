"""Work the broker did not take: written by vending/dispatch.py when an enqueue fails,
sent again (and deleted) by the periodic `sweep` task as soon as the broker answers.
Registered with the app by vending/models.py, which imports it."""

from __future__ import annotations

from django.db import models


class PendingDispatch(models.Model):
    """One task message (task name, object id) that could not be enqueued."""

    task = models.CharField(max_length=64)
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "object_id"], name="pending_dispatch_once")
        ]

    def __str__(self) -> str:
        return f"{self.task}({self.object_id})"
