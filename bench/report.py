"""The results table on the terminal, and ``bench/RESULTS.md`` for the repository."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench import ROOT
from bench.figures import Figure
from bench.hot_paths import HotPath

#: ``make bench`` writes its figures here, followed by the profiling notes.
RESULTS = ROOT / "bench" / "RESULTS.md"
PROFILING_NOTES = ROOT / "bench" / "notes" / "PROFILING.md"


@dataclass(frozen=True)
class Run:
    """Everything one ``make bench`` measured, and on what."""

    machine: Mapping[str, str]
    versions: Mapping[str, str]
    load_generator: str
    figures: list[Figure]
    hot_paths: list[HotPath]
    seconds: float
    load_at_end: str


def verdict(figure: Figure) -> str:
    if figure.met is None:
        return ""
    return "met" if figure.met else "NOT met"


def table(figures: Iterable[Figure]) -> str:
    """An aligned plain-text table: figure, value, goal, verdict."""
    rows = [(f"{figure.section}: {figure.name}", figure.value, figure.goal, verdict(figure)) for figure in figures]
    widths = [max([len(row[column]) for row in rows] + [0]) for column in range(4)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def _row(figure: Figure) -> str:
    return f"| {figure.section}: {figure.name} | {figure.value} | {figure.goal} | {verdict(figure)} |"


def hot_path_table(rows: Iterable[HotPath]) -> list[str]:
    lines = ["| request (in-process, WSGI, SQLite store) | CPU per request | wall per request | requests |"]
    lines.append("|---|---:|---:|---:|")
    for row in rows:
        lines.append(f"| {row.name} | {row.cpu_ms:.3f} ms | {row.wall_ms:.3f} ms | {row.count:,} |")
    return lines


def markdown(run: Run) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`) in one run: every figure below was measured side",
        "by side on the same machine, on loopback. Ratios compare figures of this run only.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in run.machine.items()),
        f"| load average at end | {run.load_at_end} |",
        f"| load generator | {run.load_generator} |",
        f"| bench duration | {run.seconds / 60:.1f} min |",
        "",
        "## Versions",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in run.versions.items()),
        "",
        "## Issue 10's goals",
        "",
        "Every figure with a goal, from this run (Prism measured in it too); all figures follow.",
        "",
        "| figure | value | goal | verdict |",
        "|---|---:|---|---|",
        *(_row(f) for f in run.figures if f.goal),
        "",
        "## Figures",
        "",
        "| figure | value | goal | verdict |",
        "|---|---:|---|---|",
        *(_row(f) for f in run.figures),
        "",
        "## Details",
        "",
        *(f"- **{f.section}: {f.name}**: {f.detail}" for f in run.figures if f.detail),
        "",
        "## Profiling",
        "",
        "Measured in this run by `python -m bench.hot_paths` (`--profile` prints the call trees):",
        "",
        *hot_path_table(run.hot_paths),
        "",
    ]
    if PROFILING_NOTES.exists():
        lines += [PROFILING_NOTES.read_text("utf-8").strip(), ""]
    return "\n".join(lines)


def write(run: Run, path: Path) -> None:
    path.write_text(markdown(run), "utf-8")
