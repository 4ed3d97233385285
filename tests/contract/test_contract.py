"""The contract suite has teeth: the reference client passes, each broken client is caught."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from contract_tests.adapters import Adapter, CommandAdapter, PythonAdapter
from contract_tests.properties import PROPERTIES
from contract_tests.reference_client import UpscaleClient
from contract_tests.runner import (
    FAILED,
    NOT_COVERED,
    NOT_EXERCISED,
    PASSED,
    SKIPPED,
    ContractRunner,
    PropertyResult,
    SuiteOptions,
    succeeded,
)
from mockserver.cli import main
from tests.clients.broken import BROKEN
from tests.conftest import ROOT

REFERENCE = "contract_tests.reference_client:contract_factory"
EVERY_CLAIM = ("retries", "content_filtered")


def results_of(adapter: Adapter, options: SuiteOptions) -> dict[str, PropertyResult]:
    return {result.name: result for result in ContractRunner(adapter, options).run()}


def test_the_reference_client_keeps_every_property() -> None:
    results = results_of(
        PythonAdapter(REFERENCE, claims=EVERY_CLAIM), SuiteOptions(max_examples=8, min_poll_interval=0.005)
    )
    assert {name: result.status for name, result in results.items()} == dict.fromkeys(PROPERTIES, PASSED)
    # Success properties also try one full request per operation first (trials.full_request).
    assert all(result.examples >= 8 for result in results.values())


def test_the_reference_client_keeps_every_property_under_the_live_profile() -> None:
    """Live: conservative answers the image at once, so only creative is polled (and the client copes)."""
    results = results_of(
        PythonAdapter(REFERENCE, claims=EVERY_CLAIM),
        SuiteOptions(max_examples=6, min_poll_interval=0.005, profile="live"),
    )
    assert {name: result.status for name, result in results.items()} == dict.fromkeys(PROPERTIES, PASSED)
    assert results["polls_until_done"].operations == ["creative"]
    assert results["returns_exact_image"].operations == ["conservative", "creative", "fast"]


def test_a_client_that_only_polls_fails_conservative_under_the_live_profile() -> None:
    """A seed-only client (reads ``id`` from every conservative answer) is what the live profile catches."""

    class PollsAlways:
        def __init__(self, base_url: str, api_key: str) -> None:
            import requests

            self.base_url, self.headers = base_url, {"Authorization": f"Bearer {api_key}"}
            self.session = requests.Session()

        def conservative(self, image: bytes, **fields: object) -> bytes:
            started = self.session.post(
                f"{self.base_url}/v2beta/stable-image/upscale/conservative",
                files={"image": ("image", image)},
                data={name: str(value) for name, value in fields.items()},
                headers=self.headers,
                timeout=30,
            )
            started.raise_for_status()
            generation_id = started.json()["id"]
            while True:
                polled = self.session.get(f"{self.base_url}/v2beta/results/{generation_id}", headers=self.headers)
                if polled.status_code != 202:
                    polled.raise_for_status()
                    return polled.content

    sys.modules[__name__].PollsAlways = PollsAlways  # type: ignore[attr-defined]
    adapter = PythonAdapter(f"{__name__}:PollsAlways")
    seed = results_of(adapter, SuiteOptions(max_examples=3, only=["returns_exact_image"]))
    assert seed["returns_exact_image"].status == PASSED
    live = results_of(adapter, SuiteOptions(max_examples=3, only=["returns_exact_image"], profile="live"))
    assert live["returns_exact_image"].status == FAILED


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown profile 'prod'"):
        ContractRunner(PythonAdapter(REFERENCE), SuiteOptions(profile="prod"))


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_client_is_caught_naming_the_property(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client, violated = BROKEN[name]
    monkeypatch.setattr(sys.modules[__name__], "_broken_factory", client, raising=False)
    adapter = PythonAdapter(f"{__name__}:_broken_factory")
    results = results_of(adapter, SuiteOptions(max_examples=20, only=[violated]))
    assert results[violated].status == FAILED, results[violated]
    assert results[violated].example, "a failure must show its minimal example"
    assert not succeeded(list(results.values()))


def test_a_broken_client_fails_only_what_it_breaks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_broken_factory", BROKEN["no_auth"][0], raising=False)
    results = results_of(PythonAdapter(f"{__name__}:_broken_factory"), SuiteOptions(max_examples=5))
    failed = {name for name, result in results.items() if result.status == FAILED}
    assert "sends_auth" in failed
    assert "rejects_invalid_input" not in failed


@pytest.mark.parametrize("name", ["gives_up_after_4_polls", "retries_429_at_once"])
def test_the_new_broken_clients_fail_only_their_property(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client, violated = BROKEN[name]
    monkeypatch.setattr(sys.modules[__name__], "_broken_factory", client, raising=False)
    adapter = PythonAdapter(f"{__name__}:_broken_factory", claims=EVERY_CLAIM)
    results = results_of(adapter, SuiteOptions(max_examples=2, operations=["creative"], min_poll_interval=0.005))
    assert {name for name, result in results.items() if result.status != PASSED} == {violated}


def test_a_broken_client_failure_shows_a_shrunk_example(monkeypatch: pytest.MonkeyPatch) -> None:
    client, violated = BROKEN["ignores_output_format"]
    monkeypatch.setattr(sys.modules[__name__], "_broken_factory", client, raising=False)
    results = results_of(PythonAdapter(f"{__name__}:_broken_factory"), SuiteOptions(max_examples=30, only=[violated]))
    result = results[violated]
    assert result.status == FAILED
    assert result.example.startswith("fast(<") and " 64x64 " in result.example
    assert "'output_format': 'jpeg'" in result.example or "'output_format': 'webp'" in result.example


def test_a_client_that_alters_field_values_is_caught_by_their_fidelity_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rounding creativity and cutting negative_prompt keeps every request valid; the full
    request every run tries first catches it on every run, however few examples are asked for."""
    monkeypatch.setattr(sys.modules[__name__], "_broken_factory", BROKEN["rounds_fields"][0], raising=False)
    adapter = PythonAdapter(f"{__name__}:_broken_factory", claims=EVERY_CLAIM)
    results = results_of(adapter, SuiteOptions(max_examples=2, operations=["conservative", "creative"]))
    failed = {name for name, result in results.items() if result.status == FAILED}
    assert failed == {"fields_as_sent", "returns_exact_image"}
    message = results["fields_as_sent"].message
    assert "sent creativity='0.3' where the example asked for 0.311" in message
    assert "sent negative_prompt='blurry, oversaturated, watermark, text, ' where" in message
    assert results["fields_as_sent"].example.startswith("conservative(<PNG 96x80 RGB")


