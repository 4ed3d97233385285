"""``stability-mock coverage`` as users run it: on a running mock or a saved file, with its outputs and its gate."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from contract_tests import LiveServer
from mockserver import Config
from mockserver.cli import main
from mockserver.coverage import Coverage, catalogue_for
from tests.conftest import FIXTURES

COMMAND = str(Path(sys.executable).parent / "stability-mock")
SAMPLE = (FIXTURES / "sample.png").read_bytes()
TOKEN = "coverage-admin-token"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer.for_config(Config(store="memory://", target_pixels=256 * 256, admin_token=TOKEN)) as live:
        requests.post(
            live.url_for("/v2beta/stable-image/upscale/fast"),
            files={"image": ("sample.png", SAMPLE, "image/png")},
            headers={"Authorization": "Bearer sk-cli-coverage"},
            timeout=30,
        )
        yield live


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMMAND, "coverage", *arguments], capture_output=True, text=True, timeout=60, check=False)


def test_a_running_mock_below_the_gate_exits_1_listing_its_gaps_and_writes_both_reports(
    server: LiveServer, tmp_path: Path
) -> None:
    json_file, html_file = tmp_path / "coverage.json", tmp_path / "coverage.html"
    completed = run(
        "--url", server.url, "--admin-token", TOKEN, "--json", str(json_file), "--html", str(html_file),
        "--fail-under", "90",
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0] == "Behaviour coverage, profile seed (every key): 1 of 82 met, 1.2%"
    assert "Never exercised (81):" in lines
    assert "429 rate_limit_exceeded" in completed.stdout and "finish-reason CONTENT_FILTERED" in completed.stdout
    assert completed.stderr == "FAIL: 1.2% of the behaviours met, under --fail-under 90%\n"
    saved = Coverage.load(json_file)
    assert [b.id for b in saved.met] == ["upscaleImageFast:image"]
    assert 'data-behaviour="upscaleImageFast:image"' in html_file.read_text()


def test_a_saved_file_passes_a_gate_it_meets(tmp_path: Path) -> None:
    report = Coverage.measure(
        [{"operation": "upscaleImageFast", "status": 200, "delivered": {"as_json": False}}], catalogue_for("seed")
    )
    report.save(tmp_path / "c.json")
    result = CliRunner().invoke(main, ["coverage", str(tmp_path / "c.json"), "--fail-under", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Behaviour coverage, profile seed (every key): 1 of 82 met, 1.2%\n")


def test_a_key_filter_reads_only_that_keys_calls(server: LiveServer) -> None:
    result = CliRunner().invoke(main, ["coverage", "--url", server.url, "--admin-token", TOKEN, "--key", "sk-other"])
    assert result.exit_code == 0, result.output
    assert "0 of 82 met" in result.output.splitlines()[0] and "key key_" in result.output.splitlines()[0]


def test_a_wrong_admin_token_or_an_unreachable_mock_exits_2_saying_so(server: LiveServer) -> None:
    refused = run("--url", server.url, "--admin-token", "wrong")
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"Error: the mock at {server.url} gave no coverage: admin API answered 403")
    unreachable = run("--url", "http://127.0.0.1:9")
    assert (unreachable.returncode, unreachable.stderr) == (
        2,
        "Error: cannot reach the mock at http://127.0.0.1:9: ConnectionError\n",
    )


@pytest.mark.parametrize(
    ("content", "message"), [("{}", "not a coverage report"), ("{", "is not JSON"), (None, "cannot read")]
)
def test_a_bad_file_exits_2_saying_what_is_wrong(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(main, ["coverage", str(path)])
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize("arguments", [[], ["file.json", "--url", "http://127.0.0.1:9"], ["file.json", "--key", "k"]])
def test_it_needs_exactly_one_source(arguments: list[str]) -> None:
    result = CliRunner().invoke(main, ["coverage", *arguments])
    assert result.exit_code == 2 and "Usage:" in result.output
