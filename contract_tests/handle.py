"""What a test holds: the mock's address and key, its journal, and ways to stage trouble.

Every method calls :class:`mockserver.control.local.MockControl`, the same code the
admin API runs, and the handle speaks :class:`mockserver.control.local.Controls` like
the HTTP :class:`mockserver.control.remote.MockAdmin`: what works here works over
HTTP and from a scenario file, with the same names and answers.
"""

from __future__ import annotations

from typing import Any

from contract_tests.server import LiveServer
from mockserver.control.local import Credits, JobView, MockControl
from mockserver.models import Fault
from mockserver.settings.runtime import RuntimeSettings


class StabilityMock:
    """A running mock, as seen by one test."""

    #: The key tests send; any non-empty key works unless the config limits them.
    api_key = "sk-stability-mock-test"

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.control: MockControl = server.control

    @property
    def url(self) -> str:
        """The base URL to give a client (what ``https://api.stability.ai`` would be)."""
        return self.server.url

    def url_for(self, path: str) -> str:
        return self.server.url_for(path)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    # The journal ------------------------------------------------------------

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """Recorded API calls, oldest first (filters: operation, status, key, limit)."""
        return self.control.requests(**filters)

    def clear_requests(self) -> int:
        return self.control.clear_requests()

    def thumbnail(self, sha256: str) -> bytes | None:
        """The thumbnail (WebP) of a record's ``image`` or ``delivered`` sha256, once the background made it."""
        return self.control.thumbnail(sha256)

    # Staging ----------------------------------------------------------------

    def add_fault(self, **fields: Any) -> Fault:
        """Queue a fault; the same fields as ``POST /_mock/faults``."""
        return self.control.add_fault(**fields)

    def fail_next(
        self,
        status: int,
        *,
        operation: str = "*",
        times: int = 1,
        message: str | None = None,
        error: str | None = None,
    ) -> Fault:
        """The next ``times`` matching calls answer ``status`` with the live API's error
        (``error="public_figure"`` picks production's other 422)."""
        return self.add_fault(operation=operation, status=status, times=times, message=message, error=error)

    def plan_next_job(
        self,
        *,
        operation: str = "*",
        pending_polls: int | None = 1,
        job_seconds: float = 0.0,
        outcome: str = "success",
        times: int = 1,
    ) -> Fault:
        """How the next job(s) behave: ``pending_polls=None`` never finishes; outcome
        ``fail`` answers 500 when polled, ``content_filtered`` a blurred image."""
        job = {"pending_polls": pending_polls, "job_seconds": job_seconds, "outcome": outcome}
        return self.add_fault(operation=operation, job=job, times=times)

    def faults(self) -> list[Fault]:
        return self.control.faults()

    def clear_faults(self, fault_id: str | None = None) -> int:
        return self.control.clear_faults(fault_id)

    def jobs(self) -> list[JobView]:
        return self.control.jobs()

    def complete_job(self, job_id: str) -> JobView:
        return self.control.complete_job(job_id)

    def fail_job(self, job_id: str) -> JobView:
        return self.control.fail_job(job_id)

    def settings(self) -> RuntimeSettings:
        return self.control.settings()

    def update_settings(self, **changes: Any) -> RuntimeSettings:
        """Change runtime settings (pending_polls, job_seconds, latency_ms, rate_limit, credits…)."""
        return self.control.update_settings(**changes)

    def credits(self, key: str | None = None) -> Credits:
        """A key's balance; by default the key this handle's :attr:`headers` send."""
        return self.control.credits(key or self.api_key)

    def set_credits(self, key: str | None, balance: int) -> Credits:
        """Set a key's balance; ``key=None`` is this handle's key."""
        return self.control.set_credits(key or self.api_key, balance)

    def reset(self) -> None:
        self.control.reset()
