#!/usr/bin/env python3
"""Fresh-clone smoke test: does `make run` serve the portal, and how fast?

    python3 bench/fresh_clone_smoke.py [--repo PATH] [--timeout 120] [--port N]
                                       [--emulator-port N] [--reuse-venv PATH]

Clones the committed HEAD of the repository into a temporary directory, runs `make run`
there in its own process group with PORT and EMULATOR_PORT set to free ports, polls
http://127.0.0.1:PORT/ until it answers 200, prints how long each step took, then stops
everything (SIGINT, then SIGTERM and SIGKILL after a grace period) and checks that both
ports are free again. Exit code 0 on success, 1 on failure (with the tail of the
`make run` output). Standard library only; it only ever connects to 127.0.0.1.

Timing rows: "install" is `make install` (creating .venv and downloading every package,
which a fresh clone must do); the --timeout budget (two minutes by default) covers only
the server start that follows: migrate, collectstatic, starting the processes and the
first 200 on /.

--reuse-venv PATH symlinks an existing virtualenv into the clone and skips `make
install`, for a quick check that costs no download. That is not a fresh clone: the real
fresh-clone number comes from a run without it. With it, PYTHONPATH points at the clone
so that the clone's code wins over an editable install the virtualenv may hold; nothing
is installed into that virtualenv.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
EXPECTED_PROCESSES = ("web", "worker", "beat", "emulator")
# make echoes each recipe line before it runs it.
INSTALL_DONE = re.compile(r"^mkdir -p var$", re.M)
HONCHO_START = re.compile(r"(honcho|portal\.procfile) start\b")
# honcho: "12:00:00 system | web.1 started (pid=1234)"
PROCESS_STARTED = re.compile(r"\|\s*(\w+)\.1 started \(pid=")
# honcho: "12:00:05 system | sending SIGKILL to worker.1 (pid 1234)"
HONCHO_KILLED = re.compile(r"\|\s*sending SIGKILL to (\S+)")
# Variables that would change what a fresh `make run` does.
SCRUBBED_PREFIXES = ("DJANGO_", "VENDING_", "CELERY_", "DATABASE_", "EMULATOR_", "AWS_", "MOTO_")
SCRUBBED = {
    "PORT",
    "BIND",
    "WEB_CONCURRENCY",
    "WORKER_CONCURRENCY",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "MAKEOVERRIDES",
}
TAIL_LINES = 60


@dataclass
class Timings:
    clone: float | None = None
    make_start: float | None = None  # monotonic time `make run` was started
    install_done: float | None = None
    honcho_start: float | None = None
    processes_started: float | None = None
    first_200: float | None = None
    stop: float | None = None
    started: set[str] = field(default_factory=set)
    # Processes honcho had to SIGKILL because they ignored its SIGTERM for 5 s.
    killed_by_honcho: list[str] = field(default_factory=list)

    def since_make(self, at: float | None) -> float | None:
        if at is None or self.make_start is None:
            return None
        return at - self.make_start

    @staticmethod
    def between(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else b - a

    def server_start(self) -> float | None:
        """Install done (or make started, if never seen) to the first 200."""
        return self.between(self.install_done or self.make_start, self.first_200)

    def rows(self) -> list[tuple[str, float | None]]:
        return [
            ("clone", self.clone),
            ("install (make install)", self.since_make(self.install_done)),
            ("migrate + collectstatic", self.between(self.install_done, self.honcho_start)),
            ("start processes (honcho)", self.between(self.honcho_start, self.processes_started)),
            (
                "first 200 after processes started",
                self.between(self.processes_started, self.first_200),
            ),
            ("server start (after install) to 200", self.server_start()),
            ("first 200 on /", self.since_make(self.first_200)),
            ("stop (all processes gone)", self.stop),
        ]


# --- processes ------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[int, int, str, str] | None:
    """(ppid, pgrp, state, start time) of a process from /proc, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[2]), fields[0], fields[19]


