"""One API call as a typed record: each stage fills in what it learnt, the journal reads it once.

pytest-httpserver keeps ``(request, response)`` per call and respx a typed
``Call``; here the request path fills one :class:`Exchange` in order (edge →
router → key → verdict → rate limit → faults → content rules → credits →
operation → response) and the journal is built from it in one place
(:func:`mockserver.pipeline.journal.record_for`), instead of from facts several modules
left behind under string keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.openapi.multipart import ParsedForm

if TYPE_CHECKING:
    from mockserver.imaging import RenderedImage
    from mockserver.models import Fault, JobPlan
    from mockserver.openapi.router import Route
    from mockserver.settings.runtime import RuntimeSettings


@dataclass(frozen=True)
class ApiCall:
    """An admitted API request: who sent it, what it asks for, and what was staged for it."""

    route: Route
    key_fingerprint: str
    body: dict[str, Any]
    path: dict[str, Any]
    settings: RuntimeSettings
    fault: Fault | None = None
    content_filtered: bool = False

    @property
    def operation_id(self) -> str:
        return self.route.operation_id


@dataclass(frozen=True)
class Delivered:
    """The image an answer carried, so a contract check can compare a client's output byte for byte."""

    sha256: str
    bytes: int
    media_type: str
    finish_reason: str
    as_json: bool
    width: int
    height: int

    @classmethod
    def of(cls, result: RenderedImage, *, as_json: bool) -> Delivered:
        return cls(
            sha256=hashlib.sha256(result.data).hexdigest(),
            bytes=len(result.data),
            media_type=result.media_type,
            width=result.width,
            height=result.height,
            finish_reason=result.finish_reason,
            as_json=as_json,
        )


@dataclass
class Exchange:
    """Everything known about one API call, filled in as the request goes down the path."""

    request_id: str
    #: ``time.perf_counter()`` when the request arrived.
    started: float
    operation_id: str | None = None
    key_fingerprint: str | None = None
    settings: RuntimeSettings | None = None
    #: Whether the store held any fault when the call arrived (none: no fault is looked for).
    faults_queued: bool = True
    #: Seconds the configured latency and a staged fault held the call: the timing preset's wait comes on top.
    held_seconds: float = 0.0
    #: ``None`` until the request is judged; then one ``field: message`` line per problem (empty: valid).
    errors: list[str] | None = None
    #: The multipart form as sent, valid or not.
    form: ParsedForm | None = None
    fault: Fault | None = None
    #: Credits taken for this call (given back if it fails).
    charged: int = 0
    generation_id: str | None = None
    #: The plan of the job this call created or polled: how a poll's 202 or 500 came about.
    job_plan: JobPlan | None = None
    delivered: Delivered | None = None
    #: The bytes ``delivered`` describes, for the thumbnail made after the answer (never journaled).
    delivered_bytes: bytes | None = None
    #: The answer never reached the client: a staged reset or stall cut the connection.
    connection_dropped: bool = False
    #: Refunded and journaled already (a dropped connection is journaled before the cut).
    settled: bool = False
    call: ApiCall | None = None
    #: Recorded from an upstream or replayed from a cassette (:mod:`mockserver.recording`): how, and which file.
    recording: dict[str, Any] | None = None
    #: The answer's content type and byte count, once it is built (not for a cut connection).
    answer: dict[str, Any] | None = None

    @property
    def valid(self) -> bool | None:
        return None if self.errors is None else not self.errors

    def refused(self, errors: list[str]) -> None:
        """The request was refused for what it sent (after the spec, or before it ran): the verdict says so."""
        if not self.errors:
            self.errors = list(errors)

    def delivered_json(self) -> dict[str, Any] | None:
        # A plain copy of the fields: ``dataclasses.asdict`` deep-copies each one, a tenth of a ready poll's CPU.
        return None if self.delivered is None else dict(vars(self.delivered))


__all__ = ["ApiCall", "Delivered", "Exchange"]
