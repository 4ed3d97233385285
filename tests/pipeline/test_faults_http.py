"""Every staged behaviour, driven through the admin API over HTTP against a running server."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import pytest
import requests
from PIL import ImageFilter, ImageStat

from contract_tests import LiveServer
from mockserver import Config
from mockserver.control.local import Credits
from mockserver.control.remote import AdminError, MockAdmin
from mockserver.pipeline.auth import fingerprint
from tests.conftest import FIXTURES
from tests.images import decoded

SAMPLE = (FIXTURES / "sample.png").read_bytes()
KEY = "sk-http-tests"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer.for_config(Config(store="memory://", target_pixels=256 * 256)) as live:
        yield live


@pytest.fixture
def admin(server: LiveServer) -> Iterator[MockAdmin]:
    with MockAdmin(server.url) as client:
        client.reset()
        yield client


def fast(server: LiveServer, headers: dict[str, str] | None = None, **fields: str) -> requests.Response:
    return requests.post(
        server.url_for("/v2beta/stable-image/upscale/fast"),
        files={"image": ("sample.png", SAMPLE, "image/png")},
        data=fields,
        headers=headers or AUTH,
        timeout=30,
    )


def start(server: LiveServer, path: str = "creative", prompt: str = "a sunny day", **fields: str) -> requests.Response:
    return requests.post(
        server.url_for(f"/v2beta/stable-image/upscale/{path}"),
        files={"image": ("sample.png", SAMPLE, "image/png")},
        data={"prompt": prompt, **fields},
        headers=AUTH,
        timeout=30,
    )


def poll(server: LiveServer, generation_id: str, **headers: str) -> requests.Response:
    return requests.get(server.url_for(f"/v2beta/results/{generation_id}"), headers={**AUTH, **headers}, timeout=30)


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "bad_request"),
        (401, "unauthorized"),
        (402, "payment_required"),
        (403, "content_moderation"),
        (413, "payload_too_large"),
        (422, "invalid_language"),
        (429, "rate_limit_exceeded"),
        (500, "internal_error"),
        (503, "service_unavailable"),
    ],
)
def test_queued_status_faults_answer_the_live_error(
    server: LiveServer, admin: MockAdmin, status: int, name: str
) -> None:
    admin.add_fault(operation="upscaleImageFast", status=status, times=1)
    faulted = fast(server)
    assert faulted.status_code == status
    assert faulted.json()["name"] == name
    assert len(faulted.json()["id"]) == 32
    if status == 429:
        assert faulted.headers["Retry-After"] == "60"
    assert fast(server).status_code == 200


@pytest.mark.parametrize(("status", "retry_after"), [(429, 1), (429, 0), (503, 2)])
def test_a_staged_retry_after_is_what_the_answer_says(
    server: LiveServer, admin: MockAdmin, status: int, retry_after: int
) -> None:
    admin.add_fault(operation="upscaleImageFast", status=status, retry_after=retry_after)
    faulted = fast(server)
    assert faulted.status_code == status
    assert faulted.headers["Retry-After"] == str(retry_after)
    assert admin.faults() == []


def test_a_503_says_retry_after_only_when_staged(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageFast", status=503)
    assert "Retry-After" not in fast(server).headers


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 500, "retry_after": 1}, "retry_after: only a 429 or 503 fault answers Retry-After"),
        ({"retry_after": 1}, "retry_after: only a 429 or 503 fault answers Retry-After"),
        ({"status": 429, "retry_after": 3601}, "retry_after: must be ≤ 3600"),
        ({"status": 429, "retry_after": -1}, "retry_after: must be ≥ 0"),
        ({"status": 429, "retry_after": 1.5}, "retry_after: must be an integer"),
    ],
)
def test_a_retry_after_out_of_bounds_or_without_its_status_is_refused(
    admin: MockAdmin, fault: dict[str, float], error: str
) -> None:
    with pytest.raises(AdminError) as caught:
        admin.add_fault(operation="upscaleImageFast", **fault)
    assert caught.value.status == 400
    assert any(line.startswith(error) for line in caught.value.body["errors"]), caught.value.body


def test_fault_fires_times_then_stops_and_wildcards_match_any_operation(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="*", status=500, times=2, message="upstream: exploded")
    first = start(server)
    second = fast(server)
    assert (first.status_code, second.status_code) == (500, 500)
    assert second.json()["errors"] == ["upstream: exploded"]
    assert fast(server).status_code == 200
    assert admin.faults() == []


def test_faults_are_fifo_and_listed_with_their_remaining_uses(server: LiveServer, admin: MockAdmin) -> None:
    one = admin.add_fault(operation="upscaleImageFast", status=429, times=3)
    admin.add_fault(operation="upscaleImageFast", status=500)
    assert fast(server).status_code == 429
    listed = admin.faults()
    assert (listed[0].id, listed[0].times, listed[0].fired) == (one.id, 2, 1)
    assert admin.clear_faults(one.id) == 1
    assert fast(server).status_code == 500
    assert admin.clear_faults() == 0


def test_a_fault_for_another_operation_does_not_fire(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageCreative", status=429)
    assert fast(server).status_code == 200
    assert start(server).status_code == 429


def test_a_404_fault_fires_only_where_the_operation_can_answer_404(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="*", status=404)
    assert fast(server).status_code == 200
    generation_id = start(server).json()["id"]
    assert poll(server, generation_id).status_code == 404
    assert poll(server, generation_id).status_code == 202


def test_bad_faults_are_refused_with_field_errors(admin: MockAdmin) -> None:
    with pytest.raises(AdminError) as caught:
        admin.add_fault(operation="upscaleImageFast", status=404)
    assert caught.value.status == 400
    assert caught.value.body["errors"] == ["status: upscaleImageFast never answers 404"]
    with pytest.raises(AdminError) as caught:
        admin.add_fault(status=418, times=0, colour="red")
    assert caught.value.body["errors"] == [
        "colour: is not a known field",
        "status: must be one of: 400, 401, 402, 403, 404, 413, 422, 429, 500, 503",
        "times: must be ≥ 1",
    ]


def test_added_latency_delays_the_answer(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageFast", latency_ms=300)
    started = time.monotonic()
    assert fast(server).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_configured_latency_and_jitter_apply_to_every_call(server: LiveServer, admin: MockAdmin) -> None:
    admin.update_settings(latency_ms=150, jitter_ms=50)
    for _ in range(2):
        started = time.monotonic()
        fast(server)
        assert time.monotonic() - started >= 0.15


def test_connection_reset(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageFast", transport="reset")
    with pytest.raises(requests.ConnectionError):
        fast(server)
    records = admin.requests(operation="upscaleImageFast")
    assert records[-1]["status"] is None
    assert records[-1]["fault"] is not None
    assert fast(server).status_code == 200


def test_truncated_body(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageFast", transport="truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        fast(server)
    assert fast(server).status_code == 200


def test_stall_outlasts_the_client_timeout(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageFast", transport="stall", stall_seconds=1.5)
    with pytest.raises(requests.Timeout):
        requests.post(
            server.url_for("/v2beta/stable-image/upscale/fast"),
            files={"image": ("sample.png", SAMPLE, "image/png")},
            headers=AUTH,
            timeout=0.5,
        )


def test_a_dropped_call_is_journaled_before_the_client_sees_the_drop(server: LiveServer, admin: MockAdmin) -> None:
    """A client that reads the journal the moment its connection fails finds the call there."""
    admin.add_fault(operation="upscaleImageFast", transport="stall", stall_seconds=0.2)
    with pytest.raises(requests.ConnectionError):
        fast(server)
    [record] = admin.requests(operation="upscaleImageFast")
    assert record["status"] is None
    assert record["fault"] is not None


def test_job_that_stays_pending_for_n_polls(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": 3})
    generation_id = start(server).json()["id"]
    assert [poll(server, generation_id).status_code for _ in range(5)] == [202, 202, 202, 200, 200]


def test_job_that_needs_seconds(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageConservative", job={"pending_polls": 0, "job_seconds": 0.6})
    generation_id = start(server, "conservative").json()["id"]
    assert poll(server, generation_id).status_code == 202
    time.sleep(0.7)
    assert poll(server, generation_id).status_code == 200


def test_job_that_never_finishes_until_forced(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="*", job={"pending_polls": None})
    generation_id = start(server).json()["id"]
    assert {poll(server, generation_id).status_code for _ in range(10)} == {202}
    [job] = admin.jobs()
    assert job.status == "never-finishing"
    assert admin.complete_job(generation_id).id == generation_id
    assert poll(server, generation_id).status_code == 200


def test_job_that_fails(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": 1, "outcome": "fail"})
    generation_id = start(server).json()["id"]
    assert poll(server, generation_id).status_code == 202
    failed = poll(server, generation_id)
    assert failed.status_code == 500
    assert failed.json()["name"] == "internal_error"


def test_force_a_pending_job_to_fail_now(server: LiveServer, admin: MockAdmin) -> None:
    generation_id = start(server).json()["id"]
    assert admin.fail_job(generation_id).status == "failing"
    assert poll(server, generation_id).status_code == 500


def test_forcing_an_unknown_job_is_404(admin: MockAdmin) -> None:
    with pytest.raises(AdminError) as caught:
        admin.complete_job("0" * 64)
    assert caught.value.status == 404


def test_content_filtered_job_is_blurred_and_says_so(server: LiveServer, admin: MockAdmin) -> None:
    generation_id = start(server, seed="3").json()["id"]
    poll(server, generation_id)
    clear = poll(server, generation_id)
    admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": 0, "outcome": "content_filtered"})
    filtered_id = start(server, seed="3").json()["id"]
    filtered = poll(server, filtered_id, Accept="application/json")
    assert filtered.status_code == 200
    assert filtered.headers["finish-reason"] == "CONTENT_FILTERED"
    assert filtered.json()["finish_reason"] == "CONTENT_FILTERED"
    sharpness = [
        ImageStat.Stat(decoded(data).convert("L").filter(ImageFilter.FIND_EDGES)).mean[0]
        for data in (clear.content, base64.b64decode(filtered.json()["image"]))
    ]
    assert sharpness[1] < sharpness[0] / 2


def test_rate_limit_blocks_a_key_with_retry_after(server: LiveServer, admin: MockAdmin) -> None:
    admin.update_settings(rate_limit="3/10s", rate_limit_block_seconds=60)
    statuses = [fast(server).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    blocked = fast(server)
    assert blocked.json()["name"] == "rate_limit_exceeded"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    other_key = fast(server, headers={"Authorization": "Bearer sk-another"})
    assert other_key.status_code == 200
    assert requests.get(server.url_for("/_mock/health"), timeout=5).status_code == 200
    assert admin.settings().rate_limit == "3/10s"


def test_credits_are_charged_per_operation_and_402_when_short(server: LiveServer, admin: MockAdmin) -> None:
    admin.update_settings(credits=64)
    assert fast(server).status_code == 200
    assert admin.credits(KEY).balance == 62
    assert start(server).status_code == 200
    assert admin.credits(KEY).balance == 2
    short = start(server, "conservative")
    assert short.status_code == 402
    assert short.json()["name"] == "payment_required"
    assert fast(server).status_code == 200
    assert admin.credits(KEY).balance == 0


def test_failed_and_moderated_calls_are_not_charged(server: LiveServer, admin: MockAdmin) -> None:
    admin.update_settings(credits=100, moderation_words=["forbidden"])
    assert start(server, prompt="a forbidden castle").status_code == 403
    admin.add_fault(operation="upscaleImageFast", status=500)
    assert fast(server).status_code == 500
    assert fast(server, output_format="gif").status_code == 400
    too_small = requests.post(
        server.url_for("/v2beta/stable-image/upscale/fast"),
        files={"image": ("tiny.png", (FIXTURES / "truncated.png").read_bytes(), "image/png")},
        headers=AUTH,
        timeout=30,
    )
    assert too_small.status_code == 400
    assert admin.credits(KEY).balance == 100


def test_balance_can_be_read_and_set_by_key_or_fingerprint(admin: MockAdmin) -> None:
    assert admin.credits(KEY).balance is None
    fingerprint = admin.set_credits(KEY, 500).key
    assert fingerprint.startswith("key_")
    assert admin.credits(fingerprint) == Credits(key=fingerprint, balance=500)


def test_content_rules(server: LiveServer, admin: MockAdmin) -> None:
    admin.update_settings(moderation_words=["Gore"], filter_words=["blurme"], language_words=["bonjour"])
    moderated = start(server, prompt="lots of gore")
    assert (moderated.status_code, moderated.json()["name"]) == (403, "content_moderation")
    foreign = start(server, prompt="bonjour le monde")
    assert (foreign.status_code, foreign.json()["name"]) == (422, "invalid_language")
    filtered = start(server, prompt="please blurme", **{"output_format": "png"})
    generation_id = filtered.json()["id"]
    poll(server, generation_id)
    assert poll(server, generation_id).headers["finish-reason"] == "CONTENT_FILTERED"


def test_prefer_header_picks_the_status_for_one_call(server: LiveServer) -> None:
    preferred = fast(server, headers={**AUTH, "Prefer": "code=429"})
    assert preferred.status_code == 429
    assert preferred.json()["name"] == "rate_limit_exceeded"
    assert fast(server).status_code == 200
    impossible = fast(server, headers={**AUTH, "Prefer": "code=404"})
    assert impossible.status_code == 400
    assert impossible.json()["errors"][0].startswith("prefer: upscaleImageFast never answers 404")


def test_runtime_config_pending_polls_and_bad_values(server: LiveServer, admin: MockAdmin) -> None:
    assert admin.update_settings(pending_polls=2).pending_polls == 2
    generation_id = start(server).json()["id"]
    assert [poll(server, generation_id).status_code for _ in range(3)] == [202, 202, 200]
    with pytest.raises(AdminError) as caught:
        admin.update_settings(pending_polls=-1, rate_limit="lots")
    assert caught.value.status == 400
    assert admin.settings().pending_polls == 2


def test_reset_forgets_everything(server: LiveServer, admin: MockAdmin) -> None:
    admin.update_settings(credits=5)
    admin.add_fault(status=500)
    start(server)
    admin.reset()
    assert admin.faults() == [] and admin.jobs() == [] and admin.requests() == []
    assert admin.settings().credits is None


@pytest.mark.parametrize("transport", ["reset", "stall"])
def test_the_journal_names_the_transport_fault_that_cut_the_call(
    server: LiveServer, admin: MockAdmin, transport: str
) -> None:
    admin.add_fault(operation="upscaleImageFast", transport=transport, stall_seconds=0.2)
    with pytest.raises(requests.ConnectionError):
        fast(server)
    fast(server)
    cut, answered = admin.requests(operation="upscaleImageFast")
    assert (cut["status"], cut["transport"]) == (None, transport)
    assert (answered["status"], answered["transport"]) == (200, None)


def test_the_journal_names_a_truncation_only_when_it_cut_an_answer(server: LiveServer, admin: MockAdmin) -> None:
    """A truncation acts on a success only: the 400 a bad upload gets arrives whole, and is journaled so."""
    admin.add_fault(operation="upscaleImageFast", transport="truncate", times=2)
    fast(server, output_format="tiff")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        fast(server)
    refused, truncated = admin.requests(operation="upscaleImageFast")
    assert (refused["status"], refused["transport"]) == (400, None)
    assert (truncated["status"], truncated["transport"]) == (200, "truncate")


def test_the_journal_keeps_the_retry_after_each_answer_carried(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageFast", status=429)
    admin.add_fault(operation="upscaleImageFast", status=503)
    fast(server), fast(server), fast(server)
    assert [(r["status"], r["retry_after"]) for r in admin.requests()] == [(429, "60"), (503, None), (200, None)]


def test_the_journal_keeps_the_plan_of_the_job_a_call_created_or_polled(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": None})
    admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": 0, "outcome": "fail"})
    endless, failing = start(server).json()["id"], start(server).json()["id"]
    poll(server, endless), poll(server, failing), poll(server, "f" * 64)
    jobs = [(r["status"], r["job"]) for r in admin.requests()]
    never = {"pending_polls": None, "job_seconds": 0.0, "outcome": "success"}
    fails = {"pending_polls": 0, "job_seconds": 0.0, "outcome": "fail"}
    assert jobs == [(200, never), (200, fails), (202, never), (500, fails), (404, None)]


# Staging for one key -----------------------------------------------------------------

OTHER_KEY = "sk-http-tests-other"
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}


def test_a_fault_staged_for_a_key_fires_only_on_that_keys_calls(server: LiveServer, admin: MockAdmin) -> None:
    staged = admin.add_fault(operation="upscaleImageFast", status=429, key=KEY)
    # The raw key is never kept: the fault names its fingerprint.
    assert staged.key == fingerprint(KEY)
    assert KEY not in str(admin.faults())
    assert fast(server, OTHER).status_code == 200
    assert fast(server).status_code == 429
    assert fast(server).status_code == 200
    assert [record["status"] for record in admin.requests(key=OTHER_KEY)] == [200]
    assert [record["status"] for record in admin.requests(key=fingerprint(KEY))] == [429, 200]


def test_an_unkeyed_fault_still_fires_for_whichever_key_calls_next(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageFast", status=503)
    assert fast(server, OTHER).status_code == 503
    assert fast(server).status_code == 200


def test_a_job_plan_staged_for_a_key_plans_only_that_keys_job(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": None}, key=fingerprint(KEY))
    other = requests.post(
        server.url_for("/v2beta/stable-image/upscale/creative"),
        files={"image": ("sample.png", SAMPLE, "image/png")},
        data={"prompt": "a sunny day"},
        headers=OTHER,
        timeout=30,
    ).json()["id"]
    mine = start(server).json()["id"]
    assert [job.id for job in admin.jobs(key=KEY)] == [mine]
    assert [job.id for job in admin.jobs(key=OTHER_KEY)] == [other]
    assert admin.jobs(key=KEY)[0].plan.pending_polls is None
    assert admin.jobs(key=OTHER_KEY)[0].plan.pending_polls == 1
    assert {job.id for job in admin.jobs()} == {mine, other}


def test_faults_are_listed_and_cleared_by_key(server: LiveServer, admin: MockAdmin) -> None:
    mine = admin.add_fault(status=500, key=KEY)
    theirs = admin.add_fault(status=500, key=OTHER_KEY)
    everyone = admin.add_fault(status=503)
    assert [fault.id for fault in admin.faults(key=KEY)] == [mine.id]
    with pytest.raises(AdminError) as caught:
        admin.clear_faults(theirs.id, key=KEY)
    assert caught.value.status == 404
    assert admin.clear_faults(key=fingerprint(OTHER_KEY)) == 1
    assert [fault.id for fault in admin.faults()] == [mine.id, everyone.id]
    assert admin.clear_faults(mine.id, key=KEY) == 1
