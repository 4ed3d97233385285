"""What a web page can make the mock do: nothing through another host name, and no admin writes from another site.

The requests are the ones a browser sends (see ``../shared/reviews/local-server-probe.md``,
findings 1 and 2): a DNS-rebinding page sends its own name as ``Host``; a form or a
``no-cors`` fetch on another site sends ``Origin`` and ``Sec-Fetch-Site``.
``test_browser_attacks.py`` makes Chromium send them.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import Config, MemoryStore, create_app
from mockserver.control.local import MockControl
from mockserver.errors import ConfigError
from mockserver.services import services_of
from tests.conftest import AUTH, FAST_PATH, FIXTURES, SMALL_TARGET, SpecCheckedClient, Upload

REBINDING = {"Host": "evil.example:8080"}
CROSS_SITE = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}


def control(app: Flask) -> MockControl:
    return MockControl(services_of(app))


def mock_for(**config: object) -> FlaskClient:
    app = create_app(Config(store="memory://", target_pixels=SMALL_TARGET, **config), store=MemoryStore())  # type: ignore[arg-type]
    app.test_client_class = SpecCheckedClient
    return app.test_client()


# Host: DNS rebinding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_mock/requests"),
        ("GET", "/_mock/settings"),
        ("PATCH", "/_mock/settings"),
        ("POST", "/_mock/reset"),
        ("GET", "/_mock/health"),
        ("GET", "/_mock/ui/"),
        ("GET", "/openapi.json"),
        ("POST", FAST_PATH),
        ("GET", "/no/such/path"),
    ],
)
def test_a_rebinding_host_gets_nothing_anywhere(app: Flask, method: str, path: str) -> None:
    control(app).update_settings(pending_polls=7)
    # Refused before routing, as the serving engine refuses a too-long request line: no
    # operation is reached, so no document lists this 403 (the spec-checked client would).
    client = FlaskClient(app, app.response_class)
    answer = client.open(path, method=method, headers={**REBINDING, **AUTH}, json={"pending_polls": 42})
    assert answer.status_code == 403
    body = answer.get_json()
    assert body["name"] == "host_not_allowed"
    assert body["errors"] == [
        "host: the mock does not answer for 'evil.example:8080'; start it with --allowed-host NAME"
        " (STABILITY_MOCK_ALLOWED_HOSTS) to reach it by that name"
    ]
    assert control(app).settings().pending_polls == 7
    # Not journaled either: a rebinding page cannot push the developer's records out.
    assert control(app).requests() == []


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8080",
        "LOCALHOST:8080",
        "localhost.:8080",
        "dashboard.localhost:8080",
        "127.0.0.1",
        "127.0.0.1:8080",
        "127.1.2.3:8080",
        "[::1]:8080",
        "[::1]",
        # Any address: only a page loaded from that address (the mock itself) sends it.
        "192.168.1.5:8080",
        "[2001:db8::1]:8080",
        "api.stability.ai",
    ],
)
def test_loopback_names_addresses_and_the_live_api_are_answered(client: FlaskClient, host: str) -> None:
    assert client.get("/_mock/settings", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "localhost.evil.example",
        "evillocalhost",
        "api.stability.ai.evil.example",
        "evil.example@127.0.0.1",
        "127.0.0.1 evil.example",
        "[::1",
        "[fe80::1%25eth0]",
        "",
    ],
)
def test_other_names_and_malformed_hosts_are_refused(client: FlaskClient, host: str) -> None:
    answer = client.get("/_mock/settings", headers={"Host": host})
    assert (answer.status_code, answer.get_json()["name"]) == (403, "host_not_allowed")


def test_allowed_hosts_are_names_subdomains_or_anything() -> None:
    client = mock_for(host="mock.lan", allowed_hosts=("mock", "*.ci.example"))
    for host in ("mock.lan:8080", "mock:8080", "MOCK", "runner-1.ci.example:8080"):
        assert client.get("/_mock/settings", headers={"Host": host}).status_code == 200, host
    for host in ("ci.example", "mock.evil.example", "evil.example"):
        assert client.get("/_mock/settings", headers={"Host": host}).status_code == 403, host
    assert mock_for(allowed_hosts=("*",)).get("/_mock/settings", headers=REBINDING).status_code == 200


def test_allowed_hosts_come_from_the_environment_and_are_checked() -> None:
    config = Config.from_env({"STABILITY_MOCK_ALLOWED_HOSTS": "mock, *.ci.example"})
    assert config.allowed_hosts == ("mock", "*.ci.example")
    for bad in ("mock:8080", "http://mock", "evil.*", "a b"):
        with pytest.raises(ConfigError, match=r"allowed_hosts: .* must be a host name without a port"):
            Config(allowed_hosts=(bad,))


# Cross-site requests to the admin API ------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(CROSS_SITE, id="cross-site"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="same-site (another port of localhost)"),
        pytest.param({"Origin": "http://evil.example"}, id="foreign origin, no sec-fetch"),
        pytest.param({"Origin": "http://localhost:3000"}, id="another local program"),
        pytest.param({"Origin": "null"}, id="opaque origin"),
    ],
)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_form_on_another_site_cannot_reset_the_mock(
    client: FlaskClient, app: Flask, headers: dict[str, str], content_type: str | None
) -> None:
    control(app).add_fault(operation="*", status=500)
    answer = client.post("/_mock/reset", headers=headers, data="x=y", content_type=content_type)
    assert answer.status_code == 403
    assert answer.get_json()["name"] == "cross_site_request"
    assert len(control(app).faults()) == 1


def test_every_admin_write_is_refused_cross_site(client: FlaskClient, app: Flask, upload: Upload) -> None:
    job = client.post("/v2beta/stable-image/upscale/conservative", data=upload(_sample(), prompt="a cat"), headers=AUTH)
    job_id = job.get_json()["id"]
    fault = control(app).add_fault(operation="*", status=500)
    writes = [
        ("PATCH", "/_mock/settings", {"pending_polls": 42}),
        ("POST", "/_mock/faults", {"operation": "*", "status": 429}),
        ("DELETE", f"/_mock/faults/{fault.id}", None),
        ("DELETE", "/_mock/faults", None),
        ("DELETE", "/_mock/requests", None),
        ("PUT", "/_mock/credits/sk-x", {"balance": 1}),
        ("POST", f"/_mock/jobs/{job_id}/complete", None),
        ("POST", f"/_mock/jobs/{job_id}/fail", None),
        ("POST", "/_mock/reset", None),
    ]
    for method, path, body in writes:
        answer = client.open(path, method=method, headers=CROSS_SITE, json=body)
        assert (answer.status_code, answer.get_json()["name"]) == (403, "cross_site_request"), path
    assert [view.id for view in control(app).jobs()] == [job_id]
    assert control(app).faults() == [fault]
    assert control(app).settings().pending_polls != 42


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="a script (no browser headers)"),
        pytest.param({"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}, id="the dashboard"),
        pytest.param({"Sec-Fetch-Site": "none"}, id="typed in the address bar"),
    ],
)
def test_the_dashboard_and_scripts_still_write(client: FlaskClient, app: Flask, headers: dict[str, str]) -> None:
    control(app).add_fault(operation="*", status=500)
    assert client.post("/_mock/reset", headers=headers).status_code == 200
    assert control(app).faults() == []


def test_reads_are_not_refused_cross_site(client: FlaskClient) -> None:
    """A page elsewhere cannot read the answer (no CORS headers); refusing it would only break links."""
    assert client.get("/_mock/settings", headers=CROSS_SITE).status_code == 200


def test_a_reverse_proxy_name_given_as_allowed_host_may_write() -> None:
    """Behind a proxy that rewrites Host, the dashboard's Origin is the proxy's name."""
    client = mock_for(allowed_hosts=("mock.example.com",))
    behind = {"Host": "127.0.0.1:8080", "Origin": "https://mock.example.com", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/_mock/reset", headers=behind).status_code == 200
    elsewhere = {"Host": "127.0.0.1:8080", "Origin": "https://evil.example"}
    assert client.post("/_mock/reset", headers=elsewhere).status_code == 403


# Cross-site API calls are answered but not journaled --------------------------------------------


def test_cross_site_api_calls_are_not_journaled(client: FlaskClient, app: Flask, upload: Upload) -> None:
    refused = client.post(f"{FAST_PATH}?from=evil", headers=CROSS_SITE, data="x", content_type="text/plain")
    assert refused.status_code == 400  # the form is judged before the (missing) key
    foreign = client.post(FAST_PATH, headers={**AUTH, "Origin": "http://localhost:3000"}, data=upload(_sample()))
    assert foreign.status_code == 200
    assert control(app).requests() == []
    own = client.post(FAST_PATH, headers={**AUTH, "Origin": "http://localhost"}, data=upload(_sample()))
    assert own.status_code == 200
    assert [record["path"] for record in control(app).requests()] == [FAST_PATH]


def _sample() -> bytes:
    return (FIXTURES / "sample.png").read_bytes()
