"""The request journal: what was sent, redacted, bounded and queryable."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import Config
from mockserver.pipeline.journal import RECORD_LIMIT_BYTES, bounded, clipped
from mockserver.services import services_of
from mockserver.store.base import RecordQuery
from tests.conftest import API_KEY, AUTH, CREATIVE_PATH, FAST_PATH
from tests.images import png


def test_a_valid_call_is_recorded_with_its_image_summary(
    client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    headers = {**AUTH, "stability-client-id": "app"}
    client.post(FAST_PATH, data=upload(png(40, 48), output_format="webp"), headers=headers)
    [record] = client.get("/_mock/requests").get_json()["requests"]
    assert record["operation"] == "upscaleImageFast"
    assert record["method"] == "POST" and record["path"] == FAST_PATH
    assert record["status"] == 200 and record["valid"] is True and record["errors"] == []
    assert record["fields"] == {"output_format": "webp"}
    assert record["image"]["format"] == "png"
    assert (record["image"]["width"], record["image"]["height"]) == (40, 48)
    assert len(record["image"]["sha256"]) == 64 and record["image"]["bytes"] > 0
    assert record["headers"]["stability-client-id"] == "app"
    assert record["key"].startswith("key_")
    assert len(record["request_id"]) == 32


def test_the_key_is_never_recorded(client: FlaskClient, upload: Callable[..., dict[str, Any]]) -> None:
    client.post(FAST_PATH, data=upload(png(40, 40)), headers=AUTH)
    client.post(FAST_PATH, data=upload(png(40, 40)), headers={"Authorization": API_KEY})
    body = client.get("/_mock/requests").get_data(as_text=True)
    assert API_KEY not in body
    records = client.get("/_mock/requests").get_json()["requests"]
    assert records[0]["headers"]["authorization"] == "Bearer " + records[0]["key"]
    assert records[1]["headers"]["authorization"] == records[1]["key"]


def test_invalid_calls_keep_their_verdict_and_fields(
    client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt="x", seed="1.5"), headers=AUTH)
    [record] = client.get("/_mock/requests").get_json()["requests"]
    assert record["status"] == 400 and record["valid"] is False
    assert record["errors"] == ["seed: must be an integer, got '1.5'"]
    assert record["fields"] == {"prompt": "x", "seed": "1.5"}


def test_unauthenticated_and_unknown_calls_are_recorded_too(client: FlaskClient) -> None:
    client.get("/v2beta/results/abc")
    client.get("/v2beta/invented/path", headers=AUTH)
    records = client.get("/_mock/requests").get_json()["requests"]
    assert [(r["status"], r["operation"], r["valid"], r["key"]) for r in records] == [
        (401, "getUpscaleResult", True, None),
        (404, None, None, records[1]["key"]),
    ]
    assert records[0]["generation_id"] == "abc"


def test_async_records_carry_the_generation_id(client: FlaskClient, upload: Callable[..., dict[str, Any]]) -> None:
    generation_id = client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt="x"), headers=AUTH).get_json()["id"]
    client.get(f"/v2beta/results/{generation_id}", headers=AUTH)
    records = client.get("/_mock/requests").get_json()["requests"]
    assert [r["generation_id"] for r in records] == [generation_id, generation_id]


def test_admin_calls_and_the_spec_are_not_journaled(client: FlaskClient) -> None:
    client.get("/_mock/faults")
    client.get("/_mock/health")
    client.get("/openapi.yml")
    assert client.get("/_mock/requests").get_json()["requests"] == []


def test_filters_and_limit(client: FlaskClient, upload: Callable[..., dict[str, Any]]) -> None:
    client.post(FAST_PATH, data=upload(png(40, 40)), headers=AUTH)
    client.post(FAST_PATH, data=upload(png(40, 40)), headers={"Authorization": "Bearer other"})
    client.post(FAST_PATH, data=upload(png(8, 8)), headers=AUTH)
    client.get("/v2beta/results/x", headers=AUTH)

    def count(query: str) -> int:
        return len(client.get(f"/_mock/requests?{query}").get_json()["requests"])

    assert count("operation=upscaleImageFast") == 3
    assert count("status=400") == 1
    assert count(f"key={API_KEY}") == 3
    assert count("key=other&status=200") == 1
    assert count("limit=2") == 2
    bad = client.get("/_mock/requests?limit=0")
    assert bad.status_code == 400
    assert bad.get_json()["errors"] == ["limit: must be ≥ 1"]


@pytest.mark.parametrize("config", [Config(store="memory://", journal_size=3)])
def test_journal_is_bounded_oldest_dropped(client: FlaskClient) -> None:
    for index in range(5):
        client.get(f"/v2beta/results/id{index}", headers=AUTH)
    records = client.get("/_mock/requests").get_json()["requests"]
    assert [r["generation_id"] for r in records] == ["id2", "id3", "id4"]


def test_clearing(client: FlaskClient) -> None:
    client.get("/v2beta/results/x", headers=AUTH)
    assert client.delete("/_mock/requests").get_json() == {"deleted": 1}
    assert client.get("/_mock/requests").get_json()["requests"] == []


def test_image_that_is_not_an_image_is_summarised_without_format(client: FlaskClient) -> None:
    data = {"image": (io.BytesIO(b"not an image"), "x.png", "image/png")}
    client.post(FAST_PATH, data=data, headers=AUTH)
    [record] = client.get("/_mock/requests").get_json()["requests"]
    assert record["image"]["format"] is None and record["image"]["bytes"] == 12


def test_secret_headers_are_masked_in_the_journal(client: FlaskClient) -> None:
    headers = {
        "Authorization": "Bearer sk-test-key",
        "X-Admin-Token": "admin-secret",
        "Proxy-Authorization": "Basic proxy-secret",
    }
    client.get("/v2beta/results/unknown-id", headers=headers)
    [record] = client.get("/_mock/requests").get_json()["requests"]
    assert record["headers"]["x-admin-token"] == "<redacted>"
    assert record["headers"]["proxy-authorization"] == "<redacted>"
    assert "secret" not in str(record)


def test_every_secret_header_is_masked_whatever_its_case() -> None:
    from mockserver.pipeline.journal import redacted_headers

    shown = redacted_headers(
        [("COOKIE", "session=1"), ("x-Admin-Token", "t"), ("Proxy-Authorization", "p"), ("X-Api-Key", "k")]
    )
    assert shown == {
        "cookie": "<redacted>",
        "x-admin-token": "<redacted>",
        "proxy-authorization": "<redacted>",
        "x-api-key": "<redacted>",
    }


def test_long_texts_are_clipped_and_say_how_long_they_were(
    client: FlaskClient, upload: Callable[..., dict[str, Any]]
) -> None:
    prompt = "a" * 1_000_000
    client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt=prompt), headers={**AUTH, "x-long": "h" * 5000})
    [record] = client.get("/_mock/requests").get_json()["requests"]
    assert record["status"] == 400
    assert record["fields"]["prompt"] == "a" * 1000 + "… (1,000,000 characters)"
    assert record["headers"]["x-long"] == "h" * 1000 + "… (5,000 characters)"


def test_thirty_calls_with_one_megabyte_prompts_keep_the_journal_small(
    client: FlaskClient, upload: Callable[..., dict[str, Any]], app: Flask
) -> None:
    """The probe's finding 3: 30 rejected 9.5 MB prompts added 282 MB to the journal."""
    for number in range(30):
        client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt=f"{number}" + "é" * 1_000_000), headers=AUTH)
    store = services_of(app).store
    records = store.records(RecordQuery())
    assert len(records) == 30
    assert max(len(json.dumps(record)) for record in records) <= RECORD_LIMIT_BYTES
    assert len(client.get("/_mock/requests").get_data()) < 30 * 12 * 1024


