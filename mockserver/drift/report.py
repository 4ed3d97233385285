"""A drift report as the terminal shows it (a short table) and as a machine reads it (JSON), written atomically."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mockserver.drift.compare import HIGH, Difference
from mockserver.drift.runner import Report
from mockserver.errors import DriftError
from mockserver.util.atomic_file import write_atomically
from mockserver.util.redaction import redacted_url

#: The JSON report's format; a reader checks it before reading the rest.
FORMAT_VERSION = 1
#: Characters of a value shown in a table cell (the JSON and HTML reports keep them whole).
CELL = 38


def to_json(report: Report) -> dict[str, Any]:
    """The whole report as JSON: every probe with both sides' answers, every difference, the stale entries."""
    options = report.options
    return {
        "format_version": FORMAT_VERSION,
        "started": datetime.fromtimestamp(report.started, UTC).isoformat(timespec="seconds"),
        "seconds": round(report.seconds, 3),
        "upstream": redacted_url(options.upstream),
        "profile": options.profile,
        "control": options.control,
        "budget": options.budget,
        "planned": [probe.name for probe in report.plan.chosen],
        "planned_cost": report.plan.cost,
        "over_budget": [probe.name for probe in report.plan.left_out],
        "paid": report.paid,
        "spent": report.spent,
        "exit_status": report.exit_status,
        "summary": summary(report),
        "probes": [
            {
                "name": run.probe.name,
                "what": run.probe.what,
                "method": run.probe.method,
                "path": run.probe.path,
                "cost": run.probe.cost,
                "upstream": run.upstream.to_json(),
                "mock": run.mock.to_json(),
                "differences": [difference.to_json() for difference in run.differences],
            }
            for run in report.runs
        ],
        "differences": [difference.to_json() for difference in report.differences],
        "stale_known": [entry.to_json() for entry in report.stale],
        "unchecked_known": [entry.to_json() for entry in report.unchecked],
    }


def summary(report: Report) -> str:
    """One line: how many probes, differences, explained ones, stale entries, credits."""
    differences = report.differences
    seeded = sum(difference.seeded for difference in differences)
    known = sum(difference.known is not None for difference in differences)
    parts = [
        f"{len(report.runs)} probes",
        f"{len(report.unexplained)} unexplained difference{'s' * (len(report.unexplained) != 1)}",
        f"{known} known",
    ]
    if seeded:
        parts.append(f"{seeded} seeded by --control")
    parts.append(f"{len(report.stale)} stale known")
    if report.unchecked:
        parts.append(f"{len(report.unchecked)} unchecked known")
    parts.append(f"paid probes: {report.paid}, {report.spent} credits")
    return ", ".join(parts)


def table(report: Report) -> str:
    """The terminal's view: a row per difference not accepted by ``--known``, the stale entries, the summary.

    Accepted differences are counted in the summary, not listed: the JSON and HTML reports list them.
    """
    rows = [("probe", "aspect", "sev", "upstream", "mock", "")]
    for difference in in_reading_order(report.differences):
        if difference.known is None:
            rows.append(
                (
                    difference.probe,
                    difference.aspect,
                    difference.severity,
                    difference.upstream,
                    difference.mock,
                    "seeded" if difference.seeded else "",
                )
            )
    lines = []
    if len(rows) > 1:
        widths = [min(CELL, max(len(row[column]) for row in rows)) for column in range(len(rows[0]))]
        lines += [
            "  ".join(_cell(value, width) for value, width in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
    else:
        lines.append("no unexplained difference")
    lines += [f"stale known entry: {entry.probe} / {entry.aspect} ({entry.reason})" for entry in report.stale]
    lines += [
        f"unchecked known entry (its probe did not run): {entry.probe} / {entry.aspect}" for entry in report.unchecked
    ]
    lines.append(summary(report))
    return "\n".join(lines)


def in_reading_order(differences: list[Difference]) -> list[Difference]:
    """Unexplained ones first, then seeded, then known; high before low within each."""
    return sorted(differences, key=lambda d: (d.known is not None, d.seeded, d.severity != HIGH))


def check_writable(path: Path) -> None:
    """Refuse a report path whose folder is missing before the check runs: credits are not spent for nothing."""
    if not path.parent.is_dir():
        raise DriftError(f"{path}: its folder {path.parent} does not exist")
    if path.is_dir():
        raise DriftError(f"{path}: is a folder")


def write_report(path: Path, text: str) -> None:
    """Write a report whole or not at all; a failure is the check's (exit status 2), in one line."""
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise DriftError(f"{path}: cannot be written ({exc.strerror or exc})") from exc


def json_text(report: Report) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


def _cell(value: str, width: int) -> str:
    text = value if len(value) <= width else value[: width - 1] + "…"
    return text.ljust(width)


__all__ = [
    "FORMAT_VERSION",
    "check_writable",
    "in_reading_order",
    "json_text",
    "summary",
    "table",
    "to_json",
    "write_report",
]
