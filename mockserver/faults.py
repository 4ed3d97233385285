"""Staged faults, all of them: what the next matching calls do instead of (or before) their real answer.

A fault is queued per operation (its operationId, or ``*`` for any) and is
consumed one use per request, oldest first, through the store, so a fault
queued through one worker fires on another. One fault may combine added
latency with one outcome: an API error status, a transport fault, or a plan for
the asynchronous job the call creates. ``Prefer: code=`` (Prism's convention)
and the configured latency are faults of one call. This module decides what a
call gets (:func:`for_call`); the HTTP edge carries it out (sleeps, raises, cuts
the connection in :mod:`mockserver.transport`). A job fault is taken by the job
it plans, when :func:`mockserver.jobs.create` creates it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockserver.errors import ERROR_FOR_STATUS, ApiError, BadRequest, MockError
from mockserver.jobs import OUTCOMES, JobPlan
from mockserver.knobs import Knob, value_problems
from mockserver.runtime import DAY, MAX_DELAY_MS, MAX_PENDING_POLLS

if TYPE_CHECKING:
    from mockserver.runtime import RuntimeSettings
    from mockserver.store import Store

TRANSPORT_FAULTS = ("reset", "truncate", "stall")
#: Transport faults that replace the answer (``truncate`` cuts an answer that is sent).
CUTTING_FAULTS = ("reset", "stall")
ANY_OPERATION = "*"
#: Statuses whose staged answer may carry ``Retry-After`` (RFC 9110 names 503; the live API sends it on 429).
RETRY_AFTER_STATUSES = (429, 503)
#: The longest ``Retry-After`` a fault may stage: an hour (the live API blocks for 60 s).
MAX_RETRY_AFTER = 3600

_PREFER_CODE = re.compile(r"(?:^|[;,\s])code=(\d{3})(?:$|[;,\s])")


class TransportFault(MockError):
    """A staged transport fault; the edge performs it instead of answering."""

    def __init__(self, transport: str, stall_seconds: float = 30.0) -> None:
        super().__init__(f"staged transport fault: {transport}")
        #: ``reset`` or ``stall`` (``truncate`` cuts an answer that is sent, so it raises nothing).
        self.transport = transport
        self.stall_seconds = stall_seconds


@dataclass(frozen=True)
class Fault:
    """One staged fault; ``times=None`` fires on every matching call until deleted."""

    operation: str = ANY_OPERATION
    status: int | None = None
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

    @property
    def scope(self) -> str:
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
        values = dict(values)
        job = values.pop("job", None)
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadRequest([f"{name}: is not a fault field" for name in unknown])
        if isinstance(job, JobPlan):
            job = job.as_job()
        fault = cls(job=JobPlan(**job) if isinstance(job, dict) else None, **values)
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
        found.extend(_bounded("latency_ms", self.latency_ms, float, MAX_DELAY_MS))
        found.extend(_bounded("jitter_ms", self.jitter_ms, float, MAX_DELAY_MS))
        if not (math.isfinite(self.stall_seconds) and 0 < self.stall_seconds <= 110):
            found.append("stall_seconds: must be between 0 and 110")
        if self.job is not None:
            if self.job.pending_polls is not None:
                found.extend(_bounded("job.pending_polls", self.job.pending_polls, int, MAX_PENDING_POLLS))
            found.extend(_bounded("job.job_seconds", self.job.job_seconds, float, DAY))
        return found


def _bounded(name: str, value: float, python_type: type, maximum: float) -> list[str]:
    """A staged number's problems, checked as the settings are (finite, 0..``maximum``, as admin.yml states)."""
    return [
        f"{name}: {problem}"
        for problem in value_problems(value, python_type, Knob(help=name, minimum=0, maximum=maximum))
    ]


def fits(fault: Fault, operation_id: str, statuses: Collection[int], scope: str) -> bool:
    """Whether ``fault`` may fire on a call of ``operation_id`` (see ``Store.take_fault``)."""
    if fault.scope != scope or fault.operation not in (ANY_OPERATION, operation_id):
        return False
    return fault.status is None or fault.status in statuses


def after_firing(fault: Fault) -> Fault | None:
    """The fault as it stays queued after one use, or ``None`` when it is used up."""
    if fault.times is not None and fault.times <= 1:
        return None
    remaining = None if fault.times is None else fault.times - 1
    return dataclasses.replace(fault, times=remaining, fired=fault.fired + 1)


@dataclass(frozen=True)
class CallOutcome:
    """What staging does to one call: the fault it used, how long it waits, and what replaces its answer."""

    fault: Fault | None
    delay_seconds: float
    #: An :class:`ApiError` or :class:`TransportFault` answered instead of the real answer; ``None``: answer.
    replacement: Exception | None


def for_call(
    store: Store,
    settings: RuntimeSettings,
    operation_id: str,
    statuses: Collection[int],
    *,
    prefer: str | None,
    request_text: str,
    body: bytes,
    queued: bool = True,
) -> CallOutcome:
    """Take the call fault queued for this call (if any) and decide what the call gets.

    ``Prefer: code=`` wins over a queued fault's outcome (the queued one is still
    used up, and its latency still applies), as one call's explicit request.
    ``queued=False`` (the call's :meth:`Store.snapshot` saw no fault) spares every
    call a write transaction; a fault queued since simply arrived after this call.
    """
    preferred = preferred_error(prefer, operation_id, statuses)
    fault = store.take_fault(operation_id, statuses, "call") if queued else None
    delay = delay_seconds(settings, fault, request_text, body)
    replacement: Exception | None = preferred
    if replacement is None and fault is not None:
        if fault.transport in CUTTING_FAULTS:
            replacement = TransportFault(fault.transport, fault.stall_seconds)
        else:
            replacement = fault.error()
    return CallOutcome(fault=fault, delay_seconds=delay, replacement=replacement)


def delay_seconds(settings: RuntimeSettings, fault: Fault | None, request_text: str, body: bytes) -> float:
    """Configured latency with jitter seeded by the request itself, plus the fault's own.

    The same request always waits the same time, so a slow run can be replayed.
    """
    delay = settings.latency_ms
    if settings.jitter_ms:
        digest = hashlib.sha256(request_text.encode("utf-8") + body).digest()
        delay += random.Random(digest).uniform(0, settings.jitter_ms)
    return delay / 1000 + (fault.delay_seconds() if fault else 0.0)


def preferred_error(prefer: str | None, operation_id: str, statuses: Collection[int]) -> ApiError | None:
    """Prism's ``Prefer: code=429`` convention: the error this one call should answer."""
    if not prefer:
        return None
    match = _PREFER_CODE.search(prefer)
    if match is None:
        return None
    code = int(match[1])
    if code in (200, 202):
        return None
    if code not in ERROR_FOR_STATUS or code not in statuses:
        answered = ", ".join(str(status) for status in sorted(statuses))
        return BadRequest([f"prefer: {operation_id} never answers {code}; it answers {answered}"])
    return Fault(status=code).error()
