"""Recording: pass a request to the upstream, and write the exchange to the cassette.

The HTTP edge (:mod:`mockserver.web.recording`) reads the request, asks the
document for both verdicts and answers the client; everything that decides what
goes to the upstream and what goes on disk is here, without Flask.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver.errors import BadRequest
from mockserver.imaging import probe
from mockserver.pipeline.exchange import Delivered
from mockserver.recording.cassette import RecordedRequest, body_document, redacted_lines
from mockserver.recording.har import tool_version
from mockserver.util.redaction import redacted_url

if TYPE_CHECKING:
    from mockserver.recording.upstream import Upstream, UpstreamAnswer
    from mockserver.recording.writer import CassetteWriter


@dataclass(frozen=True)
class Verdict:
    """What the profile's document says of a request or an answer: ``None`` when it has no rule for it."""

    valid: bool | None
    errors: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "errors": list(self.errors)}


@dataclass(frozen=True)
class SentRequest:
    """A request as the client sent it, and what it is matched on when replayed."""

    facts: RecordedRequest
    #: Path and query, as sent.
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    #: The form's file parts (name → bytes); empty for a request without a multipart body.
    files: Mapping[str, bytes]


@dataclass
class Recorder:
    """The upstream to ask and the cassette to write."""

    upstream: Upstream
    writer: CassetteWriter

    @classmethod
    def open(
        cls, upstream_url: str, cassette: Path, *, profile: str, timeout: float, ca_file: Path | None = None
    ) -> Recorder:
        """A recorder of ``upstream_url`` into the cassette folder ``cassette`` (created, or appended to).

        Raises:
            CassetteError: the folder cannot be written, or holds a cassette of a newer format.
        """
        from mockserver.recording.upstream import Upstream
        from mockserver.recording.writer import CassetteWriter

        recorder = f"stability-upscale-mock {tool_version()}"
        writer = CassetteWriter(cassette, upstream=redacted_url(upstream_url), profile=profile, recorder=recorder)
        return cls(Upstream(upstream_url, timeout=timeout, ca_file=ca_file), writer)

    def close(self) -> None:
        """Close the connections to the upstream (the cassette's files are each closed as written)."""
        self.upstream.close()

    def forward(self, sent: SentRequest) -> UpstreamAnswer:
        """The upstream's answer to ``sent`` (the API's 502 or 504 if there is none; nothing is written then)."""
        return self.upstream.forward(sent.facts.method, sent.target, sent.headers, sent.body)

    def write(
        self, sent: SentRequest, answer: UpstreamAnswer, *, request: Verdict, response: Verdict, duration_ms: float
    ) -> str:
        """Write the exchange (images once, by digest; no secret); the name of its file in ``exchanges/``."""
        blobs: dict[str, bytes] = {}
        facts = sent.facts
        document = {
            "duration_ms": round(duration_ms, 3),
            "request": {
                "method": facts.method,
                "path": facts.path,
                "target": sent.target,
                "operation": facts.operation,
                "generation_id": facts.generation_id,
                "accept": facts.accept,
                "headers": redacted_lines(sent.headers),
                "fields": dict(facts.fields),
                "files": {name: _file_document(data, blobs) for name, data in sent.files.items()},
                # A multipart body is its fields and files above; any other body is kept as it was.
                "body": None if sent.files or facts.fields else body_document(sent.body, blobs),
                **request.as_json(),
            },
            "response": {
                "status": answer.status,
                "reason": answer.reason,
                "headers": redacted_lines(answer.headers),
                "body": body_document(answer.body, blobs),
                **response.as_json(),
            },
        }
        return self.writer.write(document, blobs)


def delivered(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> Delivered | None:
    """The image a 200 answered as raw bytes, as the journal describes one (the dashboard shows its thumbnail)."""
    headers = list(headers)
    media_type = (first(headers, "content-type") or "").partition(";")[0].strip().lower()
    if status != 200 or not media_type.startswith("image/"):
        return None
    try:
        _, width, height = probe(body)
    except BadRequest:
        return None
    return Delivered(
        sha256=hashlib.sha256(body).hexdigest(),
        bytes=len(body),
        media_type=media_type,
        finish_reason=first(headers, "finish-reason") or "",
        as_json=False,
        width=width,
        height=height,
    )


def _file_document(data: bytes, blobs: dict[str, bytes]) -> dict[str, Any]:
    written = body_document(data, blobs)
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), **written}


def first(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (any case), or ``None``."""
    return next((value for header, value in headers if header.lower() == name), None)


__all__ = ["Recorder", "SentRequest", "Verdict", "delivered", "first"]
