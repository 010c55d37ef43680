"""Run the emulator on a threaded werkzeug server in a daemon thread."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import BaseWSGIServer, make_server

from .app import CONTROL_PREFIX, EmulatorApp
from .config import EmulatorConfig

_WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # noqa: S104 - recognised, not bound


class _QuietRequestHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Test suites start servers and make thousands of calls; skip per-request lines."""


class EmulatorServer:
    """``with EmulatorServer(port=0) as server: boto3.client(..., endpoint_url=...)``.

    ``port=0`` picks a free port; ``endpoint_url`` tells which one.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: EmulatorConfig | None = None,
        *,
        log_requests: bool = False,
        state_file: Path | None = None,
    ) -> None:
        """``state_file``: keep the state there across restarts (see :mod:`.snapshot`)."""
        self.app = EmulatorApp(config, state_file=state_file)
        self._host = host
        self._port = port
        self._handler = MotoRequestHandler if log_requests else _QuietRequestHandler
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        # A wildcard bind is reachable on loopback; clients cannot connect to "0.0.0.0".
        host = "127.0.0.1" if self._host in _WILDCARD_HOSTS else self._host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._server.port}"

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        """Start serving and return once the health endpoint answers."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = make_server(
            self._host, self._port, self.app, threaded=True, request_handler=self._handler
        )
        # A short poll: `stop` returns within it (the default half second, paid by every
        # stop, was most of a restart).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="organizations-emulator",
            daemon=True,
        )
        self._thread.start()
        self._wait_until_healthy(timeout)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server, self._thread = None, None
        # Every change is saved as it happens; this covers what time alone made due.
        self.app.save()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_healthy(self, timeout: float) -> None:
        url = f"{self.endpoint_url}{CONTROL_PREFIX}/health"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(urllib.error.URLError, ConnectionError),
                urllib.request.urlopen(url, timeout=1) as answer,  # noqa: S310 - http only
            ):
                if json.load(answer).get("ok"):
                    return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"the emulator did not answer {url} within {timeout} s")
