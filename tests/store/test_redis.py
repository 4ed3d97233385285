"""The Redis store beyond the shared contract: TTLs, key prefixes, outages, and real servers sharing one Redis."""

from __future__ import annotations

import io
import math
import os
import socket
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from bench.harness.server import free_port, running_server
from mockserver import Config, ConfigError, StoreError, create_app, open_store
from mockserver.control.remote import MockAdmin
from mockserver.imaging import RenderOrder
from mockserver.models import Fault, Job, JobPlan
from mockserver.store import RedisStore
from tests import conftest
from tests.conftest import FIXTURES, RedisServer
from tests.images import decoded

AUTH = {"Authorization": "Bearer sk-redis"}
SMALL = ("--target-pixels", "262144")
FAST_PATH = "/v2beta/stable-image/upscale/fast"
SAMPLE = (FIXTURES / "sample.png").read_bytes()


def with_prefix(url: str, prefix: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}prefix={prefix}"


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def store(redis_url: str, redis_prefix: str) -> Iterator[RedisStore]:
    backend = RedisStore(redis_url, prefix=redis_prefix)
    yield backend
    backend.close()


def job_expiring_at(expires_at: float, job_id: str = "a" * 64) -> Job:
    return Job(
        id=job_id,
        operation_id="upscaleImageConservative",
        key_fingerprint="key_1",
        created_at=expires_at - 100,
        expires_at=expires_at,
        order=RenderOrder("upscaleImageConservative", "png", 7, prompt="p"),
        plan=JobPlan(),
    )


# The store on its own -------------------------------------------------------------


def test_jobs_and_expiring_counters_carry_redis_ttls(store: RedisStore, client: redis.Redis, redis_prefix: str) -> None:
    now = time.time()
    store.add_job(job_expiring_at(now + 100), b"image")
    assert 98_000 < client.pttl(f"{redis_prefix}job:{'a' * 64}") <= 100_001
    store.increment("rate:k:1", 1, now + 10, now)
    assert 8_000 < client.pttl(f"{redis_prefix}counter:rate:k:1") <= 10_001
    store.set_counter("credits:k", 5, None)
    assert client.pttl(f"{redis_prefix}counter:credits:k") == -1  # kept until reset


def test_job_blobs_are_keys_of_their_own_that_expire_with_the_job(
    store: RedisStore, client: redis.Redis, redis_prefix: str
) -> None:
    """A poll's HINCRBY touches a hash of small fields; the upload and result live beside it."""
    from mockserver.imaging import RenderedImage

    now = time.time()
    store.add_job(job_expiring_at(now + 100), b"image")
    store.save_result("a" * 64, RenderedImage(b"result", "image/png", 1, 1, 7, "SUCCESS"))
    assert client.hkeys(f"{redis_prefix}job:{'a' * 64}").count(b"image") == 0
    for kind in ("image", "result"):
        assert 98_000 < client.pttl(f"{redis_prefix}{kind}:{'a' * 64}") <= 100_001
    assert store.stored_bytes() == len(b"image") + len(b"result")


def test_a_job_kept_by_the_previous_layout_still_answers(
    store: RedisStore, client: redis.Redis, redis_prefix: str
) -> None:
    now = time.time()
    store.add_job(job_expiring_at(now + 100), b"image")
    client.delete(f"{redis_prefix}image:{'a' * 64}")
    client.hset(f"{redis_prefix}job:{'a' * 64}", mapping={"image": b"old-image"})
    assert store.job_image("a" * 64) == b"old-image"


def test_a_job_that_redis_expired_is_pruned_from_the_listing(
    store: RedisStore, client: redis.Redis, redis_prefix: str
) -> None:
    expired = time.time() - 1  # PEXPIREAT in the past: Redis drops the hash at once
    store.add_job(job_expiring_at(expired), b"image")
    assert not client.exists(f"{redis_prefix}job:{'a' * 64}")
    # Even a clock that still thinks it live finds nothing, and the indexes are cleaned up.
    assert store.list_jobs(expired - 50) == []
    assert client.zcard(f"{redis_prefix}jobs:created") == 0
    assert client.zcard(f"{redis_prefix}jobs:expiry") == 0


