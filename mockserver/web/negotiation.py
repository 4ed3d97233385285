"""Content negotiation: which form of a result the ``Accept`` header asks for.

RFC 9110 section 12.5.1, read as written: media ranges carry parameters and
q-values; a range with parameters matches only media types that have those
parameters (``application/json; type=image/png`` is exactly the JSON envelope of
a PNG, the content type the API sends it with), a range without them matches any
parameters, and the most specific matching range gives a media type its quality.
Werkzeug's ``MIMEAccept`` compares parameter lists for equality instead, so
``Accept: application/json; type=image/png`` matched neither offered form and
real clients got a 400. Parameter values are read leniently: the API itself
sends ``type=image/png`` unquoted, although ``/`` is not a token character, so
a strict parser (Werkzeug's ``parse_options_header``) cuts it to ``image``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from werkzeug.http import parse_list_header

from mockserver.errors import BadRequest

JSON = "application/json"
UNACCEPTABLE = "accept: must be image/* or application/json"

_PARAMETER = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header."""

    type: str
    subtype: str
    params: frozenset[tuple[str, str]]
    quality: float

    def matches(self, media_type: str, params: frozenset[tuple[str, str]]) -> bool:
        kind, _, subtype = media_type.partition("/")
        if self.type != "*" and self.type != kind:
            return False
        if self.subtype != "*" and self.subtype != subtype:
            return False
        return self.params <= params

    @property
    def specificity(self) -> tuple[int, int]:
        """``*/*`` < ``type/*`` < ``type/subtype`` < ``type/subtype;param``, then by parameter count."""
        level = 0 if self.type == "*" else 1 if self.subtype == "*" else 2
        return level + (1 if self.params else 0), len(self.params)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` value; malformed elements are dropped."""
    ranges = []
    for element in parse_list_header(header or ""):
        value, options = parse_media_type(element)
        kind, slash, subtype = value.partition("/")
        if not slash or not kind or not subtype or (kind == "*" and subtype != "*"):
            continue
        quality = _quality(options.pop("q", "1"))
        if quality is None:
            continue
        ranges.append(MediaRange(kind, subtype, _normalized(options.items()), quality))
    return ranges


def quality(ranges: list[MediaRange], media_type: str) -> float:
    """How much the client wants ``media_type`` (which may carry parameters): 0 means not at all."""
    value, options = parse_media_type(media_type)
    params = _normalized(options.items())
    matching = [candidate for candidate in ranges if candidate.matches(value, params)]
    if not matching:
        return 0.0
    return max(matching, key=lambda candidate: candidate.specificity).quality


def json_envelope_type(image_media_type: str) -> str:
    """The content type of a result's JSON form, as the live API labels it."""
    return f"{JSON}; type={image_media_type}"


def wants_json(header: str | None, image_media_type: str) -> bool:
    """True for the JSON envelope, False for raw bytes; :class:`BadRequest` when neither is acceptable.

    No ``Accept`` header (or an empty one) means the image, as on the live API;
    equal preference goes to the image too.
    """
    if not (header or "").strip():
        return False
    ranges = parse_accept(header)
    image_quality = quality(ranges, image_media_type)
    json_quality = quality(ranges, json_envelope_type(image_media_type))
    if image_quality == 0 and json_quality == 0:
        raise BadRequest([UNACCEPTABLE])
    return json_quality > image_quality


def parse_media_type(text: str) -> tuple[str, dict[str, str]]:
    """``type/subtype`` (lower case) and its parameters, quoted or not."""
    value, _, rest = text.partition(";")
    params = {}
    for name, raw in _PARAMETER.findall(";" + rest):
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[name.lower()] = raw
    return value.strip().lower(), params


def _quality(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def _normalized(items: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """Parameter names are case-insensitive; so are the media-type values this API uses as parameters."""
    return frozenset((name.lower(), value.strip().lower()) for name, value in items)


__all__ = [
    "MediaRange",
    "json_envelope_type",
    "parse_accept",
    "parse_media_type",
    "quality",
    "wants_json",
]
