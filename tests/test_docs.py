"""The documentation site builds without a warning, and its reference names everything the code has.

The site (``docs/``, Sphinx) is built once per session with ``-W``: a broken cross-reference,
a missing page or a malformed generated table fails here, in ``make test``. The reference
pages are generated from the code, so the checks after the build would only fail if the
generation itself lost something.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from mockserver.cli import main
from mockserver.errors import ERROR_TABLE
from mockserver.settings.config import ENV_PREFIX, Config
from mockserver.settings.knobs import knobs, option_name
from tests.conftest import ROOT

pytest.importorskip("sphinx", reason="the docs extra is installed with `make install` (.[dev])")

#: Relative links in Markdown: ``[text](target)``, outside code spans.
_LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)\)")
#: The site's links into the repository (``{repo}`path` `` or ``{repo}`text <path>` ``), which Sphinx cannot check.
_REPO_LINK = re.compile(r"\{repo\}`(?:[^`<]*<([^>`]+)>|([^`]+))`")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html", str(ROOT / "docs"), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def _text(page: Path) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page.read_text("utf-8"))))


def test_every_serve_option_and_variable_is_in_the_settings_reference(site: Path) -> None:
    text = _text(site / "reference" / "generated" / "settings.html")
    for item, knob, _ in knobs(Config):
        assert f"{ENV_PREFIX}{item.name.upper()}" in text
        if knob.cli:
            assert option_name(item, knob) in text


def test_every_command_is_in_the_cli_reference(site: Path) -> None:
    text = _text(site / "reference" / "cli.html")
    context = click.Context(main)
    for name in main.list_commands(context):
        command = main.get_command(context, name)
        assert command is not None
        assert f"stability-mock {name}" in text
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.opts[0] in text, f"{name} {param.opts[0]}"


def test_every_admin_operation_is_in_the_admin_reference(site: Path) -> None:
    text = _text(site / "reference" / "admin-api.html")
    document = yaml.safe_load((ROOT / "spec" / "admin.yml").read_text("utf-8"))
    for path, operations in document["paths"].items():
        for method in operations:
            if method in {"get", "post", "put", "patch", "delete"}:
                assert re.search(rf"{method.upper()}\s+{re.escape(path)}", text), f"{method.upper()} {path}"


def test_every_error_name_is_in_the_errors_reference(site: Path) -> None:
    text = _text(site / "reference" / "generated" / "errors.html")
    for kind in ERROR_TABLE.values():
        assert kind.name in text


@pytest.mark.parametrize(
    "page",
    [
        "README.md",
        "CHANGELOG.md",
        *sorted(
            str(p.relative_to(ROOT))
            for p in (ROOT / "docs").rglob("*.md")
            if "_build" not in p.parts and "generated" not in p.parts
        ),
    ],
)
def test_relative_links_point_to_files_that_exist(page: str) -> None:
    source = ROOT / page
    text = re.sub(r"```.*?```", "", source.read_text("utf-8"), flags=re.DOTALL)
    for target in _LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        assert (source.parent / path).exists(), f"{page}: {target}"
    for named, plain in _REPO_LINK.findall(text):
        target = named or plain
        assert (ROOT / target).exists(), f"{page}: {{repo}}`{target}` names no file of the repository"
