"""gunicorn's own refusals (400, 414, 431, …) in the API's JSON error shape rather than HTML pages.

gunicorn decides the status of a request it cannot parse and writes an HTML
page; the worker (:mod:`mockserver.serving.worker`) lets it decide and log, catches the
page in an :class:`HtmlPage`, and sends :func:`api_error_for`'s answer instead.
"""

from __future__ import annotations

import json
import uuid

from mockserver.errors import (
    ERROR_FOR_STATUS,
    ApiError,
    BadRequest,
    ExpectationFailed,
    Forbidden,
    HeadersTooLarge,
    RequestTimeout,
    UriTooLong,
)

#: gunicorn's refusals (the status it would answer) → the API error answered instead.
ENGINE_ERRORS: dict[int, type[ApiError]] = {
    **ERROR_FOR_STATUS,
    400: BadRequest,
    403: Forbidden,
    408: RequestTimeout,
    414: UriTooLong,
    417: ExpectationFailed,
    431: HeadersTooLarge,
}


def error_bytes(error: ApiError, reason: str) -> bytes:
    """A whole HTTP/1.1 answer, closing the connection, with ``error`` as its JSON body."""
    body = json.dumps(error.body(uuid.uuid4().hex)).encode()
    head = (
        f"HTTP/1.1 {error.status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class HtmlPage:
    """Stands in for the client socket while gunicorn writes its HTML error page, to learn the status it chose."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data

    def send(self, data: bytes) -> int:
        self.data += data
        return len(data)


def api_error_for(page: HtmlPage, exc: BaseException) -> tuple[ApiError, str]:
    """The API error (and reason phrase) for the page gunicorn wrote about ``exc``."""
    status_line = page.data.split(b"\r\n", 1)[0].decode("latin-1")
    _, status_text, reason = [*status_line.split(" ", 2), "", ""][:3]
    status = int(status_text) if status_text.isdigit() else 500
    error = ENGINE_ERRORS.get(status)
    detail = (str(exc) or type(exc).__name__)[:200]
    if error is None or status >= 500:
        return ERROR_FOR_STATUS[500](), "Internal Server Error"
    return error([f"request: {detail}"]), reason or "Error"
