"""Async jobs are rendered as they are created; the poll that finds one ready does not render again."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from mockserver import create_app
from mockserver.imaging import RenderedImage, RenderOrder
from mockserver.models import Job, JobPlan
from mockserver.pipeline.render_ahead import QUEUE_PER_THREAD, RenderAhead
from mockserver.services import Services, services_of
from mockserver.settings.config import Config
from mockserver.store import MemoryStore
from tests.conftest import AUTH, SMALL_TARGET, SpecCheckedClient
from tests.images import png

CREATIVE_PATH = "/v2beta/stable-image/upscale/creative"


def _app(**settings: Any) -> tuple[Flask, Services, list[str]]:
    app = create_app(Config(store="memory://", target_pixels=SMALL_TARGET, **settings), store=MemoryStore())
    app.test_client_class = SpecCheckedClient
    services: Services = services_of(app)
    renders: list[str] = []
    render = services.upscaler.render

    def counted(operation_id: str, image: bytes, order: RenderOrder) -> RenderedImage:
        renders.append(threading.current_thread().name)
        return render(operation_id, image, order)

    services.upscaler.render = counted  # type: ignore[method-assign]
    return app, services, renders


def _start(app: Flask, prompt: str = "a lighthouse") -> str:
    image = (io.BytesIO(png(64, 64)), "a.png", "image/png")
    response = app.test_client().post(CREATIVE_PATH, data={"image": image, "prompt": prompt}, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    generation_id: str = response.get_json()["id"]
    return generation_id


def _until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_new_job_is_rendered_before_anyone_polls_and_the_ready_poll_reuses_it() -> None:
    app, services, renders = _app(pending_polls=1)
    generation_id = _start(app)

    def rendered() -> bool:
        job = services.store.get_job(generation_id, services.clock())
        assert job is not None
        return job.has_result

    _until(rendered)
    assert len(renders) == 1 and renders[0].startswith("stability-mock-render")
    client = app.test_client()
    assert client.get(f"/v2beta/results/{generation_id}", headers=AUTH).status_code == 202
    ready = client.get(f"/v2beta/results/{generation_id}", headers=AUTH)
    assert ready.status_code == 200 and ready.mimetype == "image/png"
    assert len(renders) == 1


def test_with_no_render_threads_the_ready_poll_renders() -> None:
    app, _, renders = _app(pending_polls=0, render_ahead_threads=0)
    generation_id = _start(app)
    assert renders == []
    assert app.test_client().get(f"/v2beta/results/{generation_id}", headers=AUTH).status_code == 200
    assert renders == [threading.current_thread().name]


@pytest.mark.parametrize("plan", [{"pending_polls": None}, {"pending_polls": 0, "outcome": "fail"}])
def test_jobs_that_never_deliver_are_not_rendered_ahead(plan: dict[str, Any]) -> None:
    app, _, renders = _app()
    app.test_client().post("/_mock/faults", json={"operation": "upscaleImageCreative", "job": plan})
    _start(app)
    time.sleep(0.3)
    assert renders == []


def _job(number: int) -> Job:
    order = RenderOrder(operation_id="upscaleImageCreative", output_format="png", seed=number)
    return Job(f"job-{number}", order.operation_id, "key_x", 0.0, 60.0, order, JobPlan(pending_polls=1))


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    opened = threading.Event()
    yield opened
    opened.set()


def test_a_poll_waits_for_the_render_in_hand_instead_of_starting_another(gate: threading.Event) -> None:
    calls: list[int] = []
    result = RenderedImage(b"png", "image/png", 1, 1, 7, "SUCCESS")

    def slow_render(operation_id: str, image: bytes, order: RenderOrder) -> RenderedImage:
        calls.append(order.seed)
        gate.wait(10)
        return result

    ahead, store = RenderAhead(threads=1), MemoryStore()
    assert ahead.submit(store, _job(1), b"image", slow_render, max_bytes=None)
    waited: list[RenderedImage | None] = []
    poller = threading.Thread(target=lambda: waited.append(ahead.wait_for("job-1")))
    poller.start()
    time.sleep(0.1)
    assert poller.is_alive()
    gate.set()
    poller.join(10)
    assert waited == [result] and calls == [1]
    _until(lambda: ahead.wait_for("job-1") is None)


def test_past_a_short_queue_new_jobs_are_left_to_their_poll(gate: threading.Event) -> None:
    def blocked(operation_id: str, image: bytes, order: RenderOrder) -> RenderedImage:
        gate.wait(10)
        return RenderedImage(b"", "image/png", 1, 1, 0, "SUCCESS")

    ahead, store = RenderAhead(threads=1), MemoryStore()
    accepted = [ahead.submit(store, _job(n), b"image", blocked, max_bytes=None) for n in range(QUEUE_PER_THREAD + 2)]
    assert accepted == [True] * QUEUE_PER_THREAD + [False, False]
