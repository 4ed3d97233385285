"""Settings are declared once (mockserver/settings/knobs.py): the CLI and spec/admin.yml say the same.

The documentation's settings reference is generated from the same declaration (tests/test_docs.py).

Adding a setting means one field in ``RuntimeSettings`` or ``Config``; these
tests then name every place that must mention it, with the same option,
variable, default and bounds.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from mockserver import Config, ConfigError
from mockserver.cli import main, serve
from mockserver.errors import BadRequest
from mockserver.settings.knobs import Knob, knobs, option_name
from mockserver.settings.runtime import RuntimeSettings
from tests.conftest import ROOT

ADMIN = yaml.safe_load((ROOT / "spec" / "admin.yml").read_text("utf-8"))

DECLARED = list(knobs(Config))
ON_THE_CLI = [(item, knob, kind) for item, knob, kind in DECLARED if knob.cli]
RUNTIME = [(item, knob, kind) for item, knob, kind in DECLARED if item.name in RuntimeSettings.field_names()]


def test_every_setting_is_declared_with_help() -> None:
    assert {item.name for item, _, _ in DECLARED} == {field for field in Config.__dataclass_fields__}
    assert all(knob.help for _, knob, _ in DECLARED)


def test_the_serve_options_are_the_declared_ones() -> None:
    options = {option for param in serve.params if isinstance(param, click.Option) for option in param.opts}
    assert options - {"--help", "-h"} == {option_name(item, knob) for item, knob, _ in ON_THE_CLI}


@pytest.mark.parametrize(("item", "knob", "kind"), RUNTIME, ids=[item.name for item, _, _ in RUNTIME])
def test_admin_yml_states_each_runtime_setting_with_its_bounds(
    item: dataclasses.Field[Any], knob: Knob, kind: Any
) -> None:
    schema = ADMIN["components"]["schemas"]["RuntimeSettings"]
    assert item.name in schema["required"]
    prop = schema["properties"][item.name]
    assert prop.get("minimum") == knob.minimum
    assert prop.get("maximum") == knob.maximum
    expected_type = {int: "integer", float: "number", str: "string"}.get(kind, "array")
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    assert expected_type in types
    assert ("null" in types) == (item.default is None)
    assert prop.get("maxItems") == knob.max_items
    assert prop.get("items", {}).get("maxLength") == knob.max_length


def test_admin_yml_has_no_other_runtime_settings() -> None:
    properties = ADMIN["components"]["schemas"]["RuntimeSettings"]["properties"]
    assert set(properties) == set(RuntimeSettings.field_names())


# Every entrance holds numbers to the same bounds -----------------------------------------


#: Each bounded number with each way to miss: out of bounds, and (for decimals) not finite.
BAD_NUMBERS = [
    pytest.param(item, knob, kind, bad, id=f"{item.name}-{bad}")
    for item, knob, kind in DECLARED
    if kind in (int, float) and knob.maximum is not None
    for bad in ("above", "below", *(("nan", "inf", "-inf") if kind is float else ()))
]


@pytest.mark.parametrize(("item", "knob", "kind", "bad"), BAD_NUMBERS)
def test_a_bad_number_is_refused_at_every_entrance(
    item: dataclasses.Field[Any], knob: Knob, kind: Any, bad: str
) -> None:
    value: Any = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(bad)
    if bad == "above":
        value = kind(knob.maximum) + 1
    elif bad == "below":
        value = kind(knob.minimum) - 1
    text = str(value)
    with pytest.raises(ConfigError, match=rf"^{item.name}: must be"):
        Config(**{item.name: value})
    with pytest.raises(ConfigError, match=rf"^STABILITY_MOCK_{item.name.upper()}: "):
        Config.from_env({f"STABILITY_MOCK_{item.name.upper()}": text})
    if knob.cli:
        result = CliRunner().invoke(main, ["serve", option_name(item, knob), text])
        assert result.exit_code == 2, result.output
        assert f"Invalid value for '{option_name(item, knob)}'" in result.output
        assert "Traceback" not in result.output
    if item.name in RuntimeSettings.field_names():
        with pytest.raises(BadRequest) as caught:
            RuntimeSettings().updated({item.name: value})
        assert caught.value.errors[0].startswith(f"{item.name}: must be")


def test_text_that_is_no_integer() -> None:
    result = CliRunner().invoke(main, ["serve", "--workers", "nan"])
    assert result.exit_code == 2
    with pytest.raises(ConfigError, match=r"^STABILITY_MOCK_PORT: 'inf' is not a valid int"):
        Config.from_env({"STABILITY_MOCK_PORT": "inf"})


def test_wrong_types_are_refused_not_crashed_on() -> None:
    with pytest.raises(BadRequest) as caught:
        RuntimeSettings().updated({"credits": "lots", "pending_polls": True, "latency_ms": [1]})
    assert sorted(caught.value.errors) == [
        "credits: must be an integer, got 'lots'",
        "latency_ms: must be a number, got [1]",
        "pending_polls: must be an integer, got True",
    ]


@given(
    pending_polls=st.integers(-(2**70), 2**70),
    latency_ms=st.floats(allow_nan=True, allow_infinity=True),
)
def test_any_value_is_accepted_exactly_when_it_is_in_bounds(pending_polls: int, latency_ms: float) -> None:
    expected_ok = 0 <= pending_polls <= 10_000 and math.isfinite(latency_ms) and 0 <= latency_ms <= 600_000
    try:
        RuntimeSettings().updated({"pending_polls": pending_polls, "latency_ms": latency_ms})
    except BadRequest:
        assert not expected_ok
    else:
        assert expected_ok


# Staged values: faults, plans and balances are bounded like the settings -----------------


@pytest.fixture
def admin_client(tmp_path: Path) -> FlaskClient:
    from mockserver import create_app

    return create_app(Config(store=f"sqlite:///{tmp_path / 'mock.sqlite3'}")).test_client()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"latency_ms": NaN, "times": 1}', "latency_ms: must be a finite number, got nan"),
        ('{"latency_ms": 1e400}', "latency_ms: must be ≤ 600000"),
        ('{"jitter_ms": 700000}', "jitter_ms: must be ≤ 600000"),
        ('{"job": {"job_seconds": NaN}}', "job.job_seconds: must be a finite number, got nan"),
        ('{"job": {"pending_polls": 10001}}', "job.pending_polls: must be ≤ 10000"),
        ('{"seed": 99999999999999999999999}', "seed: must be ≤ 4294967295"),
    ],
)
def test_a_fault_with_a_bad_number_is_a_400(admin_client: FlaskClient, body: str, error: str) -> None:
    response = admin_client.post("/_mock/faults", data=body, content_type="application/json")
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["errors"] == [error]
    assert admin_client.get("/_mock/faults").get_json()["faults"] == []


@pytest.mark.parametrize("balance", [10**30, 2**63, -1])
def test_a_balance_out_of_range_is_a_400_not_a_store_overflow(admin_client: FlaskClient, balance: int) -> None:
    response = admin_client.put("/_mock/credits/sk-x", json={"balance": balance})
    assert response.status_code == 400
    assert response.get_json()["name"] == "bad_request"
    assert admin_client.put("/_mock/credits/sk-x", json={"balance": 10**12}).status_code == 200


@pytest.mark.parametrize(
    ("option", "value", "variable"),
    [
        ("--admin-token", "clé-secrète", "admin_token"),
        ("--admin-token", "two words", "admin_token"),
        ("--api-key", "sk-\u00e9t\u00e9", "api_keys: key 1"),
    ],
)
def test_a_key_or_token_no_client_could_send_is_refused_at_start(option: str, value: str, variable: str) -> None:
    """Headers are bytes: a non-ASCII token arrives in whatever encoding the client picked, so it never matches."""
    result = CliRunner().invoke(main, ["serve", option, value, "--store", "memory://"])
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert line == f"Error: {variable}: must be printable ASCII without spaces: HTTP clients send other " + (
        "characters in different encodings, so such a value could never match"
    )
    assert value not in result.output


def test_a_hostile_scenario_stops_start_up_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yml"
    path.write_text("a: &a [x, x]\nb: &b [*a, *a]\nc: [" + ", ".join(["*b"] * 30_000) + "]\n")
    result = CliRunner().invoke(main, ["serve", "--scenario", str(path), "--store", "memory://"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"Error: scenario {path}: expands to more than 100,000 values (YAML aliases?)"
    ]


def test_every_entrance_bounds_the_word_lists() -> None:
    with pytest.raises(BadRequest, match="must have at most 1,000 items"):
        RuntimeSettings().updated({"filter_words": ["w"] * 1001})
    with pytest.raises(ConfigError, match="each must be at most 200 characters"):
        Config(language_words=("w" * 201,))
