"""What a test holds: the mock's address and key, its journal, and ways to stage trouble.

Every method calls :class:`mockserver.control.local.MockControl`, the same code the
admin API runs, and the handle speaks :class:`mockserver.control.local.Controls` like
the HTTP :class:`mockserver.control.remote.MockAdmin`: what works here works over
HTTP and from a scenario file, with the same names and answers.

On a mock shared by parallel tests (:meth:`StabilityMock.shared`) the handle
holds a key of its own and is scoped to it: what it stages fires only for its
key, and what it reads (journal, faults, jobs) is its key's, so tests running at
once against one server never see each other.
"""

from __future__ import annotations

import secrets
from typing import Any

from contract_tests.server import LiveServer
from mockserver.control.local import Controls, Credits, JobView
from mockserver.models import Fault
from mockserver.settings.runtime import RuntimeSettings


class StabilityMock:
    """A running mock, as seen by one test."""

    #: The key tests send; any non-empty key works unless the config limits them.
    #: A handle on a shared mock has a key of its own instead (see :meth:`shared`).
    api_key = "sk-stability-mock-test"

    def __init__(
        self,
        server: LiveServer | None = None,
        *,
        url: str | None = None,
        control: Controls | None = None,
        api_key: str | None = None,
    ) -> None:
        """The handle of a ``server`` this process runs, unscoped; or (``url`` and ``control``)
        a mock running elsewhere that other tests share, scoped to ``api_key`` (see :meth:`shared`)."""
        #: The server this process runs; ``None`` for a shared mock running elsewhere.
        self.server = server
        if server is not None:
            control = server.control
        elif url is None or control is None:
            raise TypeError("StabilityMock needs a server, or the url and control of a shared mock")
        #: A shared mock's address (a server's is read when asked: it may not be started yet).
        self._url = url.rstrip("/") if url is not None else None
        #: Every key's state, unscoped: the in-process control, or the admin API of a shared mock.
        self.control: Controls = control
        if api_key is not None:
            self.api_key = api_key
        #: The key whose staging and reads this handle narrows to; ``None``: every key's.
        self.scope: str | None = None if server is not None else self.api_key

    @classmethod
    def shared(cls, url: str, control: Controls, api_key: str | None = None) -> StabilityMock:
        """A handle on a mock other tests use at the same time, scoped to a key of its own.

        ``api_key`` defaults to a fresh random key, so no two handles share one. Faults
        and job plans it stages carry that key (unless another is named), and its
        reads (requests, faults, jobs) are that key's unless another is named.

        Example:
            >>> admin = MockAdmin("http://127.0.0.1:8080")
            >>> mock = StabilityMock.shared(admin.base_url, admin)
            >>> mock.fail_next(429)  # doctest: +SKIP
        """
        return cls(url=url, control=control, api_key=api_key or f"sk-stability-mock-{secrets.token_hex(12)}")

    @property
    def url(self) -> str:
        """The base URL to give a client (what ``https://api.stability.ai`` would be)."""
        if self.server is not None:
            return self.server.url
        assert self._url is not None  # set by __init__ whenever there is no server
        return self._url

    def url_for(self, path: str) -> str:
        return self.url + "/" + path.lstrip("/")

    def _scoped(self, key: str | None) -> str | None:
        return key if key is not None else self.scope

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    # The journal ------------------------------------------------------------

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """Recorded API calls, oldest first (filters: operation, status, key, limit).

        Scoped (a shared mock), only this handle's key's calls unless ``key`` names another.
        """
        if self.scope is not None and filters.get("key") is None:
            filters["key"] = self.scope
        return self.control.requests(**filters)

    def clear_requests(self, key: str | None = None) -> int:
        """Forget the journal; scoped (a shared mock), only this handle's key's calls unless ``key`` names another."""
        return self.control.clear_requests(self._scoped(key))

    def thumbnail(self, sha256: str) -> bytes | None:
        """The thumbnail (WebP) of a record's ``image`` or ``delivered`` sha256, once the background made it."""
        return self.control.thumbnail(sha256)

    # Staging ----------------------------------------------------------------

    def add_fault(self, **fields: Any) -> Fault:
        """Queue a fault; the same fields as ``POST /_mock/faults``.

        Scoped (a shared mock), it is staged for this handle's key unless ``key`` names another.
        """
        if self.scope is not None and fields.get("key") is None:
            fields["key"] = self.scope
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
        # Only what is given: the admin API of a shared mock refuses a null message or error.
        optional = {name: value for name, value in (("message", message), ("error", error)) if value is not None}
        return self.add_fault(operation=operation, status=status, times=times, **optional)

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

    def faults(self, key: str | None = None) -> list[Fault]:
        return self.control.faults(self._scoped(key))

    def clear_faults(self, fault_id: str | None = None, key: str | None = None) -> int:
        return self.control.clear_faults(fault_id, self._scoped(key))

    def jobs(self, key: str | None = None) -> list[JobView]:
        return self.control.jobs(self._scoped(key))

    def complete_job(self, job_id: str) -> JobView:
        return self.control.complete_job(job_id)

    def fail_job(self, job_id: str) -> JobView:
        return self.control.fail_job(job_id)

    def settings(self) -> RuntimeSettings:
        return self.control.settings()

    def update_settings(self, **changes: Any) -> RuntimeSettings:
        """Change runtime settings (pending_polls, job_seconds, latency_ms, rate_limit, credits…).

        They are every key's: on a shared mock they change the other tests' calls too, so
        give such a test the ``stability_mock`` marker with them (it gets a server of its own).
        """
        return self.control.update_settings(**changes)

    def credits(self, key: str | None = None) -> Credits:
        """A key's balance; by default the key this handle's :attr:`headers` send."""
        return self.control.credits(key or self.api_key)

    def set_credits(self, key: str | None, balance: int) -> Credits:
        """Set a key's balance; ``key=None`` is this handle's key."""
        return self.control.set_credits(key or self.api_key, balance)

    def reset(self) -> None:
        """Forget everything; scoped (a shared mock), only this key's faults, since the rest is other tests'."""
        if self.scope is not None:
            self.control.clear_faults(key=self.scope)
            return
        self.control.reset()
