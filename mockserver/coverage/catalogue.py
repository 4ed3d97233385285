"""The behaviours a client of the API can meet, derived from the document in force and the staging vocabulary.

Nothing here is typed by hand where the document can say it: each operation's
answers come from its ``responses`` (a status added to the document is a
behaviour added here), and what the mock can stage on top of them from
:mod:`mockserver.models` (transport faults, ``Retry-After`` statuses, job plans).
Each behaviour carries a hint saying how a test makes it happen, so a gap in a
report says what to write next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from mockserver.errors import ERROR_FOR_STATUS
from mockserver.models import RETRY_AFTER_STATUSES, TRANSPORT_FAULTS
from mockserver.openapi import Spec, resolve_local_ref

#: The groups of a catalogue, in the order a report lists them.
GROUPS = ("success", "async", "error", "retry-after", "transport")


@dataclass(frozen=True)
class Behaviour:
    """One thing a client can meet on one operation: an answer mode, a job state, an error, a fault."""

    #: ``operation:kind`` (``upscaleImageFast:status-429``): stable across runs, the key a report counts by.
    id: str
    operation: str
    group: str
    title: str
    #: How a test makes it happen (a fault to stage, a request to send).
    hint: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "operation": self.operation, "group": self.group, "title": self.title, "hint": self.hint}


@dataclass(frozen=True)
class OperationShape:
    """What the document says one operation answers, as far as coverage cares."""

    operation: str
    method: str
    path: str
    statuses: frozenset[int]
    #: Its 200 is an image (``image/*``), with a JSON envelope when ``application/json`` is listed too.
    answers_image: bool
    answers_json: bool
    #: An upload whose 200 is a generation id to poll.
    submits_job: bool
    #: An upload with a ``prompt``: the content rules (``filter_words``) may blur what it answers.
    takes_prompt: bool

    @property
    def polls_job(self) -> bool:
        return 202 in self.statuses


def shapes_of(spec: Spec) -> list[OperationShape]:
    """Each operation of ``spec``'s document, in document order."""
    found = []
    for operation, (method, path) in spec.operations.items():
        described = spec.document["paths"][path][method.lower()]
        ok = resolve_local_ref(spec.document, described.get("responses", {}).get("200", {}))
        media = list(ok.get("content", {}))
        answers_image = any(name.startswith("image/") for name in media)
        found.append(
            OperationShape(
                operation=operation,
                method=method,
                path=path,
                statuses=spec.statuses[operation],
                answers_image=answers_image,
                answers_json=answers_image and "application/json" in media,
                submits_job="requestBody" in described and not answers_image,
                takes_prompt="prompt" in (spec.request_schema(operation) or {}).get("properties", {}),
            )
        )
    return found


def behaviours_of(shape: OperationShape) -> list[Behaviour]:
    """Every behaviour of one operation, success first, then job states, errors, Retry-After, transport."""
    op = shape.operation
    found: list[tuple[str, str, str, str]] = []
    if shape.answers_image:
        ready = "ready: " if shape.polls_job else ""
        found.append(("success", "image", f"{ready}200 raw image", "Accept: image/* (or none)"))
        if shape.answers_json:
            found.append(("success", "json", f"{ready}200 JSON (base64 image)", "Accept: application/json"))
        if shape.polls_job:
            filtered = _fault(job={"outcome": "content_filtered"}) + " before the upload"
            found.append(("async", "content-filtered", "finish-reason CONTENT_FILTERED", filtered))
        elif shape.takes_prompt:
            filtered = "a prompt with a word of the filter_words setting"
            found.append(("success", "content-filtered", "finish-reason CONTENT_FILTERED", filtered))
    elif shape.submits_job:
        found.append(("async", "submit", "200 generation id (job started)", "a valid upload"))
    elif 200 in shape.statuses:
        found.append(("success", "ok", "200 JSON", "a call with a valid key"))
    if shape.polls_job:
        before = " before the upload"
        found.append(("async", "pending", "202 in progress", "poll before the job is ready (pending_polls ≥ 1)"))
        endless = _fault(job={"pending_polls": None}) + before
        found.append(("async", "never-ending", "202 of a job that never finishes", endless))
        found.append(("async", "failed-job", "500 of a failed job", _fault(job={"outcome": "fail"}) + before))
        if 404 in shape.statuses:
            found.append(("async", "unknown-id", "404 unknown or expired id", "poll an id the mock never gave"))
    for status in sorted(code for code in shape.statuses if code >= 400):
        found.append(("error", f"status-{status}", _error_title(status), _fault(op, status=status)))
    for status in sorted(code for code in shape.statuses if code in RETRY_AFTER_STATUSES):
        hint = _fault(op, status=status, retry_after=5)
        found.append(("retry-after", f"retry-after-{status}", f"{status} with Retry-After", hint))
    for transport in TRANSPORT_FAULTS:
        hint = _fault(op, transport=transport)
        found.append(("transport", f"transport-{transport}", f"connection {_CUT[transport]}", hint))
    return [Behaviour(f"{op}:{kind}", op, group, title, hint) for group, kind, title, hint in found]


def _error_title(status: int) -> str:
    known = ERROR_FOR_STATUS.get(status)
    return f"{status} {known.kind_name}" if known is not None else f"{status} error"


_CUT = {"reset": "reset", "truncate": "truncated mid-answer", "stall": "stalled"}


def _fault(operation: str | None = None, **fields: Any) -> str:
    staged = {"operation": operation, **fields} if operation else fields
    return "POST /_mock/faults " + json.dumps(staged)


@dataclass(frozen=True)
class Catalogue:
    """The fixed list of behaviours of one profile's API: the denominator of coverage."""

    profile: str
    behaviours: tuple[Behaviour, ...]
    shapes: tuple[OperationShape, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(behaviour.id for behaviour in self.behaviours)

    def shape(self, operation: str) -> OperationShape | None:
        return next((shape for shape in self.shapes if shape.operation == operation), None)

    @classmethod
    def of(cls, spec: Spec, profile: str) -> Catalogue:
        """The catalogue of ``spec``'s document (the profile names it in reports)."""
        shapes = tuple(shapes_of(spec))
        return cls(profile, tuple(item for shape in shapes for item in behaviours_of(shape)), shapes)


@cache
def catalogue_for(profile: str) -> Catalogue:
    """The catalogue of the bundled document as ``profile`` plays it."""
    return Catalogue.of(Spec.for_profile(profile), profile)


@lru_cache(maxsize=8)
def catalogue_of(spec: Spec, profile: str) -> Catalogue:
    """The catalogue of the document a server answers by (built once per document)."""
    return Catalogue.of(spec, profile)


__all__ = [
    "GROUPS",
    "Behaviour",
    "Catalogue",
    "OperationShape",
    "behaviours_of",
    "catalogue_for",
    "catalogue_of",
    "shapes_of",
]
