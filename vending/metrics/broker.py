"""How many tasks wait in the Celery broker's queue, where the broker lets us count.

Redis: the length of the queue's lists (one per priority step, as kombu keeps them),
read with a short timeout. Filesystem transport: the queue's message files. Any other
broker, or a broker that does not answer: unknown (None), and the scrape goes on
without it. Tasks a worker has already taken (prefetched, or waiting for their
countdown) are not in the queue any more and are not counted.
"""

from __future__ import annotations

import logging
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# kombu's Redis transport: a message of priority p > 0 goes to "<queue>\x06\x16<p>".
_REDIS_PRIORITY_SEPARATOR = "\x06\x16"
_REDIS_PRIORITY_STEPS = (3, 6, 9)
REDIS_TIMEOUT_SECONDS = 0.5


def celery_queue_depth(*, broker_url: str, queue: str, filesystem_folder: Path) -> int | None:
    """Messages waiting in `queue`, or None when this broker cannot tell us."""
    scheme = broker_url.partition("://")[0].lower()
    if scheme == "filesystem":
        return _filesystem_depth(filesystem_folder / "out", queue)
    if scheme in {"redis", "rediss", "unix"}:
        return _redis_depth(broker_url, queue)
    return None


def _filesystem_depth(folder: Path, queue: str) -> int:
    # kombu's names: "<ms>_<uuid>.<queue>.msg".
    wanted = f"{queue}.msg"
    try:
        return sum(1 for p in folder.iterdir() if p.name.partition(".")[2] == wanted)
    except FileNotFoundError:
        return 0  # nothing was ever queued


def _redis_depth(broker_url: str, queue: str) -> int | None:
    keys = [queue, *(f"{queue}{_REDIS_PRIORITY_SEPARATOR}{p}" for p in _REDIS_PRIORITY_STEPS)]
    client = redis.Redis.from_url(
        broker_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.llen(key)
            return sum(int(n) for n in pipe.execute())
    except (redis.RedisError, OSError) as exc:
        # The broker's health is not the scrape's to fail; the gauge is left out.
        logger.warning("Queue depth unknown: the Redis broker did not answer (%s)", exc)
        return None
    finally:
        client.close()
