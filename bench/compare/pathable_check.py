"""What :func:`mockserver.openapi.repairs.quicken_pathable` is worth in-process, on and off in one run.

Conclusion: ``bench/notes/PROFILING.md``, "openapi-core on Python 3.11".

Since the repair is applied only in the mock's own server processes (``serve``), an app
built in a user's process (``create_app``, the pytest plugin's live server) validates
with pathable as shipped. This measures both ways on the paths openapi-core validates:
a 400 with a new body each time through the whole WSGI app (SQLite store), and
``Spec.validate_request`` alone on a valid upload (the upload shortcut and the verdict
memo off). The two ways alternate round by round in one process; CPU time of the
calling thread, medians over rounds. On Python 3.12 and later the repair does nothing.

Example:
    python -m bench.compare.pathable_check --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pathable import accessors, protocols

from bench.harness.api import FAST_PATH, multipart
from bench.harness.images import photo_png, variant
from bench.harness.server import AUTH
from bench.hot_paths import build_app, cost, upload_environ
from mockserver.openapi import Spec, UploadShortcut, VerdictMemo
from mockserver.openapi.repairs import QuickSubscriptable
from mockserver.services import services_of

#: The two ways, by the class pathable's accessors ask.
WAYS: dict[str, Any] = {"pathable as shipped": protocols.Subscriptable, "quickened (serve)": QuickSubscriptable}


def workloads(folder: Path, count: int) -> Iterator[tuple[str, Callable[[], float]]]:
    """(name, one batch's CPU ms per call) for each path openapi-core validates."""
    app = build_app(folder)
    spec: Spec = services_of(app).spec
    spec.uploads = UploadShortcut({})
    base, numbers = photo_png(256), iter(range(1, 1_000_000))

    def refused() -> float:
        batch = [upload_environ(FAST_PATH, variant(base, next(numbers)), output_format="gif") for _ in range(count)]
        return cost(app, iter(batch), count, "400")[0]

    yield "400, new body each time (whole call)", refused
    spec.verdicts = VerdictMemo(0)
    form = multipart(photo_png(256), output_format="webp")
    context = app.test_request_context(
        FAST_PATH, method="POST", data=form.body, content_type=form.content_type, headers=AUTH
    )
    with context:
        request = context.request
        request.get_data()

        def validated() -> float:
            started = time.thread_time()
            for _ in range(count):
                spec.validate_request(request)
            return (time.thread_time() - started) / count * 1000

        yield "valid fast upload, Spec.validate_request alone", validated


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compare.pathable_check", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=40)
    options = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}, {options.rounds} rounds of {options.count} calls each way")
    with tempfile.TemporaryDirectory(prefix="stability-bench-pathable-") as folder:
        for name, batch in workloads(Path(folder), options.count):
            timings: dict[str, list[float]] = {way: [] for way in WAYS}
            batch()  # openapi-core builds its validators on first use
            for _ in range(options.rounds):
                for way, checked in WAYS.items():
                    accessors.Subscriptable = checked  # type: ignore[attr-defined]
                    timings[way].append(batch())
            accessors.Subscriptable = protocols.Subscriptable  # type: ignore[attr-defined]
            shipped, quick = (statistics.median(timings[way]) for way in WAYS)
            print(f"{name:50} shipped {shipped:7.3f} ms  quickened {quick:7.3f} ms CPU  {shipped / quick:5.2f}x")


if __name__ == "__main__":
    main()
