"""Which behaviours of the catalogue one journal record shows a client met.

Only what was delivered counts: the status the record says was answered, the
transport fault the journal says acted (``transport``), the ``Retry-After`` the
answer carried, the plan of the job a poll read. A fault that was staged and
never fired leaves no record, so it never counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mockserver.control.local import key_id
from mockserver.coverage.catalogue import Catalogue, OperationShape
from mockserver.models import FAIL

CONTENT_FILTERED_REASON = "CONTENT_FILTERED"


def behaviours_met(record: Mapping[str, Any], catalogue: Catalogue) -> list[str]:
    """The ids of ``catalogue``'s behaviours that ``record`` shows were met (none for unknown operations)."""
    shape = catalogue.shape(str(record.get("operation")))
    if shape is None:
        return []
    known = set(catalogue.ids)
    return [found for kind in _kinds(record, shape) if (found := f"{shape.operation}:{kind}") in known]


def _kinds(record: Mapping[str, Any], shape: OperationShape) -> Iterator[str]:
    transport = record.get("transport")
    if transport:
        # A cut answer is a transport fault met, not the answer it would have been.
        yield f"transport-{transport}"
        return
    status = record.get("status")
    if not isinstance(status, int):
        return
    job = record.get("job") or {}
    if status == 200:
        yield from _success(record, shape)
    elif status == 202:
        yield "pending"
        if job and job.get("pending_polls") is None:
            yield "never-ending"
    elif status >= 400:
        yield f"status-{status}"
        if record.get("retry_after") is not None:
            yield f"retry-after-{status}"
        if status == 500 and job.get("outcome") == FAIL:
            yield "failed-job"
        if status == 404 and shape.polls_job and not record.get("fault"):
            yield "unknown-id"


def _success(record: Mapping[str, Any], shape: OperationShape) -> Iterator[str]:
    delivered = record.get("delivered")
    if isinstance(delivered, Mapping):
        yield "json" if delivered.get("as_json") else "image"
        if delivered.get("finish_reason") == CONTENT_FILTERED_REASON:
            yield "content-filtered"
    elif shape.submits_job:
        yield "submit"
    else:
        yield "ok"


def of_key(records: Iterable[Mapping[str, Any]], key: str | None) -> list[Mapping[str, Any]]:
    """The records of one API key (raw, or its ``key_`` fingerprint), or all of them when ``key`` is ``None``."""
    if key is None:
        return list(records)
    wanted = key_id(key)
    return [record for record in records if record.get("key") == wanted]


__all__ = ["behaviours_met", "of_key"]
