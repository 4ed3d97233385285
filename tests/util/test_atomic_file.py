"""A file written whole or not at all, with the mode asked for from its first byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mockserver.util.atomic_file import DEFAULT_MODE, write_atomically


def test_text_and_bytes_land_whole_with_the_default_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_atomically(target, "é\n")
    assert target.read_bytes() == "é\n".encode()
    write_atomically(target, b"\x00\x01", durable=True)
    assert target.read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(target.stat().st_mode) == DEFAULT_MODE
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]


def test_a_private_file_is_never_readable_by_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mode is set before the data is written: a reader racing the write finds a 0600 file."""
    modes = []
    real_replace = os.replace

    def replace(source: str, target: Path) -> None:
        modes.append(stat.S_IMODE(os.stat(source).st_mode))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    write_atomically(tmp_path / "ca.key", b"secret", mode=0o600)
    assert modes == [0o600]
    assert stat.S_IMODE((tmp_path / "ca.key").stat().st_mode) == 0o600


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "exchange.json"
    target.write_text("old")

    def fail(source: str, destination: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["exchange.json"]


def test_a_missing_folder_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "absent" / "file", "x")
