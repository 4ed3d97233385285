"""Stored data is bounded in bytes (issue 12): jobs, the sweep that drops them, the SQLite file."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from mockserver import Config, SQLiteStore, create_app
from mockserver.services import services_of
from mockserver.settings.config import MIB
from mockserver.store.sweeper import sweep
from tests.conftest import AUTH, CREATIVE_PATH, SMALL_TARGET, Clock
from tests.store.test_store import NOW, make_job


def noise_png(size: int = 512) -> bytes:
    """A PNG that does not compress: about 3 bytes a pixel (790 KB at 512²)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


# The first two tests count the store's bytes exactly, so no result is rendered ahead behind their
# back: render_ahead_threads=0.
@pytest.mark.parametrize(
    "config",
    [Config(store="memory://", target_pixels=SMALL_TARGET, max_store_bytes=MIB, render_ahead_threads=0)],
)
def test_a_full_store_answers_503_for_a_new_job_then_takes_one_once_older_expire(
    client: FlaskClient, upload: Callable[..., dict[str, Any]], app: Flask, clock: Clock
) -> None:
    image = noise_png()
    assert MIB // 2 < len(image) < MIB
    first = client.post(CREATIVE_PATH, data=upload(image, prompt="a lighthouse"), headers=AUTH)
    assert first.status_code == 200
    refused = client.post(CREATIVE_PATH, data=upload(image, prompt="a lighthouse"), headers=AUTH)
    assert refused.status_code == 503
    assert refused.get_json()["name"] == "service_unavailable"
    assert any("store: full" in error and "max_store_bytes" in error for error in refused.get_json()["errors"])
    store = services_of(app).store
    assert [job.id for job in store.list_jobs(clock())] == [first.get_json()["id"]]
    assert store.stored_bytes() == len(image)
    # The job a client was told about is still there, and answers.
    assert client.get(f"/v2beta/results/{first.get_json()['id']}", headers=AUTH).status_code == 202
    clock.advance(services_of(app).config.retention_seconds + 1)
    assert client.post(CREATIVE_PATH, data=upload(image, prompt="a lighthouse"), headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    "config",
    [
        Config(
            store="memory://",
            target_pixels=SMALL_TARGET,
            retention_seconds=5,
            sweep_seconds=0.05,
            render_ahead_threads=0,
        )
    ],
)
def test_the_sweep_drops_expired_jobs_without_any_new_traffic(
    client: FlaskClient, upload: Callable[..., dict[str, Any]], app: Flask, clock: Clock
) -> None:
    store = services_of(app).store
    created = client.post(CREATIVE_PATH, data=upload(noise_png(64), prompt="a lighthouse"), headers=AUTH)
    assert created.status_code == 200
    kept = store.stored_bytes()
    assert kept > 0
    time.sleep(0.2)
    assert store.stored_bytes() == kept  # not expired yet: the sweep keeps it
    clock.advance(6)
    deadline = time.monotonic() + 5
    while store.stored_bytes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.stored_bytes() == 0


def test_a_sweep_gives_a_sqlite_files_space_back(tmp_path: Path) -> None:
    path = tmp_path / "mock.sqlite3"
    store = SQLiteStore(path)
    app = create_app(Config(store="memory://"), store=store, clock=lambda: NOW + 1_000)
    for number in range(24):
        store.add_job(make_job(f"{number:064x}", expires_at=NOW + 1), os.urandom(MIB))
    grown = path.stat().st_size + Path(f"{path}-wal").stat().st_size
    assert grown > 24 * MIB
    assert sweep(services_of(app)) == 24
    assert store.stored_bytes() == 0
    assert path.stat().st_size < 2 * MIB
    assert Path(f"{path}-wal").stat().st_size < 2 * MIB
    store.close()


def test_an_old_sqlite_file_is_vacuumed_once_to_shrink(tmp_path: Path) -> None:
    import contextlib
    import sqlite3

    path = tmp_path / "mock.sqlite3"
    store = SQLiteStore(path)
    with contextlib.closing(sqlite3.connect(path)) as other:  # as files made before auto_vacuum was set
        other.execute("PRAGMA auto_vacuum = NONE")
        other.execute("VACUUM")
        assert other.execute("PRAGMA auto_vacuum").fetchone() == (0,)
    store.close()
    store = SQLiteStore(path)
    for number in range(24):
        store.add_job(make_job(f"{number:064x}", expires_at=NOW + 1), os.urandom(MIB))
    store.purge_expired(NOW + 2)
    store.compact()
    assert path.stat().st_size < 2 * MIB
    with contextlib.closing(sqlite3.connect(path)) as other:
        assert other.execute("PRAGMA auto_vacuum").fetchone() == (2,)
    store.close()


def test_a_new_sqlite_file_frees_pages_incrementally(tmp_path: Path) -> None:
    import contextlib
    import sqlite3

    SQLiteStore(tmp_path / "mock.sqlite3").close()
    with contextlib.closing(sqlite3.connect(tmp_path / "mock.sqlite3")) as other:
        assert other.execute("PRAGMA auto_vacuum").fetchone() == (2,)


def test_thirty_calls_with_one_megabyte_prompts_leave_a_small_sqlite_file(tmp_path: Path) -> None:
    """The probe's finding 3 on disk: 30 rejected 9.5 MB prompts grew the data dir by 282 MB."""
    from tests.images import png

    path = tmp_path / "mock.sqlite3"
    app = create_app(Config(store=f"sqlite:///{path}", target_pixels=SMALL_TARGET))
    client = app.test_client()
    for number in range(30):
        # Built by hand: the test client would spool a large form to a temporary file it never closes.
        body = (
            b'--b\r\nContent-Disposition: form-data; name="image"; filename="i.png"\r\nContent-Type: image/png\r\n\r\n'
            + png(64, 64)
            + b'\r\n--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\n'
            + f"{number}".encode()
            + b"p" * MIB
            + b"\r\n--b--\r\n"
        )
        answer = client.post(CREATIVE_PATH, data=body, content_type="multipart/form-data; boundary=b", headers=AUTH)
        assert answer.status_code == 400
    records = client.get("/_mock/requests").get_json()["requests"]
    assert len(records) == 30
    assert records[-1]["fields"]["prompt"] == "29" + "p" * 998 + "… (1,048,578 characters)"
    on_disk = path.stat().st_size + Path(f"{path}-wal").stat().st_size
    assert on_disk < 2 * MIB
    services_of(app).store.close()
