"""``stability-mock drift`` as users run it, against another mock as the upstream: nothing leaves loopback.

The upstream is ``stability-mock serve --profile live`` (gunicorn, in a process of
its own, accepting one key as production does); its journal
(``GET /_mock/requests``) says what drift sent it, so a paid call that should not
have happened is seen there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from bench.harness.server import free_port, running_server
from mockserver.cli import main
from mockserver.interception.ca import LocalCA
from mockserver.pipeline.auth import fingerprint

pytestmark = pytest.mark.slow

KEY = "sk-drift-upstream-key"
FAST_OPTIONS = ("--key", KEY, "--poll-interval", "0", "--timeout", "60")
PAID_OPERATIONS = {"upscaleImageFast", "upscaleImageConservative", "upscaleImageCreative", "upscaleImageLegacy"}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live-profile mock standing in for production, on a loopback port of its own."""
    folder = tmp_path_factory.mktemp("upstream")
    options = ("--profile", "live", "--api-key", KEY, "--store", "memory://", "--data-dir", str(folder))
    with running_server(*options, log=folder / "server.log") as url:
        yield url


@pytest.fixture
def journal(upstream: str) -> Iterator[None]:
    """The upstream's journal emptied before the test, so it holds only what this test's drift sent."""
    requests.delete(f"{upstream}/_mock/requests", timeout=10).raise_for_status()
    yield


def records(upstream: str) -> list[dict[str, Any]]:
    response = requests.get(f"{upstream}/_mock/requests", timeout=10)
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()["requests"]
    return found


def paid_calls(upstream: str) -> list[dict[str, Any]]:
    """The calls production would have charged: an upscale that succeeded."""
    return [r for r in records(upstream) if r["operation"] in PAID_OPERATIONS and r["status"] == 200]


def drift(*arguments: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["drift", *arguments], input=input, catch_exceptions=False)


def differences(report: Path) -> dict[tuple[str, str], dict[str, Any]]:
    data = json.loads(report.read_text("utf-8"))
    return {(d["probe"], d["aspect"]): d for d in data["differences"]}


def test_a_seed_mock_against_a_live_upstream_names_conservatives_sync_vs_async(
    upstream: str, journal: None, tmp_path: Path
) -> None:
    """A real process, as a user runs it; its JSON and HTML reports are written."""
    report, page = tmp_path / "drift.json", tmp_path / "drift.html"
    command = [sys.executable, "-m", "mockserver", "drift", "--upstream", upstream, *FAST_OPTIONS]
    command += ["--profile", "seed", "--budget", "102", "--yes", "--json", str(report), "--html", str(page)]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=240, env={**os.environ, "NO_COLOR": "1"}
    )
    assert completed.returncode == 1, completed.stderr
    assert "conservative" in completed.stdout and "sync: 200 image/png" in completed.stdout
    assert "Traceback" not in completed.stderr
    mode = differences(report)[("conservative", "mode")]
    assert mode["severity"] == "high" and mode["known"] is None
    assert mode["upstream"] == "sync: 200 image/png"
    assert mode["mock"].startswith("async: 200 {id}, then ")
    data = json.loads(report.read_text("utf-8"))
    assert data["exit_status"] == 1 and data["paid"] == "sent" and data["spent"] == 102
    assert [p["name"] for p in data["probes"]][-3:] == ["fast", "conservative", "creative"]
    assert KEY not in report.read_text("utf-8") and KEY not in page.read_text("utf-8")
    assert "unexplained difference" in page.read_text("utf-8")
    # What was paid for is what the plan said: one of each, with the user's key.
    assert sorted(r["operation"] for r in paid_calls(upstream)) == sorted(PAID_OPERATIONS - {"upscaleImageLegacy"})
    assert {r["key"] for r in paid_calls(upstream)} == {fingerprint(KEY)}


def test_budget_zero_sends_no_paid_call(upstream: str, journal: None) -> None:
    outcome = drift("--upstream", upstream, *FAST_OPTIONS, "--profile", "seed")
    assert outcome.exit_code == 1, outcome.output
    assert "paid probes: none planned, 0 credits" in outcome.output
    sent = records(upstream)
    assert len(sent) >= 11
    assert paid_calls(upstream) == []
    # Every upload drift sent with the user's key was refused: only result lookups carry it.
    assert {r["method"] for r in sent if r["key"] == fingerprint(KEY)} == {"GET"}


def test_the_same_profile_on_both_sides_exits_0(upstream: str, journal: None) -> None:
    outcome = drift("--upstream", upstream, *FAST_OPTIONS, "--budget", "127", "--yes")
    assert outcome.exit_code == 0, outcome.output
    assert "no unexplained difference" in outcome.output
    assert "15 probes, 0 unexplained differences" in outcome.output
    assert len(paid_calls(upstream)) == 4


