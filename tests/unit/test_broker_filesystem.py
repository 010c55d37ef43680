"""The embedded broker (kombu's filesystem transport) never hands out half a message."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from kombu import Connection

import portal.celery_app  # noqa: F401  (installs the fix, as every portal process does)


def _connection(folder: Path) -> Connection:
    return Connection(
        "filesystem://",
        transport_options={"data_folder_in": str(folder), "data_folder_out": str(folder)},
    )


def test_a_message_is_never_visible_before_it_is_whole(tmp_path: Path) -> None:
    """A reader that lists the folder while a writer writes sees no file or a whole one.

    Without the fix the message file exists (empty, then partly written) under the name
    readers pick up, and `_get` fails on the JSON of what it finds.
    """
    seen_partial: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for name in os.listdir(tmp_path):
                if not name.endswith(".q.msg"):
                    continue
                try:
                    data = (tmp_path / name).read_bytes()
                except FileNotFoundError:
                    continue
                if not data.endswith(b"}"):
                    seen_partial.append(name)

    watcher = threading.Thread(target=watch)
    watcher.start()
    big = {"body": "x" * 2_000_000}
    try:
        with _connection(tmp_path) as conn:
            channel = conn.default_channel
            for _ in range(15):
                channel._put("q", big)
    finally:
        stop.set()
        watcher.join()
    assert seen_partial == []
    with _connection(tmp_path) as conn:
        channel = conn.default_channel
        assert [channel._get("q")["body"] == big["body"] for _ in range(15)] == [True] * 15
