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


def test_the_readme_layout_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    layout = readme[readme.index("## Layout") :]
    layout = layout[: layout.index("```", layout.index("```") + 3)]
    unnamed = [
        str(path.relative_to(ROOT))
        for package in ("mockserver", "contract_tests")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name not in ("__init__.py", "__main__.py") and path.name not in layout
    ]
    assert unnamed == []
