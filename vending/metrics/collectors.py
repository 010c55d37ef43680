"""What a scrape reads: the files every process wrote (counters, histograms) and gauges
computed at scrape time from the database and the broker.

Gauges come from the database, not from counters kept in memory: every web process
answers the same, a restart loses nothing, and no worker has to be running for them.
The e-mail outbox's backlog (rows not yet sent) is computed the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from prometheus_client import CollectorRegistry, Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from vending.metrics.broker import celery_queue_depth
from vending.metrics.multiprocess import metrics_folder
from vending.selectors.notifications import outbox_backlog
from vending.selectors.provisioning import (
    account_counts_by_status,
    accounts_waiting_for_creation,
    creation_slots_in_use,
)


class ProvisioningCollector(Collector):
    """Accounts by status, creation slots, the accounts waiting to be created, and the
    e-mail outbox's backlog."""

    def collect(self) -> Iterator[Metric]:
        accounts = GaugeMetricFamily(
            "vending_accounts",
            "Accounts of live requests (not rejected or cancelled) by status.",
            labels=["status"],
        )
        for status, count in account_counts_by_status().items():
            accounts.add_metric([status], count)
        yield accounts
        yield GaugeMetricFamily(
            "vending_creation_slots_in_use",
            "CreateAccount requests in progress (creation slots held).",
            value=creation_slots_in_use(),
        )
        yield GaugeMetricFamily(
            "vending_creation_slots_limit",
            "CreateAccount requests allowed in progress at once (VENDING_MAX_CONCURRENT_CREATES).",
            value=settings.VENDING_MAX_CONCURRENT_CREATES,
        )
        waiting = accounts_waiting_for_creation()
        yield GaugeMetricFamily(
            "vending_accounts_waiting_for_creation",
            "Accounts of provisioning requests whose CreateAccount has not been answered yet.",
            value=waiting.count,
        )
        yield GaugeMetricFamily(
            "vending_oldest_waiting_account_age_seconds",
            "Seconds the account waiting longest for its CreateAccount has waited (0: none).",
            value=_age_seconds(waiting.oldest_since),
        )
        backlog = outbox_backlog()
        yield GaugeMetricFamily(
            "vending_outbox_backlog",
            "E-mails in the outbox not sent yet (waiting for their first try or a retry).",
            value=backlog.count,
        )
        yield GaugeMetricFamily(
            "vending_outbox_oldest_age_seconds",
            "Seconds the oldest e-mail not sent yet has waited in the outbox (0: none).",
            value=_age_seconds(backlog.oldest_since),
        )


class QueueDepthCollector(Collector):
    """Tasks waiting in the Celery queue, where the broker lets us count (else absent)."""

    def collect(self) -> Iterator[Metric]:
        queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
        depth = celery_queue_depth(
            broker_url=settings.CELERY_BROKER_URL,
            queue=queue,
            filesystem_folder=settings.CELERY_BROKER_FILESYSTEM_DIR,
        )
        if depth is None:
            return
        family = GaugeMetricFamily(
            "vending_celery_queue_depth",
            "Tasks waiting in the Celery broker's queue (not yet taken by a worker).",
            labels=["queue"],
        )
        family.add_metric([queue], depth)
        yield family


def metrics_registry() -> CollectorRegistry:
    """A registry for one scrape: every process's files, and the scrape-time gauges."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_folder()))
    registry.register(ProvisioningCollector())
    registry.register(QueueDepthCollector())
    return registry


def _age_seconds(since: datetime | None) -> float:
    """Seconds since `since` (0 when nothing is waiting)."""
    return 0.0 if since is None else max(0.0, (timezone.now() - since).total_seconds())
