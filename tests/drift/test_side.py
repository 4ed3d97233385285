"""One side of a drift check against a mock in a thread: a job followed to its result, or given up on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contract_tests.server import LiveServer
from mockserver import Config
from mockserver.drift.client import Side
from mockserver.drift.probes import paid_probes
from mockserver.errors import DriftError

KEY = "sk-side"


@pytest.fixture
def server() -> Iterator[LiveServer]:
    config = Config(store="memory://", profile="live", api_keys=(KEY,), pending_polls=3, target_pixels=64 * 64)
    with LiveServer.for_config(config) as live:
        yield live


def test_a_job_is_polled_until_its_result(server: LiveServer) -> None:
    waits: list[float] = []
    side = Side("upstream", server.url + "/", KEY, poll_interval=7.5, sleep=waits.append)
    try:
        outcome = side.send(next(probe for probe in paid_probes() if probe.name == "creative"))
    finally:
        side.close()
    assert outcome.first.mode == "job" and outcome.first.fields == {"id": "hex64"}
    assert outcome.polls == (202, 202, 202, 200)
    assert outcome.pending is not None and outcome.pending.status == 202
    assert outcome.result is not None and outcome.result.size == (64, 64)
    assert waits == [7.5] * 4


def test_a_job_that_never_ends_is_a_drift_error_naming_the_option(server: LiveServer) -> None:
    side = Side("upstream", server.url, KEY, poll_interval=0, max_polls=2)
    try:
        with pytest.raises(DriftError, match=r"creative's job was still running after 2 polls .*--max-polls"):
            side.send(next(probe for probe in paid_probes() if probe.name == "creative"))
    finally:
        side.close()
