"""The pytest plugin, tested as its users meet it (pytester), and the fixture's staging."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests

from tests.conftest import FIXTURES
from tests.packaging.installs import HEAVY

if TYPE_CHECKING:
    from contract_tests.handle import StabilityMock

pytest_plugins = ["pytester"]

PLUGIN_TESTS = """
import io

import pytest
import pytest
import requests
from PIL import Image


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(buffer, "PNG")
    return buffer.getvalue()


def fast(mock):
    return requests.post(
        mock.url_for("/v2beta/stable-image/upscale/fast"),
        files={"image": ("a.png", png(), "image/png")},
        headers=mock.headers,
        timeout=30,
    )


def test_the_server_answers(stability_mock):
    assert fast(stability_mock).status_code == 200
    assert [r["status"] for r in stability_mock.requests()] == [200]


def test_each_test_starts_clean(stability_mock):
    assert stability_mock.requests() == []
    stability_mock.fail_next(429)
    assert fast(stability_mock).status_code == 429


def test_state_does_not_leak(stability_mock):
    assert stability_mock.faults() == []
    assert fast(stability_mock).status_code == 200


@pytest.mark.stability_mock(pending_polls=3)
def test_runtime_options_by_marker(stability_mock):
    assert stability_mock.settings().pending_polls == 3


@pytest.mark.stability_mock(api_keys=("sk-only",))
def test_static_options_get_a_dedicated_server(stability_mock):
    assert fast(stability_mock).status_code == 401


def test_marker_is_registered(pytestconfig):
    assert any("stability_mock" in line for line in pytestconfig.getini("markers"))
"""


def test_plugin_as_users_meet_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PLUGIN_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-q")
    result.assert_outcomes(passed=6)


#: What the fixture needs (hypothesis is for the contract suite, not the fixture; openapi-core is
#: imported when a request needs it, or in the background after the server's first answer).
THE_MOCK = ("flask", "werkzeug", "PIL", "mockserver.web.app")

SEES_WHAT_IS_IMPORTED = f"""
import sys

HEAVY = {HEAVY!r}
THE_MOCK = {THE_MOCK!r}


def test_registered_without_importing_the_mock(pytestconfig):
    assert any(line.startswith("stability_mock(") for line in pytestconfig.getini("markers"))
    assert [name for name in HEAVY if name in sys.modules] == []


def test_the_fixture_imports_the_mock(stability_mock):
    assert [name for name in THE_MOCK if name not in sys.modules] == []
