"""The bundled OpenAPI document, and openapi-core set up to validate against it.

openapi-core 0.23 needs three repairs for this spec (see shared/openapi-core-notes):
a 3.1 validator that accepts ``bytes`` for ``format: binary`` uploads, a
multipart parser that is fast (Werkzeug's, not the stdlib email parser) and
casts numeric text fields, and a relative server so requests to localhost are
matched. All three are wired here, once, so nothing else imports openapi-core.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from flask import Request, Response, g, has_request_context
from jsonschema import _keywords as jsonschema_keywords
from jsonschema.validators import extend
from openapi_core import Config as OpenAPIConfig
from openapi_core import OpenAPI
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.unmarshalling.request.unmarshallers import V31RequestUnmarshaller
from openapi_core.unmarshalling.response.unmarshallers import V31ResponseUnmarshaller
from openapi_core.unmarshalling.schemas import oas31_format_unmarshallers, oas31_types_unmarshaller
from openapi_core.unmarshalling.schemas.factories import SchemaUnmarshallersFactory
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator, OAS31Validator
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import MultiPartParser

from mockserver.field_errors import describe_openapi_error

SPEC_PACKAGE_DIR = Path(__file__).resolve().parent.parent / "spec"

_INTEGER_TEXT = re.compile(r"-?[0-9]+")
_NUMBER_TEXT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


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


_BytesTolerantOAS31Validator = extend(OAS31Validator, {"type": _type_accepting_bytes})
_validators_factory = SchemaValidatorsFactory(
    _BytesTolerantOAS31Validator, format_checker=OAS30ReadValidator.FORMAT_CHECKER
)
_unmarshallers_factory = SchemaUnmarshallersFactory(
    _validators_factory, oas31_types_unmarshaller, format_unmarshallers=oas31_format_unmarshallers
)


class _RequestUnmarshaller(V31RequestUnmarshaller):
    schema_validators_factory = _validators_factory  # type: ignore[assignment]
    schema_unmarshallers_factory = _unmarshallers_factory


class _ResponseUnmarshaller(V31ResponseUnmarshaller):
    schema_validators_factory = _validators_factory  # type: ignore[assignment]
    schema_unmarshallers_factory = _unmarshallers_factory


@dataclass(frozen=True)
class ValidRequest:
    """A request that passed the spec: its operation and its unmarshalled parts."""

    operation_id: str
    body: Mapping[str, Any]
    path: Mapping[str, Any]
    query: Mapping[str, Any]


class RequestInvalid(Exception):
    """The request breaks the spec; ``errors`` are short ``field: message`` lines."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def bundled_text(name: str) -> str:
    """A file of ``spec/``, whether running from a checkout or an installed wheel."""
    local = SPEC_PACKAGE_DIR / name
    if local.is_file():
        return local.read_text("utf-8")
    return resources.files("mockserver.bundled_spec").joinpath(name).read_text("utf-8")


class MultipartForm:
    """openapi-core's multipart deserializer: Werkzeug's parser plus strict casting.

    File parts come back as ``bytes`` and text parts as ``str``, so a text part
    named ``image`` is told apart from an upload. Numeric fields are cast only
    from canonical decimal text (``42``, ``0.3``): ``" 42"``, ``4_2`` and ``+42``
    stay strings and fail the schema's type check with a clear message.
    """

    def __init__(self, numeric_fields: Mapping[str, str], max_bytes: int) -> None:
        self.numeric_fields = dict(numeric_fields)
        self.max_bytes = max_bytes

    def __call__(self, value: bytes, **parameters: str) -> MultiDict[str, Any]:
        boundary = parameters.get("boundary", "")
        if not boundary:
            raise ValueError("multipart body without a boundary")
        parser = MultiPartParser(
            stream_factory=lambda *_args, **_kwargs: io.BytesIO(),
            max_form_memory_size=self.max_bytes,
            max_form_parts=200,
        )
        try:
            form, files = parser.parse(io.BytesIO(value), boundary.encode("latin-1"), len(value))
        except Exception as exc:  # Werkzeug raises several kinds for malformed bodies.
            raise ValueError(f"malformed multipart body: {exc}") from exc
        fields: MultiDict[str, Any] = MultiDict()
        for name, text in form.items(multi=True):
            fields.add(name, self._cast(name, text))
        for name, upload in files.items(multi=True):
            fields.add(name, upload.read())
        if has_request_context():
            # The journal records what was sent even when validation fails.
            g.form_text = form.to_dict()
            g.form_files = {name: upload for name, upload in fields.items() if isinstance(upload, bytes)}
        return fields

    def _cast(self, name: str, text: str) -> Any:
        kind = self.numeric_fields.get(name)
        if kind == "integer" and _INTEGER_TEXT.fullmatch(text):
            return int(text)
        if kind == "number" and _NUMBER_TEXT.fullmatch(text):
            return float(text)
        return text


class Spec:
    """The bundled OpenAPI document with request and response validation."""

    def __init__(self, document: Mapping[str, Any], *, max_body_bytes: int = 10 * 1024 * 1024) -> None:
        self.document: dict[str, Any] = copy.deepcopy(dict(document))
        for_matching = copy.deepcopy(self.document)
        # A relative server so that requests to any host (localhost, a test
        # client) match; the file itself keeps the production server.
        for_matching["servers"] = [{"url": "/"}, *for_matching.get("servers", [])]
        self.form = MultipartForm(dict(self._numeric_fields()), max_body_bytes)
        self.openapi = OpenAPI.from_dict(
            for_matching,
            config=OpenAPIConfig(
                request_unmarshaller_cls=_RequestUnmarshaller,
                response_unmarshaller_cls=_ResponseUnmarshaller,
                extra_media_type_deserializers={"multipart/form-data": self.form},
            ),
        )

    @classmethod
    def bundled(cls, name: str = "openapi.yml", **kwargs: Any) -> Spec:
        """``spec/openapi.yml`` (the upscale API) or ``spec/admin.yml`` (the mock's own)."""
        return cls(yaml.safe_load(bundled_text(name)), **kwargs)

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
        """Unmarshal ``request`` or raise :class:`RequestInvalid` with field messages."""
        openapi_request = FlaskOpenAPIRequest(request)
        result = self.openapi.unmarshal_request(openapi_request)
        if result.errors:
            raise RequestInvalid(sorted({line for error in result.errors for line in describe_openapi_error(error)}))
        operation_id = self.operation_for(request)
        if operation_id is None:
            raise RequestInvalid([f"request: no operation for {request.method} {request.path}"])
        body = dict(result.body) if isinstance(result.body, Mapping) else {}
        if "image" in body and not isinstance(body["image"], bytes):
            raise RequestInvalid(["image: must be a file part (an uploaded image), not a text field"])
        return ValidRequest(
            operation_id=operation_id,
            body=body,
            path=dict(result.parameters.path or {}),
            query=dict(result.parameters.query or {}),
        )

    def operation_for(self, request: Request) -> str | None:
        """The operationId of the route ``request`` matched, if the spec has one."""
        if request.url_rule is None:
            return None
        template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", request.url_rule.rule)
        return self._operation_by_route.get((request.method, template))

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


__all__ = ["RequestInvalid", "Spec", "ValidRequest", "bundled_text"]
