"""Thumbnails of the journal's images: made after the answer, kept in the store, served by the admin API."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import Config, SQLiteStore, StoreError, create_app
from mockserver.control.local import MockControl
from mockserver.imaging.thumbnail import MAX_SIDE, MAX_SOURCE_PIXELS, thumbnail_of_encoded
from mockserver.pipeline.thumbnails import KEPT, Confirmations
from mockserver.services import Services, services_of
from mockserver.store.base import RecordQuery
from mockserver.util.pool import BoundedPool
from tests.conftest import AUTH, CREATIVE_PATH, FAST_PATH, SMALL_TARGET, SpecCheckedClient
from tests.images import decoded, jpeg, png


@pytest.fixture
def config() -> Config:
    """The suite's config, with a word whose results come back blurred."""
    return Config(store="memory://", target_pixels=SMALL_TARGET, filter_words=("nsfw",))


def services(app: Flask) -> Services:
    found: Services = services_of(app)
    return found


def settled(app: Flask) -> None:
    """Wait until this process's thumbnail thread has made what it was handed."""
    services(app).thumbnails.pool.settle()


def thumbnail(client: FlaskClient, sha256: str | None) -> bytes | None:
    if sha256 is None:
        return None
    answer = client.get(f"/_mock/thumbnails/{sha256}")
    if answer.status_code == 404:
        assert answer.get_json()["name"] == "not_found"
        return None
    assert answer.status_code == 200 and answer.mimetype == "image/webp"
    return bytes(answer.data)


def both(client: FlaskClient, request_id: str) -> tuple[bytes | None, bytes | None]:
    """The thumbnails of a journaled call's upload and delivered image, found by the shas its record names."""
    [record] = [
        found for found in client.get("/_mock/requests").get_json()["requests"] if found["request_id"] == request_id
    ]
    image, delivered = record["image"], record["delivered"]
    return thumbnail(client, image and image["sha256"]), thumbnail(client, delivered and delivered["sha256"])


