"""``--stability-mock-coverage``: a user's suite, run as they run it, reports the behaviours it met and missed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

#: A suite that only exercises a fast 200 and creative's happy path (twice each, so xdist splits it).
HAPPY_SUITE = """
import io

import pytest
import requests
from PIL import Image


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(mock, operation, **data):
    return requests.post(
        mock.url_for(f"/v2beta/stable-image/upscale/{operation}"),
        files={"image": ("a.png", png(), "image/png")},
        data=data,
        headers=mock.headers,
        timeout=30,
    )


@pytest.mark.parametrize("run", [1, 2])
def test_fast(stability_mock, run):
    assert upload(stability_mock, "fast").status_code == 200


@pytest.mark.parametrize("run", [1, 2])
def test_creative_happy_path(stability_mock, run):
    generation_id = upload(stability_mock, "creative", prompt="a cat").json()["id"]
    poll = stability_mock.url_for(f"/v2beta/results/{generation_id}")
    statuses = [requests.get(poll, headers=stability_mock.headers, timeout=30).status_code for _ in range(2)]
    assert statuses == [202, 200]
"""

COMMAND = str(Path(sys.executable).parent / "stability-mock")
HAPPY_BEHAVIOURS = [
    "upscaleImageFast:image",
    "upscaleImageCreative:submit",
    "getUpscaleResult:pending",
    "getUpscaleResult:image",
]


def run_suite(pytester: pytest.Pytester, *options: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *options)
    result.assert_outcomes(passed=4)
    report_path = pytester.path / "coverage.json"
    report = json.loads(report_path.read_text())
    report_path.unlink()
    return result, report


def test_a_happy_path_suite_fails_a_90_percent_gate_naming_429_and_content_filtered(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(HAPPY_SUITE)
    result, report = run_suite(pytester, "--stability-mock-coverage=coverage.json")
    result.stdout.fnmatch_lines(
        [
            "*stability-mock coverage*",
            "Behaviour coverage, profile seed (every key): 4 of 82 met, 4.9%",
            "operation * success * async * error * retry-after * transport",
            "upscaleImageFast * 1/2 * - * 0/9 * 0/2 * 0/3",
            "written to *coverage.json*",
        ]
    )
    counts = {row["id"]: row["count"] for row in report["behaviours"]}
    assert {name: count for name, count in counts.items() if count} == {
        "upscaleImageFast:image": 2,
        "upscaleImageCreative:submit": 2,
        "getUpscaleResult:pending": 2,
        "getUpscaleResult:image": 2,
    }
    saved = pytester.path / "saved.json"
    saved.write_text(json.dumps(report))
    gate = subprocess.run(
        [COMMAND, "coverage", str(saved), "--fail-under", "90"], capture_output=True, text=True, timeout=60, check=False
    )
    assert gate.returncode == 1, gate.stderr
    gaps = gate.stdout[gate.stdout.index("Never exercised (78):") :]
    assert "429 rate_limit_exceeded" in gaps and "finish-reason CONTENT_FILTERED" in gaps
    assert gate.stderr == "FAIL: 4.9% of the behaviours met, under --fail-under 90%\n"


def test_two_xdist_workers_report_what_one_process_does(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(HAPPY_SUITE)
    _, alone = run_suite(pytester, "--stability-mock-coverage=coverage.json")
    split, merged = run_suite(pytester, "-n", "2", "--stability-mock-coverage=coverage.json")
    split.stdout.fnmatch_lines(["*2 workers*", "Behaviour coverage, profile seed (every key): 4 of 82 met, 4.9%"])
    assert merged == alone


def test_without_the_fixture_nothing_is_written_and_the_summary_says_why(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--stability-mock-coverage")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*no test used the stability_mock fixtures: nothing measured, no file written"])
    assert not (pytester.path / "stability-mock-coverage.json").exists()