def test_numbers_are_compared_as_numbers() -> None:
    from contract_tests.properties import _same_value

    assert _same_value(0.25, "0.250") and _same_value(7, "7.0") and _same_value("7", "7")
    assert not _same_value(0.311, "0.3") and not _same_value("7", "7.0") and not _same_value(1, "one")


def test_output_depends_on_every_field_the_live_api_reads() -> None:
    from contract_tests.runner import contract_server
    from contract_tests.trials import expected_output, full_request

    changes = {
        "conservative": {"seed": 7, "prompt": "other", "negative_prompt": "other", "creativity": 0.312},
        "creative": {
            "seed": 7, "prompt": "other", "negative_prompt": "other", "creativity": 0.249, "style_preset": "anime"
        },
    }  # fmt: skip
    server = contract_server()
    for operation, altered in changes.items():
        full = full_request(operation)
        baseline = expected_output(server, full)
        for name, value in altered.items():
            changed = type(full)(operation, full.image, {**full.fields, name: value})
            assert expected_output(server, changed) != baseline, (operation, name)


class _GivesUpAfterFour(UpscaleClient):
    """A correct client with a deliberate, declared limit: 4 polls."""

    def __init__(self, base_url: str, api_key: str) -> None:
        super().__init__(base_url, api_key, poll_interval=0.01, max_polls=4, backoff=0.1, max_wait=2.0)


