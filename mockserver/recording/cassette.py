"""The cassette format: a folder a person can read, and its parse back into typed exchanges.

Layout (format version :data:`FORMAT_VERSION`)::

    DIR/manifest.json                     {"format": "stability-mock-cassette", "version": 1, ...}
    DIR/exchanges/00001-upscaleImageFast-200.json   one request and its answer, in recorded order
    DIR/blobs/<sha256>.png                an image (upload or result) or any large body, kept once

Small text answers (JSON errors, a generation id) sit in the exchange file as
text, so a reviewer reads them in a diff; images and anything past
:data:`INLINE_LIMIT` go to ``blobs/`` under their own digest, so an image sent
ten times is stored once. Secrets are never written: the values of the headers
in :data:`SECRET_HEADERS` are replaced by :data:`REDACTED` before anything
reaches the disk, and a redacted header is not replayed.

VCR.py and Hoverfly both keep one file per cassette; one file per exchange here
means an exchange is written whole or not at all (see :mod:`.writer`), and a
recording cut short leaves every earlier exchange readable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from mockserver.errors import CassetteError

T = TypeVar("T")
FORMAT = "stability-mock-cassette"
#: Raised when the layout changes in a way an older reader would misread.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
EXCHANGES = "exchanges"
BLOBS = "blobs"
#: Bodies of at most this many bytes of UTF-8 text stay in the exchange file.
INLINE_LIMIT = 64 * 1024
#: Headers whose value is a key, a session or a token: written as ``<redacted>``, never replayed.
SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "cookie", "set-cookie", "proxy-authorization", "x-admin-token"}
)
REDACTED = "<redacted>"
#: The most bytes of one exchange file read back (its bodies past 64 KiB are blobs).
MAX_EXCHANGE_BYTES = 8 * 1024 * 1024

_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"))


@dataclass(frozen=True)
class RecordedRequest:
    """What a request is matched on, as recorded and as sent to a replaying mock."""

    method: str
    path: str
    operation: str | None
    #: The generation id of a poll's path (``/v2beta/results/{id}``).
    generation_id: str | None
    accept: str | None
    #: Text parts of the form, as sent.
    fields: Mapping[str, str] = field(default_factory=dict)
    #: File parts of the form: name → sha256 of the bytes.
    files: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedResponse:
    """An upstream answer as it is replayed: status line, headers (secrets left out) and the body's bytes."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class RecordedExchange:
    """One exchange file of a cassette."""

    name: str
    sequence: int
    request: RecordedRequest
    response: RecordedResponse


@dataclass(frozen=True)
class Cassette:
    """A cassette folder, read and checked: its manifest and its exchanges in recorded order."""

    folder: Path
    manifest: Mapping[str, Any]
    exchanges: tuple[RecordedExchange, ...]


def redacted_lines(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Headers as ``name: value`` lines (a repeated header keeps its lines), each secret's value ``<redacted>``."""
    return [f"{name.lower()}: {REDACTED if name.lower() in SECRET_HEADERS else value}" for name, value in headers]


def _header(line: str) -> tuple[str, str]:
    name, separator, value = _typed(line, str).partition(": ")
    if not separator or not name:
        raise ValueError(f"header {line!r} is not 'name: value'")
    return name, value


def blob_name(data: bytes) -> str:
    """The file name of ``data`` in ``blobs/``: its sha256 and an extension a file browser opens."""
    return f"{hashlib.sha256(data).hexdigest()}.{_extension(data)}"


def _extension(data: bytes) -> str:
    for signature, extension in _SIGNATURES:
        if data.startswith(signature):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:1] in (b"{", b"["):
        return "json"
    return "bin"


