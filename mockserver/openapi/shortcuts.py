"""The fast paths around openapi-core: verdicts it would give, without asking it.

:class:`BodylessShortcut` answers plainly valid polls from the document alone;
:class:`VerdictMemo` remembers openapi-core's verdict on a request sent again
byte for byte. Both give exactly openapi-core's verdict or defer to it
(``tests/openapi/test_spec_shortcut.py`` compares them on generated requests).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Request

from mockserver.openapi.files import resolve_local_ref
from mockserver.openapi.multipart import ParsedForm
from mockserver.openapi.verdict import RequestInvalid, ValidRequest
from mockserver.util.lru import ByteBoundedLRU


@dataclass(frozen=True)
class _BodylessCheck:
    """What openapi-core checks on one GET with no body and only plain string parameters."""

    operation_id: str
    #: Required path parameters: any string is valid.
    path: tuple[str, ...]
    #: Optional header parameters (as WSGI environ keys) and their ``maxLength`` (``None``: any length).
    headers: tuple[tuple[str, int | None], ...]
    #: Security passes when one of these headers (environ keys) is present; ``None``: no security.
    key_headers: tuple[str, ...] | None


def environ_key(header: str) -> str:
    """Where WSGI keeps a header, as Werkzeug's ``EnvironHeaders`` looks it up (without building it)."""
    key = header.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"


class BodylessShortcut:
    """A precomputed verdict for body-less GETs (polls), the same as openapi-core's.

    openapi-core spends ~1.6 ms on a poll walking the spec; for an operation whose
    parameters are path strings and optional string headers with a ``maxLength``,
    and whose security is an API key header, that walk can only check that the key
    header is there and the headers are short enough. This class does exactly
    that, and answers ``None`` (so openapi-core decides, and words the errors)
    for anything it does not plainly accept. Operations with any other shape are
    never shortcut. ``tests/openapi/test_spec_shortcut.py`` compares both on generated
    requests.
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        self.checks: dict[str, _BodylessCheck] = {}
        for template, item in document.get("paths", {}).items():
            check = self._check_for(item)
            if check is not None:
                self.checks[template] = check

    def valid(self, request: Request, template: str | None) -> ValidRequest | None:
        """The :class:`ValidRequest` openapi-core would give, or ``None`` when it must decide."""
        check = self.checks.get(template) if template is not None and request.method == "GET" else None
        if check is None or request.root_path:
            return None
        if not headers_plainly_valid(request.environ, check.key_headers, check.headers):
            return None
        arguments = request.view_args or {}
        if not all(isinstance(arguments.get(name), str) for name in check.path):
            return None
        path = {name: arguments[name] for name in check.path}
        return ValidRequest(operation_id=check.operation_id, body={}, path=path, query={})

    def _check_for(self, item: Mapping[str, Any]) -> _BodylessCheck | None:
        operation = item.get("get")
        if not isinstance(operation, dict) or "operationId" not in operation or "requestBody" in operation:
            return None
        parameters = plain_parameters(self._document, item, operation)
        if parameters is None:
            return None
        path, headers = parameters
        key_headers = key_headers_for(self._document, operation)
        if key_headers == ():
            return None
        return _BodylessCheck(str(operation["operationId"]), tuple(path), tuple(headers), key_headers)


_PARAMETER_KEYS = frozenset({"name", "in", "required", "schema", "description", "example", "examples"})
_PARAMETER_SCHEMA_KEYS = frozenset({"type", "maxLength", "description", "example", "examples"})
#: Header parameters the OpenAPI rules treat specially are left to openapi-core.
_RESERVED_HEADERS = frozenset({"accept", "content-type", "authorization"})


def plain_parameters(
    document: Mapping[str, Any], item: Mapping[str, Any], operation: Mapping[str, Any]
) -> tuple[tuple[str, ...], tuple[tuple[str, int | None], ...]] | None:
    """An operation's parameters when all are plain: (required path strings, optional string headers).

    Headers come as (environ key, ``maxLength`` or ``None``); ``None`` when any
    parameter has another shape (a query, a required header, a pattern, ...).
    """
    seen: dict[tuple[str, str], Mapping[str, Any]] = {}
    # Operation parameters override path-item ones of the same name and place.
    for raw in [*operation.get("parameters", []), *item.get("parameters", [])]:
        resolved = resolve_local_ref(document, raw)
        seen.setdefault((str(resolved.get("name")), str(resolved.get("in"))), resolved)
    path, headers = [], []
    for (name, place), parameter in seen.items():
        schema = parameter.get("schema")
        if not (
            set(parameter) <= _PARAMETER_KEYS
            and isinstance(schema, dict)
            and set(schema) <= _PARAMETER_SCHEMA_KEYS
            and schema.get("type") == "string"
        ):
            return None
        max_length = schema.get("maxLength")
        if place == "path" and parameter.get("required") is True and max_length is None:
            path.append(name)
            continue
        if place != "header" or parameter.get("required") or name.lower() in _RESERVED_HEADERS:
            return None
        if max_length is not None and not isinstance(max_length, int):
            return None
        headers.append((environ_key(name), max_length))
    return tuple(path), tuple(headers)


def key_headers_for(document: Mapping[str, Any], operation: Mapping[str, Any]) -> tuple[str, ...] | None:
    """Headers (environ keys) any one of which satisfies the operation's security; ``None`` when none is required.

    Only API-key header schemes count: openapi-core passes one when its header is
    there, whatever it holds. An empty tuple means no such scheme can satisfy it.
    """
    security = operation.get("security", document.get("security"))
    if not security:
        return None
    schemes = document.get("components", {}).get("securitySchemes", {})
    found = []
    for requirement in security:
        if not requirement:
            return None
        if len(requirement) != 1:
            continue
        scheme = schemes.get(next(iter(requirement)), {})
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header" and scheme.get("name"):
            found.append(environ_key(str(scheme["name"])))
    return tuple(found)


def headers_plainly_valid(
    environ: Mapping[str, Any], key_headers: tuple[str, ...] | None, headers: tuple[tuple[str, int | None], ...]
) -> bool:
    """The security key header is there and no optional header is longer than its ``maxLength``."""
    if key_headers is not None and not any(key in environ for key in key_headers):
        return False
    for key, max_length in headers:
        value = environ.get(key)
        if value is not None and max_length is not None and len(value) > max_length:
            return False
    return True


@dataclass(frozen=True)
class _Verdict:
    """openapi-core's verdict on one request, with the form it parsed."""

    valid: ValidRequest | None
    errors: tuple[str, ...]
    form: ParsedForm | None
    size: int

    def replay(self) -> ValidRequest:
        if self.valid is None:
            raise RequestInvalid(list(self.errors), self.form)
        return dataclasses.replace(
            self.valid, body=dict(self.valid.body), path=dict(self.valid.path), query=dict(self.valid.query)
        )


