"""The proxy's admin guard refuses exactly what the app routes to its own endpoints, however the path is spelt.

The guard once read the raw target while the app read the server's decoding, so
``/%5Fmock/…``, ``//_mock/…`` and ``/_mock%2F…`` went through the proxy to the
admin API (``../shared/reviews/local-server-probe.md``, finding 3). Both now read
:func:`mockserver.util.paths.canonical_path`; Hypothesis spells each of the mock's
paths in the ways a client could (escapes in either case, doubled escapes, runs of
slashes, dot segments, encoded slashes, another case, a query or fragment that
names ``/_mock``) and checks, for each spelling, the guard's verdict against the
route the real app takes.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import flask
import h11
import pytest
from flask.testing import FlaskClient
from gunicorn.util import split_request_uri, unquote_to_wsgi_str
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from bench.harness.server import running_server
from mockserver import Config, MemoryStore, create_app
from mockserver.errors import BadRequest, Forbidden, RouteNotFound
from mockserver.interception.proxy import INTERCEPTED_HOSTS
from mockserver.interception.session import Session
from mockserver.util.paths import EncodedSlash, canonical_path, under

#: Paths the mock answers under its own prefix, and paths of the API (which the proxy must forward).
OWN = ["/_mock/settings", "/_mock/requests", "/_mock/reset", "/_mock/faults", "/_mock/health", "/_mock/ui/", "/_mock"]
API = ["/v2beta/stable-image/upscale/fast", "/v2beta/results/" + "a" * 64, "/v1/user/balance", "/openapi.json", "/"]
SEPARATORS = ["/", "//", "///", "/./", "/x/../", "%2F", "%2f", "/%2e/", "/%2E%2E/"]
QUERIES = ["", "?next=/_mock/settings", "#/_mock/settings", "?a=%2F"]

APP = create_app(Config(store="memory://"), store=MemoryStore())
#: A proxy session for a client on another machine (its owner is only asked for the settings).
REMOTE = Session(
    SimpleNamespace(settings=SimpleNamespace(hosts=INTERCEPTED_HOSTS, idle_seconds=5)), ("192.0.2.10", 4000)
)


@st.composite
def spelt_char(draw: st.DrawFn, char: str) -> str:
    """One character as a client may send it: itself, escaped in either case, escaped twice, or in the other case."""
    if draw(st.integers(0, 7)):
        return char
    code = f"{ord(char):02X}"
    return draw(
        st.sampled_from([f"%{code}", f"%{code.lower()}", f"%{code[0]}{code[1].lower()}", f"%25{code}", char.swapcase()])
    )


@st.composite
def spellings(draw: st.DrawFn) -> str:
    """A request target naming one of the mock's paths, spelt oddly."""
    path = draw(st.sampled_from(OWN + API))
    target = ""
    for segment in path.split("/")[1:]:
        target += "/" if draw(st.integers(0, 3)) else draw(st.sampled_from(SEPARATORS))
        target += "".join(draw(spelt_char(char)) for char in segment)
    absolute = draw(st.sampled_from(["", "https://api.stability.ai", "http://api.stability.ai:80"]))
    return absolute + target + draw(st.sampled_from(QUERIES))


def guard(target: str) -> str:
    """What the proxy does with ``target`` from another machine: ``refused`` (the admin guard),
    ``not found`` (an encoded slash), ``not proxied`` (not a target it forwards at all) or ``forwarded``."""
    tunnel = None if target.startswith("http") else "api.stability.ai"
    request = h11.Request(method="GET", target=target, headers=[("Host", "api.stability.ai")])
    try:
        REMOTE._route(request, tunnel)
    except Forbidden as refusal:
        return "refused" if refusal.errors[0].startswith("client:") else "not proxied"
    except RouteNotFound:
        return "not found"
    except BadRequest:
        return "not proxied"
    return "forwarded"


