"""The close sequence a Celery worker runs when Redis goes away (portal/broker_redis.py),
against a real redis-server stopped under it, and what the worker makes of it."""

from __future__ import annotations

import socket
import time

import pytest
from kombu import Connection, Exchange, Queue
from kombu.message import Message

from portal.broker_redis import redis_channel_close_patch
from tests.system.harness import free_port
from tests.system.redis_server import RedisServer, redis_server

pytestmark = [pytest.mark.slow, pytest.mark.serial]  # starts and stops a redis-server


def _consumer_waiting_with_an_unacked_message(server: RedisServer) -> Connection:
    queue = Queue("q", Exchange("q"), routing_key="q")
    connection = Connection(server.url)
    with Connection(server.url) as producer:
        producer.Producer().publish({"n": 1}, exchange=queue.exchange, routing_key="q",
                                    declare=[queue])  # fmt: skip
    held = []
    consumer = connection.Consumer([queue], callbacks=[lambda body, message: held.append(message)])
    consumer.consume()
    connection.drain_events(timeout=5)
    assert len(held) == 1  # delivered, not acknowledged: the worker holds it
    # Nothing more to read: the channel is left waiting on BRPOP, as a worker's is.
    with pytest.raises(socket.timeout):
        connection.drain_events(timeout=0.3)
    assert connection.default_channel._in_poll
    return connection


def _close_as_a_worker_does(connection: Connection) -> None:
    """The steps of celery's consumer on a connection error, as a worker's log showed them:
    `collect()` closes the channel (the close fails on the lost connection and is
    swallowed), drops the transport's client, then `close()` closes what is left."""
    channel = connection.default_channel
    connection.maybe_close_channel(channel)
    connection._do_close_transport()
    connection.close()  # AttributeError: 'NoneType' ... 'hostname' without the fix
    assert channel.closed


def test_a_consumer_closes_cleanly_after_redis_went_away(tmp_path):
    redis_channel_close_patch()
    with redis_server(tmp_path / "redis", free_port()) as server:
        connection = _consumer_waiting_with_an_unacked_message(server)
        server.stop()
        _close_as_a_worker_does(connection)


def test_the_message_held_when_redis_went_away_is_delivered_again(tmp_path):
    redis_channel_close_patch()
    with redis_server(tmp_path / "redis", free_port()) as server:
        connection = _consumer_waiting_with_an_unacked_message(server)
        server.stop()
        _close_as_a_worker_does(connection)
        server.start()  # the append-only file kept the unacked message
        with Connection(server.url, transport_options={"visibility_timeout": 1}) as again:
            queue = Queue("q", Exchange("q"), routing_key="q")
            got = []

            def take(body: object, message: Message) -> None:
                got.append(body)
                message.ack()

            again.Consumer([queue], callbacks=[take]).consume()
            # Restored from the unacked hash once the visibility timeout has passed.
            time.sleep(1.5)
            again.default_channel.qos.restore_visible(num=10)
            again.drain_events(timeout=5)
        assert got == [{"n": 1}]


def test_the_message_held_when_redis_went_away_is_back_as_soon_as_redis_is(tmp_path):
    """Not one visibility timeout later (kombu's default: an hour; the portal's: minutes):
    the first channel that reaches Redis again puts it back in its queue."""
    redis_channel_close_patch()
    with redis_server(tmp_path / "redis", free_port()) as server:
        connection = _consumer_waiting_with_an_unacked_message(server)
        server.stop()
        _close_as_a_worker_does(connection)
        server.start()
        with Connection(server.url) as again:
            queue = Queue("q", Exchange("q"), routing_key="q")
            got = []

            def take(body: object, message: Message) -> None:
                got.append(body)
                message.ack()

            again.Consumer([queue], callbacks=[take]).consume()
            again.drain_events(timeout=5)
            unacked = again.default_channel.client.hlen(again.default_channel.unacked_key)
        assert got == [{"n": 1}]
        assert unacked == 0  # acknowledged, nothing left to come back a second time
