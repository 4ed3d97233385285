"""The live profile's document against the facts it was written from: Stability's own document.

The facts below were read from Stability's OpenAPI document (snapshot of
2026-09-22, ``docs/openapi-snapshot-2026-09-22.json`` in the public repository
``aself101/stability-ai-api``) and are kept here as data, so that an edit of
spec/live.yml that drifts from Stability's fields, bounds or statuses fails.
What the mock adds on top is listed too, and nothing else may be added.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.openapi import bundled_text
from mockserver.settings.profiles import LIVE, profile_document
from tests.openapi.spec_compat import resolve_refs

DOCUMENT = resolve_refs(profile_document(LIVE, bundled_text))

FAST = ("post", "/v2beta/stable-image/upscale/fast")
CONSERVATIVE = ("post", "/v2beta/stable-image/upscale/conservative")
CREATIVE = ("post", "/v2beta/stable-image/upscale/creative")
RESULTS = ("get", "/v2beta/results/{id}")
CREATIVE_RESULT = ("get", "/v2beta/stable-image/upscale/creative/result/{id}")
LEGACY = ("post", "/v2alpha/generation/stable-image/upscale")
LEGACY_RESULT = ("get", "/v2alpha/generation/stable-image/upscale/result/{id}")

IMAGES = {"image/jpeg", "image/png", "image/webp"}
STYLES = [
    "enhance", "anime", "photographic", "digital-art", "comic-book", "fantasy-art", "line-art", "analog-film",
    "neon-punk", "isometric", "low-poly", "origami", "modeling-compound", "cinematic", "3d-model", "pixel-art",
    "tile-texture",
]  # fmt: skip
PROMPT = {"type": "string", "minLength": 1, "maxLength": 10000}
NEGATIVE_PROMPT = {"type": "string", "maxLength": 10000}
SEED = {"minimum": 0, "maximum": 4294967294, "default": 0}
OUTPUT_FORMAT = {"type": "string", "enum": ["jpeg", "png", "webp"], "default": "png"}
CREATIVE_FIELDS: dict[str, dict[str, Any]] = {
    "prompt": PROMPT,
    "negative_prompt": NEGATIVE_PROMPT,
    "seed": SEED,
    "output_format": OUTPUT_FORMAT,
    "creativity": {"type": "number", "minimum": 0.1, "maximum": 0.5, "default": 0.3},
    "style_preset": {"type": "string", "enum": STYLES},
}

#: Per operation: its form's required fields and each field's constraints, as Stability states them.
FORMS: dict[tuple[str, str], tuple[set[str], dict[str, dict[str, Any]]]] = {
    FAST: ({"image"}, {"output_format": OUTPUT_FORMAT}),
    CONSERVATIVE: (
        {"image", "prompt"},
        {
            "prompt": PROMPT,
            "negative_prompt": NEGATIVE_PROMPT,
            "seed": SEED,
            "output_format": OUTPUT_FORMAT,
            "creativity": {"type": "number", "minimum": 0.2, "maximum": 0.5, "default": 0.35},
        },
    ),
    CREATIVE: ({"image", "prompt"}, CREATIVE_FIELDS),
    LEGACY: ({"image", "prompt"}, CREATIVE_FIELDS),
}

#: The statuses Stability lists for each operation, and those the mock adds (see spec/CHANGES.md).
STATUSES: dict[tuple[str, str], tuple[set[int], set[int]]] = {
    FAST: ({200, 400, 403, 413, 422, 429, 500}, {401, 402, 503}),
    CONSERVATIVE: ({200, 400, 403, 413, 422, 429, 500}, {401, 402, 503}),
    CREATIVE: ({200, 400, 403, 413, 422, 429, 500}, {401, 402, 503}),
    RESULTS: ({200, 202, 400, 404, 500}, {401, 429, 503}),
    CREATIVE_RESULT: ({200, 202, 400, 404, 500}, {401, 429, 503}),
    LEGACY: ({200, 400, 403, 500}, {401, 402, 413, 422, 429, 503}),
    LEGACY_RESULT: ({200, 202, 400, 403, 404, 500}, {401, 429, 503}),
}


def operation(where: tuple[str, str]) -> dict[str, Any]:
    method, path = where
    found: dict[str, Any] = DOCUMENT["paths"][path][method]
    return found


def form(where: tuple[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = operation(where)["requestBody"]["content"]["multipart/form-data"]["schema"]
    return found


@pytest.mark.parametrize("where", list(FORMS), ids=lambda where: where[1])
def test_each_form_has_stabilitys_fields_and_bounds(where: tuple[str, str]) -> None:
    required, fields = FORMS[where]
    schema = form(where)
    assert set(schema["required"]) == required
    assert set(schema["properties"]) == {"image", *fields}
    assert schema["properties"]["image"] == {**schema["properties"]["image"], "type": "string", "format": "binary"}
    for name, facts in fields.items():
        stated = schema["properties"][name]
        assert {key: stated.get(key) for key in facts} == facts, name


@pytest.mark.parametrize("where", list(STATUSES), ids=lambda where: where[1])
def test_each_operation_lists_stabilitys_statuses_and_only_the_mocks_additions(where: tuple[str, str]) -> None:
    stabilitys, added = STATUSES[where]
    assert {int(code) for code in operation(where)["responses"]} == stabilitys | added


@pytest.mark.parametrize("where", [FAST, CONSERVATIVE])
def test_fast_and_conservative_answer_the_image(where: tuple[str, str]) -> None:
    content = operation(where)["responses"]["200"]["content"]
    assert set(content) == {*IMAGES, "application/json"}
    assert set(content["application/json"]["schema"]["required"]) == {"image", "finish_reason"}


@pytest.mark.parametrize("where", [CREATIVE, LEGACY])
def test_async_uploads_answer_a_64_character_id_and_link_it_to_result_paths(where: tuple[str, str]) -> None:
    answer = operation(where)["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema["required"] == ["id"]
    assert (schema["properties"]["id"]["minLength"], schema["properties"]["id"]["maxLength"]) == (64, 64)
    linked = {link["operationId"] for link in answer["links"].values()}
    assert "getUpscaleResult" in linked and len(linked) == 2
    assert all(link["parameters"] == {"id": "$response.body#/id"} for link in answer["links"].values())


@pytest.mark.parametrize("where", [RESULTS, CREATIVE_RESULT, LEGACY_RESULT], ids=lambda where: where[1])
def test_result_paths_answer_202_then_the_image(where: tuple[str, str]) -> None:
    responses = operation(where)["responses"]
    pending = responses["202"]["content"]["application/json"]["schema"]
    assert set(pending["required"]) == {"id", "status"}
    assert pending["properties"]["status"]["enum"] == ["in-progress"]
    assert set(responses["200"]["content"]) == {*IMAGES, "application/json"}
    (parameter,) = [p for p in operation(where)["parameters"] if p["in"] == "path"]
    assert (parameter["schema"]["minLength"], parameter["schema"]["maxLength"]) == (64, 64)


def test_errors_are_stabilitys_shape() -> None:
    error = DOCUMENT["components"]["schemas"]["Error"]
    assert set(error["required"]) == set(error["properties"]) == {"id", "name", "errors"}
    assert error["properties"]["errors"]["minItems"] == 1
    moderated = operation(FAST)["responses"]["403"]["content"]["application/json"]["schema"]
    assert moderated["properties"]["name"]["enum"] == ["content_moderation"]


def test_the_key_is_an_api_key_header() -> None:
    assert DOCUMENT["security"] == [{"STABILITY_API_KEY": []}]
    scheme = DOCUMENT["components"]["securitySchemes"]["STABILITY_API_KEY"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "authorization")


def test_image_headers_are_documented_with_the_image_answers() -> None:
    for where in (FAST, CONSERVATIVE, RESULTS, CREATIVE_RESULT, LEGACY_RESULT):
        headers = operation(where)["responses"]["200"]["headers"]
        assert {"x-request-id", "finish-reason", "seed"} <= set(headers)
        assert headers["finish-reason"]["schema"]["enum"] == ["SUCCESS", "CONTENT_FILTERED"]
