"""The steps of an asynchronous job: create it for an admitted call, count a poll, give its result.

The job itself is a value the store keeps (:class:`mockserver.models.Job`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from mockserver.errors import GenerationNotFound, InternalError
from mockserver.imaging import RenderedImage, RenderOrder
from mockserver.models import CONTENT_FILTERED, FAIL, Job, JobPlan, Renderer, new_job_id

if TYPE_CHECKING:
    from mockserver.pipeline.exchange import ApiCall
    from mockserver.pipeline.timing import Timing
    from mockserver.store import Store


def create(
    store: Store,
    call: ApiCall,
    order: RenderOrder,
    image: bytes,
    *,
    now: float,
    retention_seconds: float,
    max_bytes: int | None = None,
    faults_queued: bool = True,
    timing: Timing | None = None,
) -> Job:
    """Create and keep the job of an admitted async call; ``order`` is rendered when a poll finds it ready.

    Its plan is the one a queued job fault stages for it, else the settings'
    (``pending_polls``, ``job_seconds``), the caller's key's first; either is fixed now, so a later settings
    change does not move it. Under live ``timing`` the plan is the one
    :meth:`Timing.plan <mockserver.pipeline.timing.Timing.plan>` makes of it,
    ready when production's time has passed. The job fault is taken here, when the job is
    created, so a call refused before that (its image, its ``Accept``) leaves the
    plan for the next; ``faults_queued=False`` (the call saw no fault queued)
    spares the lookup. Past ``max_bytes`` of kept uploads and results the store
    raises :class:`~mockserver.errors.StoreFull` (a 503) and keeps nothing.
    """
    planned = (
        store.take_fault(call.operation_id, call.route.statuses, "job", call.key_fingerprint) if faults_queued else None
    )
    plan = (
        planned.job
        if planned is not None and planned.job is not None
        else JobPlan(pending_polls=call.settings.pending_polls, job_seconds=call.settings.job_seconds)
    )
    if timing is not None:
        plan = timing.plan(plan)
    if plan.outcome == CONTENT_FILTERED:
        order = dataclasses.replace(order, content_filtered=True)
    job = Job(
        id=new_job_id(),
        operation_id=call.operation_id,
        key_fingerprint=call.key_fingerprint,
        created_at=now,
        expires_at=now + retention_seconds,
        order=order,
        plan=plan,
    )
    store.add_job(job, image, max_bytes=max_bytes)
    return job


def poll(store: Store, job_id: str, key_fingerprint: str, now: float) -> Job:
    """Count one poll of a job and return it.

    Raises :class:`GenerationNotFound` for unknown or expired ids and for jobs of
    another key (the live API answers 404 there too).
    """
    job = store.poll_job(job_id, key_fingerprint, now)
    if job is None:
        raise GenerationNotFound()
    return job


def result_of(
    store: Store,
    job: Job,
    now: float,
    render: Renderer,
    *,
    max_bytes: int | None = None,
    rendered_ahead: Callable[[str], RenderedImage | None] | None = None,
) -> RenderedImage | None:
    """The result of a polled job when it is ready (rendered on first need), ``None`` while pending.

    Raises :class:`InternalError` for a job planned to fail, and
    :class:`GenerationNotFound` if the job left the store meanwhile. A result
    that would pass ``max_bytes`` is answered but not kept (rendered again next time).
    ``rendered_ahead`` gives a render already under way in this process (waited for).
    """
    if not job.is_ready(now):
        return None
    if job.plan.outcome == FAIL:
        raise InternalError()
    if job.has_result:
        result = store.job_result(job.id)
        if result is not None:
            return result
    ahead = rendered_ahead(job.id) if rendered_ahead is not None else None
    if ahead is not None:
        return ahead
    image = store.job_image(job.id)
    if image is None:
        raise GenerationNotFound()
    result = render(job.operation_id, image, job.order)
    store.save_result(job.id, result, max_bytes=max_bytes)
    return result