class ProcessTree:
    """Every process started under `make run`, also those honcho puts in new sessions."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.known: dict[int, str] = {}  # pid -> start time (guards against pid reuse)
        self.has_proc = Path("/proc/self/stat").exists()

    def scan(self) -> None:
        if not self.has_proc:
            return
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))):
                children.setdefault(stat[0], []).append(int(entry.name))
        todo = [self.root, *self.known]
        while todo:
            pid = todo.pop()
            stat = _proc_stat(pid)
            if stat is None or (pid in self.known and self.known[pid] != stat[3]):
                continue
            if pid not in self.known:
                self.known[pid] = stat[3]
            todo.extend(c for c in children.get(pid, []) if c not in self.known)

    def alive(self) -> list[int]:
        """Live (not zombie) processes of the tree and of the root's process group."""
        if not self.has_proc:
            try:
                os.killpg(self.root, 0)
            except (ProcessLookupError, PermissionError):
                return []
            return [self.root]
        self.scan()
        pids = []
        for pid, started in self.known.items():
            stat = _proc_stat(pid)
            if stat and stat[3] == started and stat[2] != "Z":
                pids.append(pid)
        return pids

    def signal(self, sig: int, *, everyone: bool) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.root, sig)
        if everyone:
            for pid in self.alive():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)


def stop(proc: subprocess.Popen[bytes], tree: ProcessTree, grace: float) -> tuple[bool, str]:
    """SIGINT to the group; SIGTERM then SIGKILL to whatever is left. True if clean."""
    tree.scan()
    steps = [
        (signal.SIGINT, grace, False),
        (signal.SIGTERM, 5.0, True),
        (signal.SIGKILL, 5.0, True),
    ]
    for sig, wait, everyone in steps:
        tree.signal(sig, everyone=everyone)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            proc.poll()
            if proc.returncode is not None and not tree.alive():
                clean = sig != signal.SIGKILL
                return clean, signal.Signals(sig).name
            time.sleep(0.1)
    proc.poll()
    return False, f"still running after SIGKILL: {tree.alive()}"


