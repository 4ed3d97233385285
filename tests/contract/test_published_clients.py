"""The contract suite on two published clients, unmodified, through examples/adapters.

Each client's known bugs (shared review "contract-on-published-clients") must be caught, each
by the property that caught it there, and what the client does right must pass: a suite
change that loses one of these findings, or raises a false alarm on a real client, fails here.
The clients are installed on first use (tests/contract/published_clients.py says where and why).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contract_tests.interception import InterceptedMock
from tests.contract import published_clients
from tests.contract.published_clients import LITELLM_DIR, NODE_DIR, litellm_venv, stability_ai_sdk

#: A command client's runs each start Node; a short poll keeps the 24-poll job brief.
FAST_POLLS = {"STABILITY_POLL_SECONDS": "0.01"}
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "sample.png"
SDK_COMMAND = f"node {NODE_DIR / 'stability_ai_adapter.cjs'} {{operation}} {{image}} {{output}} {{fields}}"


def contract(
    executable: Path, arguments: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[int, str, dict[str, dict[str, Any]]]:
    """``stability-mock contract`` as a user runs it: its exit status, its output, and its JSON
    report's properties by name."""
    report = tmp_path / "contract.json"
    finished = subprocess.run(
        [str(executable), "contract", *arguments, "--json", str(report), "--cache-dir", str(tmp_path / "cache")],
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert report.is_file(), output
    properties = {p["name"]: p for p in json.loads(report.read_text())["properties"]}
    return finished.returncode, output, properties


def statuses(properties: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {name: p["status"] for name, p in properties.items()}


@pytest.fixture(scope="module")
def litellm_suite() -> Path:
    return litellm_venv() / "bin" / "stability-mock"


@pytest.fixture(scope="module")
def sdk() -> Path:
    return stability_ai_sdk()


def test_litellm_bugs_are_caught_by_the_reviews_properties(litellm_suite: Path, tmp_path: Path) -> None:
    """The README's run: LiteLLM drops the caller's output_format, never polls creative, and
    ignores its retry setting; its requests are valid and authenticated."""
    arguments = ["--profile", "live", "--client", "litellm_adapter:factory", "--app-dir", str(LITELLM_DIR)]
    status, output, properties = contract(litellm_suite, [*arguments, "--max-examples", "3"], tmp_path)
    assert status == 1, output
    verdicts = statuses(properties)
    for name in ("requests_valid", "fields_known", "sends_auth", "accept_matches_parsing"):
        assert verdicts[name] == "passed", (name, properties[name]["message"])
    assert properties["fields_as_sent"]["message"].startswith("sent output_format='png' where the example asked for")
    assert "format PNG where" in properties["returns_exact_image"]["message"]
    assert properties["fields_as_sent"]["trail"][0]["headers"]["user-agent"] == "litellm/1.110.2"
    never_polled = properties["polls_until_done"]
    assert (never_polled["status"], never_polled["message"]) == ("failed", "never polled for the result")
    assert never_polled["client_output"] == "returned NoneType, not bytes"
    assert verdicts["polls_real_path"] == "not exercised"
    assert "the client never polled" in properties["polls_real_path"]["message"]
    # num_retries is passed and claimed, and LiteLLM's image_edit ignores it: one call, a 429, an error.
    retried = properties["retries_transient"]
    assert retried["status"] == "failed" and "RateLimitError" in retried["message"]
    assert [record["status"] for record in retried["trail"]] == [429]


def test_litellm_keeps_the_rest_of_the_contract(litellm_suite: Path, tmp_path: Path) -> None:
    """Past its two bugs (the output_format it never sends, creative it never polls) LiteLLM is
    right: it rejects invalid input, surfaces every error and raises on a filtered answer."""
    arguments = [
        "--profile", "live", "--client", "litellm_adapter:factory", "--app-dir", str(LITELLM_DIR),
        "--operations", "fast,conservative", "--skip-field", "output_format", "--property", "fields_as_sent",
        "--property", "returns_exact_image", "--property", "rejects_invalid_input", "--property", "errors_surface",
        "--property", "honours_content_filtered", "--max-examples", "3",
    ]  # fmt: skip
    status, output, properties = contract(litellm_suite, arguments, tmp_path)
    assert status == 0, output
    assert set(statuses(properties).values()) == {"passed"}
    assert "5 passed, 0 failed (field(s) never sent: output_format)" in output


def test_stability_ai_sdk_is_caught_leaving_out_style_preset(sdk: Path, tmp_path: Path) -> None:
    """Its creative upscale has no style_preset option: the adapter drops the field and says so."""
    arguments = ["--proxy", "--profile", "live", "--operations", "creative", "--max-examples", "1"]
    arguments += ["--property", "fields_as_sent", "--client-cmd", SDK_COMMAND]
    status, output, properties = contract(sys_entry_point(), arguments, tmp_path, FAST_POLLS)
    assert status == 1, output
    left_out = properties["fields_as_sent"]
    assert left_out["message"].startswith("left out style_preset"), left_out["message"]
    assert "stability-ai has no option for style_preset; not sent" in left_out["client_output"]
    # Through the proxy: the SDK called the host it hard-codes, with its own axios.
    hosts = {(record["headers"]["host"], record["headers"]["user-agent"].split("/")[0]) for record in left_out["trail"]}
    assert hosts == {("api.stability.ai", "axios")}


def test_stability_ai_sdk_keeps_the_rest_of_the_contract(sdk: Path, tmp_path: Path) -> None:
    """With style_preset skipped, everything it has passes under --proxy: requests, exact images,
    the README's polling loop, errors, and the contentFiltered flag (claimed); fast, which it
    lacks (its adapter exits 64), is found and left out without typing --operations."""
    arguments = ["--proxy", "--profile", "live", "--skip-field", "style_preset", "--claim", "content_filtered"]
    arguments += ["--max-examples", "2", "--client-cmd", SDK_COMMAND]
    status, output, properties = contract(sys_entry_point(), arguments, tmp_path, FAST_POLLS)
    assert status == 0, output
    assert "the client lacks: fast" in output
    assert {name for name, p in properties.items() if p["status"] == "passed"} == {
        "requests_valid", "fields_known", "fields_as_sent", "sends_auth", "accept_matches_parsing",
        "returns_exact_image", "polls_until_done", "polls_real_path", "rejects_invalid_input", "errors_surface",
        "honours_content_filtered",
    }  # fmt: skip
    assert properties["requests_valid"]["operations"] == ["conservative", "creative"]


def test_stability_ai_sdk_polls_results_with_a_parameterised_accept(
    sdk: Path, stability_mock_proxy: InterceptedMock, tmp_path: Path
) -> None:
    """The SDK's other fetch (``STABILITY_AI_POLL=results``) polls /v2beta/results with
    ``Accept: application/json; type=image/png``, the header the suite once flagged in error:
    the mock serves it, and its journal (what the suite judges from) holds every poll valid."""
    (tmp_path / "fields.json").write_text(json.dumps({"prompt": "a lighthouse"}))
    command = SDK_COMMAND.format(
        operation="creative", image=FIXTURE, output=tmp_path / "out.png", fields=tmp_path / "fields.json"
    )
    env = {**os.environ, **stability_mock_proxy.environ(), **FAST_POLLS, "STABILITY_AI_POLL": "results"}
    env["STABILITY_API_KEY"] = "sk-published-client"
    finished = subprocess.run(command.split(), env=env, capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "out.png").read_bytes().startswith(b"\x89PNG")
    polls = [r for r in stability_mock_proxy.mock.requests() if r["method"] == "GET"]
    assert polls and all(r["path"].startswith("/v2beta/results/") for r in polls)
    assert {(r["headers"]["accept"], r["valid"]) for r in polls} == {("application/json; type=image/png", True)}
    assert polls[-1]["status"] == 200


def sys_entry_point() -> Path:
    """This environment's installed ``stability-mock``."""
    return Path(sys.executable).parent / "stability-mock"


@pytest.mark.parametrize("ci", ["", "true"])
def test_a_client_that_cannot_be_installed_is_skipped_saying_why_but_fails_ci(
    ci: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", ci)
    refused = [sys.executable, "-c", "import sys; sys.exit('ERROR: No matching distribution found for litellm')"]
    outcome = pytest.fail.Exception if ci else pytest.skip.Exception
    why = r"could not install litellm==1\.110\.2: .* exit 1: ERROR: No matching distribution"
    with pytest.raises(outcome, match=why):
        published_clients.install(refused, NODE_DIR, "litellm==1.110.2")


def test_without_node_the_sdk_tests_say_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="node and npm are not installed"):
        stability_ai_sdk()