def test_known_differences_are_accepted_and_a_stale_entry_is_reported(upstream: str, tmp_path: Path) -> None:
    known = tmp_path / "known.yml"
    known.write_text(
        "known:\n"
        "  - probe: conservative\n    aspect: mode\n    reason: production answers conservative at once\n"
        "  - probe: '*'\n    aspect: 'field:message'\n    reason: the seed document's error bodies carry message\n"
        "  - probe: 'not-found-v2alpha-result'\n    aspect: '*'\n    reason: the seed document has no v2alpha\n"
        "  - probe: '*'\n    aspect: result.size\n    reason: the seed profile renders 2048x2048\n"
        "  - probe: fast\n    aspect: status\n    reason: fast used to answer 500\n"
        "  - probe: v2alpha\n    aspect: mode\n    reason: beyond this budget\n",
        "utf-8",
    )
    arguments = ["--upstream", upstream, *FAST_OPTIONS, "--profile", "seed", "--known", str(known)]
    outcome = drift(*arguments, "--budget", "102", "--yes", "--json", str(tmp_path / "r.json"))
    assert outcome.exit_code == 0, outcome.output
    assert "stale known entry: fast / status (fast used to answer 500)" in outcome.output
    assert "0 unexplained differences" in outcome.output
    assert "unchecked known entry (its probe did not run): v2alpha / mode" in outcome.output
    # Accepted differences are counted, not listed: the table holds only what needs a look.
    assert "production answers conservative at once" not in outcome.output
    found = differences(tmp_path / "r.json")
    assert found[("conservative", "mode")]["known"] == "production answers conservative at once"
    stale = json.loads((tmp_path / "r.json").read_text("utf-8"))["stale_known"]
    assert stale == [{"probe": "fast", "aspect": "status", "reason": "fast used to answer 500"}]


def test_declining_the_prompt_spends_nothing(upstream: str, journal: None) -> None:
    outcome = drift("--upstream", upstream, *FAST_OPTIONS, "--budget", "200", input="n\n")
    assert "paid probes: fast (2), conservative (40), creative (60), v2alpha (25); 127 of 200 credits" in outcome.output
    assert "Spend up to 127 credits" in outcome.output
    assert "paid probes: declined, 0 credits" in outcome.output
    assert outcome.exit_code == 0, outcome.output
    assert paid_calls(upstream) == []


def test_accepting_the_prompt_spends_the_plan(upstream: str, journal: None) -> None:
    outcome = drift("--upstream", upstream, *FAST_OPTIONS, "--budget", "26", input="y\n")
    assert outcome.exit_code == 0, outcome.output
    assert [r["operation"] for r in paid_calls(upstream)] == ["upscaleImageFast"]


def test_control_seeds_differences_the_check_reports(upstream: str) -> None:
    outcome = drift("--upstream", upstream, *FAST_OPTIONS, "--control")
    assert outcome.exit_code == 1, outcome.output
    assert "22 seeded by --control" in outcome.output
    assert "field:drift_control" in outcome.output


def test_an_unreachable_upstream_exits_2_with_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    completed = subprocess.run(
        [sys.executable, "-m", "mockserver", "drift", "--upstream", url, "--key", KEY],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert f"Error: upstream {url} could not be reached" in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--upstream", "ftp://example.invalid"], "must be an http:// or https:// URL"),
        (["--upstream", "http://127.0.0.1:9", "--known", "/nonexistent/known.yml"], "cannot be read"),
        (["--upstream", "http://127.0.0.1:9", "--ca-file", "/nonexistent/ca.pem"], "--ca-file /nonexistent/ca.pem"),
        (["--upstream", "http://127.0.0.1:9", "--budget", "-1"], "Invalid value for '--budget'"),
        (
            ["--upstream", "http://127.0.0.1:9", "--json", "/nonexistent/r.json"],
            "its folder /nonexistent does not exist",
        ),
        (["--upstream", "http://127.0.0.1:9", "--key", "sk-a\nb"], "the mock side cannot start: api_keys: key 1"),
    ],
)
def test_bad_options_exit_2_before_anything_is_sent(arguments: list[str], message: str) -> None:
    outcome = CliRunner().invoke(main, ["drift", "--key", KEY, *arguments])
    assert outcome.exit_code == 2, outcome.output
    assert message in outcome.output
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit)


def test_a_bad_known_file_exits_2(tmp_path: Path) -> None:
    known = tmp_path / "known.yml"
    known.write_text("known:\n  - {probe: conservative, aspect: mode}\n", "utf-8")
    outcome = CliRunner().invoke(
        main, ["drift", "--upstream", "http://127.0.0.1:9", "--key", KEY, "--known", str(known)]
    )
    assert outcome.exit_code == 2
    assert "entry 1: reason must be a non-empty text" in outcome.output


def test_a_tls_upstream_is_checked_against_the_ca_given(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ca = LocalCA(data_dir).ensure()
    options = ("--tls", "--profile", "live", "--api-key", KEY, "--store", "memory://", "--data-dir", str(data_dir))
    with running_server(*options, log=tmp_path / "tls.log", tls_ca=ca) as url:
        assert url.startswith("https://")
        trusted = drift("--upstream", url, *FAST_OPTIONS, "--ca-file", str(ca), "--budget", "2", "--yes")
        assert trusted.exit_code == 0, trusted.output
        assert "paid probes: sent, 2 credits" in trusted.output
        untrusted = CliRunner().invoke(main, ["drift", "--upstream", url, *FAST_OPTIONS])
    assert untrusted.exit_code == 2
    assert "its TLS certificate is not trusted" in untrusted.output
    assert "--ca-file" in untrusted.output
