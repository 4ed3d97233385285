"""The package layout's rules, checked on the source: who may import whom.

Every import counts, including those under ``if TYPE_CHECKING:`` and inside
functions: a plain grep for ``^from``/``^import`` misses both, and those are
the imports that closed this package's circles before the layers had folders.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "mockserver"

#: mockserver's folders and top-level files, top floor first: an import may only point further down.
#: docs/contributing.md ("Layout") says what each is; each folder's ``__init__`` docstring names its modules.
FLOORS = [
    "cli.py",
    "drift/",
    "admin_client.py",
    "serving/",
    "interception/",
    "web/",
    "coverage/",
    "control/",
    "services.py",
    "recording/",
    "pipeline/",
    "store/",
    "models.py",
    "imaging/",
    "openapi/",
    "settings/",
    "util/",
    "errors.py",
    "operations.py",
]

#: The parts of mockserver that may import Flask: the HTTP edge, the engine under it, and
#: the validation that reads a Flask request through openapi-core's Flask adapter.
FLASK_PARTS = {"web/", "serving/", "openapi/"}

#: The package face and ``python -m mockserver`` start things; they may import anything.
UNPLACED = {"__init__.py", "__main__.py"}

MAX_LOOSE_MODULES = 8


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports_of(path: Path) -> Iterator[str]:
    """Every absolute import in ``path``, each ``from a import b`` as ``a.b``, wherever it sits in the file."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module under ``root`` → the modules of the same tree it imports (``from a import b``: b if a module)."""
    modules = {module_name(path): path for path in sorted(root.rglob("*.py"))}

    def known(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {known(imported) for imported in imports_of(path)} - {name, ""}
    return graph


def part_of(module: str) -> str | None:
    """The floor a module of mockserver sits on (``web/``, ``models.py``), or None for the package face."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    top = parts[1]
    return f"{top}/" if (PACKAGE / top).is_dir() else f"{top}.py"


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """The imports from one floor to a floor above it: each is a layer asking one that builds on it."""
    found = []
    for importer, imported in sorted(graph.items()):
        here = part_of(importer)
        if here is None or here in UNPLACED:
            continue
        for target in sorted(imported):
            there = part_of(target)
            if there is None or there == here or not target.startswith("mockserver."):
                continue
            if FLOORS.index(there) < FLOORS.index(here):
                found.append((importer, target))
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import circle, one at a time (a member is set aside to find the next), as ``a → b → … → a``."""
    found: list[list[str]] = []
    aside: set[str] = set()
    while True:
        try:
            TopologicalSorter({k: v - aside for k, v in graph.items() if k not in aside}).prepare()
        except CycleError as exc:
            loop = exc.args[1][::-1]  # graphlib lists predecessors first; reversed, it reads "imports"
            found.append(loop)
            aside.add(loop[0])
        else:
            return found


GRAPH = import_graph(PACKAGE)


def test_every_part_of_mockserver_has_a_floor() -> None:
    parts = {f"{path.name}/" if path.is_dir() else path.name for path in PACKAGE.iterdir()}
    parts = {part for part in parts if part.endswith((".py", "/")) and part != "__pycache__/"}
    assert sorted(parts - UNPLACED - set(FLOORS)) == []


def test_no_import_circle_even_for_types() -> None:
    found = circles(GRAPH)
    assert not found, "import circles: " + "; ".join(" → ".join(loop) for loop in found)


def test_imports_point_down_the_floors() -> None:
    found = upward_imports(GRAPH)
    assert not found, "imports pointing up the floors (see FLOORS): " + "; ".join(f"{a} → {b}" for a, b in found)


def test_flask_is_imported_by_the_edge_and_the_engine_only() -> None:
    importers = {
        str(part_of(module_name(path)))
        for path in PACKAGE.rglob("*.py")
        if any(name == "flask" or name.startswith("flask.") for name in imports_of(path))
    }
    assert importers <= FLASK_PARTS, (
        f"Flask imported outside the edge and the engine: {sorted(importers - FLASK_PARTS)}"
    )


def test_few_modules_are_left_loose() -> None:
    loose = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(loose) <= MAX_LOOSE_MODULES, loose


@pytest.mark.parametrize(
    "folder", sorted(str(path.parent.relative_to(PACKAGE)) for path in PACKAGE.glob("*/**/__init__.py"))
)
def test_each_folder_says_what_it_is_and_names_its_modules(folder: str) -> None:
    """A folder's ``__init__`` docstring is its map: a module it does not name is one a reader cannot find."""
    doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text("utf-8"))) or ""
    unnamed = [
        path.stem
        for path in sorted((PACKAGE / folder).glob("*.py"))
        if path.name not in UNPLACED and f"``{path.stem}``" not in doc and f".{path.stem}`" not in doc
    ]
    assert doc and unnamed == []


def test_the_documented_layout_names_every_folder_and_loose_module() -> None:
    contributing = (ROOT / "docs" / "contributing.md").read_text("utf-8")
    layout = contributing[contributing.index("## Layout") :]
    layout = layout[: layout.index("```", layout.index("```") + 3)]
    assert [part for part in FLOORS if part.removesuffix(".py").removesuffix("/") not in layout] == []


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("mockserver", {"contract_tests", "tests", "bench"}),
        ("contract_tests", {"tests", "bench"}),
        ("bench", {"tests"}),
    ],
)
def test_packages_import_one_way(folder: str, forbidden: set[str]) -> None:
    """mockserver is the core; contract_tests builds on it; bench and tests build on both."""
    offenders = {
        str(path.relative_to(ROOT)): sorted({name.split(".")[0] for name in imports_of(path)} & forbidden)
        for path in sorted((ROOT / folder).rglob("*.py"))
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_the_checks_see_an_upward_import_and_a_circle() -> None:
    """The rules above are only as good as the graph: a made-up graph with one of each is caught."""
    graph = {
        "mockserver.store.base": {"mockserver.models"},
        "mockserver.models": {"mockserver.store.base"},
        "mockserver.util.lru": set(),
    }
    assert upward_imports(graph) == [("mockserver.models", "mockserver.store.base")]
    assert circles(graph) in (
        [["mockserver.store.base", "mockserver.models", "mockserver.store.base"]],
        [["mockserver.models", "mockserver.store.base", "mockserver.models"]],
    )