def test_reset_deletes_this_mocks_keys_and_nothing_else(redis_url: str, redis_prefix: str, client: redis.Redis) -> None:
    # A prefix with glob characters must be matched literally.
    mine = RedisStore(redis_url, prefix=f"{redis_prefix}a*[b]:")
    neighbour = RedisStore(redis_url, prefix=f"{redis_prefix}aX[b]:")
    try:
        for backend in (mine, neighbour):
            backend.add_job(job_expiring_at(time.time() + 100), b"image")
            backend.add_fault(Fault(status=429))
            backend.save_settings({"pending_polls": 2})
        client.set(f"{redis_prefix}someone-else", "keep me")
        mine.reset()
        assert mine.list_faults() == [] and mine.settings() == {} and mine.job_image("a" * 64) is None
        assert len(neighbour.list_faults()) == 1 and neighbour.settings() == {"pending_polls": 2}
        assert client.get(f"{redis_prefix}someone-else") == b"keep me"
    finally:
        mine.close()
        neighbour.close()


def test_the_url_may_name_the_key_prefix(redis_url: str, redis_prefix: str, client: redis.Redis) -> None:
    store = open_store(with_prefix(redis_url, redis_prefix))
    try:
        assert isinstance(store, RedisStore)
        store.save_settings({"latency_ms": 5})
        assert client.get(f"{redis_prefix}settings") == b'{"latency_ms": 5}'
    finally:
        store.close()


def test_an_unreachable_redis_is_a_store_error_naming_it_without_its_password() -> None:
    with socket.socket() as bound:
        # Bound and not listening: this port refuses connections, and no other process can listen on it meanwhile.
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        store = RedisStore(f"redis://:s3cret@127.0.0.1:{port}/0")
        started = time.monotonic()
        for call in (store.check, store.settings, lambda: store.take_fault("upscaleImageFast", (200,), "call")):
            unreachable = rf"^Redis at redis://:\*\*\*@127\.0\.0\.1:{port}/0 is unreachable: "
            with pytest.raises(StoreError, match=unreachable) as raised:
                call()
            assert "s3cret" not in str(raised.value)
        assert time.monotonic() - started < 5  # refused at once: no long retries
        store.close()


def test_an_empty_key_prefix_is_refused() -> None:
    # reset() deletes everything under the prefix: an empty one would empty the whole database.
    with pytest.raises(ConfigError, match="prefix must not be empty"):
        RedisStore("redis://127.0.0.1:1/0", prefix="")
    unprefixed = open_store("redis://127.0.0.1:1/0?prefix=")
    assert isinstance(unprefixed, RedisStore)
    assert unprefixed.prefix == "stability-mock:"


def test_a_store_used_before_a_fork_works_in_parent_and_child_at_once(store: RedisStore) -> None:
    """What gunicorn does: the master builds (and may use) the store, then forks workers."""

    def count(name: str) -> list[int]:
        return [store.increment(name, 1, time.time() + 60, time.time()) for _ in range(300)]

    assert store.settings() == {}  # a pooled connection now exists
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+ warns on fork with threads about
        child = os.fork()
    if child == 0:  # the child: count, then leave without running any of pytest's teardown
        code = 1
        try:
            code = 0 if count("rate:child") == list(range(1, 301)) else 2
        finally:
            os._exit(code)
    # Had both processes shared one socket, each would read replies meant for the other.
    assert count("rate:parent") == list(range(1, 301))
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.counter("rate:child", time.time()) == 300


# Real servers ---------------------------------------------------------------------


def start_job(url: str) -> str:
    return conftest.start_job(url, AUTH)


def poll(url: str, generation_id: str) -> requests.Response:
    return conftest.poll(url, generation_id, AUTH)


def fast(url: str, key: str = "sk-redis") -> requests.Response:
    with (FIXTURES / "sample.png").open("rb") as image:
        return requests.post(
            f"{url}{FAST_PATH}",
            files={"image": ("sample.png", image, "image/png")},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )


def wait_for_a_fresh_window(seconds: float, needed: float = 3.0) -> None:
    """Rate limits count per fixed window; start near a window's beginning so the count cannot straddle two."""
    left = seconds - math.fmod(time.time(), seconds)
    if left < needed:
        time.sleep(left + 0.05)


