"""The upload shortcut: openapi-core's verdict on a plainly valid multipart upload, without asking it.

openapi-core spends 2-7 ms on an upload (finding the path, building a validator,
a caster and a deserializer per form property, validating the decoded form).
For a form schema made only of simple properties (binary files, strings with
lengths or a string enum, integers and numbers with bounds) that walk amounts to
a few comparisons on the form Werkzeug already parsed, compiled here once from
the document in force. Anything the compiled check does not plainly accept goes
to openapi-core, which decides and words the errors: this module never refuses.
``tests/test_spec_shortcut.py`` compares both on generated uploads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Request

from mockserver.multipart import ParsedForm
from mockserver.spec.files import resolve_local_ref
from mockserver.spec.shortcuts import headers_plainly_valid, key_headers_for, plain_parameters
from mockserver.spec.verdict import ValidRequest

#: Keywords that only annotate: they change neither the verdict nor the value.
_ANNOTATIONS = frozenset({"description", "title", "example", "examples"})
#: What a property may say, by schema type; a property with any other keyword is left to openapi-core.
_KEYWORDS = {
    "binary": frozenset({"type", "format"}),
    "string": frozenset({"type", "minLength", "maxLength", "enum", "default"}),
    "integer": frozenset({"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default"}),
    "number": frozenset({"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default"}),
}
_OBJECT_KEYWORDS = frozenset({"type", "required", "properties", "additionalProperties"}) | _ANNOTATIONS


@dataclass(frozen=True)
class _Field:
    """One form property openapi-core would check with these few keywords alone."""

    #: The schema's ``type`` (``binary`` for a ``string`` of ``format: binary``).
    schema_type: str
    min_length: int | None = None
    max_length: int | None = None
    enum: frozenset[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` (as the form parser cast it) is plainly valid here."""
        python_type = type(value)
        if self.schema_type == "binary":
            return python_type is bytes
        if self.schema_type == "string":
            if python_type is not str:
                return False
            if self.enum is not None and value not in self.enum:
                return False
            return (self.min_length is None or len(value) >= self.min_length) and (
                self.max_length is None or len(value) <= self.max_length
            )
        # bool is an int to Python, not to JSON Schema; the parser never makes one anyway.
        if not (python_type is int or (python_type is float and self.schema_type == "number" and math.isfinite(value))):
            return False
        return (
            (self.minimum is None or value >= self.minimum)
            and (self.maximum is None or value <= self.maximum)
            and (self.exclusive_minimum is None or value > self.exclusive_minimum)
            and (self.exclusive_maximum is None or value < self.exclusive_maximum)
        )


@dataclass(frozen=True)
class _UploadCheck:
    """What openapi-core checks on one multipart upload operation of a simple form schema."""

    operation_id: str
    method: str
    fields: Mapping[str, _Field]
    required: frozenset[str]
    #: What openapi-core fills in for absent properties that have a default.
    defaults: Mapping[str, Any]
    headers: tuple[tuple[str, int | None], ...]
    key_headers: tuple[str, ...] | None


