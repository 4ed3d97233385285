"""The values the store keeps: staged faults and the asynchronous jobs they plan.

A fault is queued per operation (its operationId, or ``*`` for any) and is
consumed one use per request, oldest first, through the store, so a fault
queued through one worker fires on another. One fault may combine added
latency with one outcome: an API error status, a transport fault, or a plan for
the asynchronous job the call creates.

A job goes created → pending (N polls / S seconds) → ready, or gone. It stores
the request, not the result: whichever process first sees it ready renders it
and saves the result, so any worker can finish any job and a worker killed
mid-render only delays the job until the next poll.

Only values live here, so that the store can import them without importing
anything that uses a store: what a call does with them is
:mod:`mockserver.pipeline.faults` and :mod:`mockserver.pipeline.jobs`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
import secrets
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from mockserver.errors import ERROR_FOR_STATUS, ERROR_TABLE, STAGEABLE_ERRORS, ApiError, BadRequest
from mockserver.imaging import RenderedImage, RenderOrder
from mockserver.settings.knobs import Knob, value_problems, whole_numbers
from mockserver.settings.runtime import DAY, DEFAULT_PENDING_POLLS, MAX_DELAY_MS, MAX_PENDING_POLLS

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
    pending_polls: int | None = DEFAULT_PENDING_POLLS
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


TRANSPORT_FAULTS = ("reset", "truncate", "stall")
#: Transport faults that replace the answer (``truncate`` cuts an answer that is sent).
CUTTING_FAULTS = ("reset", "stall")
ANY_OPERATION = "*"
#: How a fault names the one key it is staged for: its fingerprint (``pipeline.auth.fingerprint``), never the key.
KEY_FINGERPRINT = re.compile(r"key_[0-9a-f]{12}")
#: Statuses whose staged answer may carry ``Retry-After`` (RFC 9110 names 503; the live API sends it on 429).
RETRY_AFTER_STATUSES = (429, 503)
#: The longest ``Retry-After`` a fault may stage: an hour (the live API blocks for 60 s).
MAX_RETRY_AFTER = 3600


@dataclass(frozen=True)
class Fault:
    """One staged fault; ``times=None`` fires on every matching call until deleted."""

    operation: str = ANY_OPERATION
    status: int | None = None
    #: The error ``name`` when the status has several (``public_figure`` for a 422); ``None``: the status's usual one.
    error: str | None = None
    message: str | None = None
    #: Seconds in ``Retry-After`` (429 and 503 only); ``None``: 60 on a 429 (the live API's block), none on a 503.
    retry_after: int | None = None
    transport: str | None = None
    stall_seconds: float = 30.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    seed: int = 0
    job: JobPlan | None = None
    times: int | None = 1
    fired: int = 0
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    #: The fingerprint of the one API key whose calls it fires on; ``None``: any key's.
    #: Parallel tests sharing one mock each stage for their own key, and see only their own faults fire.
    key: str | None = None

    @property
    def scope(self) -> str:
        """``job`` faults plan the job a call creates; ``call`` faults act on the call itself.

        A call takes at most one of each, so a staged error and a job plan never
        compete for the same call.
        """
        return "job" if self.job is not None else "call"

    def api_error(self) -> ApiError | None:
        """The API error this fault answers with, if it has a status."""
        if self.status is None:
            return None
        kind = STAGEABLE_ERRORS[self.error] if self.error is not None else ERROR_FOR_STATUS[self.status]
        error = kind([self.message] if self.message else (), staged=True)
        if self.retry_after is not None:
            error.headers["Retry-After"] = str(self.retry_after)
        elif self.status == 429:
            error.headers["Retry-After"] = "60"
        return error

    def delay_seconds(self) -> float:
        """Fixed latency plus jitter that is seeded, so a run can be replayed exactly."""
        jitter = (
            random.Random(f"{self.seed}:{self.id}:{self.fired}").uniform(0, self.jitter_ms) if self.jitter_ms else 0
        )
        return (self.latency_ms + jitter) / 1000

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Fault:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Fault:
        """Build and check a fault from admin or scenario JSON."""
        values = whole_numbers(cls, values)
        job = values.pop("job", None)
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadRequest([f"{name}: is not a fault field" for name in unknown])
        if isinstance(job, JobPlan):
            job = job.as_job()
        fault = cls(job=JobPlan(**whole_numbers(JobPlan, job)) if isinstance(job, dict) else None, **values)
        problems = fault.problems()
        if problems:
            raise BadRequest(problems)
        return fault

    def problems(self) -> list[str]:
        found = []
        if self.status is not None and self.status not in ERROR_FOR_STATUS:
            found.append(f"status: must be one of {', '.join(map(str, ERROR_FOR_STATUS))}")
        if self.error is not None:
            found.extend(_error_problems(self.error, self.status))
        if self.transport is not None and self.transport not in TRANSPORT_FAULTS:
            found.append(f"transport: must be one of {', '.join(TRANSPORT_FAULTS)}")
        if self.status is not None and self.transport is not None:
            found.append("transport: a fault answers with a status or a transport fault, not both")
        if self.retry_after is not None:
            if self.status not in RETRY_AFTER_STATUSES:
                found.append("retry_after: only a 429 or 503 fault answers Retry-After")
            found.extend(_bounded("retry_after", self.retry_after, int, MAX_RETRY_AFTER))
        if self.job is not None and (self.status is not None or self.transport is not None):
            found.append("job: a job plan cannot be combined with a status or a transport fault")
        if self.job is not None and self.job.outcome not in OUTCOMES:
            found.append(f"job.outcome: must be one of {', '.join(OUTCOMES)}")
        if self.times is not None and self.times < 1:
            found.append("times: must be ≥ 1 (or null for every call)")
        if self.key is not None and (not isinstance(self.key, str) or not KEY_FINGERPRINT.fullmatch(self.key)):
            found.append("key: must be a key fingerprint (key_ and 12 hex digits); a raw key is fingerprinted first")
        found.extend(_bounded("latency_ms", self.latency_ms, float, MAX_DELAY_MS))
        found.extend(_bounded("jitter_ms", self.jitter_ms, float, MAX_DELAY_MS))
        if not (math.isfinite(self.stall_seconds) and 0 < self.stall_seconds <= 110):
            found.append("stall_seconds: must be between 0 and 110")
        if self.job is not None:
            if self.job.pending_polls is not None:
                found.extend(_bounded("job.pending_polls", self.job.pending_polls, int, MAX_PENDING_POLLS))
            found.extend(_bounded("job.job_seconds", self.job.job_seconds, float, DAY))
        return found


def _error_problems(name: object, status: int | None) -> list[str]:
    """An ``error`` must name a stageable error of the fault's own status."""
    if not isinstance(name, str) or name not in STAGEABLE_ERRORS:
        return [f"error: must be one of {', '.join(sorted(STAGEABLE_ERRORS))}"]
    expected = ERROR_TABLE[name].status
    if status is None:
        return [f"error: needs the status it is answered with ({expected})"]
    if status != expected:
        return [f"error: {name} is answered with status {expected}, not {status}"]
    return []


