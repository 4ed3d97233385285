"""The engine's floor: ``serve``'s gunicorn worker answering a constant 202 with no app work at all.

Issue 10 asks polls to reach 1.5x (1 worker) and 2.5x (2 workers) Prism's rate.
Whatever the app does, a poll cannot beat the worker's own cost of reading a
request, calling a WSGI app and writing the answer. Measured in the same rounds
as the mock and Prism (``bench/rounds.py``), this says how much of the gap is the
engine's: a floor below the goal means no app-side work can meet it on gunicorn.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bench.harness import server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: The same bytes a pending poll answers, so both runs move the same amount of data.
BODY = b'{"id": "' + b"0" * 64 + b'", "status": "in-progress"}'


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A pending poll's answer, for any request: what remains of a poll once the app costs nothing."""
    start_response("202 ACCEPTED", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
    return [BODY]


@contextlib.contextmanager
def running(workers: int, threads: int = 4) -> Iterator[server.Server]:
    """gunicorn with ``serve``'s worker class, thread count and access logger, serving :func:`app`."""
    port = server.free_port()
    with tempfile.TemporaryDirectory(prefix="stability-bench-floor-") as folder:
        data_dir = Path(folder)
        log = data_dir / "server.log"
        command = [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--worker-class", "mockserver.serving.worker.MockWorker",
            "--access-logfile", "-", "--logger-class", "mockserver.serving.access_log.RedactingLogger",
            "--log-level", "warning", "bench.floor:app",
        ]  # fmt: skip
        with server.spawned(command, port, log, data_dir) as floor:
            yield floor


__all__ = ["BODY", "app", "running"]