"""


def test_the_plugin_costs_nothing_until_a_test_uses_the_fixture(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only this plugin: the dev environment's other plugins (schemathesis) import hypothesis
    themselves. The installed-wheel tests check the same with every plugin pytest finds."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(SEES_WHAT_IS_IMPORTED)
    common = ("-p", "stability_mock", "-p", "no:cacheprovider", "--strict-markers", "-q")
    first_only = pytester.runpytest_subprocess(*common, "-k", "registered")
    first_only.assert_outcomes(passed=1, deselected=1)
    pytester.runpytest_subprocess(*common).assert_outcomes(passed=2)
    listed = pytester.runpytest_subprocess(*common, "--fixtures")
    # pytest lists fixtures by their "file:line" as text (so line 110 before line 68): one pattern at a time.
    for pattern in ("stability_mock_config [[]session scope] -- *", "stability_mock_server *", "stability_mock -- *"):
        listed.stdout.fnmatch_lines([pattern])


def test_fixture_stages_the_main_behaviours(stability_mock: StabilityMock) -> None:
    image = _sample()
    stability_mock.fail_next(500, operation="upscaleImageFast")
    assert _fast(stability_mock, image).status_code == 500
    stability_mock.fail_next(422, error="public_figure")
    refused = _fast(stability_mock, image)
    assert (refused.status_code, refused.json()["name"]) == (422, "public_figure")
    stability_mock.plan_next_job(pending_polls=None)
    started = requests.post(
        stability_mock.url_for("/v2beta/stable-image/upscale/creative"),
        files={"image": ("s.png", image, "image/png")},
        data={"prompt": "x"},
        headers=stability_mock.headers,
        timeout=30,
    )
    generation_id = started.json()["id"]
    poll = stability_mock.url_for(f"/v2beta/results/{generation_id}")
    assert requests.get(poll, headers=stability_mock.headers, timeout=30).status_code == 202
    stability_mock.complete_job(generation_id)
    assert requests.get(poll, headers=stability_mock.headers, timeout=30).status_code == 200
    stability_mock.update_settings(credits=2)
    assert _fast(stability_mock, image).status_code == 200
    assert stability_mock.credits().balance == 0
    assert _fast(stability_mock, image).status_code == 402
    stability_mock.set_credits(None, 10)
    stability_mock.update_settings(rate_limit="1/60s")
    assert [_fast(stability_mock, image).status_code for _ in range(2)] == [200, 429]
    statuses = [record["status"] for record in stability_mock.requests(operation="upscaleImageFast")]
    assert statuses == [500, 422, 200, 402, 200, 429]


@pytest.mark.stability_mock(timing="live", timing_scale=0.01)
def test_the_timing_preset_by_marker(stability_mock: StabilityMock) -> None:
    """Runtime settings, so the session's server takes them: a creative job is planned on production's time."""
    assert (stability_mock.settings().timing, stability_mock.settings().timing_scale) == ("live", 0.01)
    assert _upscale(stability_mock, "creative").status_code == 200
    [job] = stability_mock.jobs()
    assert job.plan.pending_polls == 0
    assert 0.31 <= job.plan.job_seconds <= 0.46


def _sample() -> bytes:

    return (FIXTURES / "sample.png").read_bytes()


def _upscale(mock: StabilityMock, name: str) -> requests.Response:
    """An upload of the sample with a prompt to ``/v2beta/stable-image/upscale/<name>``."""
    return requests.post(
        mock.url_for(f"/v2beta/stable-image/upscale/{name}"),
        files={"image": ("s.png", _sample(), "image/png")},
        data={"prompt": "a lighthouse"},
        headers=mock.headers,
        timeout=60,
    )


def _fast(mock: StabilityMock, image: bytes) -> requests.Response:
    return requests.post(
        mock.url_for("/v2beta/stable-image/upscale/fast"),
        files={"image": ("s.png", image, "image/png")},
        headers=mock.headers,
        timeout=30,
    )


@pytest.mark.stability_mock(profile="live")
def test_the_live_profile_by_marker(stability_mock: StabilityMock) -> None:
    """The marker's ``profile`` starts a live-profile server: conservative answers the image at once."""
    response = _upscale(stability_mock, "conservative")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    balance = requests.get(stability_mock.url_for("/v1/user/balance"), headers=stability_mock.headers, timeout=30)
    assert balance.json() == {"credits": 1_000_000.0}


@pytest.mark.stability_mock(pending_polls=2)
def test_the_tls_fixture_serves_https_this_process_trusts(stability_mock_tls: StabilityMock) -> None:
    """A client that refuses http:// gets an https:// URL, verified through REQUESTS_CA_BUNDLE alone."""
    import os

    assert stability_mock_tls.url.startswith("https://127.0.0.1:")
    assert os.environ["SSL_CERT_FILE"] == os.environ["REQUESTS_CA_BUNDLE"]
    assert os.environ["STABILITY_MOCK_CA_CERT"] == os.environ["NODE_EXTRA_CA_CERTS"]
    started = _upscale(stability_mock_tls, "creative")
    assert started.status_code == 200
    polled = requests.get(
        stability_mock_tls.url_for(f"/v2beta/results/{started.json()['id']}"),
        headers=stability_mock_tls.headers,
        timeout=30,
    )
    assert polled.status_code == 202, "the marker's pending_polls applies to the TLS server too"
    assert [record["status"] for record in stability_mock_tls.requests()] == [200, 202]
