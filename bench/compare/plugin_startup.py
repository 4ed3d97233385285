"""What installing the package costs a pytest run that never uses the mock.

Conclusions: ``bench/notes/PLUGIN_STARTUP.md``, written by ``--output`` (the docs quote it).

    python -m bench.compare.plugin_startup [--runs 15] [--python VENV/bin/python] [--output FILE]

Runs pytest on a one-test project (in a temporary folder, outside this checkout)
with the ``stability_mock`` plugin loaded and with it blocked (``-p no:stability_mock``),
and with hypothesis's plugin loaded or not (see ``ARMS``), interleaved run by run so
that other work on the machine slows every arm alike, and reports the medians and
their differences. Whole-process times on a shared machine
vary by more than the plugin costs, so it also reports the plugin module's own import
time after pytest's (``python -X importtime``), which noise moves far less. Only this
script makes timing claims; the tests check what is imported, which does not depend
on the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ONE_TEST = "def test_one():\n    assert True\n"
#: hypothesis (the `contract` extra, and often installed anyway) has its own pytest plugin, which imports it at the
#: terminal summary (hypothesis 6.170) whether or not a test used it: about a second of noisy
#: work. The plugin's own cost is measured with it blocked in both arms, then it is measured too.
ARMS: dict[str, list[str]] = {
    "every plugin": [],
    "hypothesis's plugin blocked": ["-p", "no:hypothesispytest"],
    "hypothesis's and this plugin blocked": ["-p", "no:hypothesispytest", "-p", "no:stability_mock"],
}


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


def plugin_import_seconds(python: str) -> float:
    """Cumulative import time of ``contract_tests.plugin`` once pytest is loaded, as in a pytest run."""
    command = [python, "-X", "importtime", "-c", "import pytest; import contract_tests.plugin"]
    result = subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)
    for line in result.stderr.splitlines():
        _, _self_us, cumulative_us, name = (part.strip() for part in line.replace(":", "|", 1).split("|"))
        if name == "contract_tests.plugin":
            return int(cumulative_us) / 1e6
    raise RuntimeError(f"no import time for contract_tests.plugin:\n{result.stderr[-2000:]}")


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


def table(arms: list[Arm], imports: list[float]) -> str:
    every, ours, neither = arms
    rows = [
        "| pytest on a one-test project | median | min | max |",
        "|---|---|---|---|",
        *(f"| {arm.name} | {arm.median:.3f} s | {min(arm.seconds):.3f} s | {max(arm.seconds):.3f} s |" for arm in arms),
        f"| **cost of this plugin** | **{ours.median - neither.median:+.3f} s** "
        f"(x{ours.median / neither.median:.2f}) | {min(ours.seconds) - min(neither.seconds):+.3f} s | |",
        f"| cost of hypothesis's plugin | {every.median - ours.median:+.3f} s "
        f"| {min(every.seconds) - min(ours.seconds):+.3f} s | |",
        f"| import of `contract_tests.plugin` after pytest's | {statistics.median(imports) * 1000:.1f} ms "
        f"| {min(imports) * 1000:.1f} ms | {max(imports) * 1000:.1f} ms |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare.plugin_startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="measured runs per arm")
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter of the environment to measure (one with pytest)"
    )
    parser.add_argument("--output", type=Path, help="also write the table (markdown) here")
    options = parser.parse_args(argv)
    arms = measure(options.python, options.runs)
    imports = [plugin_import_seconds(options.python) for _ in range(options.runs)]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = (
        "# What the pytest plugin costs a run that never uses it\n\n"
        f"Written by `python -m bench.compare.plugin_startup` on {when}: {options.runs} runs per arm, interleaved, "
        f"with `{options.python}`; load average at start {os.getloadavg()[0]:.2f}.\n\n{table(arms, imports)}\n"
    )
    print(text)
    if options.output is not None:
        options.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
