"""Scenario files: checked against the admin spec, applied at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver import Config, ConfigError, MemoryStore, create_app
from mockserver.control.scenario import load_scenario
from mockserver.pipeline.auth import fingerprint
from tests.conftest import AUTH, FAST_PATH, SpecCheckedClient, Upload
from tests.images import png

SCENARIO = """
settings:
  pending_polls: 2
  rate_limit: 150/10s
  credits: 100
  moderation_words: [Forbidden]
faults:
  - {operation: upscaleImageFast, status: 429, times: 2}
  - operation: upscaleImageCreative
    job: {pending_polls: null}
credits:
  sk-low-balance: 1
"""


def test_a_scenario_is_applied_when_the_app_starts(tmp_path: Path, upload: Upload) -> None:
    path = tmp_path / "bad-day.yml"
    path.write_text(SCENARIO)
    app = create_app(Config(store="memory://", scenario=path), store=MemoryStore())
    app.test_client_class = SpecCheckedClient
    client = app.test_client()
    settings = client.get("/_mock/settings").get_json()
    assert (settings["pending_polls"], settings["rate_limit"], settings["credits"]) == (2, "150/10s", 100)
    assert settings["moderation_words"] == ["forbidden"]
    assert [fault["status"] for fault in client.get("/_mock/faults").get_json()["faults"]] == [429, None]
    assert client.get("/_mock/credits/sk-low-balance").get_json()["balance"] == 1
    statuses = [client.post(FAST_PATH, data=upload(png(40, 40)), headers=AUTH).status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    low = client.post(FAST_PATH, data=upload(png(40, 40)), headers={"Authorization": "sk-low-balance"})
    assert low.status_code == 402


def test_a_scenario_may_name_its_settings_config_as_files_first_did(tmp_path: Path) -> None:
    path = tmp_path / "old.yml"
    path.write_text("config:\n  pending_polls: 7\n")
    app = create_app(Config(store="memory://", scenario=path), store=MemoryStore())
    assert app.test_client().get("/_mock/settings").get_json()["pending_polls"] == 7


def test_a_scenario_stages_faults_for_one_key(tmp_path: Path, upload: Upload) -> None:
    path = tmp_path / "one-key.yml"
    path.write_text(
        "faults:\n"
        "  - {operation: upscaleImageFast, status: 429, key: sk-flaky-tenant}\n"
        "  - {operation: upscaleImageCreative, job: {pending_polls: null}, key: sk-flaky-tenant}\n"
    )
    app = create_app(Config(store="memory://", scenario=path), store=MemoryStore())
    app.test_client_class = SpecCheckedClient
    client = app.test_client()
    faults = client.get("/_mock/faults").get_json()["faults"]
    # Kept by fingerprint: the raw key in the file is never stored.
    assert [fault["key"] for fault in faults] == [fingerprint("sk-flaky-tenant")] * 2
    assert client.post(FAST_PATH, data=upload(png(40, 40)), headers=AUTH).status_code == 200
    tenant = {"Authorization": "Bearer sk-flaky-tenant"}
    assert client.post(FAST_PATH, data=upload(png(40, 40)), headers=tenant).status_code == 429


BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + level)}: &{chr(98 + level)} [{', '.join(['*' + chr(97 + level)] * 9)}]" for level in range(8)]
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "faults:\n  - {status: 418}\n",
            "faults.0.status: must be one of: 400, 401, 402, 403, 404, 413, 422, 429, 500, 503",
        ),
        ("settings: {pending_polls: -1}\n", "settings.pending_polls: must be ≥ 0"),
        ("config: {pending_polls: -1}\n", "config.pending_polls: must be ≥ 0"),
        ("colour: red\n", "colour: is not a known field"),
        ("credits: {sk-x: lots}\n", "credits.sk-x: must be an integer, got 'lots'"),
        ("faults: [\n", "while parsing"),
        (BILLION_LAUGHS, "expands to more than 100,000 values (YAML aliases?)"),
        ("config: &loop\n  nested: *loop\n", "refers to itself through an alias"),
        ("[" * 100_000 + "]" * 100_000, "nesting depth"),
        ("# " + "x" * (1024 * 1024) + "\n", "larger than 1,048,576 bytes"),
        ("- just\n- a list\n", "must be an object"),
    ],
)
def test_bad_scenarios_are_refused_with_where_and_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"scenario .*bad\.yml: ") as caught:
        load_scenario(path)
    assert message in str(caught.value)


def test_an_empty_scenario_is_nothing_to_do(tmp_path: Path) -> None:
    path = tmp_path / "empty.yml"
    path.write_text("")
    assert load_scenario(path) == {}


def test_a_scenario_naming_an_unknown_operation_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "typo.yml"
    path.write_text("faults:\n  - {operation: upscaleImageFaster, status: 500}\n")
    with pytest.raises(ConfigError, match=r"typo\.yml: operation: must be \* or one of"):
        create_app(Config(store="memory://", scenario=path), store=MemoryStore())


def test_a_scenario_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_bytes(b"config: {moderation_words: [\xff]}\n")
    with pytest.raises(ConfigError, match=r"bad\.yml: 'utf-8' codec can't decode"):
        load_scenario(path)


def test_aliases_within_bounds_still_work(tmp_path: Path) -> None:
    path = tmp_path / "ok.yml"
    path.write_text("faults:\n  - &slow {operation: upscaleImageFast, latency_ms: 10}\n  - *slow\n")
    assert [fault["latency_ms"] for fault in load_scenario(path)["faults"]] == [10, 10]


def test_a_scenario_sets_the_timing_preset(tmp_path: Path) -> None:
    path = tmp_path / "slow-day.yml"
    path.write_text("settings:\n  timing: live\n  timing_scale: 0.1\n")
    app = create_app(Config(store="memory://", scenario=path), store=MemoryStore())
    settings = app.test_client().get("/_mock/settings").get_json()
    assert (settings["timing"], settings["timing_scale"]) == ("live", 0.1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("settings: {timing: slow}\n", "settings.timing: must be one of"),
        ("settings: {timing_scale: 11}\n", "settings.timing_scale: must be ≤ 10"),
    ],
)
def test_a_scenario_with_a_bad_timing_preset_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert message in str(caught.value)
