"""CPU time of process trees on this machine, from /proc (Linux), for the benchmarks that
ask where a run's time went: a process's own time, its children's that it has reaped
(a pool's recycled processes, PostgreSQL's ended backends) and its live descendants'.

    before = tree_cpu(pid)
    ...
    used = tree_cpu(pid) - before
"""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None  # ended meanwhile
    # The command name is in parentheses and may hold spaces: the fields follow its end.
    return text.rsplit(")", 1)[1].split()


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: its parent and its command name."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            fields = _stat(int(entry.name))
            if fields is not None:
                found[int(entry.name)] = (int(fields[1]), comm)
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of `pid`, of its children it has waited for, and of its
    live descendants."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for child, (parent, _) in processes.items():
        children.setdefault(parent, []).append(child)
    ticks = 0
    fields = _stat(pid)
    if fields is not None:
        # utime, stime, cutime, cstime are the 14th to 17th fields: 11 to 14 after the name.
        ticks += sum(int(f) for f in fields[11:15])
    stack = list(children.get(pid, ()))
    while stack:
        descendant = stack.pop()
        stack.extend(children.get(descendant, ()))
        fields = _stat(descendant)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / _TICK


def postmaster_pid() -> int | None:
    """The PostgreSQL server on this machine (a `postgres` process whose parent is not
    one), if this user may see it."""
    processes = _processes()
    for pid, (parent, comm) in sorted(processes.items()):
        if comm == "postgres" and processes.get(parent, (0, ""))[1] != "postgres":
            return pid
    return None
