"""Parsed copies of the bundled YAML (mockserver.openapi.parsed) follow the YAML; trouble with them is silent."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.openapi import Spec, bundled_text
from mockserver.openapi.files import bundled_document
from mockserver.openapi.parsed import cached_parse
from mockserver.settings.profiles import LIVE, SEED, profile_document
from tests.conftest import ROOT

FIRST = "openapi: 3.1.0\ninfo: {title: first, version: '1'}\npaths: {}\n"
EDITED = FIRST.replace("first", "edited")


class CountingParser:
    """``yaml.safe_load``, counting its calls: a call is a copy that was not used."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str) -> Any:
        self.calls += 1
        return yaml.safe_load(text)


@pytest.fixture(autouse=True)
def writes_beside_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """As Python does by default (this machine and CI may set ``PYTHONDONTWRITEBYTECODE``)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def copies(folder: Path) -> list[Path]:
    return sorted(folder.glob("doc.yml.*.json"))


def test_a_copy_is_kept_and_used_for_the_same_text(tmp_path: Path) -> None:
    parse = CountingParser()
    first = cached_parse("doc.yml", FIRST, parse, tmp_path)
    again = cached_parse("doc.yml", FIRST, parse, tmp_path)
    assert first == again == yaml.safe_load(FIRST)
    assert parse.calls == 1
    assert len(copies(tmp_path)) == 1


def test_an_edited_yaml_is_parsed_again_and_its_old_copy_dropped(tmp_path: Path) -> None:
    parse = CountingParser()
    cached_parse("doc.yml", FIRST, parse, tmp_path)
    edited = cached_parse("doc.yml", EDITED, parse, tmp_path)
    assert edited["info"]["title"] == "edited"
    assert parse.calls == 2
    assert len(copies(tmp_path)) == 1
    assert cached_parse("doc.yml", EDITED, parse, tmp_path) == edited
    assert parse.calls == 2


def test_a_damaged_copy_is_ignored_and_replaced(tmp_path: Path) -> None:
    parse = CountingParser()
    cached_parse("doc.yml", FIRST, parse, tmp_path)
    (copy,) = copies(tmp_path)
    for damage in (b"", b'{"sha256": "', b"[1, 2]", json.dumps({"sha256": "0" * 64, "document": {}}).encode()):
        copy.write_bytes(damage)
        assert cached_parse("doc.yml", FIRST, parse, tmp_path) == yaml.safe_load(FIRST)
    assert parse.calls == 5
    assert cached_parse("doc.yml", FIRST, parse, tmp_path) == yaml.safe_load(FIRST)
    assert parse.calls == 5


def test_a_folder_that_cannot_be_written_only_costs_the_parse(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("in the way")
    parse = CountingParser()
    for _ in range(2):
        assert cached_parse("doc.yml", FIRST, parse, not_a_folder / "copies") == yaml.safe_load(FIRST)
    assert parse.calls == 2
    assert cached_parse("doc.yml", FIRST, parse, None) == yaml.safe_load(FIRST)


def test_documents_json_cannot_carry_are_never_copied(tmp_path: Path) -> None:
    aliased = "base: &shared {a: 1}\nagain: *shared\n"
    for text in ("when: 2026-11-26\n", "1: integer key\n", aliased, "x: .nan\n"):
        parsed = cached_parse("doc.yml", text, yaml.safe_load, tmp_path)
        assert parsed.keys() == yaml.safe_load(text).keys()
        assert copies(tmp_path) == []
    shared = cached_parse("doc.yml", aliased, yaml.safe_load, tmp_path)
    assert shared["base"] is shared["again"]
    assert isinstance(cached_parse("doc.yml", "when: 2026-11-26\n", yaml.safe_load, tmp_path)["when"], datetime.date)


def test_the_bundled_documents_read_from_copies_equal_the_yaml() -> None:
    for name in ("openapi.yml", "live.yml", "admin.yml"):
        bundled_document(name)
        assert bundled_document(name) == yaml.safe_load(bundled_text(name))
    for profile in (SEED, LIVE):
        assert Spec.for_profile(profile).document == profile_document(profile, bundled_text)


START = """
import sys, tempfile
from mockserver import Config, create_app
app = create_app(Config(store="memory://"))
print("yaml" in sys.modules, app.test_client().get("/openapi.yml").status_code)
"""


def test_no_copy_is_written_where_python_writes_no_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``PYTHONDONTWRITEBYTECODE`` (or ``-B``) asks that nothing be written beside the sources: copies are only read."""
    parse = CountingParser()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cached_parse("doc.yml", FIRST, parse, tmp_path)
    assert copies(tmp_path) == []
    cached_parse("doc.yml", FIRST, parse, tmp_path, write=True)
    assert cached_parse("doc.yml", FIRST, parse, tmp_path) == yaml.safe_load(FIRST)
    assert parse.calls == 2
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    cached_parse("doc.yml", EDITED, parse, tmp_path)
    assert len(copies(tmp_path)) == 1 and parse.calls == 3


def test_a_start_with_a_copy_never_imports_pyyaml() -> None:
    """``python -m mockserver.openapi`` (``make run``'s step) keeps the copies; a start then reads them, and imports
    PyYAML only to serve YAML. Run with ``PYTHONDONTWRITEBYTECODE`` as set on this machine or not."""
    kept = subprocess.run(
        [sys.executable, "-m", "mockserver.openapi"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert {Path(path).name.split(".")[0] for path in kept.stdout.split()} == {"openapi", "live"}
    run = subprocess.run(
        [sys.executable, "-c", START], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert run.stdout.split() == ["False", "200"]
