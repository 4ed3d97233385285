"""In-process store: for tests and single-process embedding; nothing survives a restart."""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections import OrderedDict, deque
from collections.abc import Collection
from typing import Any

from mockserver.errors import StoreFull
from mockserver.imaging import RenderedImage
from mockserver.models import Fault, Job, JobPlan, after_firing, first_for_key, fits
from mockserver.store.base import RecordQuery, Snapshot, Store


class MemoryStore(Store):
    """Dicts behind one lock: every method is atomic, as the interface requires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._images: dict[str, bytes] = {}
        self._results: dict[str, RenderedImage] = {}
        self._bytes = 0
        self._faults: list[Fault] = []
        self._counters: dict[str, tuple[int, float | None]] = {}
        self._settings: dict[str, Any] = {}
        self._records: deque[dict[str, Any]] = deque()
        self._thumbnails: OrderedDict[str, bytes] = OrderedDict()

    # Jobs -----------------------------------------------------------------------

    def add_job(self, job: Job, image: bytes, *, max_bytes: int | None = None) -> None:
        with self._lock:
            if max_bytes is not None and self._bytes + len(image) > max_bytes:
                self._purge(job.created_at)
                if self._bytes + len(image) > max_bytes:
                    raise StoreFull(self._bytes, len(image), max_bytes)
            self._forget(job.id)
            self._jobs[job.id] = job
            self._images[job.id] = image
            self._bytes += len(image)

    def _forget(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)
        self._bytes -= len(self._images.pop(job_id, b""))
        result = self._results.pop(job_id, None)
        self._bytes -= len(result.data) if result is not None else 0

    def stored_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def get_job(self, job_id: str, now: float) -> Job | None:
        with self._lock:
            return self._live_job(job_id, now)

    def _live_job(self, job_id: str, now: float) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.expires_at > now else None

    def poll_job(self, job_id: str, key_fingerprint: str, now: float) -> Job | None:
        with self._lock:
            job = self._live_job(job_id, now)
            if job is None or job.key_fingerprint != key_fingerprint:
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

    def save_result(self, job_id: str, result: RenderedImage, *, max_bytes: int | None = None) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job_id in self._results:
                return
            if max_bytes is not None and self._bytes + len(result.data) > max_bytes:
                return
            self._jobs[job_id] = dataclasses.replace(job, has_result=True)
            self._results[job_id] = result
            self._bytes += len(result.data)

    def purge_expired(self, now: float) -> int:
        with self._lock:
            expired = self._purge(now)
            for name in [
                name for name, (_, expires) in self._counters.items() if expires is not None and expires <= now
            ]:
                del self._counters[name]
            return expired

    def _purge(self, now: float) -> int:
        expired = [job_id for job_id, job in self._jobs.items() if job.expires_at <= now]
        for job_id in expired:
            self._forget(job_id)
        return len(expired)

    def list_jobs(self, now: float) -> list[Job]:
        with self._lock:
            return sorted((job for job in self._jobs.values() if job.expires_at > now), key=lambda job: job.created_at)

    def set_job_plan(self, job_id: str, plan: JobPlan, now: float) -> Job | None:
        with self._lock:
            job = self._live_job(job_id, now)
            if job is None:
                return None
            job = dataclasses.replace(job, plan=plan)
            self._jobs[job_id] = job
            return job

    # Faults ---------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take_fault(
        self, operation_id: str, statuses: Collection[int], scope: str, key: str | None = None
    ) -> Fault | None:
        with self._lock:
            fault = first_for_key((item for item in self._faults if fits(item, operation_id, statuses, scope)), key)
            if fault is None:
                return None
            index = self._faults.index(fault)
            remaining = after_firing(fault)
            if remaining is None:
                del self._faults[index]
            else:
                self._faults[index] = remaining
            return fault

    def list_faults(self, key: str | None = None) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if key is None or fault.key == key]

    def delete_faults(self, fault_id: str | None = None, key: str | None = None) -> int:
        with self._lock:
            before = len(self._faults)
            self._faults = [
                fault
                for fault in self._faults
                if (fault_id is not None and fault.id != fault_id) or (key is not None and fault.key != key)
            ]
            return before - len(self._faults)

    # Counters -------------------------------------------------------------------

    def increment(self, name: str, amount: int, expires_at: float, now: float) -> int:
        with self._lock:
            value, expires = self._counters.get(name, (0, expires_at))
            if expires is not None and expires <= now:
                value, expires = 0, expires_at
            value += amount
            self._counters[name] = (value, expires)
            return value

    def counter(self, name: str, now: float) -> int | None:
        with self._lock:
            value, expires = self._counters.get(name, (0, None))
            if name not in self._counters or (expires is not None and expires <= now):
                return None
            return value

    def set_counter(self, name: str, value: int, expires_at: float | None) -> None:
        with self._lock:
            self._counters[name] = (value, expires_at)

    def debit(self, name: str, amount: int, initial: int) -> int | None:
        with self._lock:
            value, expires = self._counters.get(name, (initial, None))
            if value < amount:
                self._counters[name] = (value, expires)
                return None
            self._counters[name] = (value - amount, expires)
            return value - amount

    # Settings, journal, reset ---------------------------------------------------

    def settings(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._settings)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(settings=copy.deepcopy(self._settings), faults_queued=bool(self._faults))

    def save_settings(self, changes: dict[str, Any]) -> None:
        with self._lock:
            self._settings = copy.deepcopy(changes)

    def append_record(self, record: dict[str, Any], keep: int) -> None:
        with self._lock:
            self._records.append(copy.deepcopy(record))
            while len(self._records) > keep:
                self._records.popleft()

    def records(self, query: RecordQuery) -> list[dict[str, Any]]:
        with self._lock:
            found = [copy.deepcopy(record) for record in self._records if query.matches(record)]
        return found[-query.limit :] if query.limit else []

    def clear_records(self, key: str | None = None) -> int:
        with self._lock:
            count = len(self._records)
            if key is not None:
                self._records = deque(record for record in self._records if record.get("key") != key)
                return count - len(self._records)
            self._records.clear()
            self._thumbnails.clear()
            return count

    def save_thumbnail(self, sha256: str, data: bytes, keep: int) -> None:
        with self._lock:
            self._thumbnails.pop(sha256, None)
            self._thumbnails[sha256] = data
            while len(self._thumbnails) > keep:
                self._thumbnails.popitem(last=False)

    def thumbnail(self, sha256: str) -> bytes | None:
        with self._lock:
            return self._thumbnails.get(sha256)

    def reset(self) -> None:
        with self._lock:
            self._clear()
