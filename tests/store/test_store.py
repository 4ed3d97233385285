"""One contract for every store backend: the same behaviour from memory, SQLite and Redis."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import multiprocessing
import os
import sqlite3
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis

from mockserver import ConfigError, MemoryStore, SQLiteStore, Store, StoreError, open_store
from mockserver.errors import StoreFull
from mockserver.imaging import RenderedImage, RenderOrder
from mockserver.models import Fault, Job, JobPlan
from mockserver.store import RedisStore, redis_tracking
from mockserver.store.base import RecordQuery, Snapshot
from tests.conftest import RedisServer

#: The stores' clock in these tests. Redis also expires keys by its own (real)
#: clock, so this stays far ahead of it: only the store's logic decides here.
NOW = 4_000_000_000.0


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store
    if request.param == "memory":
        backend = MemoryStore()
    elif request.param == "sqlite":
        backend = SQLiteStore(tmp_path / "jobs.sqlite3")
    else:
        # Only Redis tests ask for a Redis (and skip without one); each gets its own key prefix.
        backend = RedisStore(request.getfixturevalue("redis_url"), prefix=request.getfixturevalue("redis_prefix"))
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
        plan=JobPlan(pending_polls=2, job_seconds=5),
    )


RESULT = RenderedImage(b"\x89PNG...", "image/webp", 10, 20, 42, "SUCCESS")


def found(job: Job | None) -> Job:
    """The job a store call was to find: the test fails here when it found none."""
    assert job is not None
    return job


def test_a_job_round_trips(store: Store) -> None:
    job = make_job()
    store.add_job(job, b"input-bytes")
    assert store.get_job(job.id, NOW) == job
    assert store.job_image(job.id) == b"input-bytes"
    assert store.job_result(job.id) is None


def test_polls_are_counted_for_the_owner_only(store: Store) -> None:
    job = make_job()
    store.add_job(job, b"x")
    assert store.poll_job(job.id, "key_other", NOW) is None
    assert found(store.poll_job(job.id, "key_1", NOW)).polls == 1
    assert found(store.poll_job(job.id, "key_1", NOW)).polls == 2
    assert found(store.get_job(job.id, NOW)).polls == 2


def test_results_are_kept_with_their_metadata(store: Store) -> None:
    store.add_job(make_job(), b"x")
    store.save_result("a" * 64, RESULT)
    store.save_result("a" * 64, RESULT)
    assert store.job_result("a" * 64) == RESULT
    assert found(store.get_job("a" * 64, NOW)).has_result


def test_expired_jobs_are_invisible_then_purged(store: Store) -> None:
    store.add_job(make_job("b" * 64, expires_at=NOW + 1), b"x")
    store.add_job(make_job("c" * 64, expires_at=NOW + 100), b"y")
    assert store.get_job("b" * 64, NOW + 1) is None
    assert store.poll_job("b" * 64, "key_1", NOW + 1) is None
    assert store.purge_expired(NOW + 1) == 1
    assert store.job_image("b" * 64) is None
    assert store.get_job("c" * 64, NOW + 1) is not None


def test_unknown_ids(store: Store) -> None:
    assert store.get_job("nope", NOW) is None
    assert store.poll_job("nope", "key_1", NOW) is None
    assert store.job_image("nope") is None
    assert store.job_result("nope") is None


def test_parallel_polls_are_counted_exactly(store: Store) -> None:
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
    assert found(store.get_job("a" * 64, NOW)).polls == per_thread * threads


def test_sqlite_jobs_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "jobs.sqlite3"
    first = SQLiteStore(path)
    first.add_job(make_job(), b"kept")
    first.close()
    second = SQLiteStore(path)
    assert second.get_job("a" * 64, NOW) == make_job()
    assert second.job_image("a" * 64) == b"kept"


def test_sqlite_errors_become_store_errors(tmp_path: Path) -> None:
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
    [
        ("memory://", MemoryStore),
        ("sqlite:///{tmp}/x.sqlite3", SQLiteStore),
        ("redis://127.0.0.1:1/0", RedisStore),
        ("rediss://127.0.0.1:1/2", RedisStore),
    ],
)
def test_open_store_by_url(tmp_path: Path, url: str, kind: type[Store]) -> None:
    # Opening a Redis store connects to nothing yet, so no Redis is needed here.
    assert isinstance(open_store(url.format(tmp=tmp_path)), kind)


@pytest.mark.parametrize("url", ["sqlite://", "postgres://db/x", "nonsense"])
def test_open_store_refuses_unusable_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        open_store(url)


# Faults ---------------------------------------------------------------------------

FAST_STATUSES = (200, 400, 403, 429, 500)


def test_faults_fire_oldest_first_and_count_down(store: Store) -> None:
    first = Fault(operation="upscaleImageFast", status=429, times=2)
    second = Fault(operation="*", status=500, times=1)
    store.add_fault(first)
    store.add_fault(second)
    assert store.list_faults() == [first, second]
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call") == first
    assert store.list_faults() == [dataclasses.replace(first, times=1, fired=1), second]
    # Each fault comes back as it was when it fired.
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call") == dataclasses.replace(first, times=1, fired=1)
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call") == second
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call") is None
    assert store.list_faults() == []


def test_a_fault_fires_only_where_it_fits(store: Store) -> None:
    for_creative = Fault(operation="upscaleImageCreative", status=429)
    unanswerable = Fault(operation="*", status=413)
    job_plan = Fault(operation="*", job=JobPlan(pending_polls=None, job_seconds=1.5, outcome="fail"))
    for fault in (for_creative, unanswerable, job_plan):
        store.add_fault(fault)
    # Another operation's, a status fast cannot answer, and a job plan: none fits a fast call.
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call") is None
    assert store.take_fault("upscaleImageCreative", (200, 413, 429), "call") == for_creative
    assert store.take_fault("upscaleImageCreative", (200, 413, 429), "job") == job_plan
    assert store.take_fault("upscaleImageConservative", (200, 413), "call") == unanswerable
    assert store.list_faults() == []


def test_an_unlimited_fault_fires_until_deleted(store: Store) -> None:
    fault = Fault(operation="*", latency_ms=5.5, jitter_ms=0.25, times=None)
    store.add_fault(fault)
    fired = [store.take_fault("getUpscaleResult", (200,), "call") for _ in range(3)]
    assert fired == [dataclasses.replace(fault, fired=count) for count in range(3)]
    assert store.list_faults() == [dataclasses.replace(fault, fired=3)]
    assert store.delete_faults(fault.id) == 1
    assert store.delete_faults(fault.id) == 0
    assert store.take_fault("getUpscaleResult", (200,), "call") is None


def test_deleting_every_fault(store: Store) -> None:
    for status in (429, 500, 503):
        store.add_fault(Fault(status=status))
    assert store.delete_faults() == 3
    assert store.list_faults() == []
    assert store.delete_faults() == 0


ALICE, BOB = "key_a11ce0000000", "key_b0b000000000"


def test_a_keyed_fault_fires_only_for_its_key(store: Store) -> None:
    for_alice = Fault(operation="upscaleImageFast", status=429, key=ALICE)
    store.add_fault(for_alice)
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call", BOB) is None
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call") is None
    assert store.list_faults() == [for_alice]
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call", ALICE) == for_alice
    assert store.list_faults() == []


def test_a_keyed_job_plan_is_taken_only_by_its_keys_job(store: Store) -> None:
    plan = Fault(job=JobPlan(pending_polls=None), key=BOB)
    store.add_fault(plan)
    assert store.take_fault("upscaleImageCreative", (200,), "job", ALICE) is None
    assert store.take_fault("upscaleImageCreative", (200,), "job", BOB) == plan


def test_an_unkeyed_fault_still_fires_for_any_key(store: Store) -> None:
    for_anyone = Fault(status=500, times=2)
    store.add_fault(for_anyone)
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call", ALICE) == for_anyone
    assert store.take_fault("upscaleImageFast", FAST_STATUSES, "call", BOB) == dataclasses.replace(
        for_anyone, times=1, fired=1
    )
    assert store.list_faults() == []


def test_the_callers_own_fault_fires_before_an_older_unkeyed_one(store: Store) -> None:
    for_anyone = Fault(status=500)
    for_bob = Fault(status=429, key=BOB)
    for_alice = Fault(status=503, key=ALICE)
    for fault in (for_anyone, for_bob, for_alice):
        store.add_fault(fault)
    assert store.take_fault("upscaleImageFast", (200, 429, 500, 503), "call", ALICE) == for_alice
    # Alice has nothing of her own left: she gets the one for anyone, never Bob's.
    assert store.take_fault("upscaleImageFast", (200, 429, 500, 503), "call", ALICE) == for_anyone
    assert store.take_fault("upscaleImageFast", (200, 429, 500, 503), "call", ALICE) is None
    assert store.list_faults() == [for_bob]


def test_faults_are_listed_and_deleted_by_key(store: Store) -> None:
    alices = [Fault(status=429, key=ALICE), Fault(status=500, key=ALICE, times=None)]
    bobs, anyones = Fault(status=429, key=BOB), Fault(status=503)
    for fault in (alices[0], bobs, anyones, alices[1]):
        store.add_fault(fault)
    assert store.list_faults(ALICE) == alices
    assert store.list_faults(BOB) == [bobs]
    assert store.delete_faults(bobs.id, key=ALICE) == 0  # not Alice's to delete
    assert store.delete_faults(key=ALICE) == 2
    assert store.list_faults() == [bobs, anyones]
    assert store.delete_faults(bobs.id, key=BOB) == 1
    assert store.list_faults() == [anyones]


def test_one_keys_records_are_forgotten_and_the_others_kept_in_order(store: Store) -> None:
    for number, key in enumerate([ALICE, BOB, ALICE, BOB, None]):
        store.append_record({"n": number, "key": key, "operation": "upscaleImageFast", "status": 200}, keep=100)
    store.save_thumbnail("ab" * 32, b"webp", keep=10)
    assert store.clear_records(ALICE) == 2
    assert [record["n"] for record in store.records(RecordQuery())] == [1, 3, 4]
    assert store.clear_records(ALICE) == 0
    assert store.thumbnail("ab" * 32) == b"webp"  # kept by image: another key's record may name it
    assert store.clear_records() == 3
    assert store.thumbnail("ab" * 32) is None


# Counters -------------------------------------------------------------------------


def test_a_counter_counts_until_it_expires_then_starts_again(store: Store) -> None:
    assert store.counter("rate:k:1", NOW) is None
    assert store.increment("rate:k:1", 1, NOW + 10, NOW) == 1
    assert store.increment("rate:k:1", 2, NOW + 99, NOW + 5) == 3
    assert store.counter("rate:k:1", NOW + 9.5) == 3
    assert store.counter("rate:k:1", NOW + 10) is None
    # Expired: it starts again at the amount, with the new expiry.
    assert store.increment("rate:k:1", 1, NOW + 20, NOW + 10) == 1
    assert store.counter("rate:k:1", NOW + 19) == 1
    assert store.counter("rate:k:1", NOW + 20) is None


def test_set_counters_with_and_without_expiry(store: Store) -> None:
    store.set_counter("blocked:k", 1234, NOW + 60)
    assert store.counter("blocked:k", NOW) == 1234
    assert store.counter("blocked:k", NOW + 60) is None
    store.set_counter("blocked:k", 7, None)
    assert store.counter("blocked:k", NOW + 10_000) == 7
    # A counter set without expiry keeps none when it is incremented.
    assert store.increment("blocked:k", 1, NOW + 1, NOW) == 8
    assert store.counter("blocked:k", NOW + 10_000) == 8


def test_purging_forgets_expired_counters(store: Store) -> None:
    store.increment("rate:old", 1, NOW + 1, NOW)
    store.set_counter("credits:kept", 5, None)
    store.purge_expired(NOW + 1)
    # Gone, not merely hidden: even an earlier clock does not see it again.
    assert store.counter("rate:old", NOW) is None
    assert store.counter("credits:kept", NOW) == 5


def test_debit_only_what_the_balance_covers(store: Store) -> None:
    assert store.debit("credits:k", 40, 100) == 60
    assert store.debit("credits:k", 60, 100) == 0
    assert store.debit("credits:k", 2, 100) is None
    assert store.counter("credits:k", NOW) == 0
    assert store.debit("credits:k", -60, 100) == 60  # a refund
    # A balance too short on first use is still created at its start.
    assert store.debit("credits:poor", 5, 3) is None
    assert store.counter("credits:poor", NOW) == 3


# Settings, journal, listing, reset ------------------------------------------------


def test_settings_round_trip(store: Store) -> None:
    assert store.settings() == {}
    store.save_settings({"pending_polls": 3, "moderation_words": ["gore"], "rate_limit": None})
    assert store.settings() == {"pending_polls": 3, "moderation_words": ["gore"], "rate_limit": None}
    store.save_settings({})
    assert store.settings() == {}


def record(number: int, operation: str = "upscaleImageFast", status: int = 200, key: str = "key_a") -> dict[str, Any]:
    return {"n": number, "operation": operation, "status": status, "key": key, "fields": {"seed": "1"}}


def test_the_journal_keeps_the_newest_records(store: Store) -> None:
    for number in range(5):
        store.append_record(record(number), keep=3)
    assert [each["n"] for each in store.records(RecordQuery())] == [2, 3, 4]
    assert store.records(RecordQuery(limit=2)) == [record(3), record(4)]
    assert store.clear_records() == 3
    assert store.records(RecordQuery()) == []
    assert store.clear_records() == 0


def test_journal_filters(store: Store) -> None:
    store.append_record(record(0, status=429), keep=10)
    store.append_record(record(1, operation="getUpscaleResult", key="key_b"), keep=10)
    store.append_record(record(2, status=429, key="key_b"), keep=10)
    store.append_record(record(3), keep=10)

    def numbers(query: RecordQuery) -> list[int]:
        return [each["n"] for each in store.records(query)]

    assert numbers(RecordQuery(status=429)) == [0, 2]
    assert numbers(RecordQuery(status=429, limit=1)) == [2]
    assert numbers(RecordQuery(key="key_b")) == [1, 2]
    assert numbers(RecordQuery(operation="upscaleImageFast", key="key_a")) == [0, 3]
    assert numbers(RecordQuery(operation="nothing")) == []


def test_thumbnails_are_kept_by_image(store: Store) -> None:
    store.save_thumbnail("a" * 64, b"a", keep=10)
    store.save_thumbnail("b" * 64, b"b", keep=10)
    store.save_thumbnail("b" * 64, b"b again", keep=10)
    assert store.thumbnail("a" * 64) == b"a"
    assert store.thumbnail("b" * 64) == b"b again"
    assert store.thumbnail("c" * 64) is None


def test_only_the_newest_thumbnails_are_kept(store: Store) -> None:
    for number in range(7):
        store.save_thumbnail(f"{number:064d}", b"%d" % number, keep=3)
    assert [store.thumbnail(f"{number:064d}") for number in range(7)] == [None] * 4 + [b"4", b"5", b"6"]
    store.save_thumbnail(f"{4:064d}", b"4", keep=3)  # saved again: the newest now
    store.save_thumbnail(f"{7:064d}", b"7", keep=3)
    assert [store.thumbnail(f"{number:064d}") for number in range(4, 8)] == [b"4", None, b"6", b"7"]


def test_clearing_the_journal_forgets_its_thumbnails(store: Store) -> None:
    store.append_record(record(0), keep=10)
    store.save_thumbnail("a" * 64, b"out", keep=10)
    store.clear_records()
    assert store.thumbnail("a" * 64) is None
    store.save_thumbnail("a" * 64, b"again", keep=10)
    assert store.thumbnail("a" * 64) == b"again"


def test_jobs_are_listed_oldest_first(store: Store) -> None:
    store.add_job(dataclasses.replace(make_job("d" * 64), created_at=NOW + 1), b"x")
    for job_id in ("f" * 64, "e" * 64):  # created in the same instant: listed in the order added
        store.add_job(make_job(job_id), b"x")
    store.add_job(make_job("0" * 64, expires_at=NOW + 1), b"x")
    assert [job.id for job in store.list_jobs(NOW)] == ["f" * 64, "e" * 64, "0" * 64, "d" * 64]
    assert [job.id for job in store.list_jobs(NOW + 1)] == ["f" * 64, "e" * 64, "d" * 64]


def test_a_job_plan_is_replaced_only_while_the_job_lives(store: Store) -> None:
    store.add_job(make_job(expires_at=NOW + 10), b"x")
    plan = JobPlan(pending_polls=0, job_seconds=0.0, outcome="fail")
    assert found(store.set_job_plan("a" * 64, plan, NOW)).plan == plan
    assert found(store.get_job("a" * 64, NOW)).plan == plan
    assert store.set_job_plan("a" * 64, JobPlan(), NOW + 10) is None
    assert store.set_job_plan("nope", plan, NOW) is None


def test_a_plan_kept_by_an_older_version_reads_as_seconds_after_creation() -> None:
    """Stores written before plans kept seconds held the epoch second the job was due."""
    old = json.dumps({"pending_polls": 2, "ready_at": NOW + 5, "outcome": "fail"})
    assert JobPlan.from_json(old, NOW) == JobPlan(pending_polls=2, job_seconds=5.0, outcome="fail")
    assert JobPlan.from_json(JobPlan(None, 1.5).to_json(), NOW) == JobPlan(None, 1.5)


def test_a_result_is_not_saved_for_an_unknown_job(store: Store) -> None:
    store.save_result("nope", RESULT)
    assert store.job_result("nope") is None
    assert store.get_job("nope", NOW) is None


def test_reset_forgets_everything(store: Store) -> None:
    store.add_job(make_job(), b"x")
    store.save_result("a" * 64, RESULT)
    store.add_fault(Fault(status=429))
    store.increment("rate:k", 1, NOW + 10, NOW)
    store.set_counter("credits:k", 5, None)
    store.save_settings({"pending_polls": 3})
    store.append_record(record(0), keep=10)
    store.save_thumbnail("f" * 64, b"webp", keep=10)
    store.reset()
    assert store.thumbnail("f" * 64) is None
    assert store.get_job("a" * 64, NOW) is None
    assert store.job_image("a" * 64) is None
    assert store.job_result("a" * 64) is None
    assert store.list_jobs(NOW) == []
    assert store.list_faults() == []
    assert store.counter("rate:k", NOW) is None
    assert store.counter("credits:k", NOW) is None
    assert store.settings() == {}
    assert store.records(RecordQuery()) == []
    # And it works as before afterwards.
    store.add_job(make_job(), b"y")
    assert found(store.poll_job("a" * 64, "key_1", NOW)).polls == 1


# Atomicity under parallel calls ---------------------------------------------------


T = TypeVar("T")


def in_parallel(call: Callable[[], T], calls: int = 400, threads: int = 8) -> list[T]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda _: call(), range(calls)))


def test_parallel_debits_take_exactly_the_balance(store: Store) -> None:
    results = in_parallel(lambda: store.debit("credits:k", 3, 1000))
    taken = [value for value in results if value is not None]
    # Every debit that went through saw a different balance: none was lost or doubled.
    assert sorted(taken) == list(range(1, 1000, 3))
    assert results.count(None) == 400 - 333
    assert store.counter("credits:k", NOW) == 1


def test_parallel_takes_fire_a_fault_exactly_its_times(store: Store) -> None:
    store.add_fault(Fault(operation="*", status=429, times=150))
    results = in_parallel(lambda: store.take_fault("upscaleImageFast", FAST_STATUSES, "call"))
    fired = [each for each in results if each is not None]
    assert Counter(each.fired for each in fired) == Counter(range(150))
    assert store.list_faults() == []


def test_parallel_increments_are_exact(store: Store) -> None:
    results = in_parallel(lambda: store.increment("rate:k:1", 1, NOW + 10, NOW))
    assert sorted(results) == list(range(1, 401))
    assert store.counter("rate:k:1", NOW) == 400


def test_health_fails_on_a_sqlite_file_cut_short(tmp_path: Path) -> None:
    """The security probe's finding 11: with the file cut short under a running mock, health
    said ok while every call answered 503."""
    from mockserver import Config, create_app

    path = tmp_path / "mock.sqlite3"
    store = SQLiteStore(str(path))
    health = create_app(Config(store="memory://"), store=store).test_client()
    for index in range(200):
        store.append_record({"operation": "upscaleImageFast", "status": 200, "padding": "x" * 400 * (index % 5)}, 1000)
    assert health.get("/_mock/health").status_code == 200
    store.check()
    # Move the WAL's pages into the file, as SQLite does on its own every 1,000 pages.
    with contextlib.closing(sqlite3.connect(path)) as other:
        other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    assert size > 60_000
    with path.open("r+b") as file:
        file.truncate(size // 3)
    with pytest.raises(StoreError, match="malformed"):
        store.check()
    answer = health.get("/_mock/health")
    assert answer.status_code == 503
    assert answer.get_json()["name"] == "service_unavailable"
    store.close()


# Bounded storage (issue 12) and blobs apart from the polled row (issue 10) ----------


def test_the_store_counts_the_bytes_it_keeps(store: Store) -> None:
    store.add_job(make_job("a" * 64), b"x" * 100)
    store.add_job(make_job("b" * 64, expires_at=NOW + 1), b"y" * 50)
    store.save_result("a" * 64, RESULT)
    store.save_result("a" * 64, RESULT)  # the same result again adds nothing
    assert store.stored_bytes() == 150 + len(RESULT.data)
    store.purge_expired(NOW + 2)
    assert store.stored_bytes() == 100 + len(RESULT.data)
    store.reset()
    assert store.stored_bytes() == 0


def test_a_full_store_refuses_a_new_job_and_keeps_nothing_of_it(store: Store) -> None:
    store.add_job(make_job("a" * 64), b"x" * 600)
    with pytest.raises(StoreFull, match="max_store_bytes"):
        store.add_job(make_job("b" * 64), b"y" * 500, max_bytes=1000)
    assert store.get_job("b" * 64, NOW) is None
    assert store.job_image("b" * 64) is None
    assert store.stored_bytes() == 600
    assert [job.id for job in store.list_jobs(NOW)] == ["a" * 64]


def test_a_full_store_drops_expired_jobs_before_refusing(store: Store) -> None:
    store.add_job(make_job("a" * 64, expires_at=NOW - 1), b"x" * 600)
    store.add_job(make_job("b" * 64), b"y" * 500, max_bytes=1000)
    assert store.job_image("b" * 64) == b"y" * 500
    assert store.job_image("a" * 64) is None
    assert store.stored_bytes() == 500


def test_a_refused_job_still_leaves_the_expired_ones_dropped(store: Store) -> None:
    store.add_job(make_job("a" * 64, expires_at=NOW - 1), b"x" * 300)
    store.add_job(make_job("b" * 64), b"y" * 600)
    with pytest.raises(StoreFull):
        store.add_job(make_job("c" * 64), b"z" * 500, max_bytes=1000)
    assert store.job_image("a" * 64) is None
    assert store.stored_bytes() == 600


def test_a_result_past_the_bound_is_not_kept_and_the_job_stays(store: Store) -> None:
    store.add_job(make_job(), b"x" * 10)
    store.save_result("a" * 64, RESULT, max_bytes=12)
    assert store.job_result("a" * 64) is None
    assert not found(store.get_job("a" * 64, NOW)).has_result
    assert store.job_image("a" * 64) == b"x" * 10
    store.save_result("a" * 64, RESULT, max_bytes=1000)
    assert store.job_result("a" * 64) == RESULT


def test_a_sqlite_poll_writes_a_small_row_not_the_upload(tmp_path: Path) -> None:
    """A poll counts itself in the job's row; with the blobs in that row each poll wrote 1 MB of WAL."""
    store = SQLiteStore(tmp_path / "jobs.sqlite3")
    store.add_job(make_job(), bytes(range(256)) * 4096)
    wal = tmp_path / "jobs.sqlite3-wal"
    before = wal.stat().st_size
    for _ in range(20):
        assert store.poll_job("a" * 64, "key_1", NOW) is not None
    assert wal.stat().st_size - before < 20 * 8192
    store.close()


