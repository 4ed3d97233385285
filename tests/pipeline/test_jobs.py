"""A job's plan, how a stored plan reads back, and the steps of a job against the store's byte cap."""

from __future__ import annotations

import dataclasses

import pytest
from flask.testing import FlaskClient

from mockserver.errors import GenerationNotFound, StoreFull
from mockserver.imaging import RenderedImage, RenderOrder
from mockserver.models import Fault, Job, JobPlan, Renderer, order_from_json, order_to_json
from mockserver.openapi.router import Route
from mockserver.pipeline import jobs
from mockserver.pipeline.exchange import ApiCall
from mockserver.settings.runtime import RuntimeSettings
from mockserver.store import MemoryStore
from tests.conftest import AUTH, CONSERVATIVE_PATH, Upload
from tests.images import png


def start(client: FlaskClient, upload: Upload) -> str:
    started = client.post(CONSERVATIVE_PATH, data=upload(png(64, 64), prompt="a sunny day"), headers=AUTH)
    assert started.status_code == 200
    generation_id: str = started.get_json()["id"]
    return generation_id


def test_a_content_filtered_plan_finishes_filtered(client: FlaskClient, upload: Upload) -> None:
    job = {"pending_polls": 0, "outcome": "content_filtered"}
    assert client.post("/_mock/faults", json={"operation": "upscaleImageConservative", "job": job}).status_code == 201
    filtered = client.get(f"/v2beta/results/{start(client, upload)}", headers=AUTH)
    assert filtered.headers["finish-reason"] == "CONTENT_FILTERED"
    client.patch("/_mock/settings", json={"pending_polls": 0})
    clear = client.get(f"/v2beta/results/{start(client, upload)}", headers=AUTH)
    assert clear.headers["finish-reason"] == "SUCCESS"


def test_a_plan_kept_by_an_older_version_reads_its_ready_time_as_seconds() -> None:
    kept = '{"pending_polls": 2, "ready_at": 105.5, "outcome": "fail"}'
    assert JobPlan.from_json(kept, created_at=100.0) == JobPlan(pending_polls=2, job_seconds=5.5, outcome="fail")
    overdue = '{"pending_polls": 2, "ready_at": 90.0, "outcome": "success"}'
    assert JobPlan.from_json(overdue, created_at=100.0).job_seconds == 0.0
    plan = JobPlan(pending_polls=None, job_seconds=3.0)
    assert JobPlan.from_json(plan.to_json(), created_at=0.0) == plan


def test_a_stored_order_reads_back_as_it_was() -> None:
    order = RenderOrder("upscaleImageCreative", "webp", 7, "a castle", "fog", 0.3, "anime", content_filtered=True)
    assert order_from_json(order_to_json(order)) == order


# The steps themselves, on a memory store: the byte cap, the kept result, a render in hand.
NOW = 1_000.0
IMAGE = b"an upload of 24 bytes..."
RESULT = RenderedImage(b"a result of 20 bytes", "image/png", 4, 4, 7, "SUCCESS")
CREATIVE = Route("upscaleImageCreative", "/v2beta/stable-image/upscale/creative", frozenset({200, 400, 503}))


def _create(store: MemoryStore, *, max_bytes: int | None = None) -> Job:
    call = ApiCall(CREATIVE, "key_1", {}, {}, RuntimeSettings(pending_polls=0))
    order = RenderOrder("upscaleImageCreative", "png", 7)
    return jobs.create(store, call, order, IMAGE, now=NOW, retention_seconds=60, max_bytes=max_bytes)


def _counted(renders: list[str]) -> Renderer:
    def render(operation_id: str, image: bytes, order: RenderOrder) -> RenderedImage:
        assert image == IMAGE
        renders.append(operation_id)
        return RESULT

    return render


def test_a_new_job_fits_the_store_up_to_its_last_byte_and_not_one_more() -> None:
    assert (len(IMAGE), len(RESULT.data)) == (24, 20)
    store = MemoryStore()
    first = _create(store, max_bytes=24)
    assert store.stored_bytes() == 24
    with pytest.raises(StoreFull, match="max_store_bytes"):
        _create(store, max_bytes=47)
    assert [job.id for job in store.list_jobs(NOW)] == [first.id] and store.stored_bytes() == 24
    _create(store, max_bytes=48)
    assert store.stored_bytes() == 48


@pytest.mark.parametrize(("max_bytes", "kept"), [(None, True), (44, True), (43, False)])
def test_a_result_is_kept_only_if_it_fits_and_one_that_does_not_is_rendered_again(
    max_bytes: int | None, kept: bool
) -> None:
    store, renders = MemoryStore(), list[str]()
    job = jobs.poll(store, _create(store).id, "key_1", NOW)
    for _ in range(2):
        assert jobs.result_of(store, job, NOW, _counted(renders), max_bytes=max_bytes) == RESULT
        job = jobs.poll(store, job.id, "key_1", NOW)
    assert job.has_result is kept
    assert store.stored_bytes() == (44 if kept else 24)
    assert len(renders) == (1 if kept else 2)


def test_a_render_in_hand_answers_the_poll_without_rendering_again() -> None:
    store, renders = MemoryStore(), list[str]()
    job = jobs.poll(store, _create(store).id, "key_1", NOW)
    ahead = dataclasses.replace(RESULT, data=b"rendered ahead")

    def in_hand(job_id: str) -> RenderedImage | None:
        return ahead if job_id == job.id else None

    assert jobs.result_of(store, job, NOW, _counted(renders), rendered_ahead=in_hand) is ahead
    assert renders == []
    assert jobs.result_of(store, job, NOW, _counted(renders), rendered_ahead=lambda _: None) == RESULT
    assert renders == ["upscaleImageCreative"]


def test_a_job_that_leaves_the_store_between_its_poll_and_its_answer_is_not_found() -> None:
    store = MemoryStore()
    job = jobs.poll(store, _create(store).id, "key_1", NOW)
    jobs.result_of(store, job, NOW, _counted([]))
    job = jobs.poll(store, job.id, "key_1", NOW)
    assert job.has_result
    store.reset()
    with pytest.raises(GenerationNotFound):
        jobs.result_of(store, job, NOW, _counted([]))


def test_a_new_job_takes_the_plan_staged_for_its_key_and_leaves_another_keys() -> None:
    store = MemoryStore()
    theirs, mine = Fault(job=JobPlan(pending_polls=None), key="key_other"), Fault(job=JobPlan(5), key="key_1")
    store.add_fault(theirs)
    store.add_fault(mine)
    assert _create(store).plan == JobPlan(pending_polls=5)
    assert _create(store).plan == JobPlan(pending_polls=0)
    assert store.list_faults() == [theirs]
