"""Record a mock upstream through the recorder, stop it, and replay the cassette: the same bytes come back.

The upstream is another mock (LiveServer, its own profile and settings), over
plain HTTP and over TLS with the mock's CA; nothing here touches a network.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from contract_tests.reach import tls_context
from contract_tests.server import LiveServer
from mockserver.interception.ca import LocalCA
from mockserver.recording import Recorder
from mockserver.settings.config import Config
from mockserver.web.app import create_app
from tests.conftest import FIXTURES

KEY = "sk-recorded-secret-4f2a9c"
AUTH = {"Authorization": f"Bearer {KEY}"}
IMAGE = (FIXTURES / "sample.png").read_bytes()


def _post(base: str, operation: str, *, accept: str = "image/*", **fields: str) -> requests.Response:
    return requests.post(
        f"{base}/v2beta/stable-image/upscale/{operation}",
        files={"image": ("sample.png", IMAGE, "image/png")},
        data=fields,
        headers={**AUTH, "Accept": accept, "Cookie": f"session={KEY}"},
        timeout=60,
    )


def _poll(base: str, generation_id: str, accept: str = "image/*") -> requests.Response:
    return requests.get(f"{base}/v2beta/results/{generation_id}", headers={**AUTH, "Accept": accept}, timeout=60)


def _session(base: str) -> list[requests.Response]:
    """What a client does: a fast upscale, an async one polled to its end, a refused upload."""
    answers = [_post(base, "fast", output_format="webp")]
    submitted = _post(base, "creative", accept="application/json", prompt="a red kite")
    answers.append(submitted)
    answers += [_poll(base, submitted.json()["id"]) for _ in range(3)]
    answers.append(_post(base, "fast", output_format="tiff"))
    return answers


def _seen(answers: list[requests.Response]) -> list[tuple[int, str | None, bytes]]:
    return [(answer.status_code, answer.headers.get("Content-Type"), answer.content) for answer in answers]


@contextlib.contextmanager
def _recorder(upstream_url: str, cassette: Path, **options: Any) -> Iterator[LiveServer]:
    recorder = Recorder.open(upstream_url, cassette, profile="seed", timeout=options.pop("timeout", 30.0), **options)
    with LiveServer(create_app(Config(store="memory://"), recorder=recorder)) as server:
        yield server


@pytest.fixture
def upstream() -> Iterator[LiveServer]:
    with LiveServer.for_config(Config(store="memory://", pending_polls=1)) as server:
        yield server


def _recorded(upstream: LiveServer, cassette: Path) -> list[tuple[int, str | None, bytes]]:
    with _recorder(upstream.url, cassette) as recorder:
        seen = _seen(_session(recorder.url))
        journal = requests.get(f"{recorder.url}/_mock/requests", timeout=10).json()["requests"]
    assert [record["recording"]["source"] for record in journal] == ["recorded"] * 6
    assert [record["status"] for record in journal] == [200, 200, 202, 200, 200, 400]
    upstream.stop()
    return seen


def test_replay_answers_byte_for_byte_what_was_recorded_with_the_upstream_stopped(
    upstream: LiveServer, tmp_path: Path
) -> None:
    recorded = _recorded(upstream, tmp_path / "cassette")
    assert [status for status, _, _ in recorded] == [200, 200, 202, 200, 200, 400]
    with LiveServer.for_config(Config(store="memory://", replay=tmp_path / "cassette")) as replaying:
        replayed = _seen(_session(replaying.url))
        journal = replaying.control.requests()
    assert replayed == recorded
    assert [record["recording"]["source"] for record in journal] == ["replayed"] * 6
    assert journal[0]["delivered"]["sha256"] == hashlib.sha256(recorded[0][2]).hexdigest()
    assert journal[0]["delivered"]["media_type"] == "image/webp"
    assert journal[0]["recording"]["exchange"] == "00001-upscaleImageFast-200.json"


def test_the_cassette_holds_no_key_cookie_or_token(upstream: LiveServer, tmp_path: Path) -> None:
    _recorded(upstream, tmp_path / "cassette")
    files = [path for path in (tmp_path / "cassette").rglob("*") if path.is_file()]
    assert len(files) > 6
    assert [path.name for path in files if KEY.encode() in path.read_bytes()] == []
    first = json.loads((tmp_path / "cassette" / "exchanges" / "00001-upscaleImageFast-200.json").read_text())
    assert "authorization: <redacted>" in first["request"]["headers"]
    assert "cookie: <redacted>" in first["request"]["headers"]


def test_images_are_kept_once_each_by_digest(upstream: LiveServer, tmp_path: Path) -> None:
    recorded = _recorded(upstream, tmp_path / "cassette")
    blobs = sorted(path.name for path in (tmp_path / "cassette" / "blobs").iterdir())
    # The upload (sent three times), the fast result, the creative result (polled twice): three images.
    assert len(blobs) == 3
    fast_result = recorded[0][2]
    assert (tmp_path / "cassette" / "blobs" / next(name for name in blobs if name.endswith(".webp"))).read_bytes() == (
        fast_result
    )
    manifest = json.loads((tmp_path / "cassette" / "manifest.json").read_text())
    assert manifest["format"] == "stability-mock-cassette" and manifest["version"] == 1


def test_an_async_flow_replays_whole_the_last_poll_repeating(upstream: LiveServer, tmp_path: Path) -> None:
    _recorded(upstream, tmp_path / "cassette")
    with LiveServer.for_config(Config(store="memory://", replay=tmp_path / "cassette")) as replaying:
        submitted = _post(replaying.url, "creative", accept="application/json", prompt="a red kite")
        polls = [_poll(replaying.url, submitted.json()["id"]).status_code for _ in range(4)]
        replaying.control.reset()
        again = _poll(replaying.url, submitted.json()["id"]).status_code
    assert submitted.status_code == 200
    assert polls == [202, 200, 200, 200]
    assert again == 202


def test_a_miss_is_the_mocks_answer_by_default(upstream: LiveServer, tmp_path: Path) -> None:
    _recorded(upstream, tmp_path / "cassette")
    with LiveServer.for_config(Config(store="memory://", replay=tmp_path / "cassette")) as replaying:
        answer = _post(replaying.url, "fast", output_format="png")
        record = replaying.control.requests()[-1]
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    assert record["recording"]["source"] == "mock"
    assert "field output_format: sent 'png', recorded 'webp'" in record["recording"]["replay_miss"]


def test_a_miss_is_an_api_error_naming_what_differs_under_replay_miss_error(
    upstream: LiveServer, tmp_path: Path
) -> None:
    _recorded(upstream, tmp_path / "cassette")
    config = Config(store="memory://", replay=tmp_path / "cassette", replay_miss="error")
    with LiveServer.for_config(config) as replaying:
        answer = _post(replaying.url, "fast", accept="application/json", output_format="webp")
        unknown = _poll(replaying.url, "f" * 64)
        record = replaying.control.requests()[0]
    body = answer.json()
    assert answer.status_code == 404 and body["name"] == "replay_miss"
    assert body["errors"] == [
        "replay: no recorded exchange matches this request; the nearest recording is 00001-upscaleImageFast-200.json",
        "accept: sent 'application/json', recorded 'image/*'",
    ]
    assert unknown.json()["name"] == "replay_miss"
    assert any(line.startswith("id: sent ffff") for line in unknown.json()["errors"])
    assert record["recording"]["source"] == "replay_miss"


def test_a_recorded_disagreement_with_the_document_is_shown_not_enforced(tmp_path: Path) -> None:
    """A live-profile upstream answers conservative at once, with the image; the seed document, with a job id."""
    with (
        LiveServer.for_config(Config(store="memory://", profile="live")) as live,
        _recorder(live.url, tmp_path / "cassette") as recorder,
    ):
        answer = _post(recorder.url, "conservative", prompt="a red kite")
        record = requests.get(f"{recorder.url}/_mock/requests", timeout=10).json()["requests"][0]
    assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")
    assert record["valid"] is True and record["recording"]["response_valid"] is False
    assert record["recording"]["response_errors"]
    written = json.loads(next((tmp_path / "cassette" / "exchanges").iterdir()).read_text())
    assert written["response"]["valid"] is False and written["response"]["errors"]
    assert written["request"]["valid"] is True


def test_recording_over_tls_trusts_the_ca_it_is_given(tmp_path: Path) -> None:
    ca = LocalCA(tmp_path / "ca")
    with (
        LiveServer(create_app(Config(store="memory://")), ssl_context=tls_context(ca)) as upstream,
        _recorder(upstream.url, tmp_path / "cassette", ca_file=ca.ensure()) as recorder,
    ):
        assert upstream.url.startswith("https://")
        answer = _post(recorder.url, "fast", output_format="png")
    assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")
    assert len(list((tmp_path / "cassette" / "exchanges").iterdir())) == 1


def test_an_untrusted_upstream_certificate_is_a_502_that_says_so(tmp_path: Path) -> None:
    ca = LocalCA(tmp_path / "ca")
    with (
        LiveServer(create_app(Config(store="memory://")), ssl_context=tls_context(ca)) as upstream,
        _recorder(upstream.url, tmp_path / "cassette") as recorder,
    ):
        answer = _post(recorder.url, "fast", accept="application/json")
    assert answer.status_code == 502 and answer.json()["name"] == "upstream_unreachable"
    assert "--upstream-ca" in answer.json()["errors"][0]


def test_an_unreachable_upstream_is_a_journaled_502_and_nothing_is_written(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with _recorder(f"http://127.0.0.1:{port}", tmp_path / "cassette") as recorder:
        answer = _post(recorder.url, "fast", accept="application/json")
        journal = requests.get(f"{recorder.url}/_mock/requests", timeout=10).json()["requests"]
    assert answer.status_code == 502
    assert answer.json()["name"] == "upstream_unreachable"
    assert "Connection refused" in answer.json()["errors"][0]
    assert [record["status"] for record in journal] == [502]
    assert list((tmp_path / "cassette" / "exchanges").iterdir()) == []
    assert list((tmp_path / "cassette" / "blobs").iterdir()) == []


def test_an_upstream_that_never_answers_is_a_504(tmp_path: Path) -> None:
    with socket.socket() as silent:
        # Listening but never accepting: the connection is made, no answer ever comes.
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with _recorder(url, tmp_path / "cassette", timeout=0.5) as recorder:
            answer = _post(recorder.url, "fast", accept="application/json")
    assert answer.status_code == 504 and answer.json()["name"] == "upstream_timeout"
    assert list((tmp_path / "cassette" / "exchanges").iterdir()) == []


def test_a_scenario_file_names_a_cassette_relative_to_itself(upstream: LiveServer, tmp_path: Path) -> None:
    recorded = _recorded(upstream, tmp_path / "cassettes" / "happy")
    scenario = tmp_path / "scenario.yml"
    scenario.write_text("replay: cassettes/happy\nsettings:\n  pending_polls: 3\n")
    with LiveServer.for_config(Config(store="memory://", scenario=scenario)) as replaying:
        answer = _post(replaying.url, "fast", output_format="webp")
    assert (answer.status_code, answer.content) == (recorded[0][0], recorded[0][2])


def test_an_answer_past_the_bound_is_a_502_and_nothing_is_written(
    upstream: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mockserver.recording.upstream.MAX_ANSWER_BYTES", 1000)
    with _recorder(upstream.url, tmp_path / "cassette") as recorder:
        answer = _post(recorder.url, "fast", accept="application/json")
    assert answer.status_code == 502
    assert answer.json()["errors"] == [f"upstream: {upstream.url}: its answer is larger than 1,000 bytes"]
    assert list((tmp_path / "cassette" / "exchanges").iterdir()) == []


def test_closing_the_app_closes_the_recorders_upstream_connections(
    upstream: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread's session to the upstream is closed with the app (or as its thread ends), not left to the collector."""
    from mockserver.recording import upstream as upstream_module
    from mockserver.services import services_of

    opened: list[_CountedSession] = []

    def counted() -> _CountedSession:
        opened.append(_CountedSession())
        return opened[-1]

    monkeypatch.setattr(upstream_module, "_bare_session", counted)
    recorder = Recorder.open(upstream.url, tmp_path / "cassette", profile="seed", timeout=30.0)
    app = create_app(Config(store="memory://"), recorder=recorder)
    with LiveServer(app) as server:
        assert _post(server.url, "fast").status_code == 200
    # The server's request thread has ended, and its session with it.
    assert [session.closed for session in opened] == [1]
    # A thread that lives on (a gunicorn worker's) keeps its session until the app is closed.
    assert recorder.upstream.forward("GET", "/_mock/health", [], b"").status == 200
    assert [session.closed for session in opened] == [1, 0]
    services_of(app).close()
    assert [session.closed for session in opened] == [1, 1]


class _CountedSession(requests.Session):
    closed = 0

    def close(self) -> None:
        self.closed += 1
        super().close()
