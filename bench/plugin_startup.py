"""What installing the package costs a pytest run that never uses the mock.

    python -m bench.plugin_startup [--runs 15] [--python VENV/bin/python] [--output FILE]

Runs pytest on a one-test project (in a temporary folder, outside this checkout)
with the ``stability_mock`` plugin loaded and with it blocked (``-p no:stability_mock``),
interleaved run by run so that other work on the machine slows both arms alike, and
reports the medians and their difference. Only this script makes timing claims; the
tests check what is imported, which does not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ONE_TEST = "def test_one():\n    assert True\n"
ARMS: dict[str, list[str]] = {"plugin loaded": [], "plugin blocked": ["-p", "no:stability_mock"]}


@dataclass(frozen=True)
class Arm:
    name: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def pytest_once(python: str, project: Path, extra: list[str]) -> float:
    """Wall time of one whole pytest process, start-up included; it must pass."""
    command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    started = time.perf_counter()
    subprocess.run(command, cwd=project, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def measure(python: str, runs: int) -> list[Arm]:
    with tempfile.TemporaryDirectory(prefix="plugin-startup-") as folder:
        project = Path(folder)
        (project / "pytest.ini").write_text("[pytest]\n")
        (project / "test_one.py").write_text(ONE_TEST)
        times: dict[str, list[float]] = {name: [] for name in ARMS}
        for extra in ARMS.values():
            pytest_once(python, project, extra)  # warm the file cache and .pyc files; not counted
        for _ in range(runs):
            for name, extra in ARMS.items():
                times[name].append(pytest_once(python, project, extra))
    return [Arm(name, seconds) for name, seconds in times.items()]


def table(arms: list[Arm]) -> str:
    loaded, blocked = arms
    rows = [
        "| pytest on a one-test project | median | min | max |",
        "|---|---|---|---|",
        *(f"| {arm.name} | {arm.median:.3f} s | {min(arm.seconds):.3f} s | {max(arm.seconds):.3f} s |" for arm in arms),
        f"| **cost of the plugin** | **{loaded.median - blocked.median:+.3f} s** "
        f"(x{loaded.median / blocked.median:.2f}) | {min(loaded.seconds) - min(blocked.seconds):+.3f} s | |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plugin_startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="measured runs per arm")
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter of the environment to measure (one with pytest)"
    )
    parser.add_argument("--output", type=Path, help="also write the table (markdown) here")
    options = parser.parse_args(argv)
    arms = measure(options.python, options.runs)
    text = f"{table(arms)}\n\n{options.runs} runs per arm, interleaved; {options.python}.\n"
    print(text)
    if options.output is not None:
        options.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
