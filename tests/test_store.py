"""One contract for every store backend: the same behaviour from memory and SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mockserver import ConfigError, MemoryStore, SQLiteStore, Store, StoreError, open_store
from mockserver.imaging import RenderedImage, RenderOrder
from mockserver.jobs import Job, JobPlan

NOW = 1_800_000_000.0


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path: Path) -> Store:
    backend: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "jobs.sqlite3")
    yield backend
    backend.close()


def make_job(job_id: str = "a" * 64, key: str = "key_1", expires_at: float = NOW + 100) -> Job:
    return Job(
        id=job_id,
        operation_id="upscaleImageCreative",
        key_fingerprint=key,
        created_at=NOW,
        expires_at=expires_at,
        order=RenderOrder("upscaleImageCreative", "webp", 42, prompt="p", creativity=0.3, style_preset="anime"),
        plan=JobPlan(pending_polls=2, ready_at=NOW + 5),
    )


RESULT = RenderedImage(b"\x89PNG...", "image/webp", 10, 20, 42, "SUCCESS")


def test_a_job_round_trips(store):
    job = make_job()
    store.add_job(job, b"input-bytes")
    assert store.get_job(job.id, NOW) == job
    assert store.job_image(job.id) == b"input-bytes"
    assert store.job_result(job.id) is None


def test_polls_are_counted_for_the_owner_only(store):
    job = make_job()
    store.add_job(job, b"x")
    assert store.poll_job(job.id, "key_other", NOW) is None
    assert store.poll_job(job.id, "key_1", NOW).polls == 1
    assert store.poll_job(job.id, "key_1", NOW).polls == 2
    assert store.get_job(job.id, NOW).polls == 2


def test_results_are_kept_with_their_metadata(store):
    store.add_job(make_job(), b"x")
    store.save_result("a" * 64, RESULT)
    store.save_result("a" * 64, RESULT)
    assert store.job_result("a" * 64) == RESULT
    assert store.get_job("a" * 64, NOW).has_result


def test_expired_jobs_are_invisible_then_purged(store):
    store.add_job(make_job("b" * 64, expires_at=NOW + 1), b"x")
    store.add_job(make_job("c" * 64, expires_at=NOW + 100), b"y")
    assert store.get_job("b" * 64, NOW + 1) is None
    assert store.poll_job("b" * 64, "key_1", NOW + 1) is None
    assert store.purge_expired(NOW + 1) == 1
    assert store.job_image("b" * 64) is None
    assert store.get_job("c" * 64, NOW + 1) is not None


def test_unknown_ids(store):
    assert store.get_job("nope", NOW) is None
    assert store.poll_job("nope", "key_1", NOW) is None
    assert store.job_image("nope") is None
    assert store.job_result("nope") is None


def test_parallel_polls_are_counted_exactly(store):
    store.add_job(make_job(), b"x")
    per_thread, threads = 50, 8

    def hammer() -> None:
        for _ in range(per_thread):
            store.poll_job("a" * 64, "key_1", NOW)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert store.get_job("a" * 64, NOW).polls == per_thread * threads


def test_sqlite_jobs_survive_reopening(tmp_path):
    path = tmp_path / "nested" / "jobs.sqlite3"
    first = SQLiteStore(path)
    first.add_job(make_job(), b"kept")
    first.close()
    second = SQLiteStore(path)
    assert second.get_job("a" * 64, NOW) == make_job()
    assert second.job_image("a" * 64) == b"kept"


def test_sqlite_errors_become_store_errors(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError):
        SQLiteStore(blocker / "jobs.sqlite3")
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        SQLiteStore(corrupt)


@pytest.mark.parametrize(
    ("url", "kind"),
    [("memory://", MemoryStore), ("sqlite:///{tmp}/x.sqlite3", SQLiteStore)],
)
def test_open_store_by_url(tmp_path, url, kind):
    assert isinstance(open_store(url.format(tmp=tmp_path)), kind)


@pytest.mark.parametrize("url", ["sqlite://", "postgres://db/x", "nonsense"])
def test_open_store_refuses_unusable_urls(url):
    with pytest.raises(ConfigError):
        open_store(url)
