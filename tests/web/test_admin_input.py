"""Every bad admin input is a 400 (or a 413) with a clear line, at a bounded cost: never a 500."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from mockserver.openapi.json_bounds import MAX_DEPTH
from mockserver.web.admin_guard import ADMIN_MAX_BODY_BYTES, MAX_ERROR_LINES


@pytest.mark.parametrize(
    ("method", "path", "body", "line"),
    [
        ("PATCH", "/_mock/settings", {"rate_limit": 150}, "rate_limit: must be a string or null, got 150"),
        ("PATCH", "/_mock/settings", {"rate_limit": []}, "rate_limit: must be a string or null, got []"),
        ("PATCH", "/_mock/settings", {"credits": "x"}, "credits: must be an integer or null, got 'x'"),
        ("PATCH", "/_mock/settings", {"credits": 1.5}, "credits: must be an integer or null, got 1.5"),
        ("PATCH", "/_mock/settings", {"rate_limit": "0/10s"}, "rate_limit: '0/10s' must look like 150/10s"),
        ("POST", "/_mock/faults", {"status": 429, "times": "1"}, "times: must be an integer or null, got '1'"),
        (
            "POST",
            "/_mock/faults",
            {"job": {"pending_polls": "x"}},
            "job.pending_polls: must be an integer or null, got 'x'",
        ),
    ],
)
def test_a_wrong_type_on_a_nullable_field_is_a_400(
    client: FlaskClient, method: str, path: str, body: dict[str, Any], line: str
) -> None:
    response = client.open(path, method=method, json=body)
    assert response.status_code == 400
    assert response.get_json()["errors"] == [line]


def test_a_rate_limit_with_a_trailing_newline_is_refused(client: FlaskClient) -> None:
    response = client.patch("/_mock/settings", json={"rate_limit": "150/10s\n"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["rate_limit: '150/10s\\n' must look like 150/10s"]
    assert client.get("/_mock/settings").get_json()["rate_limit"] is None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_a_deeply_nested_body_is_a_400(client: FlaskClient, depth: int) -> None:
    body = '{"moderation_words": ' + "[" * depth + "]" * depth + "}"
    response = client.patch("/_mock/settings", data=body, content_type="application/json")
    assert response.status_code == 400
    (line,) = response.get_json()["errors"]
    assert line.endswith(f"JSON nested deeper than {MAX_DEPTH} levels"), line


def test_a_huge_status_filter_is_a_400(client: FlaskClient) -> None:
    response = client.get("/_mock/requests?status=99999999999999999999")
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["status: must be ≤ 599"]


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_a_body_past_the_admin_limit_is_a_413(client: FlaskClient, announced: bool) -> None:
    body = json.dumps({"moderation_words": ["w" * 100] * (ADMIN_MAX_BODY_BYTES // 100)}).encode()
    if announced:
        response = client.patch("/_mock/settings", data=body, content_type="application/json")
    else:
        # No Content-Length: the limit holds while the body is read.
        response = client.patch(
            "/_mock/settings",
            input_stream=io.BytesIO(body),
            content_type="application/json",
            environ_overrides={"wsgi.input_terminated": True},
        )
    assert response.status_code == 413
    answer = response.get_json()
    assert answer["name"] == "payload_too_large"
    assert answer["errors"] == ["body: admin payloads cannot be larger than 1MiB in size"]


def test_a_long_list_is_refused_in_one_line_before_validation(client: FlaskClient) -> None:
    body = json.dumps({"moderation_words": [1] * 300_000})
    response = client.patch("/_mock/settings", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["moderation_words: must have at most 1,000 items"]


def test_the_error_list_is_capped_with_a_count(client: FlaskClient) -> None:
    response = client.patch("/_mock/settings", json={"moderation_words": list(range(1000))})
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert len(errors) == MAX_ERROR_LINES + 1
    assert errors[0] == "moderation_words.0: must be a string, got 0"
    assert errors[-1] == f"… and {1000 - MAX_ERROR_LINES} more"


@pytest.mark.parametrize(
    ("words", "line"),
    [
        (["w"] * 1001, "moderation_words: must have at most 1,000 items"),
        (["w" * 201], "moderation_words.0: must be at most 200 characters"),
    ],
)
def test_the_word_lists_are_bounded_by_the_schema(client: FlaskClient, words: list[str], line: str) -> None:
    response = client.patch("/_mock/settings", json={"moderation_words": words})
    assert response.status_code == 400
    assert response.get_json()["errors"] == [line]
    assert client.patch("/_mock/settings", json={"moderation_words": ["w" * 200] * 1000}).status_code == 200


def test_an_integer_written_with_a_zero_fraction_is_that_integer(client: FlaskClient) -> None:
    """JSON Schema counts 3.0 as an integer, so admin.yml accepts it: the mock does too (Schemathesis found it)."""
    settings = client.patch("/_mock/settings", json={"pending_polls": 3.0, "credits": 10.0})
    assert settings.status_code == 200, settings.get_json()
    assert (settings.get_json()["pending_polls"], settings.get_json()["credits"]) == (3, 10)
    fault = client.post("/_mock/faults", json={"status": 429, "retry_after": 5.0, "times": 2.0})
    assert fault.status_code == 201, fault.get_json()
    assert (fault.get_json()["retry_after"], fault.get_json()["times"]) == (5, 2)
    job = client.post("/_mock/faults", json={"job": {"pending_polls": 4.0}})
    assert job.get_json()["job"]["pending_polls"] == 4
