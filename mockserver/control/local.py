"""Staging and inspection, in one place: the admin API, the pytest fixture and the
scenario file all call these functions, so every front door does the same thing.

:class:`Controls` is the vocabulary every door speaks: :class:`MockControl`
(in-process), the pytest fixture's :class:`contract_tests.StabilityMock` and
the HTTP :class:`mockserver.control.remote.MockAdmin` have the same methods with
the same typed answers, so a test moves between them without rewording.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from mockserver.errors import BadRequest, GenerationNotFound
from mockserver.imaging import RenderOrder
from mockserver.models import ANY_OPERATION, FAIL, KEY_FINGERPRINT, Fault, Job, JobPlan
from mockserver.pipeline.auth import fingerprint
from mockserver.pipeline.credits import balance as credit_balance
from mockserver.services import Services
from mockserver.settings.runtime import MAX_BALANCE, RuntimeSettings
from mockserver.store.base import RecordQuery, Store


@dataclass(frozen=True)
class JobView:
    """A job as a test sees it (``GET /_mock/jobs``): its state and plan, not its image bytes."""

    id: str
    operation: str
    #: The caller's key fingerprint.
    key: str
    #: ``in-progress``, ``ready``, ``failing`` or ``never-finishing``.
    status: str
    polls: int
    created_at: float
    expires_at: float
    #: Epoch seconds from which it may be ready (its ``created_at`` plus the plan's ``job_seconds``).
    ready_at: float
    plan: JobPlan
    request: RenderOrder

    @classmethod
    def of(cls, job: Job) -> JobView:
        if job.plan.pending_polls is None:
            status = "never-finishing"
        elif job.plan.outcome == FAIL:
            status = "failing"
        else:
            status = "ready" if job.has_result else "in-progress"
        return cls(
            id=job.id,
            operation=job.operation_id,
            key=job.key_fingerprint,
            status=status,
            polls=job.polls,
            created_at=job.created_at,
            expires_at=job.expires_at,
            ready_at=job.ready_at,
            plan=job.plan,
            request=job.order,
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> JobView:
        fields = dict(values)
        return cls(**{**fields, "plan": JobPlan(**fields["plan"]), "request": RenderOrder(**fields["request"])})


@dataclass(frozen=True)
class Credits:
    """A key's balance (``GET /_mock/credits/{key}``); ``None`` while credits are off and it has none."""

    #: The key's fingerprint.
    key: str
    balance: int | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@runtime_checkable
class Controls(Protocol):
    """What a test can stage and read, whichever door it uses."""

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """Journal records, oldest first; filters: operation, status, key (raw or fingerprint), limit."""
        ...

    def clear_requests(self, key: str | None = None) -> int:
        """Forget the journal; with ``key`` (raw or fingerprint), only that key's records."""
        ...

    def thumbnail(self, sha256: str) -> bytes | None:
        """The WebP thumbnail of a journaled image (a record's ``image`` or ``delivered`` sha256), or ``None``."""
        ...

    def add_fault(self, **fields: Any) -> Fault:
        """Queue a fault; ``key`` (raw or fingerprint) stages it for that key's calls only."""
        ...

    def faults(self, key: str | None = None) -> list[Fault]:
        """Queued faults, oldest first; with ``key``, those staged for that key."""
        ...

    def clear_faults(self, fault_id: str | None = None, key: str | None = None) -> int: ...

    def jobs(self, key: str | None = None) -> list[JobView]:
        """Live jobs, oldest first; with ``key``, that key's."""
        ...

    def complete_job(self, job_id: str) -> JobView: ...

    def fail_job(self, job_id: str) -> JobView: ...

    def settings(self) -> RuntimeSettings: ...

    def update_settings(self, **changes: Any) -> RuntimeSettings: ...

    def credits(self, key: str) -> Credits: ...

    def set_credits(self, key: str, balance: int) -> Credits: ...

    def reset(self) -> None: ...