# --- ports and HTTP ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # SO_REUSEADDR: connections in TIME_WAIT do not count, a listener does.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def wait_ports_free(ports: list[int], timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        busy = [p for p in ports if not port_is_free(p)]
        if not busy or time.monotonic() > deadline:
            return busy
        time.sleep(0.2)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is not "200 on /"


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def answers_200(port: int) -> bool:
    try:
        with _OPENER.open(f"http://{HOST}:{port}/", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


# --- the run ----------------------------------------------------------------------------


def child_environment(port: int, emulator_port: int, pythonpath: Path | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SCRUBBED and not k.startswith(SCRUBBED_PREFIXES)
    }
    env["PORT"] = str(port)
    env["EMULATOR_PORT"] = str(emulator_port)
    for name in ("NO_PROXY", "no_proxy"):
        # The portal talks to the emulator on 127.0.0.1: never through a proxy.
        env[name] = ",".join(filter(None, [env.get(name, ""), "127.0.0.1", "localhost"]))
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


def print_table(timings: Timings) -> None:
    rows = timings.rows()
    width = max(len(name) for name, _ in rows)
    print(f"{'step':<{width}}  {'seconds':>8}")
    print(f"{'-' * width}  {'-' * 8}")
    for name, seconds in rows:
        value = "-" if seconds is None else f"{seconds:8.2f}"
        print(f"{name:<{width}}  {value:>8}")


def run(args: argparse.Namespace) -> tuple[bool, Timings, str]:
    timings = Timings()
    repo = Path(args.repo).resolve()
    port = args.port or free_port()
    emulator_port = args.emulator_port or free_port()
    if port == emulator_port:
        return False, timings, "the web and emulator ports must differ"
    busy = [p for p in (port, emulator_port) if not port_is_free(p)]
    if busy:
        return False, timings, f"port(s) already in use on {HOST}: {busy}"

    workdir = Path(tempfile.mkdtemp(prefix="vending-fresh-clone-"))
    clone = workdir / "portal"
    log_path = workdir / "make-run.log"
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        t = time.monotonic()
        subprocess.run(["git", "clone", "--quiet", "--", str(repo), str(clone)], check=True)
        timings.clone = time.monotonic() - t
        print(f"cloned {repo} at {commit} into {clone}")

        make = ["make", "run"]
        pythonpath = None
        if args.reuse_venv:
            venv = Path(args.reuse_venv).resolve()
            if not (venv / "bin" / "python").exists():
                return False, timings, f"--reuse-venv {venv}: no bin/python"
            (clone / ".venv").symlink_to(venv, target_is_directory=True)
            # -o: treat the install stamp as up to date, so nothing is installed into it.
            make = ["make", "-o", ".venv/.installed", "run"]
            pythonpath = clone
            print(f"reusing {venv} (not a fresh-clone measurement)")
        print(f"$ PORT={port} EMULATOR_PORT={emulator_port} {' '.join(make)}")

        with open(log_path, "wb") as log:
            timings.make_start = time.monotonic()
            proc = subprocess.Popen(
                make,
                cwd=clone,
                env=child_environment(port, emulator_port, pythonpath),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        tree = ProcessTree(proc.pid)
        try:
            ok, reason = wait_for_200(args, proc, tree, timings, log_path, port)
        finally:
            t = time.monotonic()
            clean, how = stop(proc, tree, args.grace)
            timings.stop = time.monotonic() - t
            busy = wait_ports_free([port, emulator_port])
        print(f"stopped with {how}; `make run` exit code {proc.returncode}")
        timings.killed_by_honcho = HONCHO_KILLED.findall(log_path.read_text(errors="replace"))
        if timings.killed_by_honcho:
            # Not a failure (the ports are free, unfinished tasks are redelivered), but
            # those processes did not shut down gracefully.
            print(f"warning: honcho had to SIGKILL {', '.join(timings.killed_by_honcho)}")
        if ok and not clean:
            ok, reason = False, f"processes did not stop cleanly ({how})"
        if ok and busy:
            ok, reason = False, f"port(s) still in use after stopping: {busy}"
        if not ok:
            print(f"--- last {TAIL_LINES} lines of `make run` ---")
            print(tail(log_path))
            print("---")
        return ok, timings, reason
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def wait_for_200(
    args: argparse.Namespace,
    proc: subprocess.Popen[bytes],
    tree: ProcessTree,
    timings: Timings,
    log_path: Path,
    port: int,
) -> tuple[bool, str]:
    assert timings.make_start is not None
    install_deadline = timings.make_start + args.install_timeout
    while True:
        now = time.monotonic()
        tree.scan()
        output = log_path.read_text(errors="replace")
        if timings.install_done is None and INSTALL_DONE.search(output):
            timings.install_done = now
        if timings.honcho_start is None and HONCHO_START.search(output):
            timings.honcho_start = now
        timings.started |= set(PROCESS_STARTED.findall(output))
        if timings.processes_started is None and set(EXPECTED_PROCESSES) <= timings.started:
            timings.processes_started = now
        if answers_200(port):
            timings.first_200 = time.monotonic()
            return True, ""
        if proc.poll() is not None:
            return False, f"`make run` exited with code {proc.returncode} before serving"
        if timings.install_done is None and now > install_deadline:
            return False, f"install did not finish within {args.install_timeout:g} s"
        start = timings.install_done or timings.make_start
        if timings.install_done is not None and now > start + args.timeout:
            return False, f"no 200 on / within {args.timeout:g} s of the server start"
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Clone the committed HEAD, `make run` it, time the first 200 on /."
    )
    parser.add_argument(
        "--repo",
        default=str(Path(__file__).resolve().parent.parent),
        help="repository to clone (default: the one holding this script)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120,
        help="seconds from the end of the install to the first 200 (default 120)",
    )
    parser.add_argument(
        "--install-timeout",
        type=float,
        default=1200,
        help="seconds allowed for `make install` in the fresh clone (default 1200)",
    )
    parser.add_argument("--port", type=int, default=0, help="web port (default: a free one)")
    parser.add_argument(
        "--emulator-port", type=int, default=0, help="emulator port (default: a free one)"
    )
    parser.add_argument(
        "--reuse-venv",
        metavar="PATH",
        help="symlink this virtualenv into the clone and skip the install (quick check only)",
    )
    parser.add_argument(
        "--grace", type=float, default=15, help="seconds after SIGINT before SIGTERM (15)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its log")
    args = parser.parse_args(argv)

    try:
        ok, timings, reason = run(args)
    except (OSError, subprocess.CalledProcessError) as exc:
        ok, timings, reason = False, Timings(), str(exc)
    print()
    print_table(timings)
    print()
    print("OK" if ok else f"FAILED: {reason}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "ok": ok,
                    "reason": reason,
                    "reused_venv": bool(args.reuse_venv),
                    "timeout": args.timeout,
                    "seconds": dict(timings.rows()),
                    "killed_by_honcho": timings.killed_by_honcho,
                },
                indent=2,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