def test_a_client_is_held_to_exactly_the_poll_limit_it_declares(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_limited", _GivesUpAfterFour, raising=False)
    adapter = PythonAdapter(f"{__name__}:_limited")
    assert adapter.max_polls == 4
    only = ["polls_until_done"]
    assert results_of(adapter, SuiteOptions(max_examples=2, only=only))["polls_until_done"].status == PASSED
    held_to_five = results_of(adapter, SuiteOptions(max_examples=2, only=only, max_polls=5))["polls_until_done"]
    assert held_to_five.status == FAILED
    assert "gave up after 4 poll(s), all answered 202, though it declares max_polls=5" in held_to_five.message


def test_an_undeclared_limit_is_caught_on_a_long_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_broken_factory", BROKEN["gives_up_after_4_polls"][0], raising=False)
    result = results_of(
        PythonAdapter(f"{__name__}:_broken_factory"), SuiteOptions(max_examples=3, only=["polls_until_done"])
    )
    assert result["polls_until_done"].status == FAILED
    assert "gave up after 4 poll(s)" in result["polls_until_done"].message
    assert "pending_polls=24" in result["polls_until_done"].example


def test_a_client_that_ignores_retry_after_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_broken_factory", BROKEN["retries_429_at_once"][0], raising=False)
    result = results_of(
        PythonAdapter(f"{__name__}:_broken_factory"), SuiteOptions(max_examples=2, only=["retries_transient"])
    )
    verdict = result["retries_transient"]
    assert verdict.status == FAILED
    # Caught by the fixed 429 that says Retry-After: 1, or sooner by a generated one saying 0
    # (the client then breaks the 0.1 s bound): either way, for calling again at once.
    assert re.search(r"called again 0\.0\d\d s after a 429", verdict.message), verdict.message


def test_a_client_that_retries_a_5xx_at_once_is_hammering(monkeypatch: pytest.MonkeyPatch) -> None:
    class Hammers(_GivesUpAfterFour):
        contract_claims = frozenset({"retries"})

        def _wait(self, response: requests.Response, attempt: int) -> float:
            return float(response.headers.get("Retry-After") or 0)

    monkeypatch.setattr(sys.modules[__name__], "_hammers", Hammers, raising=False)
    result = results_of(PythonAdapter(f"{__name__}:_hammers"), SuiteOptions(max_examples=1, only=["retries_transient"]))
    verdict = result["retries_transient"]
    assert verdict.status == FAILED
    assert "(at least 0.1 s between calls)" in verdict.message


def test_an_async_httpx_client_runs_unchanged_on_one_event_loop() -> None:
    from tests.clients import async_httpx

    async_httpx.LOOPS.clear()
    adapter = PythonAdapter("tests.clients.async_httpx:AsyncUpscaleClient")
    assert adapter.claims == set(EVERY_CLAIM)
    results = results_of(
        adapter, SuiteOptions(max_examples=2, min_poll_interval=0.005, operations=["fast", "creative"])
    )
    assert {name: result.status for name, result in results.items()} == dict.fromkeys(PROPERTIES, PASSED)
    assert len(async_httpx.LOOPS) == 1


def test_an_async_client_that_drops_a_field_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.clients.async_httpx import AsyncUpscaleClient

    class DropsSeed(AsyncUpscaleClient):
        async def creative(self, image: bytes, **fields: object) -> bytes:
            fields.pop("seed", None)
            return await super().creative(image, **fields)

    monkeypatch.setattr(sys.modules[__name__], "_drops_seed", DropsSeed, raising=False)
    adapter = PythonAdapter(f"{__name__}:_drops_seed")
    results = results_of(adapter, SuiteOptions(max_examples=2, only=["fields_as_sent"], operations=["creative"]))
    result = results["fields_as_sent"]
    assert result.status == FAILED
    assert "left out seed (asked for " in result.message


def test_operations_a_client_lacks_are_not_covered() -> None:
    class FastOnly:
        def __init__(self, base_url: str, api_key: str) -> None:
            from contract_tests.reference_client import contract_factory

            self._client = contract_factory(base_url, api_key)

        def fast(self, image: bytes, **fields: object) -> bytes:
            return self._client.fast(image, **fields)

    sys.modules[__name__].FastOnly = FastOnly  # type: ignore[attr-defined]
    results = results_of(PythonAdapter(f"{__name__}:FastOnly"), SuiteOptions(max_examples=3))
    assert results["polls_until_done"].status == NOT_COVERED
    assert results["honours_content_filtered"].status == NOT_COVERED
    assert results["returns_exact_image"].status == PASSED
    assert results["retries_transient"].status == SKIPPED


@pytest.mark.parametrize(
    "template",
    [
        "bash examples/upscale.sh {operation} {image} {output} {fields}",
        f"{sys.executable} examples/upscale_client.py {{operation}} {{image}} {{output}} {{fields}}",
    ],
)
@pytest.mark.parametrize("profile", ["seed", "live"])
def test_command_clients_keep_the_contract(template: str, profile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("STABILITY_POLL_SECONDS", "0.01")
    monkeypatch.setenv("STABILITY_BACKOFF_SECONDS", "0.01")
    results = results_of(CommandAdapter(template), SuiteOptions(max_examples=3, profile=profile))
    failed = {name: r.message for name, r in results.items() if r.status == FAILED}
    assert not failed
    assert succeeded(list(results.values()))


@pytest.mark.parametrize(
    "template",
    [
        "node examples/upscale.mjs {operation} {image} {output} {fields}",
        "perl examples/upscale.pl {operation} {image} {output} {fields}",
    ],
    ids=["node", "perl"],
)
def test_clients_in_other_languages_keep_the_contract(template: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples in Node (nothing but Node 20) and Perl (core modules), claims and all."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("STABILITY_POLL_SECONDS", "0.01")
    monkeypatch.setenv("STABILITY_BACKOFF_SECONDS", "0.1")
    results = results_of(CommandAdapter(template, claims=EVERY_CLAIM), SuiteOptions(max_examples=1))
    assert {name: r.status for name, r in results.items() if r.status != PASSED} == {"poll_interval": SKIPPED}


def test_a_broken_command_client_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    adapter = CommandAdapter("bash tests/clients/writes_error_as_image.sh {operation} {image} {output} {fields}")
    result = results_of(adapter, SuiteOptions(max_examples=10, only=["errors_surface"]))["errors_surface"]
    assert result.status == FAILED
    assert "yet the client reported success" in result.message


def test_cli_passes_the_reference_client_and_writes_junit(tmp_path: Path) -> None:
    report = tmp_path / "contract.xml"
    outcome = CliRunner().invoke(
        main,
        ["contract", "--client", REFERENCE, "--max-examples", "3", "--claim", "retries", "--junit-xml", str(report)],
    )
    assert outcome.exit_code == 0, outcome.output
    assert "PASSED       returns_exact_image" in outcome.output
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert {case.get("name") for case in suite.iter("testcase")} == set(PROPERTIES)


def test_cli_passes_the_reference_client_under_the_live_profile() -> None:
    outcome = CliRunner().invoke(
        main,
        [
            "contract", "--client", REFERENCE, "--profile", "live", "--max-examples", "2",
            "--property", "returns_exact_image", "--property", "polls_until_done",
        ],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    assert "(profile: live;" in outcome.output
    assert "PASSED       polls_until_done" in outcome.output and "PASSED       returns_exact_image" in outcome.output


def test_cli_fails_a_broken_client_with_the_property_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_broken_factory", BROKEN["no_auth"][0], raising=False)
    report = tmp_path / "broken.xml"
    outcome = CliRunner().invoke(
        main,
        ["contract", "--client", f"{__name__}:_broken_factory", "--max-examples", "3", "--junit-xml", str(report)],
    )
    assert outcome.exit_code == 1
    assert "FAILED       sends_auth" in outcome.output
    failures = [
        case.get("name") for case in ElementTree.parse(report).iter("testcase") if case.find("failure") is not None
    ]
    assert "sends_auth" in failures


def test_cli_holds_a_client_to_max_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_limited", _GivesUpAfterFour, raising=False)
    arguments = [
        "contract",
        "--client",
        f"{__name__}:_limited",
        "--max-examples",
        "2",
        "--property",
        "polls_until_done",
    ]
    assert CliRunner().invoke(main, arguments).exit_code == 0
    held = CliRunner().invoke(main, [*arguments, "--max-polls", "6"])
    assert held.exit_code == 1
    assert "though it declares max_polls=6" in held.output


def test_cli_imports_a_client_from_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed console script has no working folder on sys.path; ``--app-dir`` (default ``.``) adds it."""
    (tmp_path / "client_beside_me.py").write_text("from contract_tests.reference_client import contract_factory\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", ".", str(tmp_path))])
    arguments = ["contract", "--client", "client_beside_me:contract_factory", "--operations", "fast"]
    outcome = CliRunner().invoke(main, [*arguments, "--max-examples", "1", "--property", "requests_valid"])
    assert outcome.exit_code == 0, outcome.output
    assert str(tmp_path) in sys.path
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delitem(sys.modules, "client_beside_me")
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry != str(tmp_path)])
    missing = CliRunner().invoke(main, arguments)
    assert missing.exit_code == 2
    assert "cannot import 'client_beside_me'" in missing.output
    found = CliRunner().invoke(
        main, [*arguments, "--app-dir", str(tmp_path), "--max-examples", "1", "--property", "requests_valid"]
    )
    assert found.exit_code == 0, found.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "give exactly one of --client and --client-cmd"),
        (["--client", "nope"], "must look like module:factory"),
        (["--client", "no_such_module_x:f"], "cannot import 'no_such_module_x'"),
        (["--client-cmd", "echo {image}"], "must contain {output}"),
        (["--client", REFERENCE, "--operations", "slow"], "unknown operation(s): slow"),
    ],
)
def test_cli_usage_errors(arguments: list[str], message: str) -> None:
    outcome = CliRunner().invoke(main, ["contract", *arguments])
    assert outcome.exit_code == 2
    assert message in outcome.output


class _NeverPolls(UpscaleClient):
    """As LiteLLM's creative: the start's ``{"id"}`` is taken as the whole (empty) answer, so no poll is sent."""

    def creative(self, image: bytes, **fields: object) -> bytes:
        self._send("POST", "/v2beta/stable-image/upscale/creative", image=image, fields=dict(fields))
        return b""


def test_a_property_no_example_exercised_is_not_exercised_and_fails_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_never_polls", _NeverPolls, raising=False)
    adapter = PythonAdapter(f"{__name__}:_never_polls")
    only = ["polls_real_path", "requests_valid"]
    results = results_of(adapter, SuiteOptions(max_examples=6, operations=["creative"], only=only))
    verdict = results["polls_real_path"]
    assert verdict.status == NOT_EXERCISED
    assert verdict.message.startswith("no example exercised it: the client never polled (1 request(s))")
    assert results["requests_valid"].status == PASSED
    assert not succeeded(list(results.values()))
    assert succeeded(list(results.values()), allow_unexercised=True)


def test_a_fault_is_named_only_if_it_fired(monkeypatch: pytest.MonkeyPatch) -> None:
    """The staged poll error never fires for a client that never polls: the message says so, from the journal."""
    monkeypatch.setattr(sys.modules[__name__], "_never_polls", _NeverPolls, raising=False)
    adapter = PythonAdapter(f"{__name__}:_never_polls")
    results = results_of(adapter, SuiteOptions(max_examples=10, operations=["creative"], only=["errors_surface"]))
    verdict = results["errors_surface"]
    assert verdict.status == FAILED
    assert "server answered" not in verdict.message
    never_fired = r"the staged \d{3} at poll never fired \(1 request\(s\)\), yet the client reported success"
    assert re.match(never_fired, verdict.message), verdict.message


def test_cli_fails_an_unexercised_property_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_never_polls", _NeverPolls, raising=False)
    report = tmp_path / "contract.xml"
    arguments = [
        "contract", "--client", f"{__name__}:_never_polls", "--operations", "creative",
        "--max-examples", "2", "--property", "polls_real_path", "--property", "requests_valid",
        "--junit-xml", str(report),
    ]  # fmt: skip
    refused = CliRunner().invoke(main, arguments)
    assert refused.exit_code == 1, refused.output
    assert "NOT EXERCISED polls_real_path  no example exercised it: the client never polled" in refused.output
    assert "1 passed, 0 failed, 1 not exercised" in refused.output
    skipped = ElementTree.parse(report).getroot().find("testsuite/testcase[@name='polls_real_path']/skipped")
    assert skipped is not None
    assert skipped.get("message", "").startswith("not exercised: no example exercised it: the client never polled")
    assert CliRunner().invoke(main, [*arguments, "--allow-unexercised"]).exit_code == 0


HTTPS_ONLY = f"{sys.executable} tests/clients/https_only.py {{operation}} {{image}} {{output}} {{fields}}"


def test_a_client_that_hard_codes_the_live_host_is_tested_unchanged_behind_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    for name in ("HTTPS_PROXY", "https_proxy", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    only = ["returns_exact_image", "polls_real_path", "errors_surface"]
    options = SuiteOptions(max_examples=2, operations=["fast", "creative"], only=only, proxy=True)
    results = results_of(CommandAdapter(HTTPS_ONLY), options)
    assert {name: result.status for name, result in results.items()} == dict.fromkeys(only, PASSED), results
    assert "HTTPS_PROXY" not in os.environ, "the proxy's variables last only as long as the run"


def test_a_client_that_refuses_plain_http_is_tested_over_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    template = HTTPS_ONLY.replace("https_only.py", "https_only.py --base-from-env")
    only = ["requests_valid", "returns_exact_image"]
    plain = results_of(CommandAdapter(template), SuiteOptions(max_examples=1, operations=["fast"], only=only))
    assert plain["returns_exact_image"].status == FAILED
    assert "refusing 'http://127.0.0.1:" in plain["returns_exact_image"].message
    assert plain["returns_exact_image"].client_output.startswith("exit 2: https_only: refusing 'http://127.0.0.1:")
    options = SuiteOptions(max_examples=2, operations=["fast", "conservative"], only=only, tls=True)
    assert {name: r.status for name, r in results_of(CommandAdapter(template), options).items()} == dict.fromkeys(
        only, PASSED
    )


def test_cli_tests_a_hard_coded_client_through_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    arguments = ["contract", "--client-cmd", HTTPS_ONLY, "--operations", "fast", "--max-examples", "1"]
    outcome = CliRunner().invoke(main, [*arguments, "--property", "returns_exact_image", "--proxy", "--tls"])
    assert outcome.exit_code == 0, outcome.output
    assert "PASSED       returns_exact_image" in outcome.output


class _RetriesOnlySubmit(_GivesUpAfterFour):
    """As stability-ai-api's ``waitForResult``: a 429 on submit is retried, one on a poll is not."""

    def _send(
        self, method: str, path: str, *, image: bytes | None = None, fields: dict[str, object] | None = None
    ) -> requests.Response:
        if method != "GET":
            return super()._send(method, path, image=image, fields=fields)
        retries, self.retries = self.retries, 0
        try:
            return super()._send(method, path, image=image, fields=fields)
        finally:
            self.retries = retries


@pytest.mark.parametrize(
    ("claim", "status"),
    [("retries:submit", PASSED), ("retries:poll", FAILED), ("retries", FAILED)],
)
def test_retries_are_claimed_per_phase(claim: str, status: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_submit_only", _RetriesOnlySubmit, raising=False)
    adapter = PythonAdapter(f"{__name__}:_submit_only", claims=[claim])
    options = SuiteOptions(max_examples=2, operations=["creative"], only=["retries_transient"])
    verdict = results_of(adapter, options)["retries_transient"]
    assert verdict.status == status, verdict
    if status == FAILED:
        assert "at poll" in verdict.example, verdict.example


def test_a_poll_claim_on_a_client_that_never_polls_says_why_it_is_not_covered() -> None:
    adapter = PythonAdapter(REFERENCE, claims=["retries:poll"])
    options = SuiteOptions(
        max_examples=1, operations=["fast", "conservative"], only=["retries_transient"], profile="live"
    )
    verdict = results_of(adapter, options)["retries_transient"]
    assert verdict.status == NOT_COVERED
    assert verdict.message == (
        "none of the client's operations (conservative, fast) is polled under --profile live (claimed for poll only)"
    )


class _IgnoresFinishReason(_GivesUpAfterFour):
    """Hands back an image whatever its ``finish-reason`` says."""

    def _image_of(self, response: requests.Response) -> bytes:
        return response.content


def test_content_filtering_is_checked_on_an_answer_given_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live conservative answers at once and can come back CONTENT_FILTERED (a filtered prompt)."""
    options = SuiteOptions(
        max_examples=3, operations=["conservative"], only=["honours_content_filtered"], profile="live"
    )
    kept = results_of(PythonAdapter(REFERENCE, claims=["content_filtered"]), options)["honours_content_filtered"]
    assert (kept.status, kept.exercised) == (PASSED, 3)
    monkeypatch.setattr(sys.modules[__name__], "_ignores", _IgnoresFinishReason, raising=False)
    broken = results_of(PythonAdapter(f"{__name__}:_ignores", claims=["content_filtered"]), options)
    verdict = broken["honours_content_filtered"]
    assert verdict.status == FAILED
    assert verdict.message.startswith("the result was CONTENT_FILTERED, yet the client reported success")
    assert "filter_words=['contractfiltered']" in verdict.example


def test_fast_cannot_be_filtered_and_says_so() -> None:
    options = SuiteOptions(max_examples=1, operations=["fast"], only=["honours_content_filtered"], profile="live")
    verdict = results_of(PythonAdapter(REFERENCE, claims=["content_filtered"]), options)["honours_content_filtered"]
    assert (verdict.status, verdict.message) == (
        NOT_COVERED,
        "none of the client's operations (fast) can answer CONTENT_FILTERED",
    )


class _NoStylePreset(_GivesUpAfterFour):
    """As npm ``stability-ai``'s creative: it has no option for ``style_preset``, so the field is dropped."""

    def creative(self, image: bytes, **fields: object) -> bytes:
        fields.pop("style_preset", None)
        return super().creative(image, **fields)


def test_a_field_the_client_cannot_send_is_skipped_and_said_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_no_style", _NoStylePreset, raising=False)
    report = tmp_path / "contract.json"
    arguments = [
        "contract", "--client", f"{__name__}:_no_style", "--operations", "creative", "--max-examples", "3",
        "--property", "fields_as_sent", "--property", "rejects_invalid_input", "--json", str(report),
    ]  # fmt: skip
    caught = CliRunner().invoke(main, arguments)
    assert caught.exit_code == 1
    assert "left out style_preset" in caught.output
    skipped = CliRunner().invoke(main, [*arguments, "--skip-field", "style_preset"])
    assert skipped.exit_code == 0, skipped.output
    assert "skipped field(s): style_preset" in skipped.output
    assert "2 passed, 0 failed (field(s) never sent: style_preset)" in skipped.output
    assert json.loads(report.read_text())["skipped_fields"] == ["style_preset"]


@pytest.mark.parametrize(
    ("field", "message"),
    [("prompt", "a required field cannot be skipped"), ("styel_preset", "none of the operations checked has that")],
)
def test_only_optional_fields_of_the_operations_can_be_skipped(field: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ContractRunner(PythonAdapter(REFERENCE), SuiteOptions(operations=["creative"], skip_fields=[field]))


def test_hypothesis_writes_in_the_cache_folder_not_the_working_folder(tmp_path: Path) -> None:
    """A fresh process (hypothesis caches its Unicode tables once per process, then on disk)."""
    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    arguments = ["--client", REFERENCE, "--max-examples", "1", "--property", "rejects_invalid_input"]
    script = "import sys; from mockserver.cli import main; main(sys.argv[1:])"
    finished = subprocess.run(
        [sys.executable, "-c", script, "contract", *arguments, "--cache-dir", str(cache)],
        cwd=work,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode()
    assert not (work / ".hypothesis").exists()
    assert (cache / "unicode_data").is_dir()


def test_an_operation_a_command_lacks_is_found_from_its_exit_status(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command exits 64 for an operation its client does not have (npm stability-ai has no fast upscale)."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("STABILITY_POLL_SECONDS", "0.01")
    monkeypatch.setenv("STABILITY_BACKOFF_SECONDS", "0.1")
    script = '[ "$0" = fast ] && exit 64; exec python examples/upscale_client.py "$0" "$@"'
    template = f"bash -c '{script}' {{operation}} {{image}} {{output}} {{fields}}"
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    runner = ContractRunner(CommandAdapter(template), SuiteOptions(max_examples=2, only=["returns_exact_image"]))
    verdict = runner.run()[0]
    assert runner.lacking == {"fast"}
    assert (verdict.status, verdict.operations) == (PASSED, ["conservative", "creative"])