class MockControl:
    """Everything a test can stage or read, against one app's services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def store(self) -> Store:
        return self.services.store

    # Journal ----------------------------------------------------------------

    def requests(
        self,
        *,
        operation: str | None = None,
        status: int | None = None,
        key: str | None = None,
        limit: int = 1000,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Recorded API calls, oldest first; ``key`` may be a raw key or its fingerprint."""
        if filters:
            raise BadRequest([f"{name}: is not a journal filter" for name in sorted(filters)])
        query = RecordQuery(operation=operation, status=status, key=key_id(key) if key else None, limit=limit)
        return self.store.records(query)

    def clear_requests(self, key: str | None = None) -> int:
        if key:
            return int(self.store.clear_records(key_id(key)))
        self.services.thumbnails.forget()
        return int(self.store.clear_records())

    def thumbnail(self, sha256: str) -> bytes | None:
        """Made in the background after the call, so a record can be read before its thumbnails exist."""
        return self.store.thumbnail(sha256.lower())

    # Faults -----------------------------------------------------------------

    def add_fault(self, **fields: Any) -> Fault:
        """Queue a fault (see :class:`mockserver.models.Fault` for the fields).

        ``key`` may be a raw key: it is fingerprinted here, so no raw key is ever stored.
        """
        if isinstance(fields.get("key"), str):
            fields = {**fields, "key": key_id(fields["key"])}
        fault = Fault.from_dict(fields)
        operations = self.services.spec.statuses
        if fault.operation != ANY_OPERATION and fault.operation not in operations:
            raise BadRequest([f"operation: must be * or one of {', '.join(sorted(operations))}"])
        if fault.status is not None:
            candidates = operations if fault.operation == ANY_OPERATION else [fault.operation]
            if not any(fault.status in operations[name] for name in candidates):
                raise BadRequest([f"status: {fault.operation} never answers {fault.status}"])
        self.store.add_fault(fault)
        return fault

    def faults(self, key: str | None = None) -> list[Fault]:
        return list(self.store.list_faults(key_id(key) if key else None))

    def clear_faults(self, fault_id: str | None = None, key: str | None = None) -> int:
        """Delete one fault or all; with ``key``, only faults staged for that key."""
        return int(self.store.delete_faults(fault_id, key_id(key) if key else None))

    # Jobs -------------------------------------------------------------------

    def jobs(self, key: str | None = None) -> list[JobView]:
        owner = key_id(key) if key else None
        found = self.store.list_jobs(self.services.clock())
        return [JobView.of(job) for job in found if owner is None or job.key_fingerprint == owner]

    def complete_job(self, job_id: str) -> JobView:
        """Make a pending job ready now (its staged outcome, e.g. content filtering, kept)."""
        return JobView.of(self._replan(job_id, fail=False))

    def fail_job(self, job_id: str) -> JobView:
        """Make a job's next poll answer 500 ``internal_error``."""
        return JobView.of(self._replan(job_id, fail=True))

    def _replan(self, job_id: str, *, fail: bool) -> Job:
        now = self.services.clock()
        job = self.store.get_job(job_id, now)
        if job is None:
            raise GenerationNotFound()
        plan = dataclasses.replace(
            job.plan,
            pending_polls=0,
            # Ready by now: the seconds already passed (exactly, so a poll at this same instant finds it ready).
            job_seconds=min(job.plan.job_seconds, now - job.created_at),
            outcome=FAIL if fail else job.plan.outcome,
        )
        updated = self.store.set_job_plan(job_id, plan, now)
        if updated is None:
            raise GenerationNotFound()
        return updated

    # Runtime settings -------------------------------------------------------

    def settings(self) -> RuntimeSettings:
        return self.services.settings()

    def update_settings(self, **changes: Any) -> RuntimeSettings:
        """Change runtime settings for every worker; unknown or bad values are a 400."""
        updated = self.services.settings().updated(changes)
        self.store.save_settings(updated.changes_from(self.services.default_settings))
        return updated

    # Credits ----------------------------------------------------------------

    def credits(self, key: str) -> Credits:
        fingerprinted = key_id(key)
        settings = self.services.settings()
        return Credits(key=fingerprinted, balance=credit_balance(self.store, settings, fingerprinted))

    def set_credits(self, key: str, balance: int) -> Credits:
        if not 0 <= balance <= MAX_BALANCE:
            raise BadRequest([f"balance: must be between 0 and {MAX_BALANCE:,}"])
        fingerprinted = key_id(key)
        self.store.set_counter(f"credits:{fingerprinted}", balance, None)
        return Credits(key=fingerprinted, balance=balance)

    # Everything -------------------------------------------------------------

    def reset(self) -> None:
        """Forget jobs, faults, counters, settings, the journal and its thumbnails; a replay starts over."""
        self.services.thumbnails.forget()
        self.store.reset()
        if self.services.replayer is not None:
            self.services.replayer.rewind()

    def apply_scenario(self, scenario: Mapping[str, Any]) -> None:
        """Replace faults and settings with a scenario's (see :mod:`mockserver.control.scenario`)."""
        self.store.delete_faults()
        self.store.save_settings({})
        # ``config`` is the key's first name, still read: the runtime settings either way.
        changes = scenario.get("settings") or scenario.get("config")
        if changes:
            self.update_settings(**changes)
        for fault in scenario.get("faults") or ():
            self.add_fault(**fault)
        for key, balance in (scenario.get("credits") or {}).items():
            self.set_credits(str(key), int(balance))


def key_id(key: str) -> str:
    """A key's fingerprint; fingerprints (``key_`` and 12 hex digits) pass through."""
    return key if KEY_FINGERPRINT.fullmatch(key) else fingerprint(key)
