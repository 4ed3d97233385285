"""The recorder's calls to the upstream service: the request passed on as sent, the answer taken whole.

requests, not httpx: it is a dependency of the mock already, and urllib3 under
it keeps repeated answer headers apart (``raw.headers``). The session trusts no
environment (no ``HTTPS_PROXY``, no ``.netrc``: the recorder talks to the URL it
was given, and a proxy pointed at the recorder must not loop back into it) and
adds no header of its own (no ``User-Agent``, ``Accept`` or ``Accept-Encoding``
the client did not send), so the upstream sees the client's request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import methodcaller
from pathlib import Path

import requests

from mockserver.errors import UpstreamTimeout, UpstreamUnreachable
from mockserver.util.per_thread import PerThread
from mockserver.util.redaction import redacted_url

#: Headers of one connection, not of the message (RFC 9110 7.6.1): never passed on, in either direction.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
#: Request headers the recorder sets itself (the upstream's host, the body's length) or keeps (its admin token).
_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length", "x-admin-token"}
#: Answer headers that described the bytes on the wire, not the body passed on (decoded, re-framed).
_NOT_RETURN = HOP_BY_HOP | {"content-length", "content-encoding"}


#: The largest answer body taken from the upstream: several times production's largest image as base64 JSON.
MAX_ANSWER_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class UpstreamAnswer:
    """The upstream's answer: status line, headers as sent (repeats kept, framing left out) and the decoded body."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Upstream:
    """Where the recorder sends each request."""

    def __init__(self, url: str, *, timeout: float, ca_file: Path | None = None) -> None:
        """``url``: the service's base (``https://api.stability.ai``); ``ca_file``: a PEM bundle to trust
        instead of the public roots (the mock's CA, for a mock upstream served over TLS)."""
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.verify: bool | str = str(ca_file) if ca_file is not None else True
        #: A session per thread (requests does not promise that one is safe to share between threads),
        #: closed with its thread or by :meth:`close`, so no pooled connection is left to the collector.
        self._sessions = PerThread(_bare_session, methodcaller("close"))

    def close(self) -> None:
        """Close every thread's pooled connections to the upstream."""
        self._sessions.close()

    def forward(self, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes) -> UpstreamAnswer:
        """Send the request to ``url`` + ``target`` (path and query); raise the API's 502 or 504 if no answer."""
        headers = list(headers)
        connection = ",".join(value for name, value in headers if name.lower() == "connection")
        dropped = _NOT_FORWARDED | {part.strip().lower() for part in connection.split(",")}
        sent = [(name, value) for name, value in headers if name.lower() not in dropped]
        where = redacted_url(self.url)
        try:
            with self._sessions.use() as session:
                answer = session.request(
                    method,
                    self.url + target,
                    headers=_joined(sent),
                    data=body or None,
                    timeout=self.timeout,
                    verify=self.verify,
                    allow_redirects=False,
                    stream=True,
                )
                with answer:
                    content = _bounded_body(answer, where)
        except requests.Timeout as exc:
            raise UpstreamTimeout(
                [f"upstream: {where} did not answer {method} {target} within {self.timeout:g} s"]
            ) from exc
        except requests.RequestException as exc:
            raise UpstreamUnreachable([f"upstream: {where}: {_reason(exc)}"]) from exc
        returned = tuple((name, value) for name, value in answer.raw.headers.items() if name.lower() not in _NOT_RETURN)
        return UpstreamAnswer(status=answer.status_code, reason=answer.reason or "", headers=returned, body=content)


def _bare_session() -> requests.Session:
    """A session that trusts no environment and adds no header of its own (see the module's notes)."""
    session = requests.Session()
    session.trust_env = False
    session.headers.clear()
    return session


def _bounded_body(answer: requests.Response, where: str) -> bytes:
    """The decoded body, read in chunks: an answer past ``MAX_ANSWER_BYTES`` is a 502, not the process's memory."""
    parts, size = [], 0
    for chunk in answer.iter_content(chunk_size=256 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise UpstreamUnreachable([f"upstream: {where}: its answer is larger than {MAX_ANSWER_BYTES:,} bytes"])
        parts.append(chunk)
    return b"".join(parts)


def _joined(headers: list[tuple[str, str]]) -> dict[str, str]:
    """requests takes a mapping: a header sent twice is joined with ``, `` (RFC 9110 5.3), in its order."""
    joined: dict[str, str] = {}
    for name, value in headers:
        known = next((existing for existing in joined if existing.lower() == name.lower()), None)
        if known is None:
            joined[name] = value
        else:
            joined[known] = f"{joined[known]}, {value}"
    return joined


def _reason(exc: requests.RequestException) -> str:
    """The innermost cause's words (a refused connection, a failed certificate check), without the URL's credentials."""
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS failed ({_innermost(exc)}); give its CA with --upstream-ca"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect ({_innermost(exc)})"
    return f"the answer could not be read ({_innermost(exc)})"


def _innermost(exc: BaseException) -> str:
    """The first cause's own words: ``Connection refused``, not urllib3's retry summary around it."""
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


__all__ = ["HOP_BY_HOP", "Upstream", "UpstreamAnswer"]
