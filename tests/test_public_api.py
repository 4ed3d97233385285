"""The packages' public surfaces are exactly what ``__all__`` says, and load lazily."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.packaging.installs import HEAVY

PACKAGES = ["mockserver", "mockserver.control", "mockserver.drift", "contract_tests"]


@pytest.mark.parametrize("package", PACKAGES)
def test_all_lists_every_public_name_and_only_those(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        getattr(module, name)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, type(importlib)) and name != "annotations"
    }
    assert set(module.__all__) == public
    assert set(module.__all__) <= set(dir(module))
    assert list(module.__all__) == sorted(module.__all__, key=lambda name: (not name.isupper(), name))


@pytest.mark.parametrize("package", PACKAGES)
def test_unknown_names_are_attribute_errors(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018
    assert not hasattr(module, "no_such_name")


def imported_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "code",
    [
        "import contract_tests.plugin",
        "import mockserver, contract_tests",
        "from mockserver.settings.config import Config",
    ],
)
def test_light_imports_load_nothing_heavy(code: str) -> None:
    assert not set(HEAVY) & imported_after(code)


def test_a_public_name_loads_its_module_on_first_use() -> None:
    assert {"flask", "mockserver.web.app"} <= imported_after("from mockserver import create_app")
    assert {"hypothesis", "contract_tests.strategies"} <= imported_after("import contract_tests; contract_tests.images")


def test_the_admin_clients_0_1_home_still_imports_with_a_deprecation_warning() -> None:
    """0.1.0's README documented ``mockserver.admin_client.MockAdmin``; the layout move kept it working."""
    from mockserver.control import MockAdmin

    with pytest.warns(DeprecationWarning, match="import MockAdmin from mockserver.control"):
        from mockserver.admin_client import MockAdmin as old_home
    assert old_home is MockAdmin
    with pytest.raises(ImportError, match="no_such_name"):
        from mockserver.admin_client import no_such_name  # noqa: F401


def test_every_python_path_the_documentation_names_resolves() -> None:
    """A user copies ``mockserver.control.MockAdmin`` from the docs: a moved module must not break it.

    The names are imported in a fresh interpreter: some have effects on import (the Schemathesis
    hooks register an image strategy for every schema), which must not reach the tests that share
    this worker.
    """
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    text = "\n".join(page.read_text("utf-8") for page in pages if "_build" not in page.parts)
    named = sorted(set(re.findall(r"`((?:mockserver|contract_tests)(?:\.[A-Za-z_]\w*)+)", text)))
    assert "mockserver.control.MockAdmin" in named
    script = "import sys\nfrom werkzeug.utils import import_string\nfor name in sys.argv[1:]:\n    import_string(name)"
    imported = subprocess.run([sys.executable, "-c", script, *named], capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
