"""``python -m bench``: measure every figure, print the table, write bench/RESULTS.md."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench import figures, hot_paths, machine, prism, report, rounds
from bench.figures import Figure
from bench.harness import load

#: Async jobs render to 1024², the size the fast 256² overhead figure makes.
ASYNC_TARGET_PIXELS = 1024 * 1024


def ensure_wrk() -> str:
    """wrk if installed, else try Debian's package (root only), else the Python load generator."""
    if shutil.which("wrk") is None and shutil.which("apt-get") and os.geteuid() == 0:
        print("wrk is missing: apt-get install -y wrk", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, timeout=300, check=False)
    return load.generator()


def attempt(section: str, name: str, measure: Callable[[], list[Figure]]) -> list[Figure]:
    """Run one measurement; a failure becomes a row that says why, not a crashed bench."""
    started = time.perf_counter()
    print(f"... {section}: {name}", flush=True)
    try:
        rows = measure()
    except Exception as exc:
        rows = [Figure(section, name, "failed", detail=f"{type(exc).__name__}: {exc}"[:2000])]
    print(report.table(rows), f"({time.perf_counter() - started:.0f} s)", sep="\n", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each throughput run (3 rounds)")
    parser.add_argument("--output", type=Path, default=report.RESULTS)
    parser.add_argument("--soak-seconds", type=float, default=90.0, help="load of the memory soak (make soak runs 180)")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    about = machine.machine()
    tool = ensure_wrk()
    generator = f"wrk {machine.wrk_version()} (-t{load.WRK_THREADS} -c{load.CONNECTIONS})" if tool == "wrk" else (
        f"Python http.client fallback ({load.PYTHON_CLIENTS} processes, one keep-alive connection each): wrk missing"
    )  # fmt: skip
    print(f"load generator: {generator}", flush=True)
    seconds = options.seconds
    rows: list[Figure] = []
    rows += attempt("overhead", "fast 256²", lambda: figures.overhead(256, 20, figures.FAST_OVERHEAD_GOAL))
    rows += attempt("overhead", "fast 1024²", lambda: figures.overhead(1024, 4))
    for operation in ("conservative", "creative"):
        rows += attempt(
            "overhead",
            f"{operation} 256² → 1024²",
            partial(figures.async_overhead, operation, 256, 12, ASYNC_TARGET_PIXELS),
        )
    rows += attempt("cache", "repeated request", lambda: figures.cache_hit(256, 8))
    rows += attempt("throughput", "1 and 2 workers and Prism, alternating", lambda: rounds.interleaved(seconds, tool))
    # Seven starts: one start's time swings by a tenth of a second with the machine's load.
    rows += attempt("cold start", "process start", lambda: figures.cold_start(7))
    rows += attempt("memory", "10 concurrent 1024²", lambda: figures.peak_memory(10, 1024))
    rows += attempt("memory", "10 concurrent 1024², cache off", lambda: figures.peak_memory(10, 1024, cache_bytes=0))
    rows += attempt("memory", f"{options.soak_seconds:g} s soak", lambda: figures.soak_memory(options.soak_seconds))
    print("... profiling hot paths in-process", flush=True)
    paths = hot_paths.measure()
    versions = {**machine.versions(), "Prism": _prism_version(rows), "wrk": machine.wrk_version() or "not installed"}
    run = report.Run(
        machine=about,
        versions=versions,
        load_generator=generator,
        figures=rows,
        hot_paths=paths,
        seconds=time.perf_counter() - started,
        load_at_end=machine.load_average(),
    )
    report.write(run, options.output)
    print("\n" + report.table(rows))
    print(f"\nwritten to {options.output} in {run.seconds / 60:.1f} min")
    return 0


def _prism_version(rows: list[Figure]) -> str:
    for row in rows:
        if row.name.startswith("Prism "):
            return row.name.split()[1].rstrip(":")
    return f"not measured ({prism.PACKAGE} could not be installed or started; see Figures)"


if __name__ == "__main__":
    sys.exit(main())