class UploadShortcut:
    """A verdict for plainly valid multipart uploads, the same as openapi-core's.

    An operation is compiled when its only parameters are optional string headers,
    its security an API-key header (or none), its body ``multipart/form-data`` with
    an object schema whose properties are all simple (see :class:`_Field`), and
    its ``encoding`` only names content types of binary parts. A request is taken
    on when its key header is there, its headers are within length, and every part
    of its form is a property of the schema, sent once, of the right kind (file
    parts for binary properties, text for the others) and within bounds, with the
    required ones present. The body is what openapi-core builds: the properties
    sent, cast as :class:`~mockserver.multipart.MultipartForm` casts them, and the
    defaults of those absent.
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        self.checks: dict[str, _UploadCheck] = {}
        for template, item in document.get("paths", {}).items():
            for method, operation in item.items():
                check = self._check_for(item, method, operation)
                if check is not None:
                    self.checks[template] = check

    def valid(self, request: Request, template: str | None, form: ParsedForm) -> ValidRequest | None:
        """The :class:`ValidRequest` openapi-core would give for ``request`` (whose body is ``form``), or ``None``."""
        check = self.checks.get(template) if template is not None else None
        if (
            check is None
            or request.method != check.method
            or request.root_path
            or request.mimetype != "multipart/form-data"
            or not headers_plainly_valid(request.environ, check.key_headers, check.headers)
        ):
            return None
        if not form.fields:
            return None  # an empty form: openapi-core decides what a missing body means
        body = dict(check.defaults)
        for name, values in form.fields.lists():
            field = check.fields.get(name)
            if field is None or len(values) != 1 or not field.accepts(values[0]):
                return None
            body[name] = values[0]
        if not check.required <= body.keys():
            return None
        return ValidRequest(operation_id=check.operation_id, body=body, path={}, query={}, form=form)

    def _check_for(self, item: Mapping[str, Any], method: str, operation: Any) -> _UploadCheck | None:
        if not isinstance(operation, dict) or "operationId" not in operation or method.upper() != "POST":
            return None
        parameters = plain_parameters(self._document, item, operation)
        key_headers = key_headers_for(self._document, operation)
        if parameters is None or parameters[0] or key_headers == ():
            return None
        content = resolve_local_ref(self._document, operation.get("requestBody")).get("content", {})
        media = content.get("multipart/form-data") if isinstance(content, dict) else None
        if not isinstance(media, dict) or set(media) - {"schema", "encoding"}:
            return None
        schema = self._plain(media.get("schema"))
        if schema is None or set(schema) - _OBJECT_KEYWORDS or schema.get("type") != "object":
            return None
        fields: dict[str, _Field] = {}
        defaults: dict[str, Any] = {}
        for name, raw in dict(schema.get("properties", {})).items():
            prop = self._plain(raw)
            field = self._field(prop) if prop is not None else None
            if prop is None or field is None:
                return None
            if "default" in prop:
                if not field.accepts(prop["default"]):
                    return None
                defaults[name] = prop["default"]
            fields[name] = field
        required = schema.get("required", [])
        if not (isinstance(required, list) and set(required) <= set(fields)):
            return None
        if not self._plain_encoding(media.get("encoding", {}), fields):
            return None
        if schema.get("additionalProperties", True) not in (True, False):
            return None
        return _UploadCheck(
            operation_id=str(operation["operationId"]),
            method="POST",
            fields=fields,
            required=frozenset(required),
            defaults=defaults,
            headers=parameters[1],
            key_headers=key_headers,
        )

    def _plain(self, node: Any) -> dict[str, Any] | None:
        """``node`` with its ``$ref`` followed, when the reference stands alone.

        A ``$ref`` with siblings (even a ``description``) is left to openapi-core:
        how its schema path merges them (a sibling ``default``, say) is its own.
        """
        if isinstance(node, dict) and "$ref" in node and set(node) != {"$ref"}:
            return None
        resolved = resolve_local_ref(self._document, node)
        return {key: value for key, value in resolved.items() if key not in _ANNOTATIONS} if resolved else None

    @staticmethod
    def _field(prop: Mapping[str, Any]) -> _Field | None:
        schema_type = prop.get("type")
        if schema_type == "string" and "format" in prop:
            schema_type = "binary" if prop["format"] == "binary" else None
        if not isinstance(schema_type, str) or schema_type not in _KEYWORDS or set(prop) - _KEYWORDS[schema_type]:
            return None
        if schema_type == "string":
            lengths = [prop.get("minLength"), prop.get("maxLength")]
            enum = prop.get("enum")
            if not all(value is None or type(value) is int for value in lengths):
                return None
            if enum is not None and not (isinstance(enum, list) and all(type(value) is str for value in enum)):
                return None
            return _Field(schema_type, lengths[0], lengths[1], frozenset(enum) if enum is not None else None)
        if schema_type in ("integer", "number"):
            names = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
            bounds = [prop.get(name) for name in names]
            if not all(value is None or type(value) in (int, float) for value in bounds):
                return None
            return _Field(schema_type, None, None, None, *bounds)
        return _Field(schema_type)

    @staticmethod
    def _plain_encoding(encoding: Any, fields: Mapping[str, _Field]) -> bool:
        """Only content types of binary parts, which openapi-core passes through as bytes.

        An entry for a text property, or a ``style``, changes how openapi-core
        decodes the part (casting, JSON): such forms are left to it.
        """
        if not isinstance(encoding, dict):
            return False
        for name, entry in encoding.items():
            field = fields.get(name)
            if (
                field is None
                or field.schema_type != "binary"
                or not isinstance(entry, dict)
                or set(entry) - {"contentType"}
            ):
                return False
            media = [part.strip() for part in str(entry.get("contentType", "application/octet-stream")).split(",")]
            if not all(item.startswith("image/") or item == "application/octet-stream" for item in media):
                return False
        return True


__all__ = ["UploadShortcut"]
