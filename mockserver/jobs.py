"""The asynchronous job lifecycle: created → pending (N polls / S seconds) → ready, or gone.

A job stores the request, not the result: whichever process first sees it ready
renders it and saves the result, so any worker can finish any job and a worker
killed mid-render only delays the job until the next poll.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.errors import GenerationNotFound, InternalError
from mockserver.imaging import RenderedImage, RenderOrder

if TYPE_CHECKING:
    from mockserver.exchange import ApiCall
    from mockserver.store import Store

SUCCESS = "success"
FAIL = "fail"
CONTENT_FILTERED = "content_filtered"
#: How a job can end: its image, a 500 at the poll that finds it ready, or a blurred image.
OUTCOMES = (SUCCESS, FAIL, CONTENT_FILTERED)


@dataclass(frozen=True)
class JobPlan:
    """How a job goes: ``pending_polls`` 202s (``None``: forever) and ``job_seconds``, then ``outcome``.

    One type for every place a plan appears: what a fault's ``job`` stages (admin
    API, scenario file, pytest handle), what the contract suite draws, and what a
    job keeps, fixed at its creation (:attr:`Job.created_at` anchors the seconds),
    so a later settings change does not move it.
    """

    #: Polls answered 202 before the result; ``None`` means the job never finishes.
    pending_polls: int | None = 1
    #: Seconds after the job's creation before which it stays pending, whatever the polls.
    job_seconds: float = 0.0
    outcome: str = SUCCESS

    def as_job(self) -> dict[str, Any]:
        """The plan as the admin API's ``job`` object."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str, created_at: float) -> JobPlan:
        """A stored plan; one kept by an older version holds ``ready_at`` (epoch seconds) instead of seconds."""
        values: dict[str, Any] = json.loads(text)
        ready_at = values.pop("ready_at", None)
        if ready_at is not None:
            values["job_seconds"] = max(0.0, float(ready_at) - created_at)
        return cls(**values)


@dataclass(frozen=True)
class Job:
    """A stored generation, without its (large) image and result bytes."""

    id: str
    operation_id: str
    key_fingerprint: str
    created_at: float
    expires_at: float
    order: RenderOrder
    plan: JobPlan
    polls: int = 0
    has_result: bool = False

    def is_ready(self, now: float) -> bool:
        pending = self.plan.pending_polls
        return pending is not None and self.polls > pending and now - self.created_at >= self.plan.job_seconds

    @property
    def ready_at(self) -> float:
        """Epoch seconds from which the job may be ready (once its pending polls are answered too)."""
        return self.created_at + self.plan.job_seconds

    @property
    def status(self) -> str:
        return "ready" if self.has_result else "in-progress"


def new_job_id() -> str:
    """64 hex characters, like the live API's generation ids."""
    return secrets.token_hex(32)


def order_to_json(order: RenderOrder) -> str:
    return json.dumps(dataclasses.asdict(order), sort_keys=True)


def order_from_json(text: str) -> RenderOrder:
    values: dict[str, Any] = json.loads(text)
    return RenderOrder(**values)


Renderer = Callable[[str, bytes, RenderOrder], RenderedImage]


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
) -> Job:
    """Create and keep the job of an admitted async call; ``order`` is rendered when a poll finds it ready.

    Its plan is the one a queued job fault stages for it, else the settings'
    (``pending_polls``, ``job_seconds``); either is fixed now, so a later settings
    change does not move it. The job fault is taken here, when the job is
    created, so a call refused before that (its image, its ``Accept``) leaves the
    plan for the next; ``faults_queued=False`` (the call saw no fault queued)
    spares the lookup. Past ``max_bytes`` of kept uploads and results the store
    raises :class:`~mockserver.errors.StoreFull` (a 503) and keeps nothing.
    """
    planned = store.take_fault(call.operation_id, call.route.statuses, "job") if faults_queued else None
    plan = (
        planned.job
        if planned is not None and planned.job is not None
        else JobPlan(pending_polls=call.settings.pending_polls, job_seconds=call.settings.job_seconds)
    )
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
