"""The pytest fixture replays a cassette, as a user's suite asks for it: the marker's ``replay`` option."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from contract_tests.server import LiveServer
from mockserver.recording import Recorder
from mockserver.settings.config import Config
from mockserver.web.app import create_app
from tests.conftest import FIXTURES

pytest_plugins = ["pytester"]

USER_TESTS = """
from pathlib import Path

import pytest
import requests

CASSETTE = Path({cassette!r})
IMAGE = Path({image!r}).read_bytes()


def fast(mock, output_format):
    return requests.post(
        f"{{mock.url}}/v2beta/stable-image/upscale/fast",
        files={{"image": ("sample.png", IMAGE, "image/png")}},
        data={{"output_format": output_format}},
        headers={{"Authorization": "Bearer sk-user"}},
        timeout=60,
    )


@pytest.mark.stability_mock(replay=CASSETTE, replay_miss="error")
def test_replayed(stability_mock):
    answer = fast(stability_mock, "webp")
    assert answer.status_code == 200 and answer.content == Path({recorded!r}).read_bytes()
    assert stability_mock.requests()[0]["recording"]["source"] == "replayed"
    assert fast(stability_mock, "png").json()["name"] == "replay_miss"


def test_without_the_marker_the_mock_answers(stability_mock):
    assert fast(stability_mock, "png").status_code == 200
    assert "recording" not in stability_mock.requests()[0]
"""


def test_the_stability_mock_marker_replays_a_cassette(pytester: pytest.Pytester, tmp_path: Path) -> None:
    with LiveServer.for_config(Config(store="memory://")) as upstream:
        recorder = Recorder.open(upstream.url, tmp_path / "cassette", profile="seed", timeout=30)
        with LiveServer(create_app(Config(store="memory://"), recorder=recorder)) as server:
            answer = requests.post(
                server.url_for("/v2beta/stable-image/upscale/fast"),
                files={"image": ("sample.png", (FIXTURES / "sample.png").read_bytes(), "image/png")},
                data={"output_format": "webp"},
                headers={"Authorization": "Bearer sk-recording"},
                timeout=60,
            )
    (tmp_path / "recorded.webp").write_bytes(answer.content)
    pytester.makepyfile(
        USER_TESTS.format(
            cassette=str(tmp_path / "cassette"),
            image=str(FIXTURES / "sample.png"),
            recorded=str(tmp_path / "recorded.webp"),
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-q")
    result.assert_outcomes(passed=2)