#: The first SQLite layout (schema version 0): blobs in the job row.
_LAYOUT_0 = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, operation_id TEXT NOT NULL, key_fingerprint TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at REAL NOT NULL, order_json TEXT NOT NULL, plan_json TEXT NOT NULL,
    polls INTEGER NOT NULL DEFAULT 0, image BLOB NOT NULL, result_meta TEXT, result BLOB
);
CREATE INDEX jobs_expires_at ON jobs (expires_at);
CREATE TABLE faults (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, fault_json TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL);
CREATE TABLE settings (id INTEGER PRIMARY KEY CHECK (id = 1), settings_json TEXT NOT NULL);
CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, operation TEXT, status INTEGER, key TEXT,
    record_json TEXT NOT NULL);
"""


def test_a_sqlite_file_of_the_first_layout_is_migrated_with_its_jobs(tmp_path: Path) -> None:
    from mockserver.models import order_to_json
    from mockserver.store.base import result_meta

    path = tmp_path / "old.sqlite3"
    job = make_job()
    with contextlib.closing(sqlite3.connect(path)) as old:
        old.executescript(_LAYOUT_0)
        old.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, 3, ?, ?, ?)",
            (
                job.id, job.operation_id, job.key_fingerprint, job.created_at, job.expires_at,
                order_to_json(job.order), job.plan.to_json(), b"old-image", result_meta(RESULT), RESULT.data,
            ),
        )  # fmt: skip
        old.execute("INSERT INTO settings VALUES (1, '{\"pending_polls\": 4}')")
        old.commit()
    store = SQLiteStore(path)
    assert store.get_job(job.id, NOW) == dataclasses.replace(job, polls=3, has_result=True)
    assert store.job_image(job.id) == b"old-image"
    assert store.job_result(job.id) == RESULT
    assert store.stored_bytes() == len(b"old-image") + len(RESULT.data)
    assert store.settings() == {"pending_polls": 4}
    store.close()
    assert SQLiteStore(path).job_image(job.id) == b"old-image"  # opened again: nothing to migrate


def test_a_sqlite_file_of_a_newer_layout_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as newer:
        newer.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer stability-mock"):
        SQLiteStore(path)


def test_a_sqlite_journal_trims_in_batches_and_shows_only_the_newest(tmp_path: Path) -> None:
    """An append is one INSERT; what falls out of the journal size goes in batches, unseen meanwhile."""
    from mockserver.store.sqlite import TRIM_EVERY

    store = SQLiteStore(tmp_path / "jobs.sqlite3")
    for number in range(3 * TRIM_EVERY + 5):
        store.append_record(record(number), keep=10)
        assert [each["n"] for each in store.records(RecordQuery())] == list(range(max(0, number - 9), number + 1))
    with contextlib.closing(sqlite3.connect(tmp_path / "jobs.sqlite3")) as other:
        (kept,) = other.execute("SELECT COUNT(*) FROM journal").fetchone()
    assert kept <= 10 + TRIM_EVERY
    assert store.clear_records() == 10
    store.close()


def test_a_snapshot_reads_settings_and_whether_faults_are_queued(store: Store) -> None:
    assert store.snapshot() == Snapshot(settings={}, faults_queued=False)
    store.save_settings({"pending_polls": 3})
    fault = Fault(status=429)
    store.add_fault(fault)
    assert store.snapshot() == Snapshot(settings={"pending_polls": 3}, faults_queued=True)
    store.take_fault("upscaleImageFast", FAST_STATUSES, "call")
    assert store.snapshot().faults_queued is False


def stage(store: Store, what: str) -> None:
    """One change to the per-call state, as any worker or replica may make it."""
    if what == "settings":
        store.save_settings({"pending_polls": 7})
    elif what == "fault":
        store.add_fault(Fault(status=503))
    elif what == "take":
        store.take_fault("upscaleImageFast", FAST_STATUSES, "call")
    elif what == "delete":
        store.delete_faults()
    else:
        store.reset()


#: The snapshot after each change of :func:`stage`, made on the state :func:`before_staging` sets.
STAGED = {
    "settings": Snapshot(settings={"pending_polls": 7}, faults_queued=False),
    "fault": Snapshot(settings={"pending_polls": 2}, faults_queued=True),
    "take": Snapshot(settings={"pending_polls": 2}, faults_queued=False),
    "delete": Snapshot(settings={"pending_polls": 2}, faults_queued=False),
    "reset": Snapshot(settings={}, faults_queued=False),
}


def before_staging(store: Store, what: str) -> Snapshot:
    """The state :data:`STAGED` starts from, read twice (so kept, where the store keeps it)."""
    store.save_settings({"pending_polls": 2})
    if what in ("take", "delete"):
        store.add_fault(Fault(status=429, times=1))
    before = store.snapshot()
    assert store.snapshot() == before != STAGED[what]
    return before


def _stage_elsewhere(path: str, what: str) -> None:
    """In a forked process, as another gunicorn worker would: change the shared state of ``path``."""
    other = SQLiteStore(path)
    stage(other, what)
    other.close()


@pytest.mark.parametrize("what", list(STAGED))
def test_a_sqlite_snapshot_sees_another_processs_change_at_once(tmp_path: Path, what: str) -> None:
    """The snapshot is kept between calls, yet a change committed by another worker is in force for the next call."""
    path = tmp_path / "shared.sqlite3"
    store = SQLiteStore(path)
    before_staging(store, what)
    worker = multiprocessing.get_context("fork").Process(target=_stage_elsewhere, args=(str(path), what))
    worker.start()
    worker.join(30)
    assert worker.exitcode == 0
    assert store.snapshot() == STAGED[what]
    store.close()


def test_a_sqlite_snapshot_asks_the_file_only_after_a_change(tmp_path: Path) -> None:
    """Nothing staged, nothing read: the per-call state costs no SQL statement until the mark moves."""
    store = SQLiteStore(tmp_path / "jobs.sqlite3")
    statements: list[str] = []
    with store._transaction() as connection:
        connection.set_trace_callback(statements.append)
    store.snapshot()
    assert len(statements) == 1
    store.snapshot()
    store.snapshot()
    assert len(statements) == 1
    store.save_settings({"pending_polls": 3})
    assert store.snapshot().settings == {"pending_polls": 3}
    assert [text for text in statements if text.startswith("SELECT")] and len(statements) == 3
    store.close()


def test_a_sqlite_store_whose_mark_cannot_be_kept_reads_the_file_every_time(tmp_path: Path) -> None:
    """A folder where the mark file cannot be created still works: the snapshot is then read on every call."""
    path = tmp_path / "jobs.sqlite3"
    (tmp_path / "jobs.sqlite3-state").mkdir()  # a directory where the file should be: open() fails
    store = SQLiteStore(path)
    statements: list[str] = []
    with store._transaction() as connection:
        connection.set_trace_callback(statements.append)
    store.snapshot()
    store.snapshot()
    assert len(statements) == 2
    store.save_settings({"pending_polls": 3})
    assert store.snapshot().settings == {"pending_polls": 3}
    store.close()


# The Redis snapshot: kept while unchanged, read again once Redis says it changed ---------


@pytest.fixture
def two_redis_workers(redis_url: str, redis_prefix: str) -> Iterator[tuple[RedisStore, RedisStore]]:
    """Two stores on one Redis and prefix: two tracked connections, as two workers or replicas."""
    reader, writer = RedisStore(redis_url, prefix=redis_prefix), RedisStore(redis_url, prefix=redis_prefix)
    yield reader, writer
    reader.close()
    writer.close()


@pytest.mark.parametrize("what", list(STAGED))
def test_a_kept_redis_snapshot_gives_way_to_another_workers_change_at_once(
    two_redis_workers: tuple[RedisStore, RedisStore], what: str
) -> None:
    reader, writer = two_redis_workers
    before_staging(reader, what)
    stage(writer, what)
    assert reader.snapshot() == STAGED[what]
    assert reader.snapshot() == STAGED[what]


def test_every_redis_change_is_in_force_for_the_next_call_however_fast_they_come(
    two_redis_workers: tuple[RedisStore, RedisStore],
) -> None:
    """Without the writer's fence (``RedisStore._fence``) this failed in most runs: a push not yet written out."""
    reader, writer = two_redis_workers
    for number in range(300):
        writer.save_settings({"pending_polls": number})
        assert reader.snapshot().settings == {"pending_polls": number}
        assert writer.snapshot().settings == {"pending_polls": number}


