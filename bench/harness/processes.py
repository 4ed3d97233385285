"""The gunicorn processes behind a URL, read from /proc (Linux): master, workers, memory.

A running server is known by its URL; the master is found as
the process started by this one whose command line names the URL's port, and
the workers as its children (preloaded, so they share its command line).
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROC = Path("/proc")


@dataclass(frozen=True)
class ServerProcesses:
    master: int
    workers: tuple[int, ...]

    @property
    def all(self) -> tuple[int, ...]:
        return (self.master, *self.workers)


def parent_of(pid: int) -> int | None:
    """The parent pid, or ``None`` when the process is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; fields resume after the last ")".
    return int(stat.rsplit(")", 1)[1].split()[1])


def command_line(pid: int) -> list[str]:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def children_of(pid: int) -> tuple[int, ...]:
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit() and parent_of(int(entry.name)) == pid:
            found.append(int(entry.name))
    return tuple(sorted(found))


def server_processes(url: str, *, parent: int | None = None) -> ServerProcesses:
    """The master serving ``url`` (a child of ``parent``, by default this process) and its workers."""
    port = str(urlsplit(url).port)
    for pid in children_of(os.getpid() if parent is None else parent):
        arguments = command_line(pid)
        if "serve" in arguments and any(pair == ("--port", port) for pair in itertools.pairwise(arguments)):
            return ServerProcesses(master=pid, workers=children_of(pid))
    raise LookupError(f"no server process of ours listens on port {port}")


def wait_for_workers(url: str, count: int, *, seconds: float = 30.0) -> ServerProcesses:
    """The server's processes once ``count`` workers run: the master forks them one by one,
    and the first can answer the health check before the last exists."""
    deadline = time.monotonic() + seconds
    while True:
        processes = server_processes(url)
        if len(processes.workers) >= count or time.monotonic() > deadline:
            return processes
        time.sleep(0.05)


def rss_kib(pid: int) -> int:
    """Resident memory (VmRSS) in KiB; 0 when the process is gone."""
    return _status_kib(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """The most resident memory the process ever had (VmHWM) in KiB: catches peaks between samples."""
    return _status_kib(pid, "VmHWM")


def _status_kib(pid: int, field: str) -> int:
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time in clock ticks; 0 when the process is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
