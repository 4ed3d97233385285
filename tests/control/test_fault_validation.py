"""A bad fault is refused through every door: ``Fault.from_dict``, the admin API, a scenario, the pytest fixture.

The admin API and scenario files are also checked against spec/admin.yml; the
pytest fixture's ``add_fault`` is not, so ``Fault.problems`` is its only guard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from contract_tests import LiveServer
from contract_tests.handle import StabilityMock
from mockserver import Config, MemoryStore, create_app
from mockserver.errors import BadRequest, ConfigError
from mockserver.models import Fault, JobPlan

#: A bad fault and the one problem ``Fault.problems`` states for it.
BAD: list[tuple[dict[str, Any], str]] = [
    ({"status": 418}, "status: must be one of 400, 401, 402, 403, 404, 413, 422, 429, 500, 503"),
    ({"transport": "explode"}, "transport: must be one of reset, truncate, stall"),
    ({"status": 500, "transport": "reset"}, "transport: a fault answers with a status or a transport fault, not both"),
    ({"status": 500, "retry_after": 5}, "retry_after: only a 429 or 503 fault answers Retry-After"),
    ({"status": 429, "retry_after": -1}, "retry_after: must be ≥ 0"),
    ({"status": 503, "retry_after": 3601}, "retry_after: must be ≤ 3,600"),
    ({"times": 0}, "times: must be ≥ 1 (or null for every call)"),
    ({"latency_ms": -5}, "latency_ms: must be ≥ 0"),
    ({"latency_ms": 600_001}, "latency_ms: must be ≤ 600,000"),
    ({"jitter_ms": -1}, "jitter_ms: must be ≥ 0"),
    ({"jitter_ms": 600_001}, "jitter_ms: must be ≤ 600,000"),
    ({"stall_seconds": 0}, "stall_seconds: must be between 0 and 110"),
    ({"stall_seconds": 110.5}, "stall_seconds: must be between 0 and 110"),
    ({"job": {"outcome": "explode"}}, "job.outcome: must be one of success, fail, content_filtered"),
    (
        {"status": 500, "job": {"pending_polls": 1}},
        "job: a job plan cannot be combined with a status or a transport fault",
    ),
    (
        {"transport": "reset", "job": {"pending_polls": 1}},
        "job: a job plan cannot be combined with a status or a transport fault",
    ),
    ({"job": {"pending_polls": -1}}, "job.pending_polls: must be ≥ 0"),
    ({"job": {"pending_polls": 10_001}}, "job.pending_polls: must be ≤ 10,000"),
    ({"job": {"job_seconds": -1}}, "job.job_seconds: must be ≥ 0"),
    ({"job": {"job_seconds": 86_401}}, "job.job_seconds: must be ≤ 86,400"),
    (
        {"error": "nope", "status": 422},
        "error: must be one of bad_request, content_moderation, generation_not_found, internal_error, "
        "invalid_language, payload_too_large, payment_required, public_figure, rate_limit_exceeded, "
        "service_unavailable, unauthorized",
    ),
    ({"error": "public_figure"}, "error: needs the status it is answered with (422)"),
    ({"error": "public_figure", "status": 403}, "error: public_figure is answered with status 422, not 403"),
]

#: Faults exactly on each bound, which every door accepts.
GOOD: list[dict[str, Any]] = [
    {"status": 429, "retry_after": 0},
    {"status": 503, "retry_after": 3600},
    {"times": 1},
    {"times": None},
    {"latency_ms": 0, "jitter_ms": 0},
    {"latency_ms": 600_000, "jitter_ms": 600_000},
    {"transport": "stall", "stall_seconds": 110},
    {"transport": "stall", "stall_seconds": 0.5},
    {"transport": "truncate"},
    {"job": {"pending_polls": 0, "job_seconds": 0, "outcome": "fail"}},
    {"job": {"pending_polls": 10_000, "job_seconds": 86_400, "outcome": "content_filtered"}},
    {"job": {"pending_polls": None}},
    {"status": 422, "error": "public_figure"},
]


def field_of(problem: str) -> str:
    return problem.split(":")[0].split(".")[0]


@pytest.mark.parametrize(("values", "problem"), BAD)
def test_from_dict_states_the_problem(values: dict[str, Any], problem: str) -> None:
    with pytest.raises(BadRequest) as caught:
        Fault.from_dict(values)
    assert caught.value.errors == [problem]


@pytest.mark.parametrize(("values", "problem"), BAD)
def test_the_pytest_fixture_refuses_it(app: Flask, values: dict[str, Any], problem: str) -> None:
    mock = StabilityMock(LiveServer(app))
    with pytest.raises(BadRequest) as caught:
        mock.add_fault(**values)
    assert caught.value.errors == [problem]
    assert mock.control.faults() == []


@pytest.mark.parametrize(("values", "problem"), BAD)
def test_the_admin_api_refuses_it(client: FlaskClient, values: dict[str, Any], problem: str) -> None:
    response = client.post("/_mock/faults", json=values)
    assert response.status_code == 400
    assert any(line.startswith(field_of(problem)) for line in response.get_json()["errors"])
    assert client.get("/_mock/faults").get_json()["faults"] == []


@pytest.mark.parametrize(("values", "problem"), BAD)
def test_a_scenario_refuses_it(tmp_path: Path, values: dict[str, Any], problem: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(f"faults:\n  - {values!r}\n".replace("None", "null"))
    with pytest.raises(ConfigError, match=rf"bad\.yml: .*{field_of(problem)}"):
        create_app(Config(store="memory://", scenario=path), store=MemoryStore())


@pytest.mark.parametrize("values", GOOD)
def test_every_door_takes_a_fault_on_its_bounds(app: Flask, client: FlaskClient, values: dict[str, Any]) -> None:
    assert Fault.from_dict(values).problems() == []
    StabilityMock(LiveServer(app)).add_fault(**values)
    assert client.post("/_mock/faults", json=values).status_code == 201
    assert len(client.get("/_mock/faults").get_json()["faults"]) == 2


def test_an_unknown_field_is_named() -> None:
    with pytest.raises(BadRequest) as caught:
        Fault.from_dict({"status": 500, "colour": "red", "size": 3})
    assert caught.value.errors == ["colour: is not a fault field", "size: is not a fault field"]


def test_the_fixture_takes_a_job_plan_as_it_is() -> None:
    plan = JobPlan(pending_polls=3, job_seconds=2.5, outcome="fail")
    assert Fault.from_dict({"job": plan}).job == plan
    assert Fault.from_dict({"job": plan.as_job()}).job == plan


def test_a_fault_keeps_only_a_keys_fingerprint_never_the_key() -> None:
    with pytest.raises(BadRequest) as caught:
        Fault.from_dict({"status": 429, "key": "sk-raw-key"})
    assert caught.value.errors == [
        "key: must be a key fingerprint (key_ and 12 hex digits); a raw key is fingerprinted first"
    ]
    assert Fault.from_dict({"status": 429, "key": "key_0123456789ab"}).key == "key_0123456789ab"