def body_document(data: bytes, blobs: dict[str, bytes]) -> dict[str, Any]:
    """How a body is written: short UTF-8 text inline, anything else as a blob (added to ``blobs``)."""
    if len(data) <= INLINE_LIMIT and _extension(data) in ("json", "bin"):
        try:
            return {"text": data.decode("utf-8"), "bytes": len(data)}
        except UnicodeDecodeError:
            pass
    name = blob_name(data)
    blobs[name] = data
    return {"blob": f"{BLOBS}/{name}", "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def manifest_problems(manifest: Any) -> list[str]:
    """Why ``manifest`` is not one this version reads (empty: it is)."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return [f"not a stability-mock cassette (its manifest's format is not {FORMAT!r})"]
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return [f"manifest version {version!r} is not a format version"]
    if version > FORMAT_VERSION:
        return [
            f"format version {version} is newer than this stability-mock reads ({FORMAT_VERSION}); upgrade"
            " stability-upscale-mock to replay it"
        ]
    return []


def load_cassette(folder: Path) -> Cassette:
    """Read every exchange of the cassette at ``folder``; :class:`CassetteError` says what is wrong, and where."""
    folder = Path(folder)
    manifest = _json_file(folder / MANIFEST, "the cassette's manifest")
    problems = manifest_problems(manifest)
    if problems:
        raise CassetteError(f"cassette {folder}: {problems[0]}")
    exchanges = [_exchange(path, folder) for path in sorted((folder / EXCHANGES).glob("*.json"))]
    exchanges.sort(key=lambda exchange: exchange.sequence)
    return Cassette(folder=folder, manifest=manifest, exchanges=tuple(exchanges))


def _json_file(path: Path, what: str) -> Any:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_EXCHANGE_BYTES + 1)
    except FileNotFoundError as exc:
        raise CassetteError(f"cassette {path.parent}: {what} {path.name} is missing") from exc
    except OSError as exc:
        raise CassetteError(f"cassette {path}: cannot be read: {exc.strerror or exc}") from exc
    if len(data) > MAX_EXCHANGE_BYTES:
        raise CassetteError(f"cassette {path}: larger than {MAX_EXCHANGE_BYTES:,} bytes")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CassetteError(f"cassette {path}: not JSON ({exc})") from exc


def _exchange(path: Path, folder: Path) -> RecordedExchange:
    document = _json_file(path, "exchange")
    try:
        request, response = document["request"], document["response"]
        recorded = RecordedExchange(
            name=path.name,
            sequence=_typed(document["sequence"], int),
            request=RecordedRequest(
                method=_typed(request["method"], str),
                path=_typed(request["path"], str),
                operation=_optional(request.get("operation"), str),
                generation_id=_optional(request.get("generation_id"), str),
                accept=_optional(request.get("accept"), str),
                fields={str(name): _typed(value, str) for name, value in _mapping(request.get("fields"))},
                files={str(name): _typed(part["sha256"], str) for name, part in _mapping(request.get("files"))},
            ),
            response=RecordedResponse(
                status=_typed(response["status"], int),
                reason=_typed(response.get("reason", ""), str),
                headers=tuple((name, value) for name, value in map(_header, response["headers"]) if value != REDACTED),
                body=_body(response["body"], folder),
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CassetteError(f"cassette {path}: not an exchange of format {FORMAT_VERSION} ({exc!r})") from exc
    return recorded


def _body(document: Mapping[str, Any], folder: Path) -> bytes:
    if "text" in document:
        return _typed(document["text"], str).encode("utf-8")
    relative = _typed(document["blob"], str)
    path = folder / relative
    if Path(relative).is_absolute() or ".." in Path(relative).parts or path.parent != folder / BLOBS:
        raise ValueError(f"blob {relative!r} is not in {BLOBS}/")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CassetteError(f"cassette {folder}: blob {relative} cannot be read: {exc.strerror or exc}") from exc
    if hashlib.sha256(data).hexdigest() != document["sha256"]:
        raise CassetteError(f"cassette {folder}: blob {relative} does not hold the bytes its sha256 names")
    return data


def _typed(value: Any, kind: type[T]) -> T:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{value!r} is not a {kind.__name__}")
    return value


def _mapping(value: Any) -> list[tuple[Any, Any]]:
    return list(dict(value or {}).items())


def _optional(value: Any, kind: type[T]) -> T | None:
    return None if value is None else _typed(value, kind)


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Cassette",
    "RecordedExchange",
    "RecordedRequest",
    "RecordedResponse",
    "blob_name",
    "body_document",
    "load_cassette",
    "manifest_problems",
    "redacted_lines",
]