def routed(target: str) -> tuple[str, str | None, int]:
    """The path the app routes ``target`` on, the rule it matched, and its answer's status.

    The environ is as gunicorn fills it: ``RAW_URI`` is the target as sent, and
    ``PATH_INFO`` gunicorn's own decoding of it (``//`` kept, ``%2F`` a slash).
    """
    decoded = unquote_to_wsgi_str(split_request_uri(target).path)
    client = FlaskClient(APP, APP.response_class)
    with client:
        answer = client.get("/", environ_overrides={"RAW_URI": target, "PATH_INFO": decoded})
        answer.close()  # a file of the dashboard is sent from an open file
        rule = flask.request.url_rule
        return flask.request.path, None if rule is None else rule.rule, answer.status_code


@settings(max_examples=400, deadline=None)
@given(spellings())
@example("/%5Fmock/settings")
@example("/%5fmock/reset")
@example("//_mock/settings")
@example("/_mock%2Fsettings")
@example("/_mock%2fsettings")
@example("https://api.stability.ai/%5Fmock/settings")
@example("https://api.stability.ai//_mock/settings")
@example("/x/../_mock/settings")
@example("/%255Fmock/settings")
@example("/_MOCK/settings")
def test_the_guard_refuses_exactly_what_the_app_routes_to_its_own_endpoints(target: str) -> None:
    verdict = guard(target)
    event(f"proxy: {verdict}")
    if verdict == "not proxied":
        # ``https://api.stability.ai%2F_mock/…`` names another host; ``%2F_mock`` is no origin-form target.
        return
    path, rule, status = routed(target)
    event(f"app: {'no route' if rule is None else 'own endpoint' if under(rule, '/_mock') else 'API route'}")
    if verdict == "not found":
        # An encoded slash: neither routes it, and both say why in the same words.
        assert status == 404 and rule is None
        return
    assert (verdict == "refused") == under(path, "/_mock"), (target, path)
    if rule is not None and under(rule, "/_mock"):
        assert verdict == "refused", (target, rule)


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("/%5Fmock/settings", "/_mock/settings"),
        ("/%5fmock//settings?a=%2F#x", "/_mock/settings"),
        ("//_mock/settings", "/_mock/settings"),
        ("https://api.stability.ai//%5Fmock/faults?x=1", "/_mock/faults"),
        ("/%255Fmock/settings", "/%5Fmock/settings"),
        ("/x/../_mock/settings", "/x/../_mock/settings"),
        ("/caf%C3%A9", "/caf\N{LATIN CAPITAL LETTER A WITH TILDE}\N{COPYRIGHT SIGN}"),
        ("", "/"),
    ],
)
def test_canonical_paths(target: str, path: str) -> None:
    assert canonical_path(target) == path


@pytest.mark.parametrize("target", ["/_mock%2Fsettings", "/_mock%2fsettings", "https://api.stability.ai/a%2Fb"])
def test_an_encoded_slash_is_refused(target: str) -> None:
    with pytest.raises(EncodedSlash, match="holds an encoded slash"):
        canonical_path(target)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("paths")
    with running_server("--data-dir", str(data), "--store", "memory://", log=Path(data) / "server.log") as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "status", "name"),
    [
        ("/%5Fmock/settings", 200, None),
        ("//_mock/settings", 200, None),
        ("/_mock//settings", 200, None),
        ("/_mock%2Fsettings", 404, "not_found"),
        ("/v2beta/results/a%2Fb", 404, "not_found"),
    ],
)
def test_gunicorn_serves_the_canonical_path(served: str, target: str, status: int, name: str | None) -> None:
    """The real server's decoding (``//`` kept, ``%2F`` made a slash) is not what the app routes on."""
    host, port = served.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", target)  # sent as written: no client-side normalising
        answer = connection.getresponse()
        assert answer.status == status
        assert json.loads(answer.read()).get("name") == name
    finally:
        connection.close()
