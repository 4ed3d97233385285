"""What the journal's thumbnails add to a call, with and without them, alternating in one run.

Conclusions: ``bench/notes/THUMBNAILS.md``.

Same set-up as :mod:`bench.hot_paths` (the app as ``serve`` builds it, SQLite
store, called through WSGI in one process). Each round runs ``count`` calls of a
path with the thumbnail thread on, then off (the hook answers at once, as if it
did not exist), and waits for the thread to finish what it was handed, so its
work is in the round's process CPU. Three figures per call, medians of the rounds:

- **caller CPU**: CPU time of the calling thread, i.e. what the response path pays;
- **process CPU**: CPU time of the whole process, the background thread included;
- **wall**: time per call seen by the caller (the thread competes for the GIL and cores).

``python -m bench.compare.thumbnail_cost``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from bench.harness.api import FAST_PATH
from bench.harness.images import photo_png, variant
from bench.hot_paths import Environ, build_app, call, distinct_fast, jobs, repeat, upload_environ
from mockserver.pipeline.thumbnails import Thumbnailer
from mockserver.services import Services, services_of

if TYPE_CHECKING:
    from mockserver.pipeline.exchange import Exchange
    from mockserver.store import Store


class NoThumbnails:
    """Stands in for the thumbnailer: what a call cost before thumbnails existed (one no-op call)."""

    def submit(self, store: Store, exchange: Exchange, record: dict[str, Any], journal_size: int) -> bool:
        return False


@dataclass(frozen=True)
class Figures:
    caller_cpu_ms: float
    process_cpu_ms: float
    wall_ms: float
    #: Of the calls offered to the thumbnail thread, the share it took (the rest it declined);
    #: ``None`` when none was offered (no image, or one the store was just seen to hold).
    taken: float | None = None


def one_round(app: Flask, requests: Iterator[Environ], count: int, expected: str) -> Figures:
    services: Services = services_of(app)
    pool = services.thumbnails.pool if isinstance(services.thumbnails, Thumbnailer) else None
    counts = (pool.accepted, pool.declined) if pool is not None else (0, 0)
    thread, process, wall = time.thread_time(), time.process_time(), time.perf_counter()
    for _ in range(count):
        status, _ = call(app, next(requests))
        if not status.startswith(expected):
            raise RuntimeError(f"expected {expected}, got {status}")
    thread, wall = time.thread_time() - thread, time.perf_counter() - wall
    if pool is not None:
        pool.settle()
    process = time.process_time() - process
    accepted, declined = (pool.accepted - counts[0], pool.declined - counts[1]) if pool is not None else (0, 0)
    taken = accepted / (accepted + declined) if accepted + declined else None
    return Figures(thread / count * 1000, process / count * 1000, wall / count * 1000, taken)


def distinct_refused() -> Iterator[Environ]:
    """A fast upload refused for a field (400) in new bytes each time: its picture is decoded for the thumbnail."""
    base, number = photo_png(256), 0
    while True:
        number += 1
        yield upload_environ(FAST_PATH, variant(base, number), output_format="gif")


def cases(folder: Path, scale: float) -> Iterator[tuple[str, Flask, Callable[[], Iterator[Environ]], int, str]]:
    """(path, app, a source of its requests, calls per round, expected status); ``scale`` shrinks the counts."""

    def times(count: int) -> int:
        return max(1, round(count * scale))

    app = build_app(folder)
    for name, prepared in jobs(app).items():
        yield name, app, partial(repeat, prepared), times(300), name.split("(")[1][:3]
    cached = next(distinct_fast(256))
    call(app, cached)
    yield "fast 256² PNG, render-cache hit", app, lambda: repeat(cached), times(40), "200"
    fresh = distinct_fast(256)
    yield "fast 256² PNG, new bytes (render-cache miss)", app, lambda: fresh, times(12), "200"
    refused = distinct_refused()
    yield "fast 256² PNG, new bytes, output_format=gif (400)", app, lambda: refused, times(40), "400"
    # The same, as in a long fuzz or contract run: the thread's CPU burst is spent, its share is what is left.
    sustained = build_app(folder / "sustained")
    thumbnails = services_of(sustained).thumbnails
    thumbnails.pool.burst_seconds = 0.02
    yield "the same, sustained (burst spent: a tenth of a core)", sustained, lambda: refused, times(40), "400"


def measure(rounds: int = 8, scale: float = 1.0) -> Iterator[tuple[str, Figures, Figures]]:
    """(path, figures with thumbnails, figures without) per path."""
    with tempfile.TemporaryDirectory(prefix="stability-bench-thumbnails-") as folder:
        for name, app, requests, count, expected in cases(Path(folder), scale):
            services: Services = services_of(app)
            real = services.thumbnails
            rows: dict[bool, list[Figures]] = {True: [], False: []}
            for number in range(rounds):
                # Alternating which goes first, so neither side always follows the other's leftovers.
                for on in (True, False) if number % 2 else (False, True):
                    services.__dict__["thumbnails"] = real if on else NoThumbnails()
                    rows[on].append(one_round(app, requests(), count, expected))
            services.__dict__["thumbnails"] = real
            yield name, _median(rows[True]), _median(rows[False])


def _median(rows: list[Figures]) -> Figures:
    return Figures(
        statistics.median(row.caller_cpu_ms for row in rows),
        statistics.median(row.process_cpu_ms for row in rows),
        statistics.median(row.wall_ms for row in rows),
        statistics.median(taken) if (taken := [row.taken for row in rows if row.taken is not None]) else None,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare.thumbnail_cost", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=8)
    options = parser.parse_args(argv)
    print("| path | caller CPU off → on | process CPU off → on | wall off → on | taken by the thread |")
    print("|---|---:|---:|---:|---:|")
    for name, on, off in measure(options.rounds):
        taken = "none offered" if on.taken is None else f"{on.taken:.0%}"
        print(
            f"| {name} | {off.caller_cpu_ms:.3f} → {on.caller_cpu_ms:.3f} ms"
            f" | {off.process_cpu_ms:.3f} → {on.process_cpu_ms:.3f} ms"
            f" | {off.wall_ms:.3f} → {on.wall_ms:.3f} ms | {taken} |"
        )


if __name__ == "__main__":
    main()
