"""Raw HTTP thrown at the mock on gunicorn: every request answered, below 500, in the API's shape.

Prism's process exits on one malformed multipart part; this mock must answer
anything a socket can carry. ``python -m bench.fuzzing`` runs the same strategies for
10,000 requests; the regression tests below pin the bugs that fuzzing found.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from bench.fuzzing.checks import error_shape_problems, problems
from bench.fuzzing.http_strategies import RawRequest, raw_requests
from bench.fuzzing.multipart import Part, encode
from bench.fuzzing.wire import RawResponse, exchange
from bench.harness.processes import server_processes
from bench.harness.server import running_server
from tests.conftest import AUTH, FAST_PATH
from tests.images import decoded, png

pytestmark = pytest.mark.slow

EXAMPLES = 300


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("fuzz")
    log = folder / "server.log"
    with running_server("--data-dir", str(folder), "--target-pixels", "65536", log=log) as url:
        yield url, log


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("fuzz-live")
    log = folder / "server.log"
    options = ("--profile", "live", "--data-dir", str(folder), "--target-pixels", "65536")
    with running_server(*options, log=log) as url:
        yield url, log


def port_of(url: str) -> int:
    return int(urlsplit(url).port or 0)


def test_raw_requests_are_all_answered_well_and_the_server_survives(server: tuple[str, Path]) -> None:
    """Every answer below 500 and, from the app, in the API's error shape. The only answers
    accepted from gunicorn's HTTP layer itself (400, 414, 417, 431, or no answer), and for
    which requests, are listed in ``bench/fuzzing/checks.py``."""
    answered_well_throughout(*server, examples=EXAMPLES)


def test_the_live_profile_answers_raw_requests_as_well(live_server: tuple[str, Path]) -> None:
    """The same campaign, shorter, against the live profile (synchronous conservative, account paths)."""
    answered_well_throughout(*live_server, examples=EXAMPLES // 2)


def answered_well_throughout(url: str, log: Path, examples: int) -> None:
    before = server_processes(url)
    sent: list[str] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(raw_requests())
    def answered_well(request: RawRequest) -> None:
        result = exchange(port_of(url), request.data, method=request.method, timeout=20)
        sent.append(request.kind)
        found = problems(request, result)
        assert not found, f"{request.kind} request {request.data[:400]!r}: {found}"

    answered_well()
    assert len(sent) >= examples
    assert set(sent) == {"valid", "multipart", "framing", "headers", "line", "admin"}
    assert requests.get(f"{url}/_mock/health", timeout=10).status_code == 200
    # No worker died (and was quietly replaced by the master) along the way.
    assert server_processes(url) == before
    assert "Traceback" not in log.read_text(errors="replace")


# --- regressions found by fuzzing ------------------------------------------------------------


def app_answer(url: str, raw: bytes) -> RawResponse:
    """The app's first answer to ``raw``, checked to be in the API's error shape."""
    result = exchange(port_of(url), raw)
    assert result.first is not None, result
    request_id = result.first.header("x-request-id")
    assert request_id is not None, result.first
    assert error_shape_problems(result.first, request_id) == []
    return result.first


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\n--b\r\n0\r\n\r\n", b"5\r\n--b\r\nXX0\r\n\r\n", b"5\n--b\n0\n\n", b"10\r\n--b\r\n"],
    ids=["bad-size", "bad-terminator", "bare-lf", "cut-mid-chunk"],
)
@pytest.mark.parametrize("target", [FAST_PATH, "/_mock/faults"])
def test_a_chunked_body_the_server_cannot_undo_is_a_400_not_a_500(
    server: tuple[str, Path], chunks: bytes, target: str
) -> None:
    """gunicorn's chunk reader raised from inside ``request.get_data()``, and the edge answered 500."""
    url, _ = server
    raw = (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-fuzz\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode() + chunks
    answer = app_answer(url, raw)
    assert answer.status == 400
    assert json.loads(answer.body)["errors"] == [
        "body: could not be read (malformed chunked transfer-encoding, or the body was cut short)"
    ]


@pytest.mark.parametrize("coding", [b"foo", b"foo, chunked", b"x-custom"])
def test_an_unknown_transfer_coding_is_a_400_from_the_http_layer_not_a_501(
    server: tuple[str, Path], coding: bytes
) -> None:
    url, _ = server
    raw = b"POST " + FAST_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: " + coding + b"\r\n\r\n"
    result = exchange(port_of(url), raw)
    assert result.first is not None
    assert result.first.status == 400


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        ("multipart/form-data; boundary=xyz;", b"xyz"),
        ('multipart/form-data; boundary="a=b"', b"a=b"),
        ('multipart/form-data; boundary="a;b"', b"a;b"),
        ("multipart/form-data; charset=utf-8; boundary=q; x", b"q"),
    ],
)
def test_content_type_parameters_openapi_core_cannot_split_still_upload(
    client: FlaskClient, content_type: str, boundary: bytes
) -> None:
    """openapi-core split the parameters on ';' and '=' by hand: ValueError, a 500, for legal headers."""
    body = encode([Part(name=b"image", payload=png(64, 64), filename=b"a.png", content_type=b"image/png")], boundary)
    response = client.post(FAST_PATH, data=body, headers={**AUTH, "Content-Type": content_type})
    assert response.status_code == 200
    assert decoded(response.data).size == (256, 256)


def test_a_trailing_semicolon_without_a_boundary_is_a_400(client: FlaskClient) -> None:
    response = client.post(FAST_PATH, data=b"--b--\r\n", headers={**AUTH, "Content-Type": "multipart/form-data;"})
    assert response.status_code == 400
    assert response.get_json()["name"] == "bad_request"
