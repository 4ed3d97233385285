"""Parallel tests sharing one running mock (``--stability-mock-url``) never see each other.

The done-when of per-key sessions: a real ``stability-mock serve``, and a real pytest run of
two tests on two xdist workers against it, one staging a 429 for its key while the other
calls the same operation at the same moment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.harness.server import running_server
from contract_tests.handle import StabilityMock
from mockserver.control.remote import MockAdmin
from mockserver.pipeline.auth import fingerprint
from tests.conftest import FIXTURES

pytest_plugins = ["pytester"]

#: Two tests that wait for each other (files in ``{meeting}``), so they run at once on two workers:
#: the stager stages a 429 for its key, the bystander calls the same operation after that and must
#: not get it; then the stager's own call does.
PARALLEL_TESTS = """
import os
import time
from pathlib import Path

import requests

MEETING = Path({meeting!r})
SAMPLE = Path({sample!r}).read_bytes()


def fast(mock):
    return requests.post(
        mock.url_for("/v2beta/stable-image/upscale/fast"),
        files={{"image": ("sample.png", SAMPLE, "image/png")}},
        headers=mock.headers,
        timeout=30,
    )


def arrive(name, mock):
    (MEETING / name).write_text(os.environ.get("PYTEST_XDIST_WORKER", "none") + " " + mock.api_key)


def wait_for(name):
    deadline = time.monotonic() + 60
    while not (MEETING / name).exists():
        assert time.monotonic() < deadline, f"the other test never got to {{name}}"
        time.sleep(0.05)


def test_stager(stability_mock):
    stability_mock.fail_next(429, operation="upscaleImageFast")
    assert [fault.status for fault in stability_mock.faults()] == [429]
    arrive("staged", stability_mock)
    wait_for("called")
    assert fast(stability_mock).status_code == 429
    assert fast(stability_mock).status_code == 200
    assert [record["status"] for record in stability_mock.requests()] == [429, 200]
    assert stability_mock.faults() == []


def test_bystander(stability_mock):
    wait_for("staged")
    assert stability_mock.faults() == []
    assert fast(stability_mock).status_code == 200
    arrive("called", stability_mock)
    assert [record["status"] for record in stability_mock.requests()] == [200]
    assert stability_mock.jobs() == []
"""


@pytest.fixture(scope="module")
def shared_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("shared-mock")
    # Two workers on the SQLite store: a fault staged through one fires (or not) on the other.
    options = ("--data-dir", str(folder), "--workers", "2", "--target-pixels", "4096")
    with running_server(*options, log=folder / "server.log") as url:
        yield url


def test_two_parallel_tests_on_one_mock_never_see_each_others_faults_or_calls(
    pytester: pytest.Pytester, shared_url: str, tmp_path: Path
) -> None:
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    pytester.makepyfile(PARALLEL_TESTS.format(meeting=str(meeting), sample=str(FIXTURES / "sample.png")))
    coverage = tmp_path / "coverage.json"
    result = pytester.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", "--stability-mock-url", shared_url,
        f"--stability-mock-coverage={coverage}", "-q", timeout=300,
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    # Each test's coverage is measured by the shared mock for its key alone, then merged.
    counts = {behaviour["id"]: behaviour["count"] for behaviour in json.loads(coverage.read_text())["behaviours"]}
    assert (counts["upscaleImageFast:status-429"], counts["upscaleImageFast:image"]) == (1, 2)
    (stager_worker, stager_key), (bystander_worker, bystander_key) = (
        (meeting / name).read_text().split() for name in ("staged", "called")
    )
    assert {stager_worker, bystander_worker} == {"gw0", "gw1"}
    with MockAdmin(shared_url) as admin:
        # The journal holds both tests' calls, each under its own key; no fault is left behind.
        by_key = {key: [record["status"] for record in admin.requests(key=key)] for key in (stager_key, bystander_key)}
        assert by_key == {stager_key: [429, 200], bystander_key: [200]}
        assert admin.faults() == []


def test_the_url_can_come_from_the_environment(
    pytester: pytest.Pytester, shared_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        f"""
        def test_uses_the_shared_mock(stability_mock):
            assert stability_mock.server is None
            assert stability_mock.url == {shared_url!r}
            assert stability_mock.api_key.startswith("sk-stability-mock-")
        """
    )
    monkeypatch.setenv("STABILITY_MOCK_URL", shared_url)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


def test_a_url_where_no_mock_answers_fails_with_one_clear_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_needs_it(stability_mock):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--stability-mock-url", "http://127.0.0.1:9")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--stability-mock-url http://127.0.0.1:9: no stability-mock answers there*"])


def test_a_shared_handle_stages_and_reads_for_its_own_key_only(shared_url: str) -> None:
    with MockAdmin(shared_url) as admin:
        mine, theirs = StabilityMock.shared(shared_url, admin), StabilityMock.shared(shared_url, admin)
        assert mine.api_key != theirs.api_key
        staged = mine.plan_next_job(pending_polls=None)
        assert staged.key == fingerprint(mine.api_key)
        assert theirs.faults() == [] and mine.faults() == [staged]
        started = requests.post(
            theirs.url_for("/v2beta/stable-image/upscale/creative"),
            files={"image": ("sample.png", (FIXTURES / "sample.png").read_bytes(), "image/png")},
            data={"prompt": "a lighthouse"},
            headers=theirs.headers,
            timeout=30,
        )
        assert started.status_code == 200
        assert mine.jobs() == [] and [job.id for job in theirs.jobs()] == [started.json()["id"]]
        assert theirs.jobs()[0].plan.pending_polls == 1  # not the never-ending plan staged for the other key
        assert mine.requests() == [] and len(theirs.requests()) == 1
        assert mine.clear_requests() == 0 and len(theirs.requests()) == 1  # not the other test's to forget
        assert theirs.clear_requests() == 1 and theirs.requests() == []
        mine.reset()
        assert admin.faults(key=mine.api_key) == []
