"""How an answer to a fuzzed request is judged.

Every answer the app produces carries ``x-request-id`` (set in ``app._after``
for every response, errors included); an answer without it comes from the HTTP
layer. The HTTP layer (gunicorn's parser) answers on its own, with a short
``text/html`` page, only when it cannot parse the request at all, and then
only with:

- ``400``: an unparsable request line (bad method token, bad version, a raw
  space, control or non-ASCII byte in the target), a malformed or repeated
  framing header (two ``Content-Length``, a negative or non-decimal one, both
  ``Content-Length`` and ``Transfer-Encoding``, an unknown or stacked transfer
  coding, chunked on HTTP/1.0), a header with a control byte or a non-token
  name, a repeated ``Content-Type`` or ``Host``; and, after the app already
  answered, for a broken chunked body it then failed to skip;
- ``414``: a request line over 4094 bytes (a very long generation id);
- ``417``: an ``Expect`` other than ``100-continue``;
- ``431``: a header line over 8190 bytes or more than 100 headers.

That is accepted only for requests the strategies flag
(``RawRequest.http_layer_may_refuse``), and for answers after the first
(they answer bytes the server read past the first request, such as the rest
of a body longer than its ``Content-Length``). For such requests the HTTP
layer may also close without answering (an empty or cut request line). Every
other request must get an answer from the app, below 500, and every app error
in the API's shape; a baseline (a well-made call) must get the status it expects.
"""

from __future__ import annotations

import json
import re

from bench.fuzzing.http_strategies import RawRequest
from bench.fuzzing.wire import RawExchange, RawResponse

HTTP_LAYER_STATUSES = frozenset({400, 414, 417, 431})
ERROR_KEYS = {"id", "name", "message", "errors"}
#: Production's error shape (the live profile's API answers): no ``message``.
PRODUCTION_ERROR_KEYS = ERROR_KEYS - {"message"}
_HEX32 = re.compile(r"[0-9a-f]{32}")


def problems(request: RawRequest, exchange: RawExchange) -> list[str]:
    """Everything wrong with how the server answered ``request`` (empty when all is well)."""
    found = []
    if exchange.read_error == "timeout":
        found.append("no end of answer within the timeout (the server hung)")
    elif exchange.read_error is not None:
        found.append(f"reading the answer failed: {exchange.read_error}")
    if exchange.unparsed:
        found.append(f"answer cut off or garbled: {exchange.unparsed[:120]!r}")
    if not exchange.responses:
        if not request.http_layer_may_refuse and not found:
            found.append(f"connection closed without an answer (sending: {exchange.send_error or 'ok'})")
        return found
    if request.expect is not None and exchange.responses[0].status != request.expect:
        found.append(f"a baseline answered {exchange.responses[0].status}, not {request.expect}")
    for index, response in enumerate(exchange.responses):
        may_be_http_layer = index > 0 or request.http_layer_may_refuse
        head = index == 0 and request.method == "HEAD"
        found += [
            f"answer {index + 1} ({response.status}): {problem}"
            for problem in response_problems(response, may_be_http_layer=may_be_http_layer, head=head)
        ]
    return found


def response_problems(response: RawResponse, *, may_be_http_layer: bool, head: bool = False) -> list[str]:
    found = []
    if response.status >= 500:
        found.append("a 5xx")
    if b"Traceback" in response.body:
        found.append("a traceback in the body")
    request_id = response.header("x-request-id")
    if request_id is None:
        if not may_be_http_layer:
            found.append("answered by the HTTP layer, not the app, though the request parses")
        elif response.status not in HTTP_LAYER_STATUSES:
            found.append(f"the HTTP layer answered {response.status}, not one of {sorted(HTTP_LAYER_STATUSES)}")
        return found
    if response.status >= 400 and not head:
        found += error_shape_problems(response, request_id)
    return found


def error_shape_problems(response: RawResponse, request_id: str) -> list[str]:
    """The API's error shape: JSON ``{"id": 32 hex, "name", "message", "errors": [strings]}``, or
    production's, without ``message`` (the live profile's answers)."""
    if not (response.header("content-type") or "").startswith("application/json"):
        return [f"error content-type is {response.header('content-type')!r}, not JSON"]
    try:
        body = json.loads(response.body)
    except ValueError:
        return [f"error body is not JSON: {response.body[:120]!r}"]
    if not isinstance(body, dict) or set(body) not in (ERROR_KEYS, PRODUCTION_ERROR_KEYS):
        return [f"error body is not {{id, name, [message,] errors}}: {response.body[:200]!r}"]
    found = []
    if not isinstance(body["id"], str) or not _HEX32.fullmatch(body["id"]):
        found.append(f"error id is not 32 hex: {body['id']!r}")
    elif body["id"] != request_id:
        found.append("error id differs from x-request-id")
    if not isinstance(body["name"], str) or not isinstance(body.get("message", ""), str):
        found.append("error name or message is not a string")
    errors = body["errors"]
    if not isinstance(errors, list) or not errors or not all(isinstance(line, str) for line in errors):
        found.append(f"errors is not a non-empty list of strings: {errors!r}")
    return found
