"""Schemathesis against ``spec/admin.yml``: every admin operation, every check, in-process.

Why: the admin API's bad inputs were found one at a time by probes (a list that
took gigabytes, wrong types on nullable fields, deep JSON, a huge ``?status=``,
each a 500 or worse). Here Schemathesis generates valid and invalid requests for
every operation of the document and judges each answer by the document alone:
no 5xx, only documented statuses, content types and bodies, valid input
accepted, invalid input refused with a 4xx, undeclared methods answered 405. The
run is derandomized and bounded, so the suite sees the same cases every time.

One choice keeps the checks meaningful: a fault's rules across fields (a status
or a transport fault, not both; Retry-After with 429 or 503 only; a job plan
alone) are stated in the FaultInput schema's prose, not as JSON Schema, so that
the 400 names the field in the mock's words. A schema-valid fault that breaks
one of them skips ``positive_data_acceptance``, but only when every line of its
400 names one of those rules.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckFunction
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance

from mockserver import Config, MemoryStore, create_app
from tests.conftest import ROOT

DOCUMENT = yaml.safe_load((ROOT / "spec" / "admin.yml").read_text("utf-8"))
APP = create_app(Config(store="memory://"), store=MemoryStore())
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict({"checks": {"enabled": True}, "generation": {"mode": "all"}}),
)
# Called in-process (WSGI), from loopback as the admin API requires: Schemathesis' own
# WSGI client names no peer, and every case would be a (documented) 403.
schema.app = APP
LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}

#: The 400's lines for a fault's rules across fields (FaultInput's description states them).
ACROSS_FIELDS = re.compile(
    r"transport: a fault answers with a status or a transport fault, not both"
    r"|retry_after: only a 429 or 503 fault answers Retry-After"
    r"|job: a job plan cannot be combined with a status or a transport fault"
    r"|operation: must be \* or one of .+"
    r"|status: \S+ never answers \d+"
    r"|error: \S+ is answered with status \d+, not \d+"
    r"|error: needs the status it is answered with \(\d+\)"
)


def test_every_admin_operation_is_tested() -> None:
    in_file = {
        operation["operationId"]
        for item in DOCUMENT["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    loaded = {schema.get_operation_id(result.ok()) for result in schema.get_all_operations() if isinstance(result, Ok)}
    assert loaded == in_file and len(in_file) == 21


@schema.parametrize()
@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_admin_api_conforms_to_admin_yml(case: Case[Any]) -> None:
    response = case.call(environ_base=LOOPBACK)
    assert response.status_code != 403, response.text
    excluded: list[CheckFunction] = []
    if (
        schema.get_operation_id(case.operation) == "mockAddFault"
        and response.status_code == 400
        and all(ACROSS_FIELDS.fullmatch(line) for line in response.json()["errors"])
    ):
        excluded.append(positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded)
