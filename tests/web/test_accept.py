"""Accept as RFC 9110 reads it: media ranges with parameters and q-values, decided on every answer."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mockserver.errors import BadRequest
from mockserver.web.negotiation import parse_accept, parse_media_type, quality, wants_json
from tests.conftest import AUTH, CONSERVATIVE_PATH, CREATIVE_PATH, FAST_PATH, Upload
from tests.images import png

UNACCEPTABLE = ["accept: must be image/* or application/json"]


@pytest.mark.parametrize(
    ("header", "as_json"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("image/*", False),
        ("image/png", False),
        ("application/json", True),
        ("application/json; type=image/png", True),
        ('application/json; type="image/png"', True),
        ("Application/JSON; Type=Image/PNG", True),
        ("application/*", True),
        ("image/png;q=0.9, */*;q=0.1", False),
        ("image/png;q=0.4, application/json;q=0.5", True),
        ("application/json, image/png", False),
        ("application/json;q=0, */*", False),
        ("image/*;q=0, */*", True),
        ("text/html, application/json;q=0.1", True),
        ("image/webp, application/json; type=image/png", True),
        ("image/png; q=abc, application/json", True),
    ],
)
def test_the_form_asked_for(header: str | None, as_json: bool) -> None:
    assert wants_json(header, "image/png") is as_json


@pytest.mark.parametrize(
    "header",
    [
        "text/html",
        "image/webp",
        "application/json; type=image/webp",
        "application/json;q=0, image/*;q=0",
        "*/*;q=0",
        "nonsense",
        "image",
        "*/png",
    ],
)
def test_nothing_acceptable_is_a_400(header: str) -> None:
    with pytest.raises(BadRequest) as caught:
        wants_json(header, "image/png")
    assert caught.value.errors == UNACCEPTABLE


def test_the_most_specific_range_gives_the_quality() -> None:
    ranges = parse_accept("*/*;q=0.1, image/*;q=0.5, image/png;q=0.8, application/json; type=image/png;q=0.3")
    assert quality(ranges, "image/png") == 0.8
    assert quality(ranges, "image/webp") == 0.5
    assert quality(ranges, "application/json; type=image/png") == 0.3
    assert quality(ranges, "application/json; type=image/jpeg") == 0.1


@pytest.mark.parametrize(
    "header",
    [
        "application/json;q=0.9, application/json; type=image/png;q=0.1",
        "application/json; type=image/png;q=0.1, application/json;q=0.9",
    ],
)
def test_a_range_with_parameters_beats_the_same_range_without(header: str) -> None:
    """RFC 9110 12.5.1: the most specific matching range gives the quality, whatever the order."""
    assert quality(parse_accept(header), "application/json; type=image/png") == 0.1
    assert quality(parse_accept(header), "application/json; type=image/jpeg") == 0.9
    assert wants_json(header + ", image/png;q=0.5", "image/png") is False


def test_more_parameters_are_more_specific() -> None:
    header = "application/json; type=image/png;q=0.2, application/json; type=image/png; charset=utf-8;q=0.7"
    for ranges in (parse_accept(header), parse_accept(header)[::-1]):
        assert quality(ranges, "application/json; type=image/png; charset=utf-8") == 0.7
        assert quality(ranges, "application/json; type=image/png") == 0.2


def test_specificity_orders_any_then_type_then_subtype_then_parameters() -> None:
    ranges = parse_accept("*/*, image/*, image/png, application/json; type=image/png, a/b; x=1; y=2")
    assert [item.specificity for item in ranges] == sorted(item.specificity for item in ranges)
    assert len({item.specificity for item in ranges}) == len(ranges)


@pytest.mark.parametrize("q", ["1.5", "1.01", "-1", "-0.1", "nan", "inf"])
def test_a_q_value_outside_0_to_1_drops_the_range(q: str) -> None:
    assert parse_accept(f"image/png;q={q}") == []
    assert wants_json(f"image/png;q={q}, application/json;q=0.1", "image/png") is True


@pytest.mark.parametrize(("q", "value"), [("0", 0.0), ("1", 1.0), ("0.001", 0.001), ("1.000", 1.0)])
def test_q_values_from_0_to_1_are_kept(q: str, value: float) -> None:
    assert [item.quality for item in parse_accept(f"image/png;q={q}")] == [value]


def test_malformed_ranges_are_dropped_and_the_rest_kept() -> None:
    ranges = parse_accept("image/, /png, */png, image, image/png;q=0.5")
    assert [(item.type, item.subtype, item.quality) for item in ranges] == [("image", "png", 0.5)]


@pytest.mark.parametrize(
    ("text", "value"),
    [('a/b; x=""', ""), ('a/b; x="', '"'), ('a/b; x="open', '"open'), ('a/b; x="a\\\\b"', "a\\b"), ("a/b; x= v ", "v")],
)
def test_odd_quoting_is_read_as_written(text: str, value: str) -> None:
    assert parse_media_type(text) == ("a/b", {"x": value})


def test_parameter_values_are_read_leniently() -> None:
    assert parse_media_type("application/json; type=image/png; charset=UTF-8") == (
        "application/json",
        {"type": "image/png", "charset": "UTF-8"},
    )
    assert parse_media_type('a/b; x="semi;colon \\"quoted\\""') == ("a/b", {"x": 'semi;colon "quoted"'})


def test_fast_honours_q_values(client: FlaskClient, upload: Upload) -> None:
    headers = {**AUTH, "Accept": "image/*;q=0.5, application/json; type=image/png"}
    response = client.post(FAST_PATH, data=upload(png(32, 32)), headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; type=image/png"


def test_a_poll_with_the_apis_own_json_media_type_gets_the_result(client: FlaskClient, upload: Upload) -> None:
    """The live API labels the envelope ``application/json; type=image/png``; clients send that back."""
    headers = {**AUTH, "Accept": "application/json; type=image/png"}
    started = client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt="a cat"), headers=headers)
    assert started.status_code == 200
    url = f"/v2beta/results/{started.get_json()['id']}"
    assert client.get(url, headers=headers).status_code == 202
    done = client.get(url, headers=headers)
    assert done.status_code == 200
    assert done.headers["content-type"] == "application/json; type=image/png"
    records = client.get("/_mock/requests").get_json()["requests"]
    assert [(r["status"], r["valid"]) for r in records] == [(200, True), (202, True), (200, True)]


@pytest.mark.parametrize("path", [CONSERVATIVE_PATH, CREATIVE_PATH])
def test_an_unusable_accept_is_refused_when_the_job_would_start(client: FlaskClient, upload: Upload, path: str) -> None:
    response = client.post(path, data=upload(png(64, 64), prompt="a cat"), headers={**AUTH, "Accept": "text/html"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == UNACCEPTABLE
    assert client.get("/_mock/jobs").get_json()["jobs"] == []


def test_the_accept_decision_is_made_on_a_pending_poll_too(client: FlaskClient, upload: Upload) -> None:
    started = client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt="a cat", output_format="webp"), headers=AUTH)
    url = f"/v2beta/results/{started.get_json()['id']}"
    pending_png_only = client.get(url, headers={**AUTH, "Accept": "image/png"})
    assert pending_png_only.status_code == 400
    assert pending_png_only.get_json()["errors"] == UNACCEPTABLE
    assert client.get(url, headers={**AUTH, "Accept": "image/webp"}).status_code == 200


def test_the_journal_verdict_agrees_with_a_400(client: FlaskClient, upload: Upload) -> None:
    client.post(FAST_PATH, data=upload(png(32, 32)), headers={**AUTH, "Accept": "text/html"})
    client.post(FAST_PATH, data=upload(png(16, 16)), headers=AUTH)
    client.post("/_mock/faults", json={"operation": "upscaleImageFast", "status": 400, "times": 1})
    client.post(FAST_PATH, data=upload(png(32, 32)), headers=AUTH)
    records = client.get("/_mock/requests").get_json()["requests"]
    assert [(r["status"], r["valid"]) for r in records] == [(400, False), (400, False), (400, True)]
    assert records[0]["errors"] == UNACCEPTABLE
    assert records[1]["errors"][0].startswith("image: each side must be at least 32 pixels")
    assert records[2]["errors"] == [] and records[2]["fault"] is not None
