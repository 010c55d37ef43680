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
channel closes in one go.

The messages the worker held when Redis went away (a status read waiting for its
countdown, a task running under acks_late) are forgotten by the worker when it
reconnects: their delivery tags belonged to the lost channel. The close tries to put them
back in their queue, which fails while Redis is down, so they stay in Redis's unacked
hash, which kombu looks at again only once they are older than the visibility timeout
(minutes: it must exceed the longest task). Left there, a countdown due during the outage
came back only when the sweeper found its work overdue. So the tags a close could not
restore are kept, and the first channel that reaches Redis again restores exactly those
(`restore_by_tag`, atomic, a no-op for a tag already acknowledged or restored), at once.

tests/system/test_redis_outage.py (a worker through a Redis restart) and
tests/system/test_broker_redis.py (the close sequence, the held message delivered again
as soon as Redis is back) fail without it.
"""

from __future__ import annotations

import functools
from queue import Empty
from typing import Any

from kombu.transport import redis as kombu_redis

_MARK = "_vending_close_survives_lost_poll"

# Per unacked hash (its key): the delivery tags a closing channel could not put back.
_UNRESTORED: dict[str, set[str]] = {}


def redis_channel_close_patch() -> None:
    """Install the fix once (importing the Celery app does)."""
    channel_class: Any = kombu_redis.Channel
    if getattr(channel_class.close, _MARK, False):
        return
    _restore_later_what_a_close_could_not()
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


def _restore_later_what_a_close_could_not() -> None:
    qos_class: Any = kombu_redis.QoS
    channel_class: Any = kombu_redis.Channel
    restore_unacked, channel_init = qos_class.restore_unacked, channel_class.__init__

    @functools.wraps(restore_unacked)
    def restore_unacked_or_keep(self: Any, client: Any = None) -> None:
        held = list(self._delivered)
        try:
            restore_unacked(self, client)
        except self.channel.connection_errors:
            _UNRESTORED.setdefault(self.unacked_key, set()).update(held)
            raise

    @functools.wraps(channel_init)
    def init_then_restore(self: Any, *args: Any, **kwargs: Any) -> None:
        channel_init(self, *args, **kwargs)  # has just reached Redis (PING)
        unrestored_restore(self)

    qos_class.restore_unacked = restore_unacked_or_keep
    channel_class.__init__ = init_then_restore


def unrestored_restore(channel: Any) -> int:
    """Put back the messages closes could not (see above) through `channel`; how many."""
    if not channel.ack_emulation:
        return 0
    tags = _UNRESTORED.pop(channel.unacked_key, set())
    for done, tag in enumerate(sorted(tags)):
        try:
            channel.qos.restore_by_tag(tag)
        except channel.connection_errors:
            _UNRESTORED.setdefault(channel.unacked_key, set()).update(sorted(tags)[done:])
            raise
    return len(tags)
