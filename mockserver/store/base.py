"""The one store interface: everything the mock keeps between requests lives behind it.

Jobs today; faults, counters, credits and the request journal join it as
further methods, so every backend (memory, SQLite, Redis) keeps all shared state
with the same semantics and a worker never holds state another cannot see.
"""

from __future__ import annotations

import abc
import json
from typing import Any

from mockserver.imaging import RenderedImage
from mockserver.jobs import Job


class Store(abc.ABC):
    """Shared state of the mock; every method is atomic on its own."""

    @abc.abstractmethod
    def add_job(self, job: Job, image: bytes) -> None:
        """Keep a new job and its input image until ``job.expires_at``."""

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
    def save_result(self, job_id: str, result: RenderedImage) -> None:
        """Keep the rendered result; saving the same result twice is harmless."""

    @abc.abstractmethod
    def purge_expired(self, now: float) -> int:
        """Forget expired jobs; how many were dropped."""

    def check(self) -> None:  # noqa: B027 - optional hook with a no-op default.
        """Raise :class:`mockserver.errors.StoreError` when the store is unusable."""

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