def commands_run(client: redis.Redis) -> dict[str, int]:
    """Calls per command since the Redis started, but INFO's own."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(each["calls"]) for name, each in stats.items() if name != "cmdstat_info"}


def commands_since(client: redis.Redis, before: dict[str, int]) -> dict[str, int]:
    after = commands_run(client)
    return {name: calls - before.get(name, 0) for name, calls in after.items() if calls != before.get(name, 0)}


@pytest.fixture
def redis_counter(private_redis: RedisServer) -> Iterator[redis.Redis]:
    """A client of a Redis of this test's own, whose command counts only this test moves."""
    client = redis.Redis.from_url(private_redis.url)
    yield client
    client.close()


def test_an_unchanged_redis_snapshot_sends_no_command(private_redis: RedisServer, redis_counter: redis.Redis) -> None:
    reader, writer = RedisStore(private_redis.url), RedisStore(private_redis.url)
    writer.save_settings({"pending_polls": 2})
    reader.snapshot()  # opens the tracked connection and reads once
    before = commands_run(redis_counter)
    for _ in range(100):
        assert reader.snapshot().settings == {"pending_polls": 2}
    assert commands_since(redis_counter, before) == {}
    writer.save_settings({"pending_polls": 3})
    before = commands_run(redis_counter)
    for _ in range(100):
        assert reader.snapshot().settings == {"pending_polls": 3}
    # One read after the change, in one round trip; none after it.
    assert commands_since(redis_counter, before) == {"multi": 1, "get": 1, "exists": 1, "exec": 1}
    reader.close()
    writer.close()


