"""The API's document in force: queries on it (operations, statuses, schemas) and validation through it."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from flask import Request, Response

from mockserver.openapi.files import bundled_document, resolve_local_ref
from mockserver.openapi.multipart import MultipartForm, ParsedForm
from mockserver.openapi.router import Route, Router
from mockserver.openapi.rule_messages import IMAGE_AS_TEXT_LINE
from mockserver.openapi.shortcuts import BodylessShortcut, VerdictMemo
from mockserver.openapi.uploads import UploadShortcut
from mockserver.openapi.verdict import RequestInvalid, ValidRequest
from mockserver.settings.profiles import document_of_profile
from mockserver.util.deferred import Deferred

if TYPE_CHECKING:
    from openapi_core import OpenAPI

    from mockserver.openapi.engine import Engine


class Spec:
    """The bundled OpenAPI document with request and response validation.

    Everything a plainly valid request needs (router, shortcuts, form parser) is
    built from the document here; openapi-core, which decides and words the rest,
    is built on first use (see :mod:`mockserver.openapi.engine`), or earlier by :meth:`warm`.
    """

    def __init__(
        self, document: Mapping[str, Any], *, max_body_bytes: int = 10 * 1024 * 1024, verdict_cache_bytes: int = 0
    ) -> None:
        self.document: dict[str, Any] = copy.deepcopy(dict(document))
        known = {name for op in self.operations for name in (self.request_schema(op) or {}).get("properties", {})}
        self.form = MultipartForm(dict(self._numeric_fields()), max_body_bytes, known)
        checked = without_security(self.document)
        self._engine: Deferred[Engine] = Deferred(partial(_engine, checked, self.form))
        self.shortcut = BodylessShortcut(checked)
        self.uploads = UploadShortcut(checked)
        self.verdicts = VerdictMemo(verdict_cache_bytes)
        #: The first stage of every call: which operation of this document a request names.
        self.router = Router(self.operations, self.statuses, self.renders_at_once)

    @property
    def openapi(self) -> OpenAPI:
        """openapi-core's ``OpenAPI`` on this document (built now if it was not yet)."""
        return self._engine.get().openapi

    def warm(self) -> None:
        """Build openapi-core now, so that the first request that needs it does not wait for it."""
        self._engine.get()

    @classmethod
    def bundled(cls, name: str = "openapi.yml", **kwargs: Any) -> Spec:
        """``spec/openapi.yml`` (the upscale API) or ``spec/admin.yml`` (the mock's own)."""
        return cls(bundled_document(name), **kwargs)

    @classmethod
    def for_profile(cls, profile: str, **kwargs: Any) -> Spec:
        """The upscale API as ``profile`` plays it (see :mod:`mockserver.settings.profiles`)."""
        return cls(document_of_profile(profile, bundled_document), **kwargs)

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

    def validate_request(self, request: Request, route: Route | None = None) -> ValidRequest:
        """Unmarshal ``request`` or raise :class:`RequestInvalid` with field messages.

        ``route`` is what the router answered for it, when the caller routed it already.

        Body-less GETs that plainly conform (every poll of a result) are answered by
        :class:`BodylessShortcut`, and uploads that plainly conform, or are refused for
        a plain reason, by :class:`UploadShortcut`, both many times cheaper than
        openapi-core and with the same verdict and wording; everything else goes
        through openapi-core. An upload sent again byte for byte is answered first by
        :class:`VerdictMemo` (when enabled), which spares even the parse of its form.
        """
        route = route or self.router.find(request)
        template = route.template if route is not None else self.router.template(request)
        shortcut = self.shortcut.valid(request, template)
        if shortcut is not None:
            return shortcut
        if request.mimetype == "multipart/form-data" and template in self.uploads.checks:
            return self.verdicts.validate(request, partial(self._validate_upload, template=template, route=route))
        return self.verdicts.validate(request, partial(self.validate_with_openapi_core, route=route))

    def _validate_upload(self, request: Request, *, template: str, route: Route | None) -> ValidRequest:
        """The upload shortcut's verdict, else openapi-core's on the form the shortcut parsed."""
        outcome = self.form.outcome(request.get_data(), request.mimetype_params.get("boundary", ""))
        if isinstance(outcome, ParsedForm):
            valid = self.uploads.valid(request, template, outcome)
            if valid is not None:
                return valid
        return self.validate_with_openapi_core(request, parsed=outcome, route=route)

    def validate_with_openapi_core(
        self,
        request: Request,
        *,
        parsed: ParsedForm | ValueError | None = None,
        route: Route | None = None,
    ) -> ValidRequest:
        """:meth:`validate_request` without the shortcuts: openapi-core's verdict itself.

        ``parsed`` is the outcome of parsing the request's multipart body, when the caller
        has it; ``route`` what the router answered for it (asked here otherwise).
        """
        engine = self._engine.get()
        form: ParsedForm | None = None
        if request.mimetype == "multipart/form-data":
            # openapi-core is handed the media type alone (see repairs.OpenAPIRequest); the
            # boundary comes from Werkzeug's parse of the full header.
            boundary = request.mimetype_params.get("boundary", "")
            with self.form.parsed(request.get_data(), boundary, parsed) as form:
                result, problems = engine.unmarshal_request(request)
        else:
            result, problems = engine.unmarshal_request(request)
        lines = form.repeated_lines() if form is not None else set()
        lines.update(problems)
        if lines:
            raise RequestInvalid(sorted(lines), form)
        route = route or self.router.find(request)
        if route is None:
            raise RequestInvalid([f"request: no operation for {request.method} {request.path}"], form)
        body = dict(result.body) if isinstance(result.body, Mapping) else {}
        if "image" in body and not isinstance(body["image"], bytes):
            raise RequestInvalid([IMAGE_AS_TEXT_LINE], form)
        return ValidRequest(
            operation_id=route.operation_id,
            body=body,
            path=dict(result.parameters.path or {}),
            query=dict(result.parameters.query or {}),
            form=form,
        )

    def response_errors(self, request: Request, response: Response) -> list[str]:
        """Why ``response`` breaks the spec for ``request`` (empty when it conforms)."""
        problems = self._engine.get().response_errors(request, response)
        if problems is None:
            # 404 for unknown paths and 405 for wrong methods have no operation.
            return error_body_problems(response)
        return problems

    def text_for(self, server_url: str | None) -> str:
        """The document as YAML, listing this mock first among the servers (PyYAML imported only here)."""
        import yaml

        return yaml.safe_dump(self.document_for(server_url), sort_keys=False, allow_unicode=True)

    def document_for(self, server_url: str | None) -> dict[str, Any]:
        """A copy of the document, listing this mock first among the servers."""
        document = copy.deepcopy(self.document)
        if server_url:
            document["servers"] = [
                {"url": server_url.rstrip("/"), "description": "This mock server"},
                *document.get("servers", []),
            ]
        return document