def _bounded(name: str, value: float, python_type: type, maximum: float) -> list[str]:
    """A staged number's problems, checked as the settings are (finite, 0..``maximum``, as admin.yml states)."""
    return [
        f"{name}: {problem}"
        for problem in value_problems(value, python_type, Knob(help=name, minimum=0, maximum=maximum))
    ]


def fits(fault: Fault, operation_id: str, statuses: Collection[int], scope: str) -> bool:
    """Whether ``fault`` may fire on a call of ``operation_id`` (see ``Store.take_fault``), whoever's key it is for."""
    if fault.scope != scope or fault.operation not in (ANY_OPERATION, operation_id):
        return False
    return fault.status is None or fault.status in statuses


def first_for_key(faults: Iterable[Fault], key: str | None) -> Fault | None:
    """The fault a call of ``key`` takes of ``faults`` that fit it (oldest first): its key's, else an unkeyed one.

    A fault staged for this key wins over an unkeyed one queued before it: a test
    that stages for its own key gets exactly that, whatever else is queued for
    everyone. A fault staged for another key never fires here.
    """
    unkeyed = None
    for fault in faults:
        if fault.key is not None and fault.key == key:
            return fault
        if fault.key is None and unkeyed is None:
            unkeyed = fault
    return unkeyed


def after_firing(fault: Fault) -> Fault | None:
    """The fault as it stays queued after one use, or ``None`` when it is used up."""
    if fault.times is not None and fault.times <= 1:
        return None
    remaining = None if fault.times is None else fault.times - 1
    return dataclasses.replace(fault, times=remaining, fired=fault.fired + 1)
