"""The one store interface: everything the mock keeps between requests lives behind it.

Jobs, faults, counters (rate limits, credits), runtime settings and the request
journal: every backend keeps all shared state with the same semantics, so a
worker never holds state another cannot see.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from mockserver.imaging import RenderedImage
from mockserver.models import Fault, Job, JobPlan


@dataclass(frozen=True)
class RecordQuery:
    """Filters on the request journal; ``None`` matches anything."""

    operation: str | None = None
    status: int | None = None
    key: str | None = None
    limit: int = 1000

    def matches(self, record: dict[str, Any]) -> bool:
        return (
            (self.operation is None or record.get("operation") == self.operation)
            and (self.status is None or record.get("status") == self.status)
            and (self.key is None or record.get("key") == self.key)
        )


@dataclass(frozen=True)
class Snapshot:
    """The shared state every API call reads before anything else, in one store round trip."""

    #: Runtime setting changes (as :meth:`Store.settings`).
    settings: dict[str, Any]
    #: Whether any fault is queued: when none is, a call takes none without asking again.
    faults_queued: bool


class Store(abc.ABC):
    """Shared state of the mock; every method is atomic on its own."""

    @abc.abstractmethod
    def add_job(self, job: Job, image: bytes, *, max_bytes: int | None = None) -> None:
        """Keep a new job and its input image until ``job.expires_at``.

        With ``max_bytes``, the kept job bytes (:meth:`stored_bytes`) may not pass it:
        expired jobs are dropped first, then :class:`~mockserver.errors.StoreFull`
        is raised and nothing is kept.
        """

    @abc.abstractmethod
    def get_job(self, job_id: str, now: float) -> Job | None:
        """A live job by id, without counting a poll."""

    @abc.abstractmethod
    def poll_job(self, job_id: str, key_fingerprint: str, now: float) -> Job | None:
        """Count one poll of a live job owned by that key and return it updated.

        ``None`` (and nothing counted) when the id is unknown, expired or another key's.
        """

    @abc.abstractmethod
    def job_image(self, job_id: str) -> bytes | None:
        """The input image of a job."""

    @abc.abstractmethod
    def job_result(self, job_id: str) -> RenderedImage | None:
        """The rendered result of a job, once saved."""

    @abc.abstractmethod
    def save_result(self, job_id: str, result: RenderedImage, *, max_bytes: int | None = None) -> None:
        """Keep the rendered result; saving the same result twice is harmless.

        A result that would take the kept bytes past ``max_bytes`` is not kept: the
        job stays, and the poll that needs it renders it again (the same bytes).
        """

    @abc.abstractmethod
    def stored_bytes(self) -> int:
        """Bytes of every kept job image and result (expired ones too, until purged)."""

    @abc.abstractmethod
    def purge_expired(self, now: float) -> int:
        """Forget expired jobs and counters; how many jobs were dropped."""

    @abc.abstractmethod
    def list_jobs(self, now: float) -> list[Job]:
        """Every live job, oldest first."""

    @abc.abstractmethod
    def set_job_plan(self, job_id: str, plan: JobPlan, now: float) -> Job | None:
        """Replace a live job's plan (to finish or fail it now); the job, or ``None``."""

    # Faults -------------------------------------------------------------------

    @abc.abstractmethod
    def add_fault(self, fault: Fault) -> None:
        """Queue a fault behind those already queued."""

    @abc.abstractmethod
    def take_fault(
        self, operation_id: str, statuses: Collection[int], scope: str, key: str | None = None
    ) -> Fault | None:
        """Consume one use of the oldest fault of ``scope`` that fits this call of ``key``, atomically.

        A fault fits when it is of ``scope`` (``call`` or ``job``, see
        :attr:`Fault.scope`), names this operation (or ``*``), and its status (if
        any) is one the operation can answer. Of those, the oldest staged for the
        caller's ``key`` (a fingerprint) is taken first, then the oldest staged for
        any key (:func:`mockserver.models.first_for_key`); one staged for another
        key never is. It is returned as it was when it fired.
        """

    @abc.abstractmethod
    def list_faults(self, key: str | None = None) -> list[Fault]:
        """Queued faults, oldest first; with ``key``, only those staged for that key."""

    @abc.abstractmethod
    def delete_faults(self, fault_id: str | None = None, key: str | None = None) -> int:
        """Delete one fault, or all of them; with ``key``, only those staged for that key. How many were deleted."""

    # Counters: rate limits and credits ----------------------------------------

    @abc.abstractmethod
    def increment(self, name: str, amount: int, expires_at: float, now: float) -> int:
        """Add to a counter (starting at 0, or again at 0 once expired); its new value."""

    @abc.abstractmethod
    def counter(self, name: str, now: float) -> int | None:
        """A live counter's value."""

    @abc.abstractmethod
    def set_counter(self, name: str, value: int, expires_at: float | None) -> None:
        """Set a counter (``expires_at=None``: kept until reset)."""

    @abc.abstractmethod
    def debit(self, name: str, amount: int, initial: int) -> int | None:
        """Take ``amount`` from a balance that starts at ``initial``, only if it covers it.

        The new balance, or ``None`` (and nothing taken) when it is short.
        """

    # Runtime settings ---------------------------------------------------------

    @abc.abstractmethod
    def settings(self) -> dict[str, Any]:
        """Runtime setting changes (see :mod:`mockserver.settings.runtime`)."""

    @abc.abstractmethod
    def save_settings(self, changes: dict[str, Any]) -> None:
        """Replace the runtime setting changes."""

    def snapshot(self) -> Snapshot:
        """Settings and whether any fault is queued; backends answer it in one round trip."""
        return Snapshot(settings=self.settings(), faults_queued=bool(self.list_faults()))

    # Journal ------------------------------------------------------------------

    @abc.abstractmethod
    def append_record(self, record: dict[str, Any], keep: int) -> None:
        """Add a request record, dropping the oldest beyond ``keep``."""

    @abc.abstractmethod
    def records(self, query: RecordQuery) -> list[dict[str, Any]]:
        """Records matching ``query``, oldest first (the newest ``query.limit``)."""

    @abc.abstractmethod
    def clear_records(self, key: str | None = None) -> int:
        """Forget every record, and the thumbnails of their images; how many records there were.

        With ``key`` (a fingerprint), only that key's records: the others and every
        thumbnail stay (a thumbnail is kept by image, and another key's record may name it).
        """

    # Thumbnails of the journal's images -----------------------------------------

    @abc.abstractmethod
    def save_thumbnail(self, sha256: str, data: bytes, keep: int) -> None:
        """Keep the thumbnail of the image whose sha256 this is, dropping the oldest beyond ``keep``.

        Keyed by the image, not the call: the journal's records name their images by
        sha256, and a repeated image (a polled result, a retried upload) is kept once.
        """

    @abc.abstractmethod
    def thumbnail(self, sha256: str) -> bytes | None:
        """A kept thumbnail, or ``None`` (never made, dropped, or reset)."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget everything: jobs, faults, counters, settings, records and thumbnails."""

    def check(self) -> None:  # noqa: B027 - optional hook with a no-op default.
        """Raise :class:`mockserver.errors.StoreError` when the store is unusable."""

    def compact(self) -> None:  # noqa: B027 - optional hook with a no-op default.
        """Give space freed by purges back (files shrink); the background sweep calls it."""

    def close(self) -> None:  # noqa: B027 - optional hook with a no-op default.
        """Release connections; the store may not be used afterwards."""


def result_meta(result: RenderedImage) -> str:
    """A result's fields other than its bytes, as JSON (for backends that split them)."""
    return json.dumps(
        {
            "media_type": result.media_type,
            "width": result.width,
            "height": result.height,
            "seed": result.seed,
            "finish_reason": result.finish_reason,
        }
    )


def result_from_meta(meta: str, data: bytes) -> RenderedImage:
    values: dict[str, Any] = json.loads(meta)
    return RenderedImage(data=data, **values)