@pytest.mark.slow
def test_two_servers_on_one_redis_share_jobs_faults_settings_and_rate_limits(
    redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    store = ("--store", with_prefix(redis_url, redis_prefix), *SMALL)
    scenario = tmp_path / "scenario.yml"
    scenario.write_text("config:\n  pending_polls: 2\n")
    # The first server applies a scenario in gunicorn's master, before it forks two
    # workers: the Redis connections must not be shared across that fork.
    with (
        running_server(*store, "--workers", "2", "--scenario", str(scenario), log=tmp_path / "a.log") as first,
        running_server(*store, log=tmp_path / "b.log") as second,
        MockAdmin(first) as first_admin,
        MockAdmin(second) as second_admin,
    ):
        generation_id = start_job(first)
        # Two polls answered 202 (the scenario's setting, staged on the first, holds on the second).
        assert [poll(second, generation_id).status_code, poll(first, generation_id).status_code] == [202, 202]
        ready = poll(second, generation_id)
        assert ready.status_code == 200
        assert decoded(ready.content).size == (512, 512)
        assert poll(first, generation_id).content == ready.content

        second_admin.add_fault(operation="upscaleImageFast", status=503, times=1)
        assert [fast(first).status_code, fast(first).status_code] == [503, 200]
        assert [record["status"] for record in second_admin.requests(operation="upscaleImageFast")] == [503, 200]

        first_admin.update_settings(rate_limit="3/10s")
        wait_for_a_fresh_window(10)
        statuses = [fast(url, "sk-limited").status_code for url in (first, second, first, second)]
        assert statuses == [200, 200, 200, 429]
        blocked = fast(first, "sk-limited")  # the block holds on every server
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 1
        assert fast(second, "sk-other").status_code == 200
    for log in ("a.log", "b.log"):
        assert "Traceback" not in (tmp_path / log).read_text()


@pytest.mark.slow
def test_a_server_reports_redis_down_and_recovers_without_a_restart(private_redis: RedisServer, tmp_path: Path) -> None:
    with running_server("--store", private_redis.url, *SMALL, log=tmp_path / "down.log") as url:
        assert fast(url).status_code == 200
        private_redis.stop()
        health = requests.get(f"{url}/_mock/health", timeout=10)
        assert health.status_code == 503
        assert health.json()["name"] == "service_unavailable"
        assert f"Redis at {private_redis.url} is unreachable" in health.json()["message"]
        down = fast(url)
        assert down.status_code == 503
        assert down.json()["name"] == "service_unavailable"

        private_redis.start()  # the same port, empty
        assert requests.get(f"{url}/_mock/health", timeout=10).status_code == 200
        assert fast(url).status_code == 200
        generation_id = start_job(url)
        assert poll(url, generation_id).status_code == 202


def test_api_calls_answer_503_naming_redis_while_it_is_down(private_redis: RedisServer) -> None:
    app = create_app(Config(store=private_redis.url))
    client = app.test_client()
    private_redis.stop()
    responses = [
        client.post(FAST_PATH, data={"image": (io.BytesIO(SAMPLE), "sample.png", "image/png")}, headers=AUTH),
        client.get(f"/v2beta/results/{'0' * 64}", headers=AUTH),
    ]
    for response in responses:
        assert response.status_code == 503
        assert response.get_json()["name"] == "service_unavailable"
        assert f"Redis at {private_redis.url} is unreachable" in response.get_json()["message"]


@pytest.mark.slow
def test_jobs_survive_a_server_restart_on_redis(redis_url: str, redis_prefix: str, tmp_path: Path) -> None:
    options = ("--store", with_prefix(redis_url, redis_prefix), *SMALL)
    with running_server(*options, log=tmp_path / "before.log") as url:
        generation_id = start_job(url)
        assert poll(url, generation_id).status_code == 202
    with running_server(*options, log=tmp_path / "after.log") as url:
        ready = poll(url, generation_id)
        assert ready.status_code == 200
        assert ready.headers["content-type"] == "image/jpeg"


def test_a_private_redis_whose_port_was_taken_meanwhile_starts_on_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With tests in parallel processes, the free port picked for redis-server can be taken before it binds it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        offered = iter([taken.getsockname()[1]])
        monkeypatch.setattr(conftest, "free_port", lambda: next(offered, 0) or free_port())
        server = RedisServer(tmp_path / "redis.log")
        server.start()
        try:
            assert server.port != taken.getsockname()[1]
            with redis.Redis.from_url(server.url) as client:
                assert client.ping()
            assert b"Address already in use" in (tmp_path / "redis.log").read_bytes()
        finally:
            server.stop()
