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
    from mockserver.store import Store

SUCCESS = "success"
FAIL = "fail"
CONTENT_FILTERED = "content_filtered"


@dataclass(frozen=True)
class JobPlan:
    """When and how a job finishes; fixed at creation so config changes don't move it."""

    #: Polls answered 202 before the result; ``None`` means the job never finishes.
    pending_polls: int | None = 1
    #: Epoch seconds before which the job stays pending.
    ready_at: float = 0.0
    outcome: str = SUCCESS

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> JobPlan:
        return cls(**json.loads(text))


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
        return pending is not None and self.polls > pending and now >= self.plan.ready_at

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


def poll(store: Store, job_id: str, key_fingerprint: str, now: float) -> Job:
    """Count one poll of a job and return it.

    Raises :class:`GenerationNotFound` for unknown or expired ids and for jobs of
    another key (the live API answers 404 there too).
    """
    job = store.poll_job(job_id, key_fingerprint, now)
    if job is None:
        raise GenerationNotFound()
    return job


def result_of(store: Store, job: Job, now: float, render: Renderer) -> RenderedImage | None:
    """The result of a polled job when it is ready (rendered on first need), ``None`` while pending.

    Raises :class:`InternalError` for a job planned to fail, and
    :class:`GenerationNotFound` if the job left the store meanwhile.
    """
    if not job.is_ready(now):
        return None
    if job.plan.outcome == FAIL:
        raise InternalError()
    if job.has_result:
        result = store.job_result(job.id)
        if result is not None:
            return result
    image = store.job_image(job.id)
    if image is None:
        raise GenerationNotFound()
    result = render(job.operation_id, image, job.order)
    store.save_result(job.id, result)
    return result
