"""The upload shortcut's refusals are openapi-core's: the same lines, and the same 400 body, on generated uploads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver import Config, create_app
from mockserver.openapi import Spec, UploadShortcut, VerdictMemo
from mockserver.services import services_of
from tests.conftest import AUTH, CONSERVATIVE_PATH, FAST_PATH
from tests.images import png
from tests.openapi.test_spec_shortcut import (
    CLIENT_HEADERS,
    UNKNOWN_FIELDS,
    UNKNOWN_VALUES,
    multipart_body,
    upload_shortcut_verdict,
    value_near,
)

#: Parts that are not what a property wants: bytes a text field reads as odd text, text a number refuses.
ODD_PARTS: list[str | bytes] = [b"\xff\xfe", b"5", b"gif", "x" * 60, "1e999", "-1e999", "NaN", " 5", "1.5", ""]


@pytest.fixture(scope="module", params=["seed", "live"])
def profile_app(request: pytest.FixtureRequest) -> Flask:
    return create_app(Config(store="memory://", profile=request.param))


def operation_schema(spec: Spec, path: str) -> dict[str, Any]:
    operation_id = next(op for op, route in spec.operations.items() if route == ("POST", path))
    schema = spec.request_schema(operation_id)
    assert schema is not None
    return schema


@st.composite
def refused_uploads(draw: st.DrawFn, spec: Spec) -> dict[str, Any]:
    """Uploads of every operation with any number of things off: values, parts, headers, the key."""
    path = "/v2beta/stable-image/upscale/" + draw(st.sampled_from(["fast", "conservative", "creative"]))
    parts: list[tuple[str, str | bytes]] = []
    for name, prop in operation_schema(spec, path)["properties"].items():
        if name == "image":
            image = draw(st.sampled_from([png(8, 8), b"", b"not an image"]))
            sent = draw(st.sampled_from(["file", "file", "file", "none", "text", "twice", "text and file"]))
            by_kind: dict[str, list[tuple[str, str | bytes]]] = {
                "file": [(name, image)],
                "none": [],
                "text": [(name, "abc")],
                "twice": [(name, image)] * 2,
                "text and file": [(name, "abc"), (name, image)],
            }
            parts += by_kind[sent]
            continue
        how = draw(st.sampled_from(["near", "near", "near", "odd", "absent", "absent", "twice"]))
        if how == "near":
            parts.append((name, value_near(draw, prop)))
        elif how == "odd":
            parts.append((name, draw(st.sampled_from(ODD_PARTS))))
        elif how == "twice":
            first = value_near(draw, prop)
            again: list[str | bytes] = [value_near(draw, prop), b"x"]
            parts += [(name, first), (name, draw(st.sampled_from(again)))]
    if draw(st.integers(0, 5)) == 0:
        parts.append((draw(st.sampled_from(UNKNOWN_FIELDS)), draw(st.sampled_from(UNKNOWN_VALUES))))
    headers = {"Authorization": draw(st.sampled_from(["Bearer sk", "sk", ""]))} if draw(st.integers(0, 5)) else {}
    for name in draw(st.lists(st.sampled_from(CLIENT_HEADERS), unique=True, max_size=3)):
        value = draw(st.sampled_from(["app", "", "a" * 256, "a" * 257, "é" * 129, "é" * 128, "x,y" * 90]))
        headers[draw(st.sampled_from([name, name.upper()]))] = value
    body, content_type = multipart_body(draw(st.permutations(parts)))
    return {"path": path, "method": "POST", "headers": headers, "data": body, "content_type": content_type}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_refusals_the_shortcut_words_are_openapi_cores(profile_app: Flask, data: st.DataObject) -> None:
    spec = services_of(profile_app).spec
    upload_shortcut_verdict(profile_app, spec, data.draw(refused_uploads(spec)))


#: The common refusals, each taken by the shortcut itself: (path, parts, headers, the lines).
COMMON_REFUSALS: list[tuple[str, list[tuple[str, str | bytes]], dict[str, str], list[str]]] = [
    (FAST_PATH, [("output_format", "gif")], AUTH, ["output_format: must be one of: jpeg, png, webp"]),
    # No key: the fields are judged all the same (the key is checked after them, by the pipeline).
    (FAST_PATH, [("output_format", "gif")], {}, ["output_format: must be one of: jpeg, png, webp"]),
    (
        FAST_PATH,
        [("output_format", "png")],
        {**AUTH, "stability-client-id": "a" * 257},
        ["stability-client-id: must be at most 256 characters"],
    ),
    (
        FAST_PATH,
        [("output_format", "webp"), ("output_format", "png")],
        AUTH,
        ["output_format: sent 2 times; send each field once"],
    ),
    (
        CONSERVATIVE_PATH,
        [("seed", "-1"), ("creativity", "0.9"), ("negative_prompt", "n" * 10001)],
        AUTH,
        [
            "creativity: must be ≤ 0.5",
            "negative_prompt: must be at most 10000 characters",
            "prompt: required",
            "seed: must be ≥ 0",
        ],
    ),
    (
        CONSERVATIVE_PATH,
        [("prompt", ""), ("seed", "1.5"), ("creativity", "NaN")],
        AUTH,
        ["creativity: must be a number, got 'NaN'", "prompt: must not be empty", "seed: must be an integer, got '1.5'"],
    ),
]


@pytest.mark.parametrize(("path", "fields", "headers", "lines"), COMMON_REFUSALS)
def test_common_refusals_are_worded_by_the_shortcut(
    profile_app: Flask, path: str, fields: list[tuple[str, str | bytes]], headers: dict[str, str], lines: list[str]
) -> None:
    body, content_type = multipart_body([("image", png(8, 8)), *fields])
    made = {"path": path, "method": "POST", "headers": headers, "data": body, "content_type": content_type}
    assert upload_shortcut_verdict(profile_app, services_of(profile_app).spec, made) == ("invalid", lines)


@pytest.mark.parametrize(
    "parts",
    [
        [],  # an empty form: openapi-core decides what a missing body means
        [("image", png(8, 8)), ("output_format", "png"), ("extra", "1")],  # valid to openapi-core
    ],
)
def test_what_the_shortcut_cannot_word_goes_to_openapi_core(
    profile_app: Flask, parts: list[tuple[str, str | bytes]]
) -> None:
    body, content_type = multipart_body(parts)
    made = {"path": FAST_PATH, "method": "POST", "headers": AUTH, "data": body, "content_type": content_type}
    assert upload_shortcut_verdict(profile_app, services_of(profile_app).spec, made) is None


def test_headers_sharing_a_name_are_left_to_openapi_core() -> None:
    schema = {"type": "object", "properties": {"image": {"type": "string", "format": "binary"}}}
    headers = [
        {"name": name, "in": "header", "schema": {"type": "string", "maxLength": 4}} for name in ("X-Tag", "x-tag")
    ]
    operation = {
        "operationId": "upload",
        "parameters": headers,
        "requestBody": {"content": {"multipart/form-data": {"schema": schema}}},
    }
    check = UploadShortcut({"paths": {"/upload": {"post": operation}}}).checks["/upload"]
    assert check.header_names is None


def answers(app: Flask, made: dict[str, Any]) -> tuple[int, bytes, dict[str, Any]]:
    """Status, body (its random id blanked) and journal record of one call, through the whole app."""
    client = app.test_client()
    answer = client.post(made["path"], data=made["data"], content_type=made["content_type"], headers=made["headers"])
    body = answer.get_json(silent=True)
    data = answer.data.replace(body["id"].encode(), b"-") if isinstance(body, dict) and "id" in body else answer.data
    record = client.get("/_mock/requests").get_json()["requests"][0]
    volatile = ("time", "timestamp", "request_id", "duration_ms", "delivered")
    return answer.status_code, data, {key: value for key, value in record.items() if key not in volatile}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_answer_and_its_record_are_the_same_either_way(profile_app: Flask, data: st.DataObject) -> None:
    spec = services_of(profile_app).spec
    made = data.draw(refused_uploads(spec))
    shortcut, memo = spec.uploads, spec.verdicts
    spec.verdicts = VerdictMemo(0)
    try:
        taken = answers(profile_app, made)
        spec.uploads = UploadShortcut({})
        left = answers(profile_app, made)
    finally:
        spec.uploads, spec.verdicts = shortcut, memo
    assert taken == left, (made, json.loads(taken[1]) if taken[0] == 400 else taken[0])
