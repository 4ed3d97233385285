"""Coverage as people read it: a terminal table, the list of gaps, and an HTML page read at a glance."""

from __future__ import annotations

from importlib import resources

import jinja2

from mockserver.coverage.catalogue import GROUPS
from mockserver.coverage.report import Coverage


def headline(coverage: Coverage) -> str:
    """One line: what was measured and how much of it was met."""
    whose = f"key {coverage.key}" if coverage.key else "every key"
    return (
        f"Behaviour coverage, profile {coverage.profile} ({whose}): "
        f"{len(coverage.met)} of {len(coverage.behaviours)} met, {coverage.percent}%"
    )


def table(coverage: Coverage) -> str:
    """Met/total per operation and group (``-`` where the operation has no such behaviour)."""
    width = max(len("operation"), *(len(name) for name in coverage.operations()))
    rows = [f"{'operation':<{width}}  " + "  ".join(f"{group:>11}" for group in GROUPS)]
    for operation in coverage.operations():
        cells = []
        for group in GROUPS:
            met, total = coverage.cell(operation, group)
            cells.append(f"{f'{met}/{total}' if total else '-':>11}")
        rows.append(f"{operation:<{width}}  " + "  ".join(cells))
    return "\n".join(rows)


def gaps(coverage: Coverage) -> str:
    """Each operation's behaviours never met, by title, one wrapped paragraph per operation."""
    missing = coverage.missing
    if not missing:
        return "Every behaviour was met."
    lines = [f"Never exercised ({len(missing)}):"]
    for operation in coverage.operations():
        titles = [b.title for b in missing if b.operation == operation]
        if titles:
            lines.extend(_wrapped(f"  {operation}: ", titles))
    return "\n".join(lines)


def _wrapped(first: str, items: list[str], width: int = 100) -> list[str]:
    """``items`` joined by commas, lines broken between items only (a title is never split)."""
    lines, line = [], first
    for index, item in enumerate(items):
        text = item + ("," if index < len(items) - 1 else "")
        if len(line) + len(text) > width and line.strip():
            lines.append(line.rstrip())
            line = "    "
        line += text + " "
    lines.append(line.rstrip())
    return lines


def summary(coverage: Coverage) -> str:
    return f"{headline(coverage)}\n{table(coverage)}"


#: The page's template, shipped beside this module (``page.html``).
_PAGE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    resources.files(__package__).joinpath("page.html").read_text("utf-8")
)


def html_page(coverage: Coverage) -> str:
    """A standalone page: the matrix at the top (green full, yellow partial, red none), then each behaviour."""
    operations = [
        {
            "name": name,
            "rows": [{**b.as_json(), "count": coverage.count(b)} for b in coverage.behaviours if b.operation == name],
        }
        for name in coverage.operations()
    ]
    matrix = []
    for name in coverage.operations():
        cells = [coverage.cell(name, group) for group in GROUPS]
        met, total = sum(cell[0] for cell in cells), sum(cell[1] for cell in cells)
        matrix.append({"operation": name, "cells": cells, "met": met, "total": total})
    return _PAGE.render(
        headline=headline(coverage), percent=coverage.percent, groups=GROUPS, matrix=matrix, operations=operations
    )


__all__ = ["gaps", "headline", "html_page", "summary", "table"]
