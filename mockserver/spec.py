"""The bundled OpenAPI document, and openapi-core set up to validate against it.

openapi-core 0.23 needs three repairs for this spec (see shared/openapi-core-notes):
a 3.1 validator that accepts ``bytes`` for ``format: binary`` uploads, a
multipart parser that is fast (Werkzeug's, not the stdlib email parser) and
casts numeric text fields, and a relative server so requests to localhost are
matched. All three are wired here, once, so nothing else imports openapi-core.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from flask import Request, Response
from jsonschema import _keywords as jsonschema_keywords
from jsonschema.validators import extend
from openapi_core import Config as OpenAPIConfig
from openapi_core import OpenAPI
from openapi_core.casting.schemas import oas31_types_caster
from openapi_core.casting.schemas.factories import SchemaCastersFactory
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.unmarshalling.request.unmarshallers import V31RequestUnmarshaller
from openapi_core.unmarshalling.response.unmarshallers import V31ResponseUnmarshaller
from openapi_core.unmarshalling.schemas import oas31_format_unmarshallers, oas31_types_unmarshaller
from openapi_core.unmarshalling.schemas.factories import SchemaUnmarshallersFactory
from openapi_core.validation.schemas import oas31_schema_validators_factory
from openapi_core.validation.schemas.factories import DialectSchemaValidatorsFactory, SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator, OAS31Validator

from mockserver.field_errors import describe_openapi_error
from mockserver.multipart import MultipartForm, ParsedForm
from mockserver.profiles import profile_document
from mockserver.render_cache import ByteBoundedLRU

SPEC_PACKAGE_DIR = Path(__file__).resolve().parent.parent / "spec"


def _type_accepting_bytes(validator: Any, types: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    """The 2020-12 ``type`` keyword, except that bytes are a ``format: binary`` string.

    openapi-core hands uploads to the validator as bytes, which the strict 3.1
    check refuses (upstream openapi-core issue #854); type lists such as
    ``[integer, "null"]`` keep working, unlike with the OAS 3.0 keyword.
    """
    names = types if isinstance(types, list) else [types]
    if isinstance(instance, bytes) and "string" in names and schema.get("format") == "binary":
        return
    yield from jsonschema_keywords.type(validator, types, instance, schema)


class _OneFormatChecker(SchemaValidatorsFactory):
    """openapi-core deep-copies its format checker for every validator it builds (seven
    per upload) so that added format validators cannot leak; with none to add, the copy
    is never changed, and one copy (made on first use) serves every validator."""

    def get_format_checker(self, format_validators: Any = None, extra_format_validators: Any = None) -> Any:
        if format_validators is None and extra_format_validators is None:
            shared = self.__dict__.get("_shared_format_checker")
            if shared is None:
                shared = self.__dict__["_shared_format_checker"] = super().get_format_checker()
            return shared
        return super().get_format_checker(format_validators, extra_format_validators)


class _OneFormatCheckerDialect(_OneFormatChecker, DialectSchemaValidatorsFactory):
    """The same, for the validators that cast parameters (openapi-core's 3.1 default)."""


_BytesTolerantOAS31Validator = extend(OAS31Validator, {"type": _type_accepting_bytes})
_validators_factory = _OneFormatChecker(_BytesTolerantOAS31Validator, format_checker=OAS30ReadValidator.FORMAT_CHECKER)
_unmarshallers_factory = SchemaUnmarshallersFactory(
    _validators_factory, oas31_types_unmarshaller, format_unmarshallers=oas31_format_unmarshallers
)
_casters_factory = SchemaCastersFactory(
    _OneFormatCheckerDialect(
        OAS31Validator,
        oas31_schema_validators_factory.default_jsonschema_dialect_id,
        format_checker=OAS30ReadValidator.FORMAT_CHECKER,
    ),
    oas31_types_caster,
)


class _RequestUnmarshaller(V31RequestUnmarshaller):
    schema_validators_factory = _validators_factory  # type: ignore[assignment]
    schema_unmarshallers_factory = _unmarshallers_factory
    schema_casters_factory = _casters_factory

    def _get_param_or_header_and_schema(self, param_or_header: Any, location: Any, name: str | None = None) -> Any:
        """openapi-core builds a style deserializer, a caster and a validator for a header
        parameter before it finds the header absent (~0.3 ms for each optional
        ``stability-client-*`` header of every call); a simple-style header that is not
        there fails the same way (``KeyError``) at once."""
        if (
            "content" not in param_or_header
            and "allowEmptyValue" not in param_or_header
            and (param_or_header / "in").read_str("") == "header"
            and (param_or_header / "style").read_str("simple") == "simple"
        ):
            header = name or (param_or_header / "name").read_str()
            if header not in location:
                raise KeyError(header)
        return super()._get_param_or_header_and_schema(param_or_header, location, name)


class _ResponseUnmarshaller(V31ResponseUnmarshaller):
    schema_validators_factory = _validators_factory  # type: ignore[assignment]
    schema_unmarshallers_factory = _unmarshallers_factory


@dataclass(frozen=True)
class ValidRequest:
    """A request that passed the spec: its operation, its unmarshalled parts, and its form as sent."""

    operation_id: str
    body: Mapping[str, Any]
    path: Mapping[str, Any]
    query: Mapping[str, Any]
    form: ParsedForm | None = None


class RequestInvalid(Exception):
    """The request breaks the spec; ``errors`` are short ``field: message`` lines.

    ``form`` is the multipart form as sent, when the body was one: the journal
    records what a refused request carried too.
    """

    def __init__(self, errors: list[str], form: ParsedForm | None = None) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.form = form


def bundled_text(name: str) -> str:
    """A file of ``spec/``, whether running from a checkout or an installed wheel."""
    local = SPEC_PACKAGE_DIR / name
    if local.is_file():
        return local.read_text("utf-8")
    return resources.files("mockserver.bundled_spec").joinpath(name).read_text("utf-8")


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


def resolve_local_ref(document: Mapping[str, Any], node: Any) -> dict[str, Any]:
    """``node``, or what its local ``$ref`` chain (``#/components/...``) points at; ``{}`` if unresolvable."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node if isinstance(node, dict) else {}


def _environ_key(header: str) -> str:
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
    never shortcut. ``tests/test_spec_shortcut.py`` compares both on generated
    requests.
    """

    _PARAMETER_KEYS = frozenset({"name", "in", "required", "schema", "description", "example", "examples"})
    _SCHEMA_KEYS = frozenset({"type", "maxLength", "description", "example", "examples"})
    #: Header parameters the OpenAPI rules treat specially are left to openapi-core.
    _RESERVED_HEADERS = frozenset({"accept", "content-type", "authorization"})

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
        environ = request.environ
        if check.key_headers is not None and not any(key in environ for key in check.key_headers):
            return None
        for key, max_length in check.headers:
            value = environ.get(key)
            if value is not None and max_length is not None and len(value) > max_length:
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
        seen: dict[tuple[str, str], Mapping[str, Any]] = {}
        # Operation parameters override path-item ones of the same name and place.
        for raw in [*operation.get("parameters", []), *item.get("parameters", [])]:
            parameter = self._resolve(raw)
            seen.setdefault((str(parameter.get("name")), str(parameter.get("in"))), parameter)
        path, headers = [], []
        for (name, place), parameter in seen.items():
            schema = parameter.get("schema")
            if not (
                set(parameter) <= self._PARAMETER_KEYS
                and isinstance(schema, dict)
                and set(schema) <= self._SCHEMA_KEYS
                and schema.get("type") == "string"
            ):
                return None
            max_length = schema.get("maxLength")
            if place == "path" and parameter.get("required") is True and max_length is None:
                path.append(name)
                continue
            if place != "header" or parameter.get("required") or name.lower() in self._RESERVED_HEADERS:
                return None
            if max_length is not None and not isinstance(max_length, int):
                return None
            headers.append((_environ_key(name), max_length))
        key_headers = self._key_headers(operation.get("security", self._document.get("security")))
        if key_headers == ():
            return None
        return _BodylessCheck(str(operation["operationId"]), tuple(path), tuple(headers), key_headers)

    def _key_headers(self, security: Any) -> tuple[str, ...] | None:
        """Headers any one of which satisfies ``security``; ``None`` when nothing is required."""
        if not security:
            return None
        schemes = self._document.get("components", {}).get("securitySchemes", {})
        found = []
        for requirement in security:
            if not requirement:
                return None
            if len(requirement) != 1:
                continue
            scheme = schemes.get(next(iter(requirement)), {})
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header" and scheme.get("name"):
                found.append(_environ_key(str(scheme["name"])))
        return tuple(found)

    def _resolve(self, value: Any) -> Mapping[str, Any]:
        return resolve_local_ref(self._document, value)


class _OpenAPIRequest(FlaskOpenAPIRequest):
    """openapi-core's view of a Flask request, with a ``Content-Type`` it can parse.

    openapi-core splits the header's parameters on ``;`` and ``=`` by hand and
    raises ``ValueError`` (a 500) on legal headers such as a trailing ``;`` or
    ``boundary="a=b"``. It needs only the media type to pick the schema (none
    of this spec's bodies depends on a parameter such as ``charset``), so it
    gets only that; the multipart boundary is read from Werkzeug's parse.
    """

    @property
    def content_type(self) -> str:
        return self.request.mimetype or "application/octet-stream"


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


class Spec:
    """The bundled OpenAPI document with request and response validation."""

    def __init__(
        self, document: Mapping[str, Any], *, max_body_bytes: int = 10 * 1024 * 1024, verdict_cache_bytes: int = 0
    ) -> None:
        self.document: dict[str, Any] = copy.deepcopy(dict(document))
        for_matching = copy.deepcopy(self.document)
        # A relative server so that requests to any host (localhost, a test
        # client) match; the file itself keeps the production server.
        for_matching["servers"] = [{"url": "/"}, *for_matching.get("servers", [])]
        known = {name for op in self.operations for name in (self.request_schema(op) or {}).get("properties", {})}
        self.form = MultipartForm(dict(self._numeric_fields()), max_body_bytes, known)
        self.openapi = OpenAPI.from_dict(
            for_matching,
            config=OpenAPIConfig(
                request_unmarshaller_cls=_RequestUnmarshaller,
                response_unmarshaller_cls=_ResponseUnmarshaller,
                extra_media_type_deserializers={"multipart/form-data": self.form},
            ),
        )
        self.shortcut = BodylessShortcut(self.document)
        self.verdicts = VerdictMemo(verdict_cache_bytes)
        self._templates: dict[str, str] = {}

    @classmethod
    def bundled(cls, name: str = "openapi.yml", **kwargs: Any) -> Spec:
        """``spec/openapi.yml`` (the upscale API) or ``spec/admin.yml`` (the mock's own)."""
        return cls(yaml.safe_load(bundled_text(name)), **kwargs)

    @classmethod
    def for_profile(cls, profile: str, **kwargs: Any) -> Spec:
        """The upscale API as ``profile`` plays it (see :mod:`mockserver.profiles`)."""
        return cls(profile_document(profile, bundled_text), **kwargs)

    @cached_property
    def renders_at_once(self) -> frozenset[str]:
        """Uploads whose 200 answer is the image itself: the document decides sync or async.

        In the seed profile conservative answers a generation id; in the live
        profile it answers the image, and the route follows whichever is in force.
        """
        found = set()
        for operation_id, (method, path) in self.operations.items():
            operation = self.document["paths"][path][method.lower()]
            ok = resolve_local_ref(self.document, operation.get("responses", {}).get("200", {}))
            if "requestBody" in operation and any(media.startswith("image/") for media in ok.get("content", {})):
                found.add(operation_id)
        return frozenset(found)

    @cached_property
    def operations(self) -> dict[str, tuple[str, str]]:
        """operationId → (HTTP method, path template)."""
        found = {}
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    found[operation["operationId"]] = (method.upper(), path)
        return found

    @cached_property
    def statuses(self) -> dict[str, frozenset[int]]:
        """operationId → the HTTP statuses it may answer."""
        return {
            operation_id: frozenset(
                int(code) for code in self.document["paths"][path][method.lower()]["responses"] if code.isdigit()
            )
            for operation_id, (method, path) in self.operations.items()
        }

    def schema(self, name: str) -> dict[str, Any]:
        """A component schema with its ``$ref`` properties resolved one level."""
        schema = copy.deepcopy(self.document["components"]["schemas"][name])
        for prop, value in schema.get("properties", {}).items():
            if "$ref" in value:
                schema["properties"][prop] = self.schema(value["$ref"].rsplit("/", 1)[-1])
        return schema  # type: ignore[no-any-return]

    def request_schema(self, operation_id: str) -> dict[str, Any] | None:
        """The multipart schema of an upload operation, resolved (``None`` for others)."""
        method, path = self.operations[operation_id]
        body = self.document["paths"][path][method.lower()].get("requestBody", {})
        multipart = body.get("content", {}).get("multipart/form-data")
        if multipart is None:
            return None
        return self.schema(multipart["schema"]["$ref"].rsplit("/", 1)[-1])

    def _numeric_fields(self) -> Iterator[tuple[str, str]]:
        for operation_id in self.operations:
            schema = self.request_schema(operation_id) or {"properties": {}}
            for name, prop in schema["properties"].items():
                if prop.get("type") in ("integer", "number"):
                    yield name, prop["type"]

    def validate_request(self, request: Request) -> ValidRequest:
        """Unmarshal ``request`` or raise :class:`RequestInvalid` with field messages.

        Body-less GETs that plainly conform (every poll of a result) are answered by
        :class:`BodylessShortcut`, 10x cheaper than openapi-core and with the same
        verdict; everything else goes through openapi-core, unless the very same
        request was validated before (:class:`VerdictMemo`, when enabled).
        """
        shortcut = self.shortcut.valid(request, self._template(request))
        if shortcut is not None:
            return shortcut
        return self.verdicts.validate(request, self.validate_with_openapi_core)

    def validate_with_openapi_core(self, request: Request) -> ValidRequest:
        """:meth:`validate_request` without the shortcut: openapi-core's verdict itself."""
        form: ParsedForm | None = None
        if request.mimetype == "multipart/form-data":
            # openapi-core is handed the media type alone (see _OpenAPIRequest); the
            # boundary comes from Werkzeug's parse of the full header.
            with self.form.parsed(request.get_data(), request.mimetype_params.get("boundary", "")) as form:
                result = self.openapi.unmarshal_request(_OpenAPIRequest(request))
        else:
            result = self.openapi.unmarshal_request(_OpenAPIRequest(request))
        repeated = form.repeated if form is not None else {}
        lines = {f"{name}: sent {count} times; send each field once" for name, count in repeated.items()}
        lines.update(line for error in result.errors for line in describe_openapi_error(error))
        if lines:
            raise RequestInvalid(sorted(lines), form)
        operation_id = self.operation_for(request)
        if operation_id is None:
            raise RequestInvalid([f"request: no operation for {request.method} {request.path}"], form)
        body = dict(result.body) if isinstance(result.body, Mapping) else {}
        if "image" in body and not isinstance(body["image"], bytes):
            raise RequestInvalid(["image: must be a file part (an uploaded image), not a text field"], form)
        return ValidRequest(
            operation_id=operation_id,
            body=body,
            path=dict(result.parameters.path or {}),
            query=dict(result.parameters.query or {}),
            form=form,
        )

    def methods_at(self, request: Request) -> list[str]:
        """The methods the spec defines at the path ``request`` matched (for ``Allow``)."""
        template = self._template(request)
        return sorted(method for method, path in self._operation_by_route if path == template)

    def operation_for(self, request: Request) -> str | None:
        """The operationId of the route ``request`` matched, if the spec has one."""
        template = self._template(request)
        return None if template is None else self._operation_by_route.get((request.method, template))

    def _template(self, request: Request) -> str | None:
        """The matched Flask rule as an OpenAPI path template (``<id>`` → ``{id}``), memoized."""
        if request.url_rule is None:
            return None
        rule = request.url_rule.rule
        template = self._templates.get(rule)
        if template is None:
            template = self._templates[rule] = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
        return template

    @cached_property
    def _operation_by_route(self) -> dict[tuple[str, str], str]:
        return {route: operation_id for operation_id, route in self.operations.items()}

    def response_errors(self, request: Request, response: Response) -> list[str]:
        """Why ``response`` breaks the spec for ``request`` (empty when it conforms)."""
        result = self.openapi.unmarshal_response(FlaskOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
        if any(isinstance(error, (PathNotFound, OperationNotFound)) for error in result.errors):
            # 404 for unknown paths and 405 for wrong methods have no operation.
            return error_body_problems(response)
        return [f"{type(error).__name__}: {str(error)[:300]}" for error in result.errors]

    def text_for(self, server_url: str | None) -> str:
        """The document as YAML, listing this mock first among the servers."""
        document = copy.deepcopy(self.document)
        if server_url:
            document["servers"] = [
                {"url": server_url.rstrip("/"), "description": "This mock server"},
                *document.get("servers", []),
            ]
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def error_body_problems(response: Response) -> list[str]:
    """Check a response outside the spec's paths (404, 405) against ErrorResponse."""
    body = response.get_json(silent=True)
    if not isinstance(body, dict):
        return ["response: body is not a JSON object"]
    problems = []
    for key in ("id", "name", "message"):
        if not isinstance(body.get(key), str):
            problems.append(f"response: {key} must be a string")
    errors = body.get("errors")
    if not isinstance(errors, list) or not all(isinstance(item, str) for item in errors):
        problems.append("response: errors must be a list of strings")
    return problems


__all__ = ["BodylessShortcut", "RequestInvalid", "Spec", "ValidRequest", "VerdictMemo", "bundled_text"]
