"""Whether a Schemathesis negative case still breaks the document once its multipart form is sent.

Multipart carries no types: a ``prompt`` generated as ``True`` is sent as the text
``true``, a ``creativity`` generated as ``[]`` is not sent at all. Such negative
cases reach the server as valid data, and accepting them is right. Schemathesis
means to excuse them by re-reading the form as sent, but that fails on any body
with a file part (its validator raises "Unsupported type: 'Binary'" on the
generated image), so every upload operation would be flagged. This module reads
the sent form the way Schemathesis means to, with a file part counting as
present rather than handed to a validator that cannot read it. Used by
:mod:`contract_tests.schemathesis_hooks` and by the in-process Schemathesis test.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

from jsonschema import Draft202012Validator
from schemathesis import Case, Response
from schemathesis.core.parameters import ParameterLocation
from werkzeug.formparser import parse_form_data

MULTIPART = "multipart/form-data"
_OTHER_LOCATIONS = (
    ParameterLocation.PATH,
    ParameterLocation.QUERY,
    ParameterLocation.HEADER,
    ParameterLocation.COOKIE,
)


def negated_in_body_only(case: Case[Any]) -> bool:
    """Whether ``case`` is negative in its body and nowhere else (its other parts must still be refused)."""
    meta = case.meta
    return (
        meta is not None
        and meta.generation.mode.is_negative
        and meta.is_negative_at(ParameterLocation.BODY)
        and not any(meta.is_negative_at(location) for location in _OTHER_LOCATIONS)
    )


def sent_form_is_valid(case: Case[Any], response: Response) -> bool:
    """Whether the multipart form ``case`` sent, read as the server reads it, satisfies the document.

    As in Schemathesis' own rule, a text part counts as its text or as the number
    it spells, and a field sent several times as whichever of its values fits.
    Unlike it, a binary field only has to be a file part. A case whose body is not
    a multipart form is never valid here.
    """
    content_types = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    body_schema = content_types.get(MULTIPART, {}).get("schema")
    content = response.request.body
    if body_schema is None or not isinstance(content, bytes):
        return False
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": response.request.headers.get("Content-Type", ""),
        "CONTENT_LENGTH": str(len(content)),
        "wsgi.input": io.BytesIO(content),
    }
    # In memory: Werkzeug's default spools files to temporary files that would need closing.
    _, form, files = parse_form_data(environ, stream_factory=lambda *_, **__: io.BytesIO())
    components = case.operation.schema.raw_schema.get("components", {})
    binary = binary_fields(body_schema, components)
    if set(form) & binary or set(files) - binary:
        return False
    validator = Draft202012Validator({**body_schema, "components": components})
    sent: dict[str, object] = dict.fromkeys(files, "")
    for name, texts in form.lists():
        readings = [reading for text in texts for reading in readings_of(text)]
        sent[name] = next(
            (reading for reading in readings if not has_errors_at(validator, {**sent, name: reading}, name)),
            readings[0],
        )
    return bool(validator.is_valid(sent))


def binary_fields(body_schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """The fields of a form schema (inline or a ``#/components/schemas`` reference) that are files."""
    reference = body_schema.get("$ref")
    schema = components["schemas"][reference.rsplit("/", 1)[-1]] if reference else body_schema
    properties: dict[str, dict[str, Any]] = schema.get("properties", {})
    return {name for name, prop in properties.items() if prop.get("format") == "binary"}


def readings_of(text: str) -> list[object]:
    """A text part as its text, and as the number it spells if it spells a finite one."""
    try:
        number = json.loads(text)
    except ValueError:
        return [text]
    finite = isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(number)
    return [text, number] if finite else [text]


def has_errors_at(validator: Draft202012Validator, instance: dict[str, object], name: str) -> bool:
    return any(list(error.path)[:1] == [name] for error in validator.iter_errors(instance))