def test_a_fast_call_gets_a_thumbnail_of_its_upload_and_of_what_it_delivered(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    answer = client.post(FAST_PATH, data=upload(png(200, 100), output_format="jpeg"), headers=AUTH)
    settled(app)
    small_input, small_output = both(client, answer.headers["x-request-id"])
    assert small_input is not None and small_output is not None
    assert decoded(small_input).size == (MAX_SIDE, MAX_SIDE // 2)
    assert decoded(small_output).size == (MAX_SIDE, MAX_SIDE // 2)
    assert small_output == thumbnail_of_encoded(answer.data)
    assert len(small_input) < 16 * 1024 and len(small_output) < 16 * 1024


def test_a_small_image_is_not_enlarged(app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]) -> None:
    answer = client.post(FAST_PATH, data=upload(png(40, 32)), headers=AUTH)
    settled(app)
    small_input, small_output = both(client, answer.headers["x-request-id"])
    assert small_input is not None and small_output is not None
    assert decoded(small_input).size == (40, 32)
    assert decoded(small_output).size == (MAX_SIDE, round(MAX_SIDE * 32 / 40))


def test_a_json_envelope_answer_gets_a_thumbnail_of_the_image_inside(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    answer = client.post(FAST_PATH, data=upload(jpeg(64, 64)), headers={**AUTH, "Accept": "application/json"})
    settled(app)
    delivered = base64.b64decode(answer.get_json()["image"])
    assert both(client, answer.headers["x-request-id"])[1] == thumbnail_of_encoded(delivered)


def test_an_async_job_the_post_keeps_the_input_and_the_finishing_poll_the_output(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    started = client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt="a lighthouse"), headers=AUTH)
    job_id = started.get_json()["id"]
    pending = client.get(f"/v2beta/results/{job_id}", headers=AUTH)
    done = client.get(f"/v2beta/results/{job_id}", headers=AUTH)
    assert (pending.status_code, done.status_code) == (202, 200)
    settled(app)
    small_input, nothing = both(client, started.headers["x-request-id"])
    assert small_input is not None and nothing is None
    assert both(client, pending.headers["x-request-id"]) == (None, None)
    assert both(client, done.headers["x-request-id"]) == (None, thumbnail_of_encoded(done.data))


def test_a_content_filtered_result_is_shown_as_it_was_delivered(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    started = client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt="nsfw"), headers=AUTH)
    job_id = started.get_json()["id"]
    client.get(f"/v2beta/results/{job_id}", headers=AUTH)
    done = client.get(f"/v2beta/results/{job_id}", headers=AUTH)
    assert done.headers["finish-reason"] == "CONTENT_FILTERED"
    settled(app)
    assert both(client, done.headers["x-request-id"])[1] == thumbnail_of_encoded(done.data)


def test_a_refused_call_keeps_a_thumbnail_only_of_a_picture_it_sent(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    bad_field = client.post(FAST_PATH, data=upload(png(64, 64), output_format="gif"), headers=AUTH)
    too_small = client.post(FAST_PATH, data=upload(png(8, 8)), headers=AUTH)
    not_an_image = client.post(FAST_PATH, data=upload(b"plain text"), headers=AUTH)
    assert {bad_field.status_code, too_small.status_code, not_an_image.status_code} == {400}
    settled(app)
    assert both(client, bad_field.headers["x-request-id"])[0] is not None
    assert both(client, too_small.headers["x-request-id"]) == (None, None)
    assert both(client, not_an_image.headers["x-request-id"]) == (None, None)


def test_unknown_and_malformed_digests_are_answered_in_the_api_error_shape(client: FlaskClient) -> None:
    assert thumbnail(client, "0" * 64) is None
    for bad in ("not-a-digest", "0" * 63, "g" * 64):
        answer = client.get(f"/_mock/thumbnails/{bad}")
        assert answer.status_code == 400 and answer.get_json()["errors"][0].startswith("sha256:")


def test_an_image_seen_again_is_kept_once_and_not_written_again(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH).headers["x-request-id"]
    settled(app)
    writes: list[str] = []
    save = services(app).store.save_thumbnail

    def counted_save(sha256: str, data: bytes, keep: int) -> None:
        writes.append(sha256)
        save(sha256, data, keep)

    monkeypatch.setattr(services(app).store, "save_thumbnail", counted_save)
    again = client.post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH).headers["x-request-id"]
    settled(app)
    assert writes == [] and both(client, again) == both(client, first)


def test_reset_and_clearing_the_journal_forget_thumbnails(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    client.post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH)
    settled(app)
    shas = [
        record[part]["sha256"]
        for record in client.get("/_mock/requests").get_json()["requests"]
        for part in ("image", "delivered")
    ]
    client.delete("/_mock/requests")
    assert [thumbnail(client, sha) for sha in shas] == [None, None]
    second = client.post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH).headers["x-request-id"]
    settled(app)
    assert None not in both(client, second)
    client.post("/_mock/reset")
    assert [thumbnail(client, sha) for sha in shas] == [None, None]


