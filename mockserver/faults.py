"""Staged faults: what the next matching calls do instead of (or before) their real answer.

A fault is queued per operation (its operationId, or ``*`` for any) and is
consumed one use per request, oldest first, through the store, so a fault
queued through one worker fires on another. One fault may combine added
latency with one outcome: an API error status, a transport fault, or a plan for
the asynchronous job the call creates.
"""

from __future__ import annotations

import dataclasses
import json
import random
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from mockserver import errors
from mockserver.errors import ApiError, BadRequest

#: HTTP status → the live API's error for it (see shared/api-facts.md).
ERROR_FOR_STATUS: dict[int, type[ApiError]] = {
    400: errors.BadRequest,
    401: errors.Unauthorized,
    402: errors.PaymentRequired,
    403: errors.ContentModeration,
    404: errors.GenerationNotFound,
    413: errors.PayloadTooLarge,
    422: errors.InvalidLanguage,
    429: errors.RateLimited,
    500: errors.InternalError,
    503: errors.ServiceUnavailable,
}

TRANSPORT_FAULTS = ("reset", "truncate", "stall")
JOB_OUTCOMES = ("success", "fail", "content_filtered")
ANY_OPERATION = "*"


@dataclass(frozen=True)
class JobPlanSpec:
    """How the job a call creates should behave (``pending_polls=None``: never finishes)."""

    pending_polls: int | None = 1
    job_seconds: float = 0.0
    outcome: str = "success"


@dataclass(frozen=True)
class Fault:
    """One staged fault; ``times=None`` fires on every matching call until deleted."""

    operation: str = ANY_OPERATION
    status: int | None = None
    message: str | None = None
    transport: str | None = None
    stall_seconds: float = 30.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    seed: int = 0
    job: JobPlanSpec | None = None
    times: int | None = 1
    fired: int = 0
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def kind(self) -> str:
        """``job`` faults plan the job a call creates; ``call`` faults act on the call itself.

        A call takes at most one of each, so a staged error and a job plan never
        compete for the same call.
        """
        return "job" if self.job is not None else "call"

    def error(self) -> ApiError | None:
        """The API error this fault answers with, if it has a status."""
        if self.status is None:
            return None
        error = ERROR_FOR_STATUS[self.status]([self.message] if self.message else (), staged=True)
        if self.status == 429:
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
        values = dict(values)
        job = values.pop("job", None)
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadRequest([f"{name}: is not a fault field" for name in unknown])
        fault = cls(job=JobPlanSpec(**job) if isinstance(job, dict) else None, **values)
        problems = fault.problems()
        if problems:
            raise BadRequest(problems)
        return fault

    def problems(self) -> list[str]:
        found = []
        if self.status is not None and self.status not in ERROR_FOR_STATUS:
            found.append(f"status: must be one of {', '.join(map(str, ERROR_FOR_STATUS))}")
        if self.transport is not None and self.transport not in TRANSPORT_FAULTS:
            found.append(f"transport: must be one of {', '.join(TRANSPORT_FAULTS)}")
        if self.status is not None and self.transport is not None:
            found.append("transport: a fault answers with a status or a transport fault, not both")
        if self.job is not None and (self.status is not None or self.transport is not None):
            found.append("job: a job plan cannot be combined with a status or a transport fault")
        if self.job is not None and self.job.outcome not in JOB_OUTCOMES:
            found.append(f"job.outcome: must be one of {', '.join(JOB_OUTCOMES)}")
        if self.times is not None and self.times < 1:
            found.append("times: must be ≥ 1 (or null for every call)")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            found.append("latency_ms: must be ≥ 0")
        if not 0 < self.stall_seconds <= 110:
            found.append("stall_seconds: must be between 0 and 110")
        return found


def fits(fault: Fault, operation_id: str, statuses: Collection[int], kind: str) -> bool:
    """Whether ``fault`` may fire on a call of ``operation_id`` (see ``Store.take_fault``)."""
    if fault.kind != kind or fault.operation not in (ANY_OPERATION, operation_id):
        return False
    return fault.status is None or fault.status in statuses


def after_firing(fault: Fault) -> Fault | None:
    """The fault as it stays queued after one use, or ``None`` when it is used up."""
    if fault.times is not None and fault.times <= 1:
        return None
    remaining = None if fault.times is None else fault.times - 1
    return dataclasses.replace(fault, times=remaining, fired=fault.fired + 1)
