"""The mock as users run it (``stability-mock serve`` on gunicorn): the one starter the bench and the tests share.

Each server gets a loopback port, a data folder and a log file; it runs in its own
process group, so stopping it stops its workers too. :func:`running` is the starter;
:func:`running_server` is the same with the tests' calling convention (a log path in,
the URL out). The port is bound here and the bound socket handed to the server
(:func:`handed_over`), never chosen, closed and bound again later: with tests in
parallel processes, another one's server or client could take a port in between.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import ROOT
from bench.harness.processes import children_of, rss_kib

API_KEY = "sk-bench"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def free_port() -> int:
    """A port free now, for programs that bind it themselves (Prism, the bench's other engines).

    Another process may take it before they do; the mock's own servers get a bound
    socket instead (:func:`listening_socket`).
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening_socket() -> socket.socket:
    """A loopback socket listening on a port the system picked: the port is taken from here on."""
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def handed_over(command: Sequence[str], listener: socket.socket) -> list[str]:
    """``command``, run so that it inherits ``listener`` as systemd's socket activation passes one.

    gunicorn serves a socket passed that way (file descriptor 3, ``LISTEN_FDS=1`` and
    ``LISTEN_PID`` its own pid, see ``sd_listen_fds``) instead of binding its ``--port``.
    A shell sets them: ``$$`` is its pid, which ``exec`` hands on to ``command`` (bash, not
    sh: dash takes single-digit descriptors only).
    Popen needs ``pass_fds=(listener.fileno(),)``.
    """
    fd = listener.fileno()
    moved = "" if fd == 3 else f" 3<&{fd} {fd}<&-"
    script = f'LISTEN_PID=$$ LISTEN_FDS=1 && export LISTEN_PID LISTEN_FDS && exec "$@"{moved}'
    return ["bash", "-c", script, "bash", *command]


@dataclass
class Server:
    """A running ``stability-mock serve``: where it answers and which processes it is."""

    port: int
    process: subprocess.Popen[bytes]
    started: float
    log: Path
    data_dir: Path
    #: With ``--tls``: the CA that signed the server's certificate, which clients check it against.
    tls_ca: Path | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_ca else 'http'}://127.0.0.1:{self.port}"

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
    seconds: float = 60.0,
    log: Path | None = None,
    tls_ca: Path | None = None,
    tree: Path = ROOT,
    python: str = sys.executable,
) -> Iterator[Server]:
    """Start the mock with ``options``; with ``wait``, return once /_mock/health answers 200.

    Args:
        options: ``serve``'s own options, after the port and ``--log-level warning``. The data go
            in the ``--data-dir`` they name (kept), else in a temporary folder removed at the end.
        env: variables added to this process's environment.
        wait: wait for the health check (within ``seconds``, else ``RuntimeError`` with the log's end).
        seconds: how long start-up may take.
        log: the file its output is appended to (default ``server.log`` in the data folder), so
            it can be read after the server stopped.
        tls_ca: with ``--tls`` in ``options``: the CA its certificate is checked against.
        tree: the checkout to run, with ``python`` (a baseline, with its own venv).

    Example:
        with running("--workers", "2") as mock:
            status, body = get(mock, "/_mock/health")
    """
    with contextlib.ExitStack() as cleanup:
        named = option_value(options, "--data-dir")
        if named is not None:
            data_dir = Path(named)
        else:
            data_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="stability-bench-")))
            options = ("--data-dir", str(data_dir), *options)
        listener = cleanup.enter_context(listening_socket())
        port = int(listener.getsockname()[1])
        command = [python, "-m", "mockserver", "serve", "--port", str(port), "--log-level", "warning", *options]
        ready = healthy if wait else None
        log = log or data_dir / "server.log"
        with spawned(
            command,
            port,
            log,
            data_dir,
            env=env,
            ready=ready,
            seconds=seconds,
            tls_ca=tls_ca,
            tree=tree,
            listener=listener,
        ) as server:
            yield server


@contextlib.contextmanager
def running_server(
    *options: str, log: Path, startup_seconds: float = 30.0, tls_ca: Path | None = None
) -> Iterator[str]:
    """:func:`running` as the tests call it: its output appended to ``log``, its URL yielded.

    Example:
        with running_server("--data-dir", str(tmp_path), log=tmp_path / "server.log") as url:
            requests.get(f"{url}/_mock/health", timeout=10)
    """
    with running(*options, log=log, seconds=startup_seconds, tls_ca=tls_ca) as server:
        yield server.url


def healthy(server: Server) -> bool:
    """Whether the mock's health check answers 200."""
    return request(server, "GET", "/_mock/health", timeout=5)[0] == 200


def option_value(options: Sequence[str], name: str) -> str | None:
    """The value ``options`` give ``name`` (``--name value`` or ``--name=value``; the last one, as click takes it)."""
    found = None
    for index, option in enumerate(options):
        if option == name and index + 1 < len(options):
            found = options[index + 1]
        elif option.startswith(f"{name}="):
            found = option.partition("=")[2]
    return found


@contextlib.contextmanager
def spawned(
    command: list[str],
    port: int,
    log: Path,
    data_dir: Path,
    *,
    env: dict[str, str] | None = None,
    ready: Callable[[Server], bool] | None = lambda server: get(server, "/")[0] > 0,
    seconds: float = 60.0,
    tls_ca: Path | None = None,
    tree: Path = ROOT,
    listener: socket.socket | None = None,
) -> Iterator[Server]:
    """Run ``command`` (a server on ``port``) in ``tree``, in its own process group, its output appended to ``log``.

    Waits until ``ready`` (within ``seconds``); stopped at the end. ``python -m`` puts the
    working folder first on the path, so ``tree`` is both the working folder and ``PYTHONPATH``.
    With ``listener`` (bound to ``port``), the server is handed it (:func:`handed_over`)
    and this process's copy is closed once the server has it.
    """
    environment = {**os.environ, "PYTHONPATH": str(tree), **(env or {})}
    inherited = () if listener is None else (listener.fileno(),)
    with log.open("ab") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command if listener is None else handed_over(command, listener),
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=tree,
            start_new_session=True,
            pass_fds=inherited,
        )
    if listener is not None:
        listener.close()
    server = Server(port=port, process=process, started=started, log=log, data_dir=data_dir, tls_ca=tls_ca)
    try:
        if ready is not None:
            wait_until(server, lambda: ready(server), seconds)
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
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{log_end(server)}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if ready():
                return time.perf_counter() - server.started
        time.sleep(0.005)
    raise RuntimeError(f"server did not answer within {seconds} s:\n{log_end(server)}")


def log_end(server: Server) -> str:
    """The end of the server's log, which says why it did not start."""
    return server.log.read_text(errors="replace")[-3000:]


def request(
    server: Server,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 300.0,
) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    connection = connect(server, timeout)
    try:
        connection.request(method, path, body=body, headers={**AUTH, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def connect(server: Server, timeout: float) -> http.client.HTTPConnection:
    """A connection to ``server``: HTTPS checked against its CA when it serves TLS."""
    if server.tls_ca is None:
        return http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    context = ssl.create_default_context(cafile=str(server.tls_ca))
    return http.client.HTTPSConnection("127.0.0.1", server.port, timeout=timeout, context=context)


def get(server: Server, path: str) -> tuple[int, bytes]:
    return request(server, "GET", path)
