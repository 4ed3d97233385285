"""Multipart bodies as the API reads them: Werkzeug's parser, strict number casting, and the form as sent.

Validation hands back the :class:`ParsedForm` (the journal records what was
sent, even when validation fails) instead of leaving it somewhere for others to
find: openapi-core calls its media-type deserializer deep inside its own code,
so :meth:`MultipartForm.parsed` lends it the form parsed beforehand, for one
validation, through a context variable.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.formparser import MultiPartParser

from mockserver.openapi.plain_form import MAX_PARTS, plain_parts

_INTEGER_TEXT = re.compile(r"-?[0-9]+")
_NUMBER_TEXT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


@dataclass(frozen=True)
class ParsedForm:
    """A multipart body as sent: its text and file parts, and the values openapi-core validates."""

    #: The first value of each text part, exactly as sent.
    text: dict[str, str]
    #: The first file part of each name.
    files: dict[str, bytes]
    #: Fields of the API sent more than once (openapi-core would silently keep the first).
    repeated: dict[str, int]
    #: Every part, numeric fields cast: what openapi-core checks against the schema.
    fields: MultiDict[str, Any]

    def repeated_lines(self) -> set[str]:
        """The 400's line for each API field sent more than once."""
        return {f"{name}: sent {count} times; send each field once" for name, count in self.repeated.items()}


#: The outcome of parsing the body that openapi-core is about to deserialize: (body, form or error).
_LENT: contextvars.ContextVar[tuple[bytes, ParsedForm | ValueError] | None] = contextvars.ContextVar(
    "stability_mock_parsed_form", default=None
)


class MultipartForm:
    """openapi-core's multipart deserializer: Werkzeug's parser plus strict casting.

    File parts come back as ``bytes`` and text parts as ``str``, so a text part
    named ``image`` is told apart from an upload. Numeric fields are cast only
    from canonical decimal text (``42``, ``0.3``): ``" 42"``, ``4_2`` and ``+42``
    stay strings and fail the schema's type check with a clear message.
    """

    def __init__(self, numeric_fields: Mapping[str, str], max_bytes: int, known_fields: Collection[str] = ()) -> None:
        self.numeric_fields = dict(numeric_fields)
        self.max_bytes = max_bytes
        self.known_fields = frozenset(known_fields)

    def parse(self, body: bytes, boundary: str) -> ParsedForm:
        """The form in ``body``; :class:`ValueError` for a body that is not one.

        A body in the plain layout is parsed by :func:`~mockserver.openapi.plain_form.plain_parts`
        (the same parts, several times cheaper); any other goes to Werkzeug's parser.
        """
        if not boundary:
            raise ValueError("multipart body without a boundary")
        encoded = boundary.encode("latin-1")
        plain = plain_parts(body, encoded) if len(body) <= self.max_bytes else None
        form, files = (MultiDict(plain[0]), MultiDict(plain[1])) if plain is not None else self._werkzeug(body, encoded)
        fields: MultiDict[str, Any] = MultiDict()
        for name, text in form.items(multi=True):
            fields.add(name, self._cast(name, text))
        for name, upload in files.items(multi=True):
            fields.add(name, upload)
        return ParsedForm(
            text=form.to_dict(),
            files={name: value for name, value in fields.items() if isinstance(value, bytes)},
            repeated={
                name: len(values) for name, values in fields.lists() if len(values) > 1 and name in self.known_fields
            },
            fields=fields,
        )

    def _werkzeug(self, body: bytes, boundary: bytes) -> tuple[MultiDict[str, str], MultiDict[str, bytes]]:
        parser = MultiPartParser(
            stream_factory=lambda *_args, **_kwargs: io.BytesIO(),
            max_form_memory_size=self.max_bytes,
            max_form_parts=MAX_PARTS,
        )
        try:
            form, files = parser.parse(io.BytesIO(body), boundary, len(body))
        except Exception as exc:  # Werkzeug raises several kinds for malformed bodies.
            raise ValueError(f"malformed multipart body: {exc}") from exc
        return form, MultiDict([(name, upload.read()) for name, upload in files.items(multi=True)])

    def outcome(self, body: bytes, boundary: str) -> ParsedForm | ValueError:
        """:meth:`parse`, with the error as a value: what :meth:`parsed` lends."""
        try:
            return self.parse(body, boundary)
        except ValueError as exc:
            return exc

    @contextlib.contextmanager
    def parsed(
        self, body: bytes, boundary: str, outcome: ParsedForm | ValueError | None = None
    ) -> Iterator[ParsedForm | None]:
        """Parse ``body`` now (unless ``outcome`` is its parse already) and lend the outcome
        to the deserializer for the duration of one validation.

        Yields the form, or ``None`` when the body is no form (openapi-core then
        gets the same parse error from the deserializer and words it).
        """
        if outcome is None:
            outcome = self.outcome(body, boundary)
        token = _LENT.set((body, outcome))
        try:
            yield outcome if isinstance(outcome, ParsedForm) else None
        finally:
            _LENT.reset(token)

    def __call__(self, value: bytes, **parameters: str) -> MultiDict[str, Any]:
        lent = _LENT.get()
        if lent is not None and lent[0] == value:
            if isinstance(lent[1], ValueError):
                raise lent[1]
            return lent[1].fields
        return self.parse(value, parameters.get("boundary", "")).fields

    def _cast(self, name: str, text: str) -> Any:
        kind = self.numeric_fields.get(name)
        if kind == "integer" and _INTEGER_TEXT.fullmatch(text):
            return int(text)
        if kind == "number" and _NUMBER_TEXT.fullmatch(text):
            return float(text)
        return text


__all__ = ["MultipartForm", "ParsedForm"]
