"""The data folder and the SQLite files are the owner's alone, and git never stages them."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver import Config
from mockserver.interception.ca import LocalCA
from mockserver.store import SQLiteStore, open_store
from mockserver.util.private_folder import GITIGNORE


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The usual umask (022): what made the folder 0755 and the files 0644 before."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_default_data_folder_is_private_and_git_stages_nothing_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=30)
    monkeypatch.chdir(tmp_path)
    config = Config()
    store = open_store(config.store_url)
    store.save_settings({"pending_polls": 3})
    LocalCA(config.data_dir).leaf()
    store.close()
    data_dir = tmp_path / ".stability-mock"
    assert config.data_dir.resolve() == data_dir
    assert _mode(data_dir) == 0o700
    assert (data_dir / ".gitignore").read_text("utf-8") == GITIGNORE
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True, timeout=30)
    staged = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert staged.stdout == ""


def test_the_sqlite_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "mock.sqlite3"
    store = SQLiteStore(path)
    store.save_settings({"pending_polls": 3})
    store.append_record({"path": "/v2beta/x", "status": 200}, keep=10)
    files = [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-state"))]
    assert all(file.exists() for file in files), sorted(p.name for p in path.parent.iterdir())
    assert {file.name: _mode(file) for file in files} == {file.name: 0o600 for file in files}
    store.close()


def test_a_folder_that_already_exists_is_left_as_it_is(tmp_path: Path) -> None:
    """It may be the user's own (``--data-dir .``): a ``.gitignore`` of ``*`` there would hide their project."""
    SQLiteStore(tmp_path / "mock.sqlite3").close()
    LocalCA(tmp_path).ensure()
    assert not (tmp_path / ".gitignore").exists()
