"""What one answer says, reduced to the aspects a drift check compares.

Values that differ on every call by design (ids, seeds, request ids, image
bytes) are kept as their shape only: a 64-hex id, a header that is there, an
image of 3112x3112. Two calls to the same service then observe the same thing.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

#: Headers whose presence is compared (content-type is compared on its own).
HEADERS = ("finish-reason", "seed", "retry-after", "x-request-id")
#: Headers whose value is compared too (the others change on every call).
VALUED_HEADERS = frozenset({"finish-reason"})
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class Observation:
    """One HTTP answer as compared: status, kind of answer, content type, error, fields, headers, image size."""

    status: int
    #: ``image`` (an image, raw or in JSON), ``job`` (200 ``{id}``), ``pending`` (202), ``error`` or ``other``.
    mode: str
    media_type: str
    content_type: str
    error_name: str | None = None
    errors: tuple[str, ...] = ()
    #: Each top-level JSON field → the shape of its value (``string``, ``hex64``, ``number``…).
    fields: Mapping[str, str] = field(default_factory=dict)
    #: Each header of :data:`HEADERS` that was sent → its value (``present`` for those whose value varies).
    headers: Mapping[str, str] = field(default_factory=dict)
    #: ``(width, height)`` of the image the answer carries.
    size: tuple[int, int] | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = list(self.errors)
        data["size"] = f"{self.size[0]}x{self.size[1]}" if self.size else None
        return data


def observe(status: int, headers: Mapping[str, str], body: bytes) -> Observation:
    """The :class:`Observation` of an answer (``headers`` looked up without regard to case)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    content_type = lowered.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    seen = {name: (lowered[name] if name in VALUED_HEADERS else "present") for name in HEADERS if name in lowered}
    document = _json(body) if media_type == "application/json" else None
    size = _image_size(body) if media_type.startswith("image/") else None
    fields: dict[str, str] = {}
    error_name = None
    errors: tuple[str, ...] = ()
    if isinstance(document, dict):
        fields = {name: shape_of(value) for name, value in sorted(document.items())}
        picture = document.get("image") or document.get("result")
        if size is None and isinstance(picture, str):
            size = _image_size(_unbase64(picture))
        if status >= 400:
            error_name = document.get("name") if isinstance(document.get("name"), str) else None
            errors = tuple(sorted(str(line) for line in document.get("errors") or ()))
    return Observation(
        status=status,
        mode=_mode(status, size, fields),
        media_type=media_type,
        content_type=content_type,
        error_name=error_name,
        errors=errors,
        fields=fields,
        headers=seen,
        size=size,
    )


def shape_of(value: Any) -> str:
    """A JSON value's type, with ids told apart by length (``hex32``, ``hex64``)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return f"hex{len(value)}" if len(value) in (32, 64) and _HEX.fullmatch(value) else "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"


def _mode(status: int, size: tuple[int, int] | None, fields: Mapping[str, str]) -> str:
    if status >= 400:
        return "error"
    if status == 202:
        return "pending"
    if size is not None:
        return "image"
    if status == 200 and "id" in fields and "image" not in fields:
        return "job"
    return "other"


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _unbase64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image's header (Pillow reads no pixel for it)."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            return int(picture.width), int(picture.height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


__all__ = ["HEADERS", "VALUED_HEADERS", "Observation", "observe", "shape_of"]
