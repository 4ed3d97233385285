"""The serving-engine comparison: the same app on several WSGI engines, in one run.

Conclusions: ``bench/notes/ENGINES.md`` (why ``serve`` stays on gunicorn, with this script's figures).

Run with ``.venv/bin/python -m bench.compare.engines`` (granian and gevent must be
installed in the venv: ``pip install granian gevent``; they are not project
dependencies). Engines are started one after the other for each worker count
and each round, so load from elsewhere on the machine skews them alike; the
table gives each engine's rate as a ratio of gunicorn gthread's in the same
round and worker count (the first engine named; by default gunicorn's stock
gthread worker, which ``serve`` ran before ``mockserver.serving.worker``).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench import ROOT
from bench.harness import api, load, server
from bench.harness.images import photo_png

SECONDS = 2.0
WARMUP = 0.5
ROUNDS = 6
FACTORY = "mockserver.web.app:create_app"


def command(engine: str, port: int, workers: int) -> list[str]:
    """How each engine is started; all log access lines to stdout, like ``serve``."""
    python = sys.executable
    if engine == "gthread":
        return [python, "-m", "mockserver", "serve", "--port", str(port), "--workers", str(workers)]
    if engine == "mockworker":
        # This branch's worker with the same command line as gthread-stock: only the worker differs.
        return _gunicorn("mockserver.serving.worker.MockWorker", port, workers, "--threads", "4")
    if engine == "gthread-stock":
        # gunicorn's own gthread worker, as serve ran before the request-reading worker (4 threads, no preload).
        return _gunicorn("gthread", port, workers, "--threads", "4")
    if engine == "gevent":
        return _gunicorn("gevent", port, workers)
    if engine == "granian":
        return [
            python,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--workers",
            str(workers),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--access-log",
            "--factory",
            FACTORY,
        ]
    raise ValueError(engine)


def _gunicorn(worker_class: str, port: int, workers: int, *options: str) -> list[str]:
    """gunicorn run directly on the app factory, with only its worker class (and options) chosen."""
    return [
        *(sys.executable, "-m", "gunicorn", "-k", worker_class, *options, "-w", str(workers)),
        *("-b", f"127.0.0.1:{port}", "--access-logfile", "-", f"{FACTORY}()"),
    ]


@contextlib.contextmanager
def running(engine: str, workers: int) -> Iterator[server.Server]:
    port = server.free_port()
    with tempfile.TemporaryDirectory(prefix="stability-engines-") as folder:
        data_dir = Path(folder)
        log = data_dir / "server.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "STABILITY_MOCK_DATA_DIR": str(data_dir),
            "STABILITY_MOCK_TARGET_PIXELS": str(128 * 128),
            "STABILITY_MOCK_LOG_LEVEL": "warning",
        }
        with log.open("wb") as output:
            process = subprocess.Popen(
                command(engine, port, workers),
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        mock = server.Server(port=port, process=process, started=time.perf_counter(), log=log, data_dir=data_dir)
        try:
            server.wait_until(mock, lambda: server.get(mock, "/_mock/health")[0] == 200)
            yield mock
        finally:
            server.stop(mock)


def targets(mock: server.Server) -> dict[str, load.Target]:
    small = photo_png(64)
    pending = api.pending_job(mock, small)
    invalid = api.multipart(small, output_format="gif")
    fast = api.multipart(photo_png(256), output_format="jpeg")
    post = {**server.AUTH}
    return {
        "poll, pending job (202)": load.Target(mock.port, api.poll_path(pending), headers=server.AUTH),
        "400, new body each time": load.Target(
            mock.port,
            api.FAST_PATH,
            "POST",
            {**post, "Content-Type": invalid.content_type},
            invalid.body,
            vary_at=invalid.image_end,
        ),
        "fast 256², new body each time": load.Target(
            mock.port,
            api.FAST_PATH,
            "POST",
            {**post, "Content-Type": fast.content_type},
            fast.body,
            vary_at=fast.image_end,
        ),
    }


def cpu_seconds(mock: server.Server) -> float:
    """User plus system CPU time of the server's processes (all their threads), so far."""
    ticks = 0
    for pid in mock.pids():
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(engines: list[str], workers: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(req/s, CPU ms per request) per engine and path, one pair per round; engines alternate within a round."""
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with contextlib.ExitStack() as stack:
        mocks = {engine: stack.enter_context(running(engine, workers)) for engine in engines}
        plans = {engine: targets(mock) for engine, mock in mocks.items()}
        for round_number in range(ROUNDS):
            order = engines if round_number % 2 == 0 else list(reversed(engines))
            for path in plans[engines[0]]:
                for engine in order:
                    target = plans[engine][path]
                    load.run(target, WARMUP)
                    before = cpu_seconds(mocks[engine])
                    result = load.run(target, SECONDS)
                    cpu_ms = (cpu_seconds(mocks[engine]) - before) * 1000 / max(result.requests, 1)
                    found.setdefault((engine, path), []).append((result.requests_per_second, cpu_ms))
                    print(
                        f"round {round_number} w{workers} {engine:13} {path:30} "
                        f"{result.requests_per_second:7.0f} req/s {cpu_ms:6.2f} CPU ms/req "
                        f"{result.statuses} socket errors {result.errors}",
                        flush=True,
                    )
    return found


def main(engines: list[str]) -> None:
    rows = []
    for workers in (1, 2):
        found = measure(engines, workers)
        paths = list(dict.fromkeys(path for _, path in found))
        for engine in engines:
            cells = []
            for path in paths:
                ours, base = found[(engine, path)], found[(engines[0], path)]
                # Each round's ratio is taken between runs seconds apart, so load from elsewhere cancels out.
                ratio = statistics.median(a[0] / b[0] for a, b in zip(ours, base, strict=True) if b[0])
                rate = statistics.median(rate for rate, _ in ours)
                cpu = statistics.median(cpu for _, cpu in ours)
                cells.append(f"{ratio:.2f}x ({rate:,.0f} req/s, {cpu:.2f} CPU ms)")
            rows.append(f"| {engine} | {workers} | " + " | ".join(cells) + " |")
        header = "| engine | workers | " + " | ".join(paths) + " |"
    print()
    print(header)
    print("|---|---:|" + "---:|" * len(paths))
    print("\n".join(rows))


if __name__ == "__main__":
    main(sys.argv[1:] or ["gthread-stock", "mockworker", "gthread", "gevent", "granian"])
