"""Cold start, before and after a change, side by side in one run.

Conclusions: ``bench/notes/PROFILING.md``, "Cold start" and "Cold start, second round".

    python -m bench.compare.cold_start --before /work/main [--rounds 7]

Each round starts this tree's ``stability-mock serve`` and the baseline tree's
(``--before``, run by its own ``.venv/bin/python`` when it has one), which one
goes first alternating, so that the machine's load at that minute weighs on
both alike; the figures are medians over rounds, and after/before ratios (below
1 is faster). Per server start:

- process start → first 200 on a fast 64² request (issue 10's goal: ≤ 0.5 s),
  sent at once and again every 5 ms while the port refuses, as
  :func:`bench.figures.cold_start` does;
- the CPU time the server's processes (master and worker) used until then,
  which other work on the machine moves far less than the wall time;
- the first refusal sent right after that 200 (``output_format=gif``, 400): it
  waits for openapi-core if the worker has not built it yet;
- a refusal 1.5 s later, when the worker has warmed it in the background.

Also the import of ``mockserver.cli`` in a fresh interpreter (``python -c``,
interpreter start included), the same way for both trees.

With ``PYTHONDONTWRITEBYTECODE`` set (as in the Dockerfile and on this machine),
Python never caches the mock's own compiled modules, so a checkout compiles them
all again at every start; ``--compile`` writes them first (``compileall``) in
both trees, as a wheel install does. A baseline from ``git archive`` into a
temporary folder can be compiled without touching the checkout it came from.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import ROOT
from bench.harness import api, server
from bench.harness.images import photo_png
from bench.harness.processes import cpu_ticks

SIZE = 64
#: How long after the first 200 the last refusal is sent: past the worker's warm-up.
SETTLED_SECONDS = 1.5
FIGURES = (
    "process start → first fast 200",
    "CPU of the master and worker until then",
    "first 400 right after it",
    f"a 400 {SETTLED_SECONDS:g} s later",
    "python -c 'import mockserver.cli'",
)


def python_of(tree: Path) -> str:
    """The tree's own venv's interpreter, else this one."""
    own = tree / ".venv" / "bin" / "python"
    return str(own) if own.exists() else sys.executable


def has_bytecode(tree: Path) -> bool:
    """Whether the tree's ``mockserver`` package has compiled modules cached for this interpreter."""
    return any((tree / "mockserver" / "__pycache__").glob(f"cli.{sys.implementation.cache_tag}.pyc"))


def one_start(tree: Path) -> list[float]:
    """Seconds for each of :data:`FIGURES` on one fresh server from ``tree``."""
    good = api.multipart(photo_png(SIZE), output_format="png")
    bad = api.multipart(photo_png(SIZE), output_format="gif")
    python = python_of(tree)
    with server.running(wait=False, tree=tree, python=python) as mock:
        first = server.wait_until(mock, lambda: api.post(mock, api.FAST_PATH, good)[0] == 200)
        cpu = sum(cpu_ticks(pid) for pid in mock.pids()) / os.sysconf("SC_CLK_TCK")
        refused = refusal_seconds(mock, bad)
        time.sleep(SETTLED_SECONDS)
        settled = refusal_seconds(mock, bad)
    started = time.perf_counter()
    subprocess.run([python, "-c", "import mockserver.cli"], cwd=tree, check=True)
    return [first, cpu, refused, settled, time.perf_counter() - started]


def refusal_seconds(mock: server.Server, form: api.Multipart) -> float:
    """How long ``form`` takes to be answered its 400."""
    started = time.perf_counter()
    status, body = api.post(mock, api.FAST_PATH, form)
    if status != 400:
        raise RuntimeError(f"expected a 400, got {status}: {body[:200]!r}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="baseline source tree (omit: this tree only)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--compile", action="store_true", help="compile each tree's mockserver package first")
    options = parser.parse_args(argv)
    trees = {"after": ROOT, **({"before": options.before.resolve()} if options.before else {})}
    for name, tree in trees.items():
        if options.compile:
            subprocess.run([python_of(tree), "-m", "compileall", "-q", "mockserver"], cwd=tree, check=True)
        print(f"{name}: {tree}, {python_of(tree)}, bytecode cached: {has_bytecode(tree)}")
    seen: dict[str, list[list[float]]] = {name: [] for name in trees}
    for number in range(options.rounds):
        order = list(trees) if number % 2 == 0 else list(reversed(trees))
        for name in order:
            seen[name].append(one_start(trees[name]))
            print(f"round {number + 1} {name}: " + ", ".join(f"{value:.3f}" for value in seen[name][-1]), flush=True)
    print(f"\n{options.rounds} rounds, medians (s)\n")
    print("| figure | before | after | after/before |" if options.before else "| figure | after |")
    print("|---|---:|---:|---:|" if options.before else "|---|---:|")
    for index, figure in enumerate(FIGURES):
        after = statistics.median(values[index] for values in seen["after"])
        if options.before:
            before = statistics.median(values[index] for values in seen["before"])
            print(f"| {figure} | {before:.3f} | {after:.3f} | {after / before:.2f}x |")
        else:
            print(f"| {figure} | {after:.3f} |")


if __name__ == "__main__":
    main()
