"""``make mutate``: mutmut over the modules that hold the API's rules, scored per module.

mutmut 3 is configured in ``pyproject.toml`` (``[tool.mutmut]``: the modules, and the
in-process tests it may run). It records which of those tests call each function,
then runs each mutant against only those tests, in processes forked from one that
has imported everything, so a mutant costs a fraction of a second instead of a
pytest start-up. This module runs it, then reads ``mutmut results`` and prints a
score per module with every survivor's change. Mutants judged equivalent (no
test can tell them apart from the original) are listed, each with the reason, in
``bench/notes/mutation.md`` and left out of the score.

Run from the checkout (``mutmut`` writes its copy of the code to ``mutants/``). Naming
modules runs and scores only their mutants: after changing one module, its score comes
in seconds to minutes instead of a full run (the selected tests run once, unmutated, to
record which test calls what, unless ``mutants/`` keeps that record from the last run).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bench import ROOT

NOTES = ROOT / "bench" / "notes" / "mutation.md"
#: mutmut's own progress output (a line of emoji per mutant), kept out of the report.
LOG = ROOT / "mutants" / "run.log"
#: The score every module is held to (issue 26), in percent.
GOAL = 90.0
#: Statuses that mean a test noticed the mutant (a mutant that hangs the tests is noticed too).
DETECTED = {"killed", "timeout", "caught by type check", "segfault"}
_RESULT = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+?)\s*$")
_EQUIVALENT = re.compile(r"^\|\s*`(?P<name>[^`]+__mutmut_\d+)`\s*\|")


@dataclass(frozen=True)
class Score:
    """One module's mutants, by what became of them."""

    module: str
    detected: int
    survived: tuple[str, ...]
    equivalent: int

    @property
    def judged(self) -> int:
        return self.detected + len(self.survived)

    @property
    def percent(self) -> float:
        return 100.0 * self.detected / self.judged if self.judged else 100.0


def parse_results(text: str) -> dict[str, str]:
    """``mutmut results --all true`` as mutant name → status."""
    found = {}
    for line in text.splitlines():
        match = _RESULT.match(line)
        if match and "__mutmut_" in match["name"]:
            found[match["name"]] = match["status"]
    return found


def parse_equivalents(text: str) -> set[str]:
    """The mutant names in the first column of the notes' tables."""
    return {match["name"] for line in text.splitlines() if (match := _EQUIVALENT.match(line))}


def module_of(mutant: str) -> str:
    """``mockserver.pipeline.rate_limit.x_enforce__mutmut_3`` → ``mockserver.pipeline.rate_limit``."""
    return mutant.rsplit(".", 1)[0]


def mutated_modules() -> list[str]:
    """The modules ``[tool.mutmut]`` mutates, dotted: ``mockserver/pipeline/jobs.py`` → ``mockserver.pipeline.jobs``."""
    paths = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]["only_mutate"]
    return [path.removesuffix(".py").replace("/", ".") for path in paths]


def only(results: Mapping[str, str], modules: Iterable[str]) -> dict[str, str]:
    """The results of the named modules' mutants (all of them when none is named)."""
    wanted = set(modules)
    return {name: status for name, status in results.items() if not wanted or module_of(name) in wanted}


def scores(results: Mapping[str, str], equivalents: Iterable[str]) -> list[Score]:
    """Per module: detected, surviving and equivalent mutants; a listed mutant that is detected counts as detected."""
    equivalent = set(equivalents)
    detected: Counter[str] = Counter()
    left_out: Counter[str] = Counter()
    survived: dict[str, list[str]] = {}
    for name, status in sorted(results.items()):
        module = module_of(name)
        survived.setdefault(module, [])
        if status in DETECTED:
            detected[module] += 1
        elif name in equivalent:
            left_out[module] += 1
        else:
            survived[module].append(name)
    return [
        Score(module, detected[module], tuple(names), left_out[module]) for module, names in sorted(survived.items())
    ]


def table(found: list[Score]) -> str:
    lines = [f"{'module':<36} {'detected':>8} {'survived':>8} {'equiv.':>6} {'score':>7}"]
    for score in found:
        mark = "" if score.percent >= GOAL else f"  < {GOAL:g} %"
        lines.append(
            f"{score.module:<36} {score.detected:>8} {len(score.survived):>8} {score.equivalent:>6} "
            f"{score.percent:>6.1f}%{mark}"
        )
    detected = sum(score.detected for score in found)
    judged = sum(score.judged for score in found)
    lines.append(f"{'all':<36} {detected:>8} {judged - detected:>8} {'':>6} {100.0 * detected / max(judged, 1):>6.1f}%")
    return "\n".join(lines)


def mutmut(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def change_of(mutant: str) -> str:
    """The lines a mutant changes, from ``mutmut show``."""
    diff = mutmut("show", mutant).stdout.splitlines()
    return "\n".join(f"      {line}" for line in diff if line[:2] in ("- ", "+ "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("--max-children", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--report-only", action="store_true", help="score the last run without running mutmut")
    parser.add_argument(
        "modules", nargs="*", help="only these modules' mutants, e.g. mockserver.pipeline.journal (default: all)"
    )
    options = parser.parse_args(argv)
    unknown = sorted(set(options.modules) - set(mutated_modules()))
    if unknown:
        parser.error(f"not mutated: {', '.join(unknown)} (the modules: {', '.join(mutated_modules())})")
    if not options.report_only:
        LOG.parent.mkdir(exist_ok=True)
        patterns = [f"{module}.*" for module in options.modules]
        with LOG.open("w") as log:
            ran = subprocess.run(
                [sys.executable, "-m", "mutmut", "run", "--max-children", str(options.max_children), *patterns],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if ran.returncode:
            print(f"mutmut run failed ({ran.returncode}); see {LOG}", file=sys.stderr)
            return ran.returncode
    results = only(parse_results(mutmut("results", "--all", "true").stdout), options.modules)
    found = scores(results, parse_equivalents(NOTES.read_text("utf-8")))
    print(table(found))
    for score in found:
        for name in score.survived:
            print(f"survived: {name} ({results[name]})\n{change_of(name)}")
    return 0 if all(score.percent >= GOAL for score in found) else 1


if __name__ == "__main__":
    sys.exit(main())
