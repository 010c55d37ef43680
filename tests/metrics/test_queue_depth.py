"""The Celery queue's depth, where the broker lets us count: the filesystem transport's
message files, Redis's lists (every priority); never a failed scrape."""

from __future__ import annotations

import uuid

import pytest

from tests.metrics.conftest import value
from tests.system.harness import free_port, require_service

pytestmark = pytest.mark.django_db

DEPTH = "vending_celery_queue_depth"


def test_filesystem_broker_counts_the_queues_message_files(scraper, settings):
    """Real messages, published by the portal's Celery app to its filesystem broker (a
    queue of this test's own: other test processes may share the broker's folder)."""
    from vending import tasks

    assert settings.CELERY_BROKER_URL.startswith("filesystem://")
    name = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = name
    folder = settings.CELERY_BROKER_FILESYSTEM_DIR / "out"
    assert value(scraper.samples(), DEPTH, queue=name) == 0
    existing = set(folder.iterdir()) if folder.is_dir() else set()
    try:
        tasks.sweep.apply_async(queue=name)
        tasks.org_drift_scan.apply_async(queue=name, countdown=60)  # waits all the same
        tasks.sweep.apply_async(queue=f"{name}-other")  # another queue: not counted
        assert value(scraper.samples(), DEPTH, queue=name) == 2
    finally:
        for path in set(folder.iterdir()) - existing:
            path.unlink()
    assert value(scraper.samples(), DEPTH, queue=name) == 0


@pytest.mark.services
def test_redis_broker_counts_every_priority_list(scraper, settings):
    """Real messages, published by kombu as Celery publishes them, some with a priority
    (kombu keeps those in other lists)."""
    from kombu import Connection, Exchange, Queue

    require_service("Redis", "127.0.0.1", 6379)
    url = "redis://127.0.0.1:6379/12"
    name = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_DEFAULT_QUEUE = name
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    with Connection(url) as connection:
        producer = connection.Producer()
        try:
            for priority in (None, None, 0, 5, 9):
                producer.publish({"n": 1}, routing_key=name, declare=[queue], priority=priority)
            assert value(scraper.samples(), DEPTH, queue=name) == 5
            with connection.SimpleQueue(queue) as consumer:
                consumer.get(timeout=5).ack()  # a worker takes one
            assert value(scraper.samples(), DEPTH, queue=name) == 4
        finally:
            queue(connection.default_channel).delete()


def test_a_broker_that_does_not_answer_leaves_the_gauge_out(scraper, settings, caplog):
    # Nothing listens on that port; the password must not reach the log.
    settings.CELERY_BROKER_URL = f"redis://:hunter2-broker-password@127.0.0.1:{free_port()}/0"
    samples = scraper.samples()  # 200 all the same
    assert not any(name == DEPTH for name, _ in samples)
    assert value(samples, "vending_creation_slots_limit") == settings.VENDING_MAX_CONCURRENT_CREATES
    assert "Queue depth unknown" in caplog.text
    assert "hunter2" not in caplog.text


def test_a_broker_we_cannot_count_leaves_the_gauge_out(scraper, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    assert DEPTH not in scraper.families()
