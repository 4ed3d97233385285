"""In-process store: for tests and single-process embedding; nothing survives a restart."""

from __future__ import annotations

import dataclasses
import threading

from mockserver.imaging import RenderedImage
from mockserver.jobs import Job
from mockserver.store.base import Store


class MemoryStore(Store):
    """Dicts behind one lock: every method is atomic, as the interface requires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._images: dict[str, bytes] = {}
        self._results: dict[str, RenderedImage] = {}

    def add_job(self, job: Job, image: bytes) -> None:
        with self._lock:
            self._jobs[job.id] = job
            self._images[job.id] = image

    def get_job(self, job_id: str, now: float) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job if job is not None and job.expires_at > now else None

    def poll_job(self, job_id: str, key_fingerprint: str, now: float) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.expires_at <= now or job.key_fingerprint != key_fingerprint:
                return None
            job = dataclasses.replace(job, polls=job.polls + 1)
            self._jobs[job_id] = job
            return job

    def job_image(self, job_id: str) -> bytes | None:
        with self._lock:
            return self._images.get(job_id)

    def job_result(self, job_id: str) -> RenderedImage | None:
        with self._lock:
            return self._results.get(job_id)

    def save_result(self, job_id: str, result: RenderedImage) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            self._jobs[job_id] = dataclasses.replace(job, has_result=True)
            self._results[job_id] = result

    def purge_expired(self, now: float) -> int:
        with self._lock:
            expired = [job_id for job_id, job in self._jobs.items() if job.expires_at <= now]
            for job_id in expired:
                del self._jobs[job_id]
                self._images.pop(job_id, None)
                self._results.pop(job_id, None)
            return len(expired)
