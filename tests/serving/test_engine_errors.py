"""gunicorn's HTML error pages turned into the API's error answers."""

from __future__ import annotations

import json

import pytest

from mockserver.serving.engine_errors import HtmlPage, api_error_for, error_bytes


def _page(status_line: bytes) -> HtmlPage:
    page = HtmlPage()
    page.sendall(status_line + b"\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html></html>")
    return page


@pytest.mark.parametrize(
    ("status_line", "status", "name"),
    [
        (b"HTTP/1.1 400 Bad Request", 400, "bad_request"),
        (b"HTTP/1.1 414 URI Too Long", 414, "uri_too_long"),
        (b"HTTP/1.1 417 Expectation Failed", 417, "expectation_failed"),
        (b"HTTP/1.1 431 Request Header Fields Too Large", 431, "request_header_fields_too_large"),
        (b"HTTP/1.1 403 Forbidden", 403, "forbidden"),
        (b"HTTP/1.1 500 Internal Server Error", 500, "internal_error"),
        (b"garbage", 500, "internal_error"),
    ],
)
def test_each_status_gunicorn_chooses_has_an_api_error(status_line: bytes, status: int, name: str) -> None:
    error, _ = api_error_for(_page(status_line), ValueError("bad line"))
    assert (error.status, error.body()["name"]) == (status, name)


def test_the_answer_is_whole_json_and_closes_the_connection() -> None:
    error, reason = api_error_for(_page(b"HTTP/1.1 414 URI Too Long"), ValueError("x" * 500))
    head, _, body = error_bytes(error, reason).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert b"Connection: close" in head and b"Content-Type: application/json" in head
    assert int(head.split(b"Content-Length: ")[1]) == len(body)
    parsed = json.loads(body)
    assert parsed["errors"] == ["request: " + "x" * 200]
    assert len(parsed["id"]) == 32
