"""The mock as users run it (``stability-mock serve`` on gunicorn), started and stopped by the bench.

Each server gets a free loopback port, its own data folder and a log file; it runs
in its own process group so stopping it stops its workers too.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench import ROOT
from bench.harness.processes import children_of, rss_kib

API_KEY = "sk-bench"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running ``stability-mock serve``: where it answers and which processes it is."""

    port: int
    process: subprocess.Popen[bytes]
    started: float
    log: Path
    data_dir: Path
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        return [self.process.pid, *children_of(self.process.pid)]

    def rss_bytes(self) -> int:
        return sum(rss_kib(pid) for pid in self.pids()) * 1024


@contextlib.contextmanager
def running(
    *options: str,
    env: dict[str, str] | None = None,
    wait: bool = True,
    folder: Path | None = None,
    tree: Path = ROOT,
    python: str = sys.executable,
) -> Iterator[Server]:
    """Start the mock with ``options``; with ``wait``, return once /_mock/health answers 200.

    Its data and ``server.log`` go in ``folder`` (kept, so the log can be read
    after the server stopped), or in a temporary folder removed at the end.
    ``tree`` and ``python`` run another checkout (a baseline, with its own venv).
    """
    port = free_port()
    with contextlib.ExitStack() as cleanup:
        data_dir = folder or Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="stability-bench-")))
        command = [
            python, "-m", "mockserver", "serve", "--port", str(port),
            "--data-dir", str(data_dir), "--log-level", "warning", *options,
        ]  # fmt: skip
        ready = (lambda server: get(server, "/_mock/health")[0] == 200) if wait else None
        with spawned(command, port, data_dir / "server.log", data_dir, env=env, ready=ready, tree=tree) as server:
            yield server


@contextlib.contextmanager
def spawned(
    command: list[str],
    port: int,
    log: Path,
    data_dir: Path,
    *,
    env: dict[str, str] | None = None,
    ready: Callable[[Server], bool] | None = lambda server: get(server, "/")[0] > 0,
    tree: Path = ROOT,
) -> Iterator[Server]:
    """Run ``command`` (a server on ``port``) in ``tree``, in its own process group, its output in ``log``.

    Stopped at the end. ``python -m`` puts the working folder first on the path, so
    ``tree`` is both the working folder and ``PYTHONPATH``.
    """
    environment = {**os.environ, "PYTHONPATH": str(tree), **(env or {})}
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment, cwd=tree, start_new_session=True
        )
    server = Server(port=port, process=process, started=started, log=log, data_dir=data_dir)
    try:
        if ready is not None:
            wait_until(server, lambda: ready(server))
        yield server
    finally:
        stop(server)


def stop(server: Server) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


def wait_until(server: Server, ready: Callable[[], bool], seconds: float = 60.0) -> float:
    """Call ``ready()`` until it is true; the seconds since the server process started."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if ready():
                return time.perf_counter() - server.started
        time.sleep(0.005)
    raise RuntimeError(f"server did not answer within {seconds} s:\n{server.log.read_text()[-3000:]}")


def request(
    server: Server, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    try:
        connection.request(method, path, body=body, headers={**AUTH, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get(server: Server, path: str) -> tuple[int, bytes]:
    return request(server, "GET", path)
