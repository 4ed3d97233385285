"""The timing preset's durations: production's figures, the jitter seeded by the request, the scale."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.models import JobPlan
from mockserver.operations import CONSERVATIVE, CREATIVE, FAST
from mockserver.pipeline.timing import Timing, for_upload
from mockserver.settings.runtime import RuntimeSettings

LIVE = RuntimeSettings(timing="live")
FAST_POST = "POST/v2beta/stable-image/upscale/fast"


def _timed(
    operation_id: str,
    *,
    renders_at_once: bool,
    body: bytes = b"an image",
    settings: RuntimeSettings = LIVE,
    request_text: str = FAST_POST,
) -> Timing:
    timed = for_upload(settings, operation_id, renders_at_once=renders_at_once, request_text=request_text, body=body)
    assert timed is not None
    return timed


@pytest.mark.parametrize("operation_id", [FAST, CONSERVATIVE, CREATIVE, "upscaleLegacy"])
@pytest.mark.parametrize("renders_at_once", [True, False])
def test_instant_timing_times_nothing(operation_id: str, renders_at_once: bool) -> None:
    settings = RuntimeSettings(timing="instant", timing_scale=10)
    assert for_upload(settings, operation_id, renders_at_once=renders_at_once, request_text="POST/x", body=b"") is None


@given(body=st.binary(max_size=64))
def test_synchronous_uploads_take_productions_time_within_ten_percent(body: bytes) -> None:
    fast = _timed(FAST, renders_at_once=True, body=body)
    conservative = _timed(CONSERVATIVE, renders_at_once=True, body=body)
    assert 5.1 * 0.9 <= fast.answer_seconds <= 5.1 * 1.1
    assert 28.4 * 0.9 <= conservative.answer_seconds <= 28.4 * 1.1
    assert fast.job_seconds == conservative.job_seconds == 0


@given(body=st.binary(max_size=64))
def test_creative_submits_in_about_four_and_a_half_seconds_and_is_ready_in_31_to_46(body: bytes) -> None:
    creative = _timed(CREATIVE, renders_at_once=False, body=body)
    assert 4.5 * 0.9 <= creative.answer_seconds <= 4.5 * 1.1
    assert 31 <= creative.job_seconds <= 46


@given(body=st.binary(max_size=64))
def test_an_asynchronous_conservative_submits_like_creative_and_takes_its_own_time(body: bytes) -> None:
    """The seed profile serves conservative as a job: production's 28.4 s is then the job's."""
    conservative = _timed(CONSERVATIVE, renders_at_once=False, body=body)
    assert 4.5 * 0.9 <= conservative.answer_seconds <= 4.5 * 1.1
    assert 28.4 * 0.9 <= conservative.job_seconds <= 28.4 * 1.1


def test_an_operation_without_figures_is_timed_as_its_kind_is() -> None:
    assert _timed("upscaleLegacy", renders_at_once=True) == _timed(FAST, renders_at_once=True)
    assert _timed("upscaleLegacy", renders_at_once=False) == _timed(CREATIVE, renders_at_once=False)


def test_the_same_request_waits_the_same_and_another_one_differently() -> None:
    first = _timed(CREATIVE, renders_at_once=False, body=b"one image")
    assert _timed(CREATIVE, renders_at_once=False, body=b"one image") == first
    assert _timed(CREATIVE, renders_at_once=False, body=b"another image") != first
    assert _timed(CREATIVE, renders_at_once=False, body=b"one image", request_text="POST/elsewhere") != first
    spread = {_timed(FAST, renders_at_once=True, body=bytes([n])).answer_seconds for n in range(50)}
    assert len(spread) == 50


@pytest.mark.parametrize("scale", [0.0, 0.1, 2.5, 10.0])
def test_the_scale_multiplies_every_time(scale: float) -> None:
    scaled = RuntimeSettings(timing="live", timing_scale=scale)
    for renders_at_once in (True, False):
        base = _timed(CREATIVE, renders_at_once=renders_at_once)
        timed = _timed(CREATIVE, renders_at_once=renders_at_once, settings=scaled)
        assert timed.answer_seconds == pytest.approx(base.answer_seconds * scale)
        assert timed.job_seconds == pytest.approx(base.job_seconds * scale)


# A job's plan under live timing ---------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        pytest.param(JobPlan(), JobPlan(pending_polls=0, job_seconds=40.0), id="defaults: time decides"),
        pytest.param(JobPlan(pending_polls=3), JobPlan(pending_polls=3, job_seconds=40.0), id="polls set: kept"),
        pytest.param(JobPlan(pending_polls=None), JobPlan(pending_polls=None, job_seconds=40.0), id="never"),
        pytest.param(JobPlan(job_seconds=100.0), JobPlan(pending_polls=0, job_seconds=100.0), id="longer: kept"),
        pytest.param(JobPlan(job_seconds=5.0), JobPlan(pending_polls=0, job_seconds=40.0), id="shorter: live"),
        pytest.param(
            JobPlan(outcome="fail"), JobPlan(pending_polls=0, job_seconds=40.0, outcome="fail"), id="outcome kept"
        ),
    ],
)
def test_a_live_plan_is_ready_when_its_time_has_passed(plan: JobPlan, expected: JobPlan) -> None:
    assert Timing(answer_seconds=4.5, job_seconds=40.0).plan(plan) == expected


# Holding the answer ----------------------------------------------------------------------


def test_the_hold_counts_from_the_arrival_and_comes_on_top_of_what_held_the_call_already() -> None:
    timed = Timing(answer_seconds=5.0)
    assert timed.hold_seconds(started=100.0, held=0.0, now=100.0) == 5.0
    assert timed.hold_seconds(started=100.0, held=0.0, now=101.5) == 3.5  # rendering took 1.5 s of it
    assert timed.hold_seconds(started=100.0, held=2.0, now=102.0) == 5.0  # a latency of 2 s adds
    assert timed.hold_seconds(started=100.0, held=0.0, now=107.0) == 0.0  # already late: no wait