def without_security(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document validation checks requests against: every field and header, but not the key.

    Production judges a request's fields before its key (a bad form with no key
    answers the whole 400 list; a good one, 401), so the key is the pipeline's to
    check after the verdict (:mod:`mockserver.pipeline.auth`). openapi-core, given
    the security requirements, stops at a missing key and lists nothing else.
    """
    checked = {key: value for key, value in document.items() if key != "security"}
    # Copied only as deep as the requirements sit (operations); the rest is shared with ``document``.
    checked["paths"] = {
        path: {
            method: _without_key(operation, "security") if isinstance(operation, dict) else operation
            for method, operation in item.items()
        }
        for path, item in document.get("paths", {}).items()
    }
    return checked


def _without_key(mapping: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if key != name}


def _engine(document: Mapping[str, Any], form: MultipartForm) -> Engine:
    """openapi-core on ``document``, imported here, on first use: start-up and valid requests never need it."""
    from mockserver.openapi.engine import Engine

    return Engine(document, form)


def error_body_problems(response: Response) -> list[str]:
    """Check a response outside the spec's paths (404, 405) against ErrorResponse."""
    body = response.get_json(silent=True)
    if not isinstance(body, dict):
        return ["response: body is not a JSON object"]
    problems = []
    for key in ("id", "name"):
        if not isinstance(body.get(key), str):
            problems.append(f"response: {key} must be a string")
    if "message" in body and not isinstance(body["message"], str):
        # The seed profile's field; production (the live profile) leaves it out.
        problems.append("response: message must be a string")
    errors = body.get("errors")
    if not isinstance(errors, list) or not all(isinstance(item, str) for item in errors):
        problems.append("response: errors must be a list of strings")
    return problems


__all__ = ["Spec", "error_body_problems"]