def test_a_kept_redis_snapshot_is_read_again_after_a_while_even_unchanged(
    private_redis: RedisServer, redis_counter: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So a connection that died without a word (a vanished host) shows as an error, not as stale state, in time."""
    monkeypatch.setattr(redis_tracking, "RECHECK_SECONDS", 0.0)
    store = RedisStore(private_redis.url)
    store.snapshot()  # opens the tracked connection and reads once
    before = commands_run(redis_counter)
    store.snapshot()
    store.snapshot()
    assert commands_since(redis_counter, before) == {"multi": 2, "get": 2, "exists": 2, "exec": 2}
    store.close()


def test_a_redis_snapshot_is_not_kept_across_a_lost_connection(
    private_redis: RedisServer, redis_counter: redis.Redis
) -> None:
    reader, writer = RedisStore(private_redis.url), RedisStore(private_redis.url)
    writer.save_settings({"pending_polls": 2})
    assert reader.snapshot().settings == {"pending_polls": 2}
    # Its tracked connection killed: whatever changed meanwhile, nothing read on it is answered again.
    tracking = [each["id"] for each in redis_counter.client_list() if "t" in each["flags"]]
    assert len(tracking) == 1
    redis_counter.client_kill_filter(_id=tracking[0])
    writer.save_settings({"pending_polls": 3})
    assert reader.snapshot().settings == {"pending_polls": 3}
    # Redis gone: an error, not the kept snapshot; back (empty): what it holds now.
    private_redis.stop()
    with pytest.raises(StoreError, match="unreachable"):
        reader.snapshot()
    private_redis.start()
    assert reader.snapshot() == Snapshot(settings={}, faults_queued=False)
    writer.save_settings({"pending_polls": 4})
    assert reader.snapshot().settings == {"pending_polls": 4}
    reader.close()
    writer.close()


def test_a_redis_snapshot_kept_before_a_fork_is_neither_shared_nor_stale_in_the_child(
    redis_url: str, redis_prefix: str
) -> None:
    """gunicorn forks its workers after the master used the store: each process tracks on a connection of its own."""
    store = RedisStore(redis_url, prefix=redis_prefix)
    store.save_settings({"pending_polls": 2})
    assert store.snapshot().settings == {"pending_polls": 2}  # kept, on the parent's tracked connection
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+ warns on fork with threads about
        child = os.fork()
    if child == 0:  # the child: read, change, read, then leave without running any of pytest's teardown
        code = 1
        try:
            seen = [store.snapshot().settings]
            store.save_settings({"pending_polls": 5})
            seen.append(store.snapshot().settings)
            code = 0 if seen == [{"pending_polls": 2}, {"pending_polls": 5}] else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # Had the child read the parent's socket, it would have taken the notice meant for the parent.
    assert store.snapshot().settings == {"pending_polls": 5}
    store.close()


def test_a_redis_that_refuses_tracking_is_read_on_every_call(
    private_redis: RedisServer, redis_counter: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """No RESP3 or no CLIENT TRACKING (here: an ACL user without it): one round trip a call, and a debug line."""
    redis_counter.acl_setuser(
        "untracked", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-client|tracking"]
    )
    url = private_redis.url.replace("redis://", "redis://untracked:pw@")
    reader, writer = RedisStore(url), RedisStore(url)
    with caplog.at_level(logging.DEBUG, logger="mockserver.store.redis_tracking"):
        assert reader.snapshot() == Snapshot(settings={}, faults_queued=False)
    assert any("no client-side tracking" in message for message in caplog.messages)
    before = commands_run(redis_counter)
    assert reader.snapshot() == reader.snapshot()
    assert commands_since(redis_counter, before) == {"get": 2, "exists": 2}
    writer.save_settings({"pending_polls": 3})
    assert reader.snapshot().settings == {"pending_polls": 3}
    reader.close()
    writer.close()