class VerdictMemo:
    """openapi-core's verdicts on requests already seen, for requests sent again byte for byte.

    Validating an upload costs openapi-core 2-6 ms, more than the rest of a fast
    request whose render is cached. A verdict depends only on what the request
    carries (method, host, path, query, headers, body), so a request repeated
    exactly (a retry, a load test, a client re-sending the same bad field) gets
    the verdict from memory, with the form it parsed (for the journal). Bounded in bytes; ``max_bytes=0`` turns it off.
    """

    def __init__(self, max_bytes: int) -> None:
        self.entries: ByteBoundedLRU[_Verdict] = ByteBoundedLRU(max_bytes)

    def validate(self, request: Request, validate: Callable[[Request], ValidRequest]) -> ValidRequest:
        """``validate(request)``, or the verdict it gave on the same request before."""
        if not self.entries.max_bytes:
            return validate(request)
        body = request.get_data()
        key = self._key(request, body)
        verdict = self.entries.get(key)
        if verdict is None:
            verdict = self._decide(request, validate, len(body))
            self.entries.put(key, verdict, verdict.size)
        return verdict.replay()

    @staticmethod
    def _key(request: Request, body: bytes) -> bytes:
        # Everything openapi-core reads: the host (servers), root path and path
        # (operation, path parameters), the raw query, every header, the body.
        head = json.dumps(
            [
                request.method,
                request.host_url,
                request.root_path,
                request.path,
                request.query_string.decode("latin-1"),
                sorted(request.headers.items()),
            ]
        ).encode("utf-8")
        digest = hashlib.sha256(len(head).to_bytes(8, "big"))
        digest.update(head)
        digest.update(body)
        return digest.digest()

    @staticmethod
    def _decide(request: Request, validate: Callable[[Request], ValidRequest], body_bytes: int) -> _Verdict:
        valid: ValidRequest | None = None
        errors: tuple[str, ...] = ()
        try:
            valid = validate(request)
            form = valid.form
        except RequestInvalid as exc:
            errors, form = tuple(exc.errors), exc.form
        return _Verdict(
            valid=valid, errors=errors, form=form, size=body_bytes + sum(len(line) for line in errors) + 1024
        )


__all__ = [
    "BodylessShortcut",
    "VerdictMemo",
    "environ_key",
    "headers_plainly_valid",
    "key_headers_for",
    "plain_parameters",
]
