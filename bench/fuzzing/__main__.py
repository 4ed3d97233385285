"""``python -m bench.fuzzing``: raw-HTTP fuzzing of a fresh gunicorn mock (``make fuzz``: 10,000 requests).

Draws requests from :mod:`bench.fuzzing.http_strategies` in batches, sends them
over loopback sockets from a few threads, and judges every answer as
``tests/serving/test_fuzz.py`` does (answered, below 500, the API's error shape). At
the end the server must still be healthy, with the same worker processes and
no traceback in its log. Prints counts by status and by family; exits 1 on any
failure.

    .venv/bin/python -m bench.fuzzing --requests 10000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from bench.fuzzing.campaign import Summary, run
from bench.harness.processes import rss_kib, server_processes, wait_for_workers
from bench.harness.server import running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzzing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="how many requests to send (default 10000)")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000, help="hypothesis seed (default: time)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one answer (default 30)")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON here")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        serve = ("--workers", str(options.workers), "--target-pixels", "65536")
        with running(*serve, "--data-dir", folder) as server:
            url, log = server.url, server.log
            before = wait_for_workers(url, options.workers)
            rss_start = sum(rss_kib(pid) for pid in before.all)
            started = time.monotonic()
            summary = run(
                int(urlsplit(url).port or 0),
                options.requests,
                seed=options.seed,
                threads=options.threads,
                timeout=options.timeout,
                progress=lambda s: print(f"  {s.sent} sent, {s.failure_count} failing", file=sys.stderr),
            )
            seconds = time.monotonic() - started
            healthy = requests.get(f"{url}/_mock/health", timeout=10).status_code == 200
            after = server_processes(url)
            rss_end = sum(rss_kib(pid) for pid in after.all)
        tracebacks = log.read_text(errors="replace").count("Traceback")

    report = {
        "requests": summary.sent,
        "seed": options.seed,
        "seconds": round(seconds, 1),
        "requests_per_second": round(summary.sent / seconds, 1) if seconds else None,
        "by_status": dict(sorted(summary.by_status.items())),
        "by_family": dict(sorted(summary.by_kind.items())),
        "http_layer_answers": summary.http_layer_answers,
        "5xx": summary.five_xx,
        "failing_requests": summary.failure_count,
        "healthy_after": healthy,
        "workers_unchanged": before == after,
        "tracebacks_in_log": tracebacks,
        "server_rss_kib": {"start": rss_start, "end": rss_end},
    }
    print_report(report, summary)
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n")
    ok = summary.failure_count == 0 and healthy and before == after and tracebacks == 0
    return 0 if ok else 1


def print_report(report: dict[str, object], summary: Summary) -> None:
    for key, value in report.items():
        print(f"{key:>20}: {value}")
    for failure in summary.failures:
        print(f"\nFAIL ({failure.request.kind}): {failure.problems}\n  {failure.request.data[:300]!r}")


if __name__ == "__main__":
    sys.exit(main())
