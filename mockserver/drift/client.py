"""One side of a drift check (the upstream or the mock): sends a probe and follows its job to the result."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from mockserver.drift.observe import Observation, observe
from mockserver.drift.probes import DUMMY_KEY, POLL_PATHS, Probe
from mockserver.errors import DriftError

#: The first answers that start a job: production's 200 ``{id}``, or a 202 a service could answer at submit.
ASYNC = frozenset({"job", "pending"})


@dataclass(frozen=True)
class Outcome:
    """What one side answered to a probe: the first answer and, for a job, the poll sequence and its result."""

    first: Observation
    #: The first 202 of the poll sequence, if the job was still running at a poll.
    pending: Observation | None = None
    #: The poll that ended the job (its image, or the error it ended with).
    result: Observation | None = None
    #: Statuses of every poll, in order (``[202, 202, 200]``).
    polls: tuple[int, ...] = ()

    @property
    def final(self) -> Observation:
        """The answer the client ends up with: the job's result, or the first answer."""
        return self.result or self.first

    def to_json(self) -> dict[str, Any]:
        return {
            "first": self.first.to_json(),
            "pending": self.pending.to_json() if self.pending else None,
            "result": self.result.to_json() if self.result else None,
            "polls": list(self.polls),
        }


@dataclass
class Side:
    """A base URL with the user's key, the CA it is checked against, and how patiently jobs are polled.

    ``verify``: True (certifi's roots, or ``REQUESTS_CA_BUNDLE``), or the path of a PEM bundle.
    """

    name: str
    base_url: str
    key: str
    verify: bool | str = True
    timeout: float = 120.0
    poll_interval: float = 10.0
    max_polls: int = 60
    #: Sleeps between polls; a test passes one that does not wait.
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    def close(self) -> None:
        """Close the pooled connections now rather than when the collector finds them."""
        self.session.close()

    def send(self, probe: Probe) -> Outcome:
        """Send ``probe``; a job (200 ``{id}``, or a 202 at submit) is polled until it ends (``max_polls`` at most)."""
        first, document = self._exchange(probe.method, probe.path, probe.key, probe.accept, probe)
        if first.mode not in ASYNC or "id" not in document or probe.operation not in POLL_PATHS:
            return Outcome(first)
        path = POLL_PATHS[str(probe.operation)].format(id=document.get("id", ""))
        pending: Observation | None = None
        statuses: list[int] = []
        for _ in range(self.max_polls):
            self.sleep(self.poll_interval)
            answer, _ = self._exchange("GET", path, "user", probe.accept)
            statuses.append(answer.status)
            if answer.status != 202:
                return Outcome(first, pending, answer, tuple(statuses))
            pending = pending or answer
        raise DriftError(
            f"{self.name}: {probe.name}'s job was still running after {self.max_polls} polls "
            f"{self.poll_interval:g} s apart (raise --max-polls or --poll-interval)"
        )

    def _exchange(
        self, method: str, path: str, key: str, accept: str, probe: Probe | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        """The answer's :class:`Observation`, and its JSON object (empty if it is none)."""
        headers = {"Accept": accept}
        if key != "none":
            headers["Authorization"] = f"Bearer {self.key if key == 'user' else DUMMY_KEY}"
        payload = _payload(probe) if probe is not None else {}
        if probe is not None and probe.body is not None:
            headers["Content-Type"] = probe.content_type or "application/octet-stream"
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
                **payload,
            )
        except requests.exceptions.SSLError as exc:
            raise DriftError(
                f"{self.name} {self.base_url}: its TLS certificate is not trusted ({_reason(exc)}); "
                "pass --ca-file with the CA that signed it (stability-mock ca-cert for a mock's)"
            ) from exc
        except requests.RequestException as exc:
            raise DriftError(f"{self.name} {self.base_url} could not be reached: {_reason(exc)}") from exc
        return observe(response.status_code, response.headers, response.content), _json_object(response)


def _payload(probe: Probe) -> dict[str, Any]:
    """``requests``' body arguments for ``probe``: its raw body, or a multipart form (with the image if it has one).

    A form without a file is still sent as multipart, as the API wants it
    (``requests`` would send ``data`` alone urlencoded).
    """
    if probe.body is not None:
        return {"data": probe.body}
    if probe.image is None:
        return {"files": {name: (None, value) for name, value in probe.fields.items()}}
    return {"data": dict(probe.fields), "files": {"image": ("probe.png", probe.image, "image/png")}}


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _reason(exc: BaseException) -> str:
    """The innermost cause's words, which name what failed (refused, timed out, certificate verify failed)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return str(exc).strip() or type(exc).__name__


__all__ = ["ASYNC", "Outcome", "Side"]
