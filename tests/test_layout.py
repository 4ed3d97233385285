"""The package layout's rules, checked on the source: who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(folder: str) -> dict[str, set[str]]:
    """Each module of ``folder`` → the top-level packages it imports (lazily or not)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("mockserver", {"contract_tests", "tests", "bench"}),
        ("contract_tests", {"tests", "bench"}),
        ("bench", {"tests"}),
    ],
)
def test_imports_point_one_way(folder: str, forbidden: set[str]) -> None:
    """mockserver is the core; contract_tests builds on it; bench and tests build on both."""
    offenders = {module: sorted(names & forbidden) for module, names in imported_packages(folder).items()}
    assert {module: names for module, names in offenders.items() if names} == {}