def test_a_record_stays_under_its_byte_limit_whatever_it_holds() -> None:
    huge = {
        "path": "/p" * 50_000,
        "errors": ["\U0001f600" * 5000] * 500,
        "headers": {f"h{number}" * 40: "\U0001f600" * 5000 for number in range(200)},
        "fields": {f"f{number}": "\u00e9" * 5000 for number in range(200)},
        "generation_id": "g" * 9000,
        "status": 400,
    }
    record = bounded(huge)
    assert len(json.dumps(record)) <= RECORD_LIMIT_BYTES
    assert record["status"] == 400


def test_a_text_exactly_at_the_limit_is_kept_whole() -> None:
    assert clipped("a" * 1000) == "a" * 1000
    assert clipped("a" * 1001) == "a" * 1000 + "… (1,001 characters)"


def test_a_record_still_too_big_once_clipped_keeps_a_tenth_of_each_text() -> None:
    record = bounded(
        {
            "path": "/x",
            "errors": ["\U0001f600" * 5000] * 64,
            "headers": {f"h{number}" * 40: "v" for number in range(20)},
            "fields": {},
            "generation_id": None,
        }
    )
    assert record["errors"][:16] == ["\U0001f600" * 100 + "… (1,020 characters)"] * 16
    assert len(record["errors"]) == len(record["headers"]) == 17
    assert next(iter(record["headers"])) == "h0" * 25 + "… (80 characters)"
    assert len(json.dumps(record)) <= RECORD_LIMIT_BYTES


