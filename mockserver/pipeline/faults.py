"""Staged faults on a call: what the next matching call does instead of (or before) its real answer.

``Prefer: code=`` (Prism's convention) and the configured latency are faults of
one call. This module decides what a call gets (:func:`for_call`); the HTTP
edge carries it out (sleeps, raises, cuts the connection in
:mod:`mockserver.web.transport_faults`). A job fault is taken by the job it
plans, when :func:`mockserver.pipeline.jobs.create` creates it. The faults
themselves are values (:class:`mockserver.models.Fault`).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.errors import ERROR_FOR_STATUS, ApiError, BadRequest, MockError
from mockserver.models import CUTTING_FAULTS, Fault

if TYPE_CHECKING:
    from mockserver.settings.runtime import RuntimeSettings
    from mockserver.store import Store

_PREFER_CODE = re.compile(r"(?:^|[;,\s])code=(\d{3})(?:$|[;,\s])")


class TransportFault(MockError):
    """A staged transport fault; the edge performs it instead of answering."""

    def __init__(self, transport: str, stall_seconds: float = 30.0) -> None:
        super().__init__(f"staged transport fault: {transport}")
        #: ``reset`` or ``stall`` (``truncate`` cuts an answer that is sent, so it raises nothing).
        self.transport = transport
        self.stall_seconds = stall_seconds


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
    key: str | None = None,
) -> CallOutcome:
    """Take the call fault queued for this call (if any) and decide what the call gets.

    ``Prefer: code=`` wins over a queued fault's outcome (the queued one is still
    used up, and its latency still applies), as one call's explicit request.
    ``queued=False`` (the call's :meth:`Store.snapshot` saw no fault) spares every
    call a write transaction; a fault queued since simply arrived after this call.
    ``key`` (the caller's fingerprint) picks a fault staged for that key before one
    staged for any key, and never takes another key's.
    """
    preferred = preferred_error(prefer, operation_id, statuses)
    fault = store.take_fault(operation_id, statuses, "call", key) if queued else None
    delay = delay_seconds(settings, fault, request_text, body)
    replacement: Exception | None = preferred
    if replacement is None and fault is not None:
        if fault.transport in CUTTING_FAULTS:
            replacement = TransportFault(fault.transport, fault.stall_seconds)
        else:
            replacement = fault.api_error()
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
    return Fault(status=code).api_error()