def test_thumbnails_go_with_the_oldest_records_of_a_small_journal(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    client.patch("/_mock/config", json={"journal_size": 2})
    shas = []
    for size in (64, 65, 66):
        client.post(FAST_PATH, data=upload(png(size, 64)), headers=AUTH)
        settled(app)
        [*_, newest] = client.get("/_mock/requests").get_json()["requests"]
        shas.append([newest["image"]["sha256"], newest["delivered"]["sha256"]])
    # Two records kept, so four thumbnails: the first call's went with its record.
    assert [[thumbnail(client, sha) is not None for sha in pair] for pair in shas] == [
        [False, False],
        [True, True],
        [True, True],
    ]
    assert KEPT * 16 * 1024 <= 8 * 1024 * 1024


def test_a_busy_thumbnail_thread_costs_the_call_nothing_but_its_thumbnails(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    services(app).thumbnails.pool.limit = 0
    answer = client.post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH)
    assert answer.status_code == 200
    [record] = client.get("/_mock/requests").get_json()["requests"]
    assert record["request_id"] == answer.headers["x-request-id"]
    assert both(client, record["request_id"]) == (None, None)


def test_a_failing_thumbnail_never_fails_the_call(
    app: Flask,
    client: FlaskClient,
    upload: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("the store went away")

    monkeypatch.setattr(services(app).store, "save_thumbnail", broken)
    with caplog.at_level(logging.WARNING, logger="stability_mock"):
        answer = client.post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH)
        settled(app)
    assert answer.status_code == 200
    assert len(client.get("/_mock/requests").get_json()["requests"]) == 1
    assert "could not keep the thumbnails" in caplog.text


def test_a_bounded_pool_declines_rather_than_queues() -> None:
    release = threading.Event()
    pool = BoundedPool(1, 2, "test-pool")
    assert pool.submit(release.wait) and pool.submit(release.wait)
    assert not pool.submit(release.wait)
    release.set()
    pool.settle()
    assert pool.submit(release.wait)
    pool.settle()
    assert not BoundedPool(0, 2, "off").submit(release.wait)


def test_a_bounded_pool_keeps_to_its_share_of_a_core() -> None:
    """Fake clocks: each task "uses" 2 s of CPU; the pool earns half a second per second, 1 s at most."""
    now, cpu = [0.0], [0.0]

    def task() -> None:
        cpu[0] += 2.0

    pool = BoundedPool(1, 4, "test-share", share=0.5, burst_seconds=1.0, clock=lambda: now[0], cpu_clock=lambda: cpu[0])
    assert pool.submit(task)
    pool.settle()
    assert not pool.submit(task)  # 1 - 2 = -1 s in hand
    now[0] += 2.0
    assert not pool.submit(task)  # -1 + 1 = 0: still nothing in hand
    now[0] += 0.5
    assert pool.submit(task)
    pool.settle()
    now[0] += 1000.0  # a quiet spell earns no more than the burst
    assert pool.submit(task)
    pool.settle()
    assert not pool.submit(task)
    assert (pool.accepted, pool.declined) == (3, 3)


def test_another_app_on_the_same_sqlite_file_serves_the_thumbnails(
    tmp_path: Path, upload: Callable[..., dict[str, Any]]
) -> None:
    def app_on_file() -> Flask:
        built = create_app(Config(store="memory://", target_pixels=SMALL_TARGET), store=SQLiteStore(tmp_path / "s.db"))
        built.test_client_class = SpecCheckedClient
        return built

    maker, reader = app_on_file(), app_on_file()
    answer = maker.test_client().post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH)
    settled(maker)
    small_input, small_output = both(reader.test_client(), answer.headers["x-request-id"])
    assert small_input is not None and small_output == thumbnail_of_encoded(answer.data)


def test_thumbnails_are_guarded_like_the_rest_of_the_admin_api(upload: Callable[..., dict[str, Any]]) -> None:
    app = create_app(Config(store="memory://", target_pixels=SMALL_TARGET, admin_token="s3cret"))
    client = app.test_client()
    request_id = client.post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH).headers["x-request-id"]
    settled(app)
    [record] = services(app).store.records(RecordQuery())
    assert record["request_id"] == request_id
    path = f"/_mock/thumbnails/{record['image']['sha256']}"
    assert client.get(path).status_code == 403
    assert decoded(client.get(path, headers={"X-Admin-Token": "s3cret"}).data).format == "WEBP"


def test_the_in_process_control_reads_them_too(
    app: Flask, client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    request_id = client.post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH).headers["x-request-id"]
    settled(app)
    [record] = services(app).store.records(RecordQuery())
    control = MockControl(services(app))
    small_input, small_output = both(client, request_id)
    assert control.thumbnail(record["image"]["sha256"]) == small_input is not None
    assert control.thumbnail(record["delivered"]["sha256"].upper()) == small_output is not None


def test_a_sighting_in_the_store_is_trusted_for_a_while_and_never_past_its_bound() -> None:
    trusted, never = Confirmations(3600, 2), Confirmations(0, 2)
    for confirmations in (trusted, never):
        for sha in ("a", "b", "c"):
            confirmations.add(sha)
    assert trusted.all(["b", "c"]) and not trusted.all(["a", "c"])  # "a" fell past the bound
    assert not never.all(["c"])
    trusted.clear()
    assert not trusted.all(["c"])


def test_a_delivered_image_past_the_largest_fast_result_gets_no_thumbnail() -> None:
    largest = MAX_SOURCE_PIXELS // 4096
    assert thumbnail_of_encoded(png(4096, largest, mode="L", color=90)) is not None
    assert thumbnail_of_encoded(png(4096, largest + 1, mode="L", color=90)) is None
    assert thumbnail_of_encoded(png(6000, 6000, mode="L", color=90)) is None  # past Pillow's own guard: no warning
