"""What the built wheel and sdist hold: the metadata users read and every file the package needs."""

from __future__ import annotations

import configparser
import email
import email.message
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import mockserver
from tests.packaging.installs import ROOT, Dists

pytestmark = pytest.mark.slow

VERSION = mockserver.__version__
INFO = f"stability_upscale_mock-{VERSION}.dist-info"
SUPPORTED = {"3.11", "3.12", "3.13"}


def wheel_files(dists: Dists) -> dict[str, bytes]:
    with zipfile.ZipFile(dists.wheel) as wheel:
        return {name: wheel.read(name) for name in wheel.namelist()}


def metadata(dists: Dists) -> email.message.Message:
    return email.message_from_bytes(wheel_files(dists)[f"{INFO}/METADATA"])


def test_the_wheel_holds_every_module_and_data_file_of_the_checkout(dists: Dists) -> None:
    """pyproject.toml lists the packages by hand: a new subpackage must not be left out."""
    names = set(wheel_files(dists))
    for package in ("mockserver", "contract_tests"):
        sources = {path.relative_to(ROOT).as_posix() for path in (ROOT / package).rglob("*.py")}
        assert sources <= names
    assert {"mockserver/py.typed", "contract_tests/py.typed"} <= names
    bundled = {f"mockserver/bundled_spec/{path.name}" for path in (ROOT / "spec").iterdir() if path.is_file()}
    assert {"mockserver/bundled_spec/openapi.yml", "mockserver/bundled_spec/admin.yml"} <= bundled <= names


def test_the_wheel_holds_the_dashboard_and_its_vendored_renderer(dists: Dists) -> None:
    """The dashboard is package data, not Python: a file left out of pyproject's globs is a blank page."""
    names = set(wheel_files(dists))
    page = {
        path.relative_to(ROOT).as_posix() for path in (ROOT / "mockserver" / "web" / "ui").rglob("*") if path.is_file()
    }
    wanted = {"index.html", "js/main.js", "vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/LICENSE"}
    assert {f"mockserver/web/ui/{name}" for name in wanted} <= page <= names


def test_the_wheel_holds_the_drift_report_template(dists: Dists) -> None:
    """``stability-mock drift --html`` reads it from the package: left out, an installed drift cannot write its page."""
    assert "mockserver/drift/report.html" in wheel_files(dists)


def test_the_wheel_ships_the_license(dists: Dists) -> None:
    assert wheel_files(dists)[f"{INFO}/licenses/LICENSE"] == (ROOT / "LICENSE").read_bytes()
    assert metadata(dists)["License-Expression"] == "MIT"
    assert metadata(dists)["License-File"] == "LICENSE"


def test_the_wheel_declares_its_commands_and_pytest_plugin(dists: Dists) -> None:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel_files(dists)[f"{INFO}/entry_points.txt"].decode())
    assert dict(entry_points["console_scripts"]) == {"stability-mock": "mockserver.cli:main"}
    assert dict(entry_points["pytest11"]) == {"stability_mock": "contract_tests.plugin"}


def test_version_is_the_one_in_mockserver(dists: Dists) -> None:
    assert metadata(dists)["Version"] == VERSION
    assert dists.wheel.name.startswith(f"stability_upscale_mock-{VERSION}-")
    assert dists.sdist.name == f"stability_upscale_mock-{VERSION}.tar.gz"


def test_serving_needs_only_runtime_dependencies_and_contract_its_extra(dists: Dists) -> None:
    """hypothesis, which ``contract`` and the strategies generate with, is the ``contract`` extra (issue 13):
    its own pytest plugin would slow every pytest run of an environment that merely installs the mock."""
    requirements = [Requirement(line) for line in metadata(dists).get_all("Requires-Dist") or []]
    runtime = {requirement.name.lower() for requirement in requirements if requirement.marker is None}
    assert {"flask", "werkzeug", "multipart", "pillow", "openapi-core", "pyyaml", "click", "gunicorn"} <= runtime
    assert {"requests", "redis", "cryptography", "h11"} <= runtime
    assert "hypothesis" not in runtime
    contract = {
        requirement.name.lower()
        for requirement in requirements
        if requirement.marker is not None and requirement.marker.evaluate({"extra": "contract"})
    }
    assert contract == {"hypothesis"}
    assert "contract" in (metadata(dists).get_all("Provides-Extra") or [])


def test_classifiers_name_every_supported_python(dists: Dists) -> None:
    meta = metadata(dists)
    named = {line.removeprefix("Programming Language :: Python :: ") for line in meta.get_all("Classifier") or []}
    versions = {version for version in named if version.startswith("3.")}
    assert versions == SUPPORTED
    allowed = SpecifierSet(meta["Requires-Python"])
    assert all(f"{version}.0" in allowed for version in versions)
    assert "3.10.0" not in allowed


def test_project_urls(dists: Dists) -> None:
    urls = dict(line.split(", ", 1) for line in metadata(dists).get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())
    assert urls["Changelog"].endswith("/CHANGELOG.md")


def test_the_sdist_holds_what_a_reader_of_the_readme_needs(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as sdist:
        top = f"stability_upscale_mock-{VERSION}/"
        names = {name.removeprefix(top) for name in sdist.getnames()}
        license_text = sdist.extractfile(top + "LICENSE")
        assert license_text is not None and license_text.read() == (ROOT / "LICENSE").read_bytes()
    wanted = {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "PKG-INFO", "spec/openapi.yml"}
    examples = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "examples").rglob("*")
        if path.is_file() and "node_modules" not in path.parts
    }
    assert wanted | examples <= names
    assert not any("node_modules" in name for name in names)
    assert not any(name.startswith("tests/") for name in names)


def test_the_changelog_names_the_current_version(dists: Dists) -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{VERSION}]" in changelog and f"[{VERSION}]: https://" in changelog


def test_the_version_is_written_in_one_place() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "mockserver.__version__"}
    assert Path(mockserver.__file__).read_text().count(VERSION) == 1