def test_a_record_too_big_even_then_keeps_a_note_instead_of_its_texts() -> None:
    huge = {
        "path": "/p" * 50_000,
        "errors": ["\U0001f600" * 5000] * 500,
        "headers": {f"h{number}" * 40: "\U0001f600" * 5000 for number in range(200)},
        "generation_id": "g" * 9000,
        "status": 400,
    }
    note = "dropped: more than 32,768 bytes once clipped"
    assert bounded(huge) == {
        "path": "/p" * 50 + "… (120 characters)",
        "errors": [note],
        "headers": {},
        "fields": {"…": note},
        "generation_id": None,
        "status": 400,
    }


def test_a_journal_answer_keeps_the_newest_records_that_fit_its_byte_bound(client: FlaskClient) -> None:
    from mockserver.web.routes.admin import newest_within

    records = [{"n": number, "padding": "x" * 30_000} for number in range(1000)]
    kept = newest_within(records, 1024 * 1024)
    assert kept == records[-len(kept) :]
    assert 30 <= len(kept) <= 35
    assert newest_within(records[:10], 1024 * 1024) == records[:10]
    answer = client.get("/_mock/requests").get_json()
    assert answer == {"requests": [], "truncated": False}


def _kept(part: str, values: list[str] | dict[str, str]) -> Any:
    return bounded({"path": "/x", "errors": [], "headers": {}, "fields": {}, part: values})[part]


def test_exactly_entry_limit_entries_are_kept_whole_and_past_it_the_rest_are_counted() -> None:
    errors = [f"e{number}" for number in range(1064)]
    assert _kept("errors", errors[:64]) == errors[:64]
    assert _kept("errors", errors[:65]) == [*errors[:64], "… (1 more)"]
    assert _kept("errors", errors) == [*errors[:64], "… (1,000 more)"]
    fields = {f"f{number}": "v" for number in range(1064)}
    assert _kept("fields", dict(list(fields.items())[:64])) == dict(list(fields.items())[:64])
    assert _kept("fields", dict(list(fields.items())[:65])) == {**dict(list(fields.items())[:64]), "…": "1 more"}
    assert _kept("headers", fields) == {**dict(list(fields.items())[:64]), "…": "1,000 more"}


def _padded(record: dict[str, Any], size: int, room: int) -> dict[str, Any]:
    """``record`` with its path lengthened by at most ``room`` ASCII characters to serialize to exactly ``size`` bytes.

    Within ``room``, the path is one that neither tier of clipping shortens.
    """
    short = len(json.dumps(record))
    assert 0 <= size - short <= room
    return {**record, "path": record["path"] + "p" * (size - short)}


def test_a_record_of_exactly_the_byte_limit_is_kept_and_one_byte_more_is_clipped_harder() -> None:
    record = _padded(
        {"path": "/", "errors": [], "headers": {}, "fields": {f"f{n}": "a" * 1000 for n in range(32)}, "status": 400},
        RECORD_LIMIT_BYTES,
        room=999,
    )
    assert bounded(record) == record
    over = bounded({**record, "path": record["path"] + "p"})
    assert over["fields"] == {**{f"f{n}": "a" * 100 + "… (1,000 characters)" for n in range(16)}, "…": "16 more"}
    assert len(json.dumps(over)) < RECORD_LIMIT_BYTES


def test_a_record_clipped_harder_to_exactly_the_byte_limit_is_kept_and_one_byte_more_keeps_a_note() -> None:
    clipped_harder = _padded(
        {
            "path": "/",
            "errors": ["\U0001f600" * 100] * 16,
            "headers": {**{f"h{n}": "\U0001f600" * 100 for n in range(10)}, "h10": "\U0001f600" * 90},
            "fields": {"prompt": "x" * 100 + "… (1,000 characters)"},
            "generation_id": "g" * 100,
        },
        RECORD_LIMIT_BYTES,
        room=99,
    )
    record = {**clipped_harder, "fields": {"prompt": "x" * 1000}}
    assert len(json.dumps(record)) > RECORD_LIMIT_BYTES
    assert bounded(record) == clipped_harder
    over = bounded({**record, "path": record["path"] + "p"})
    assert over["errors"] == ["dropped: more than 32,768 bytes once clipped"]


@pytest.mark.parametrize(
    "texts",
    [
        {"fields": {f"f{n}": "\U0001f600" * 1000 for n in range(3)}},
        {"path": "\U0001f600" * 1000, "generation_id": "\U0001f600" * 1000, "fields": {"f": "\U0001f600" * 1000}},
        {"path": "\U0001f600" * 2000, "fields": {"f": "\U0001f600" * 1000, "g": "\U0001f600" * 728}},
    ],
    ids=["fields", "texts-and-a-field", "path-and-fields"],
)
def test_a_record_over_the_byte_limit_is_never_kept_whole_wherever_its_text_is(texts: dict[str, Any]) -> None:
    record = bounded({"path": "/", "errors": [], "headers": {}, "fields": {}, "generation_id": None, **texts})
    assert len(json.dumps(record)) <= RECORD_LIMIT_BYTES
    assert all(len(value) <= 120 for value in record["fields"].values())
