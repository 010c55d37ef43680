"""A fix to kombu's Redis transport, so a worker survives a Redis restart.

What happens without it (kombu 5.7.0, celery 5.7.0, redis-py 8.1.0): Redis goes away
while a worker waits on BRPOP and holds unacknowledged messages (acks_late, or polls
waiting for their countdown). The consumer sees the connection error and, to reconnect,
first `collect()`s the connection (which closes the channel, then drops the transport's
`client`) and then `close()`s it. The first close reads the pending BRPOP reply; that read
raises ConnectionError, which aborts `Channel.close` before the channel is marked closed
(kombu's `maybe_close_channel` swallows the error). The second close then runs the whole
close on a transport without a client: restoring the unacknowledged messages builds a
new connection pool from `transport.client.hostname`, raises AttributeError("'NoneType'
object has no attribute 'hostname'"), which is no connection error, and celery stops the
worker for good ("Unrecoverable error").

The fix treats a connection error on that last BRPOP read like the empty reply kombu
already expects there: the read is abandoned (the connection is gone anyway) and the
channel closes in one go. The messages it could not put back while Redis was down stay
in Redis's unacked hash, from which kombu restores them after the visibility timeout;
the sweeper re-enqueues the work they stood for long before that.

tests/system/test_redis_outage.py (a worker through a Redis restart) and
tests/system/test_broker_redis.py (the close sequence itself) fail without it.
"""

from __future__ import annotations

import functools
from queue import Empty
from typing import Any

from kombu.transport import redis as kombu_redis

_MARK = "_vending_close_survives_lost_poll"


def redis_channel_close_patch() -> None:
    """Install the fix once (importing the Celery app does)."""
    channel_class: Any = kombu_redis.Channel
    if getattr(channel_class.close, _MARK, False):
        return
    original = channel_class.close

    @functools.wraps(original)
    def close(self: Any) -> None:
        if self._in_poll:
            try:
                self._brpop_read()  # resets _in_poll, whatever it raises
            except (Empty, *self.connection_errors):
                pass
        original(self)

    setattr(close, _MARK, True)
    channel_class.close = close
