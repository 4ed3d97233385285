"""The timing preset over HTTP: answers held for production's time, jobs ready when their time has passed.

The app's sleep is a recorder and its clock is moved by hand, so these tests see
every wait asked for without waiting for any.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import Config, MemoryStore, create_app
from mockserver.web import admission
from tests.conftest import (
    AUTH,
    CONSERVATIVE_PATH,
    CREATIVE_PATH,
    FAST_PATH,
    SMALL_TARGET,
    Clock,
    SpecCheckedClient,
    Upload,
)
from tests.images import png

RESULTS = "/v2beta/results/{}"


class Sleeps(list[float]):
    """The app's sleep: each wait it is asked for, kept instead of slept."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _app(clock: Clock, sleeps: Sleeps, **options: Any) -> Flask:
    config = Config(store="memory://", target_pixels=SMALL_TARGET, **options)
    app = create_app(config, store=MemoryStore(), clock=clock, sleep=sleeps)
    app.test_client_class = SpecCheckedClient
    return app


@pytest.fixture
def live(clock: Clock, sleeps: Sleeps) -> Iterator[FlaskClient]:
    yield _app(clock, sleeps, timing="live").test_client()


def _post(client: FlaskClient, upload: Upload, path: str) -> str:
    response = client.post(path, data=upload(png(64, 64), prompt="a lighthouse"), headers=AUTH)
    assert response.status_code == 200, response.get_json()
    generation_id: str = response.get_json()["id"] if response.is_json else ""
    return generation_id


def _held_once_for(sleeps: Sleeps, seconds: float) -> None:
    """One wait was asked for: what is left of ``seconds`` ± 10 % once the call's own work (well under 1 s) is done."""
    [wait] = sleeps
    assert seconds * 0.9 - 1 < wait <= seconds * 1.1


def test_a_live_fast_upscale_is_held_for_about_five_seconds(live: FlaskClient, upload: Upload, sleeps: Sleeps) -> None:
    _post(live, upload, FAST_PATH)
    _held_once_for(sleeps, 5.1)


@pytest.mark.parametrize(
    ("path", "pending_until", "ready_by"),
    [
        pytest.param(CREATIVE_PATH, 31, 46, id="creative: production's 31-46 s"),
        pytest.param(CONSERVATIVE_PATH, 28.4 * 0.9, 28.4 * 1.1, id="conservative as a job (seed): its own 28.4 s"),
    ],
)
def test_a_live_job_is_submitted_in_about_4_5_s_and_answers_202_until_its_time_has_passed(
    live: FlaskClient, upload: Upload, sleeps: Sleeps, clock: Clock, path: str, pending_until: float, ready_by: float
) -> None:
    generation_id = _post(live, upload, path)
    _held_once_for(sleeps, 4.5)
    created = clock.now
    for seconds in (0, pending_until / 2, pending_until - 0.1):
        clock.now = created + seconds
        assert live.get(RESULTS.format(generation_id), headers=AUTH).status_code == 202
    clock.now = created + ready_by
    assert live.get(RESULTS.format(generation_id), headers=AUTH).status_code == 200
    assert len(sleeps) == 1, "polls answer at once"


def test_live_timing_takes_no_extra_poll_after_the_time_has_passed(
    live: FlaskClient, upload: Upload, clock: Clock
) -> None:
    """Time decides: a client that waits out the job gets the image on its first poll."""
    generation_id = _post(live, upload, CREATIVE_PATH)
    clock.advance(46)
    assert live.get(RESULTS.format(generation_id), headers=AUTH).status_code == 200


def test_set_pending_polls_still_count_under_live_timing(clock: Clock, sleeps: Sleeps, upload: Upload) -> None:
    client = _app(clock, sleeps, timing="live", pending_polls=2).test_client()
    generation_id = _post(client, upload, CREATIVE_PATH)
    clock.advance(46)
    statuses = [client.get(RESULTS.format(generation_id), headers=AUTH).status_code for _ in range(3)]
    assert statuses == [202, 202, 200]


def test_a_staged_job_longer_than_productions_time_keeps_its_time(
    live: FlaskClient, upload: Upload, clock: Clock
) -> None:
    response = live.post("/_mock/faults", json={"operation": "upscaleImageCreative", "job": {"job_seconds": 100}})
    assert response.status_code == 201, response.get_json()
    generation_id = _post(live, upload, CREATIVE_PATH)
    clock.advance(60)
    assert live.get(RESULTS.format(generation_id), headers=AUTH).status_code == 202
    clock.advance(40)
    assert live.get(RESULTS.format(generation_id), headers=AUTH).status_code == 200


def test_conservative_is_held_until_its_image_under_the_live_profile(
    clock: Clock, sleeps: Sleeps, upload: Upload
) -> None:
    client = _app(clock, sleeps, timing="live", profile="live").test_client()
    _post(client, upload, CONSERVATIVE_PATH)
    _held_once_for(sleeps, 28.4)


def test_the_scale_set_at_run_time_shortens_every_hold(upload: Upload, sleeps: Sleeps) -> None:
    client = _app(Clock(), sleeps).test_client()
    response = client.patch("/_mock/settings", json={"timing": "live", "timing_scale": 0.1})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["timing"], response.get_json()["timing_scale"]) == ("live", 0.1)
    _post(client, upload, FAST_PATH)
    [wait] = sleeps
    assert wait <= 0.51 * 1.1


def test_the_hold_comes_on_top_of_a_staged_latency(
    live: FlaskClient, upload: Upload, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staged 3 s latency and the 5.1 s of fast: the answer is held for both, not for the longer."""
    latencies: list[float] = []
    monkeypatch.setattr(admission, "time", SimpleNamespace(sleep=latencies.append))
    live.post("/_mock/faults", json={"operation": "upscaleImageFast", "latency_ms": 3000})
    _post(live, upload, FAST_PATH)
    assert latencies == [3.0]
    [wait] = sleeps
    assert 3 + 5.1 * 0.9 - 1 < wait <= 3 + 5.1 * 1.1, "the 3 s came on top"


@pytest.mark.parametrize("path", [FAST_PATH, CONSERVATIVE_PATH, CREATIVE_PATH])
def test_instant_timing_waits_nothing(clock: Clock, sleeps: Sleeps, upload: Upload, path: str) -> None:
    client = _app(clock, sleeps, timing_scale=5).test_client()
    generation_id = _post(client, upload, path)
    if generation_id:
        statuses = [client.get(RESULTS.format(generation_id), headers=AUTH).status_code for _ in range(2)]
        assert statuses == [202, 200]
    assert sleeps == []


@pytest.mark.parametrize(
    ("change", "error"),
    [({"timing": "slow"}, "timing"), ({"timing_scale": 11}, "timing_scale"), ({"timing_scale": -1}, "timing_scale")],
)
def test_a_bad_timing_preset_at_run_time_is_a_400(live: FlaskClient, change: dict[str, Any], error: str) -> None:
    response = live.patch("/_mock/settings", json=change)
    assert response.status_code == 400
    [line] = response.get_json()["errors"]
    assert line.startswith(f"{error}: must be")
    assert live.get("/_mock/settings").get_json()["timing"] == "live"
