"""The upload shortcut: openapi-core's verdict on a multipart upload, without asking it, when it is plain.

openapi-core spends 2-7 ms on an upload (finding the path, building a validator,
a caster and a deserializer per form property, validating the decoded form).
For a form schema made only of simple properties (binary files, strings with
lengths or a string enum, integers and numbers with bounds) that walk amounts to
a few comparisons on the form Werkzeug already parsed, compiled here once from
the document in force. A plainly valid upload gets openapi-core's body; an
upload that breaks only what is compiled here (a missing key header, a header
too long, a missing field, a value outside its enum, bounds or lengths, text
for a number) gets openapi-core's error lines, worded as
:mod:`mockserver.openapi.field_errors` words them. Anything else goes to openapi-core.
``tests/openapi/test_spec_shortcut.py`` and ``tests/openapi/test_spec_refusals.py`` compare
both on generated uploads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Request

from mockserver.errors import SECURITY_LINE
from mockserver.openapi.files import resolve_local_ref
from mockserver.openapi.form_fields import FormField, form_field
from mockserver.openapi.multipart import ParsedForm
from mockserver.openapi.rule_messages import IMAGE_AS_TEXT_LINE, rule_message
from mockserver.openapi.shortcuts import environ_key, headers_plainly_valid, key_headers_for, plain_parameters
from mockserver.openapi.verdict import RequestInvalid, ValidRequest

#: Keywords that only annotate: they change neither the verdict nor the value.
_ANNOTATIONS = frozenset({"description", "title", "example", "examples"})
_OBJECT_KEYWORDS = frozenset({"type", "required", "properties", "additionalProperties"}) | _ANNOTATIONS


@dataclass(frozen=True)
class _UploadCheck:
    """What openapi-core checks on one multipart upload operation of a simple form schema."""

    operation_id: str
    method: str
    fields: Mapping[str, FormField]
    required: frozenset[str]
    #: What openapi-core fills in for absent properties that have a default.
    defaults: Mapping[str, Any]
    headers: tuple[tuple[str, int | None], ...]
    key_headers: tuple[str, ...] | None
    #: Header parameters' names as the document spells them, by environ key (the refusal names them so);
    #: ``None`` when two share a header (then a header too long is left to openapi-core).
    header_names: Mapping[str, str] | None


class UploadShortcut:
    """openapi-core's verdict on multipart uploads that are plainly valid, or refused for plain reasons.

    An operation is compiled when its only parameters are optional string headers,
    its security an API-key header (or none), its body ``multipart/form-data`` with
    an object schema whose properties are all simple (see :class:`FormField`), and
    its ``encoding`` only names content types of binary parts. A request is taken
    on when its key header is there, its headers are within length, and every part
    of its form is a property of the schema, sent once, of the right kind (file
    parts for binary properties, text for the others) and within bounds, with the
    required ones present. The body is what openapi-core builds: the properties
    sent, cast as :class:`~mockserver.openapi.multipart.MultipartForm` casts them, and the
    defaults of those absent. A request not taken on is refused with openapi-core's
    lines when all it breaks is among what is compiled here (see :meth:`_refusal`).
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
        """The :class:`ValidRequest` openapi-core would give for ``request`` (whose body is ``form``), or ``None``.

        Raises :class:`RequestInvalid` with openapi-core's error lines (and the form)
        when it would refuse ``request`` for reasons this check words the same way.
        """
        check = self.checks.get(template) if template is not None else None
        if (
            check is None
            or request.method != check.method
            or request.root_path
            or request.mimetype != "multipart/form-data"
        ):
            return None
        if not form.fields:
            return None  # an empty form: openapi-core decides what a missing body means
        if headers_plainly_valid(request.environ, check.key_headers, check.headers):
            body = self._plain_body(check, form)
            if body is not None:
                return ValidRequest(operation_id=check.operation_id, body=body, path={}, query={}, form=form)
        errors = self._refusal(check, request.environ, form)
        if errors is None:
            return None
        raise RequestInvalid(errors, form)

    @staticmethod
    def _plain_body(check: _UploadCheck, form: ParsedForm) -> dict[str, Any] | None:
        body = dict(check.defaults)
        for name, values in form.fields.lists():
            field = check.fields.get(name)
            if field is None or len(values) != 1 or not field.accepts(values[0]):
                return None
            body[name] = values[0]
        return body if check.required <= body.keys() else None

    @staticmethod
    def _refusal(check: _UploadCheck, environ: Mapping[str, Any], form: ParsedForm) -> list[str] | None:
        """The sorted error lines ``Spec.validate_with_openapi_core`` would raise, or ``None`` when unsure.

        As openapi-core goes: a missing key header ends the check; otherwise every
        header parameter and the decoded form (the schema's properties only, the
        first part of each name, defaults for the absent) are checked, and all
        that fails is listed. ``Spec`` adds a line per field sent twice, and
        refuses a text ``image`` when nothing else failed. Lines are a set, sorted,
        so the order in which openapi-core finds them does not matter.
        """
        lines = form.repeated_lines()
        if check.key_headers is not None and not any(key in environ for key in check.key_headers):
            return sorted({*lines, SECURITY_LINE})
        for key, max_length in check.headers:
            value = environ.get(key)
            if value is not None and max_length is not None and len(value) > max_length:
                if check.header_names is None:
                    return None
                lines.add(f"{check.header_names[key]}: {rule_message('maxLength', max_length)}")
        decoded = {}
        for name, field in check.fields.items():
            if name in form.fields:
                decoded[name] = field.decoded(form.fields[name])
            elif name in check.defaults:
                decoded[name] = check.defaults[name]
        lines.update(f"{name}: required" for name in check.required if name not in decoded)
        for name, value in decoded.items():
            problems = check.fields[name].problems(value)
            if problems is None:
                return None
            lines.update(f"{name}: {problem}" for problem in problems)
        if not lines and "image" in decoded and not isinstance(decoded["image"], bytes):
            lines.add(IMAGE_AS_TEXT_LINE)
        # No line: openapi-core finds the upload valid, in a way the plain check does not take on.
        return sorted(lines) if lines else None

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
        fields: dict[str, FormField] = {}
        defaults: dict[str, Any] = {}
        for name, raw in dict(schema.get("properties", {})).items():
            prop = self._plain(raw)
            field = form_field(prop) if prop is not None else None
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
            header_names=self._header_names(item, operation, len(parameters[1])),
        )

    def _header_names(self, item: Mapping[str, Any], operation: Mapping[str, Any], count: int) -> dict[str, str] | None:
        """Environ key → name of the ``count`` header parameters; ``None`` if two share a key."""
        names: dict[str, str] = {}
        for raw in [*operation.get("parameters", []), *item.get("parameters", [])]:
            parameter = resolve_local_ref(self._document, raw)
            if parameter.get("in") == "header":
                names.setdefault(environ_key(str(parameter.get("name"))), str(parameter.get("name")))
        return names if len(names) == count else None

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
    def _plain_encoding(encoding: Any, fields: Mapping[str, FormField]) -> bool:
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
