"""Drift's parts without a network: what an answer is reduced to, the comparison, the budget, the known file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from mockserver.drift.budget import plan
from mockserver.drift.client import Outcome
from mockserver.drift.compare import HIGH, LOW, Difference, compare
from mockserver.drift.control import SEEDED_FIELD, seeded_differences
from mockserver.drift.known import Known, apply_known, load_known
from mockserver.drift.observe import observe
from mockserver.drift.probes import DUMMY_KEY, catalogue, free_probes, paid_probes, png
from mockserver.errors import DriftError

ALL_PROBES = {probe.name for probe in catalogue()}
ERROR_HEADERS = {"Content-Type": "application/json", "x-request-id": "a" * 32}


def error(status: int, name: str, *lines: str, message: bool = False) -> bytes:
    body: dict[str, object] = {"id": "0123456789abcdef" * 2, "name": name, "errors": list(lines)}
    if message:
        body["message"] = lines[0]
    return json.dumps(body).encode()


def image_answer(width: int, height: int) -> Outcome:
    headers = {"Content-Type": "image/png", "finish-reason": "SUCCESS", "seed": "12", "x-request-id": "b" * 32}
    return Outcome(observe(200, headers, png(width, height)))


def job_answer(final_width: int) -> Outcome:
    job = observe(200, {"content-type": "application/json"}, json.dumps({"id": "c" * 64}).encode())
    pending = observe(
        202, {"content-type": "application/json"}, json.dumps({"id": "c" * 64, "status": "in-progress"}).encode()
    )
    return Outcome(job, pending, image_answer(final_width, final_width).first, (202, 200))


def test_an_answer_is_kept_as_its_shape_not_its_values() -> None:
    first = observe(400, ERROR_HEADERS, error(400, "bad_request", "prompt: required", "creativity: must be ≤ 0.5"))
    again = observe(
        400,
        {**ERROR_HEADERS, "x-request-id": "f" * 32},
        error(400, "bad_request", "creativity: must be ≤ 0.5", "prompt: required"),
    )
    assert first == again
    assert first.mode == "error"
    assert first.fields == {"errors": "array", "id": "hex32", "name": "string"}
    assert first.errors == ("creativity: must be ≤ 0.5", "prompt: required")
    assert first.headers == {"x-request-id": "present"}


def test_image_sizes_are_read_from_raw_bytes_and_from_json() -> None:
    assert image_answer(96, 40).first.size == (96, 40)
    encoded = base64.b64encode(png(64, 32)).decode()
    answer = observe(
        200, {"Content-Type": "application/json; type=image/png"}, json.dumps({"image": encoded, "seed": 1}).encode()
    )
    assert (answer.size, answer.mode, answer.media_type) == ((64, 32), "image", "application/json")


def test_sync_against_async_is_one_mode_difference_then_the_results_compared() -> None:
    found = compare("conservative", image_answer(3112, 3112), job_answer(2048))
    assert [(d.aspect, d.severity) for d in found] == [("mode", HIGH), ("result.size", LOW)]
    assert found[0].upstream == "sync: 200 image/png"
    assert found[0].mock == "async: 200 {id}, then 202 200"
    assert found[1].upstream == "3112x3112" and found[1].mock == "2048x2048"


def test_the_same_answers_from_two_calls_do_not_differ() -> None:
    assert compare("creative", job_answer(3152), job_answer(3152)) == []
    assert compare("fast", image_answer(256, 256), image_answer(256, 256)) == []


def test_error_differences_name_status_name_texts_and_fields() -> None:
    upstream = Outcome(observe(404, ERROR_HEADERS, error(404, "generation_not_found", "id: gone")))
    mock = Outcome(observe(400, ERROR_HEADERS, error(400, "bad_request", "id: bad", message=True)))
    found = {d.aspect: (d.severity, d.upstream, d.mock) for d in compare("not-found", upstream, mock)}
    assert found == {
        "status": (HIGH, "404", "400"),
        "error.name": (HIGH, "generation_not_found", "bad_request"),
        "error.texts": (LOW, "id: gone", "id: bad"),
        "field:message": (LOW, "absent", "string"),
    }


def test_a_field_the_upstream_sends_and_the_mock_lacks_is_high() -> None:
    upstream = Outcome(observe(400, ERROR_HEADERS, error(400, "bad_request", "x", message=True)))
    mock = Outcome(observe(400, ERROR_HEADERS, error(400, "bad_request", "x")))
    assert [(d.aspect, d.severity) for d in compare("p", upstream, mock)] == [("field:message", HIGH)]


def test_headers_that_matter_are_compared_by_presence_and_finish_reason_by_value() -> None:
    headers = {"Content-Type": "image/png", "finish-reason": "CONTENT_FILTERED", "x-request-id": "1"}
    filtered = Outcome(observe(200, headers, png(8, 8)))
    found = {d.aspect: (d.upstream, d.mock) for d in compare("fast", image_answer(8, 8), filtered)}
    assert found == {"header:finish-reason": ("SUCCESS", "CONTENT_FILTERED"), "header:seed": ("present", "absent")}


@pytest.mark.parametrize(
    ("budget", "chosen"),
    [
        (0, []),
        (1, []),
        (2, ["fast"]),
        (70, ["fast", "conservative", "v2alpha"]),
        (102, ["fast", "conservative", "creative"]),
        (127, ["fast", "conservative", "creative", "v2alpha"]),
    ],
)
def test_the_budget_buys_each_paid_probe_that_still_fits(budget: int, chosen: list[str]) -> None:
    bought = plan(paid_probes(), budget)
    assert [probe.name for probe in bought.chosen] == chosen
    assert bought.cost <= budget
    assert {probe.name for probe in bought.left_out} == {probe.name for probe in paid_probes()} - set(chosen)


def test_production_prices_and_free_probes_that_cannot_be_charged() -> None:
    assert {probe.name: probe.cost for probe in paid_probes()} == {
        "fast": 2,
        "conservative": 40,
        "creative": 60,
        "v2alpha": 25,
    }
    for probe in free_probes():
        assert probe.cost == 0
        # A free probe that uploads carries a key no account holds (or none): nothing can be charged.
        assert probe.method == "GET" or probe.key in ("dummy", "none"), probe.name
    assert DUMMY_KEY.startswith("sk-")
    names = [probe.name for probe in catalogue()]
    assert len(names) == len(set(names))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "known.yml"
    path.write_text(text, "utf-8")
    return path


def test_known_entries_accept_matching_differences_and_the_rest_are_stale(tmp_path: Path) -> None:
    known = load_known(
        write(
            tmp_path,
            "known:\n"
            "  - {probe: conservative, aspect: mode, reason: production is sync}\n"
            "  - {probe: 'validation-*', aspect: 'field:message', reason: the seed sends message}\n"
            "  - {probe: creative, aspect: size, reason: gone since}\n",
        )
    )
    differences = [
        Difference("conservative", "mode", HIGH, "sync", "async"),
        Difference("validation-fast", "field:message", LOW, "absent", "string"),
        Difference("fast", "status", HIGH, "200", "500"),
    ]
    ran = {"conservative", "validation-fast", "fast", "creative"}
    marked, stale, unchecked = apply_known(differences, known, ran, ALL_PROBES)
    assert [d.known for d in marked] == ["production is sync", "the seed sends message", None]
    assert (stale, unchecked) == ([Known("creative", "size", "gone since")], [])


def test_an_entry_naming_a_probe_that_did_not_run_is_unchecked_not_stale() -> None:
    creative = Known("creative", "mode", "creative was sync once")
    anything = Known("*", "result.size", "the seed renders 2048x2048")
    validation = Known("validation-*", "error.texts", "reworded")
    typo = Known("creatve", "mode", "a probe that does not exist")
    ran = {probe.name for probe in free_probes()}
    _, stale, unchecked = apply_known([], [creative, anything, validation, typo], ran, ALL_PROBES)
    assert (stale, unchecked) == ([validation, typo], [creative, anything])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("known: [", "not valid YAML"),
        ("- probe: x", "one key, known"),
        ("known:\n  - {probe: x, aspect: status}\n", "entry 1: reason must be a non-empty text"),
        ("known:\n  - {probe: x, aspect: status, reason: ok, severity: low}\n", "entry 1: unknown key severity"),
        ("known:\n  - just a line\n", "entry 1: must be a mapping"),
    ],
)
def test_a_bad_known_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DriftError, match=message):
        load_known(write(tmp_path, text))


def test_a_missing_known_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DriftError, match=r"--known .*missing\.yml: cannot be read"):
        load_known(tmp_path / "missing.yml")


def test_control_seeds_differences_the_comparison_must_see() -> None:
    found, missed = seeded_differences("conservative", image_answer(3112, 3112), job_answer(2048))
    assert missed == []
    seeded = sorted(d.aspect for d in found if d.seeded)
    assert seeded == ["result.field:" + SEEDED_FIELD, "result.status"]
    # The real difference is still there, not marked seeded.
    assert [d.aspect for d in found if not d.seeded] == ["mode", "result.size"]


def test_control_on_identical_answers_reports_only_the_seeded_ones() -> None:
    found, missed = seeded_differences("fast", image_answer(8, 8), image_answer(8, 8))
    assert missed == []
    assert {d.aspect for d in found} == {"status", "field:" + SEEDED_FIELD} and all(d.seeded for d in found)


def test_a_202_at_submit_against_an_image_is_the_same_sync_vs_async_difference() -> None:
    started = observe(202, {"content-type": "application/json"}, json.dumps({"id": "d" * 64}).encode())
    upstream = Outcome(started, None, image_answer(3112, 3112).first, (200,))
    found = compare("conservative", upstream, image_answer(3112, 3112))
    assert [(d.aspect, d.upstream, d.mock) for d in found] == [
        ("mode", "async: 202 {id}, then 200", "sync: 200 image/png")
    ]
