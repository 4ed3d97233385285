"""A small client for the admin API of a mock running elsewhere (another process, a CI service).

It speaks :class:`mockserver.control.local.Controls`, like the in-process
:class:`~mockserver.control.local.MockControl` and the pytest fixture: the same
methods with the same typed answers, over HTTP.

Example:
    >>> admin = MockAdmin("http://127.0.0.1:8080")
    >>> admin.add_fault(operation="upscaleImageFast", status=429, times=1)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import requests

from mockserver.control.local import Credits, JobView
from mockserver.errors import MockError
from mockserver.models import Fault
from mockserver.settings.runtime import RuntimeSettings


class AdminError(MockError):
    """The admin API refused a call; ``body`` is its error answer."""

    def __init__(self, status: int, body: Any) -> None:
        errors = body.get("errors") if isinstance(body, dict) else None
        super().__init__(f"admin API answered {status}: {'; '.join(errors or [str(body)])}")
        self.status = status
        self.body = body


class MockAdmin:
    """Stage faults and read the journal of a running mock."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if token:
            self.session.headers["X-Admin-Token"] = token

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base_url}/_mock{path}", timeout=self.timeout, **kwargs)
        body = response.json() if response.content else None
        if response.status_code >= 400:
            raise AdminError(response.status_code, body)
        return body

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """Journal records, oldest first; filters: operation, status, key, limit."""
        params = {name: value for name, value in filters.items() if value is not None}
        return list(self._call("GET", "/requests", params=params)["requests"])

    def har(self, **filters: Any) -> dict[str, Any]:
        """The journal as a HAR 1.2 log (``{"log": ...}``); filters as :meth:`requests`."""
        params = {name: value for name, value in filters.items() if value is not None}
        return dict(self._call("GET", "/requests", params={**params, "format": "har"}))

    def clear_requests(self, key: str | None = None) -> int:
        return int(self._call("DELETE", "/requests", params=_key_filter(key))["deleted"])

    def coverage(self, key: str | None = None) -> dict[str, Any]:
        """The server's behaviour coverage report as JSON (``GET /_mock/coverage``), of one key when given."""
        return dict(self._call("GET", "/coverage", params={"key": key} if key else None))

    def thumbnail(self, sha256: str) -> bytes | None:
        """The WebP bytes, or ``None`` on the admin API's 404 (none kept, or not made yet)."""
        response = self.session.get(f"{self.base_url}/_mock/thumbnails/{sha256}", timeout=self.timeout)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise AdminError(response.status_code, response.json() if response.content else None)
        return bytes(response.content)

    def add_fault(self, **fields: Any) -> Fault:
        return Fault.from_dict(self._call("POST", "/faults", json=fields))

    def faults(self, key: str | None = None) -> list[Fault]:
        answer = self._call("GET", "/faults", params=_key_filter(key))
        return [Fault.from_dict(fault) for fault in answer["faults"]]

    def clear_faults(self, fault_id: str | None = None, key: str | None = None) -> int:
        path = f"/faults/{fault_id}" if fault_id else "/faults"
        return int(self._call("DELETE", path, params=_key_filter(key))["deleted"])

    def jobs(self, key: str | None = None) -> list[JobView]:
        return [JobView.from_dict(job) for job in self._call("GET", "/jobs", params=_key_filter(key))["jobs"]]

    def complete_job(self, job_id: str) -> JobView:
        return JobView.from_dict(self._call("POST", f"/jobs/{job_id}/complete"))

    def fail_job(self, job_id: str) -> JobView:
        return JobView.from_dict(self._call("POST", f"/jobs/{job_id}/fail"))

    def settings(self) -> RuntimeSettings:
        return RuntimeSettings().updated(self._call("GET", "/settings"))

    def update_settings(self, **changes: Any) -> RuntimeSettings:
        return RuntimeSettings().updated(self._call("PATCH", "/settings", json=changes))

    def credits(self, key: str) -> Credits:
        return Credits(**self._call("GET", f"/credits/{key}"))

    def set_credits(self, key: str, balance: int) -> Credits:
        return Credits(**self._call("PUT", f"/credits/{key}", json={"balance": balance}))

    def reset(self) -> None:
        self._call("POST", "/reset")

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> MockAdmin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _key_filter(key: str | None) -> dict[str, str]:
    """The ``?key=`` of a read or delete narrowed to one key (raw or fingerprint; the mock fingerprints it)."""
    return {} if key is None else {"key": key}
