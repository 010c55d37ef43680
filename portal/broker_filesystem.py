"""A fix to kombu's filesystem transport (the embedded default broker of `make run`), so
a worker never reads a message that is still being written.

kombu 5.7.0 `Channel._put` creates the message file under its final name and then
writes it (with a lock), while `_get` moves and reads files by name without taking that
lock: a worker polling at the wrong moment reads an empty or half-written file, fails
on the JSON, and the whole worker exits. The fix writes each message under a name no
reader looks at (it does not end in ``.<queue>.msg``) and renames it into place, which
is atomic on one file system: a reader sees no file, or the whole message.

tests/unit/test_broker_filesystem.py fails without it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem as kombu_filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

_MARK = "_vending_put_is_atomic"


def filesystem_put_patch() -> None:
    """Install the fix once (importing the Celery app does)."""
    channel_class: Any = kombu_filesystem.Channel
    if getattr(channel_class._put, _MARK, False):
        return

    @functools.wraps(channel_class._put)
    def _put(self: Any, queue: str, payload: Any, **kwargs: Any) -> None:
        # The same name kombu gives (readers sort by it: oldest first).
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    setattr(_put, _MARK, True)
    channel_class._put = _put
