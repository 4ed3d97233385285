"""openapi-core on the document in force: the verdicts, and their wording, that the shortcuts leave to it.

Importing this module imports openapi-core (with jsonschema, openapi-spec-validator
and pydantic behind it), about 0.4 s of a cold start's 1 s, which a plainly valid
request never needs: :class:`mockserver.openapi.document.Spec` builds its
:class:`Engine` on first use, or in the background once a worker is quiet
(:mod:`mockserver.serving.warmup`), and nothing else imports it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from flask import Request, Response
from openapi_core import Config as OpenAPIConfig
from openapi_core import OpenAPI
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.unmarshalling.request.datatypes import RequestUnmarshalResult

from mockserver.openapi.field_errors import describe_openapi_error
from mockserver.openapi.multipart import MultipartForm
from mockserver.openapi.repairs import OpenAPIRequest, RequestUnmarshaller, ResponseUnmarshaller


class Engine:
    """openapi-core's request and response validation on one document, built once per :class:`Spec`."""

    def __init__(self, document: Mapping[str, Any], form: MultipartForm) -> None:
        for_matching = copy.deepcopy(dict(document))
        # A relative server so that requests to any host (localhost, a test
        # client) match; the file itself keeps the production server.
        for_matching["servers"] = [{"url": "/"}, *for_matching.get("servers", [])]
        self.openapi = OpenAPI.from_dict(
            for_matching,
            config=OpenAPIConfig(
                # The documents are the bundled ones, which tests/settings/test_profiles.py checks with
                # openapi-spec-validator; checking them again on every start was ~40% of it.
                spec_validator_cls=None,
                request_unmarshaller_cls=RequestUnmarshaller,
                response_unmarshaller_cls=ResponseUnmarshaller,
                extra_media_type_deserializers={"multipart/form-data": form},
            ),
        )

    def unmarshal_request(self, request: Request) -> tuple[RequestUnmarshalResult, set[str]]:
        """openapi-core's result for ``request``, and its errors as ``field: message`` lines."""
        result = self.openapi.unmarshal_request(OpenAPIRequest(request))
        return result, {line for error in result.errors for line in describe_openapi_error(error)}

    def response_errors(self, request: Request, response: Response) -> list[str] | None:
        """Why ``response`` breaks the document for ``request``; ``None`` when no operation matches."""
        result = self.openapi.unmarshal_response(FlaskOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
        if any(isinstance(error, (PathNotFound, OperationNotFound)) for error in result.errors):
            return None
        return [f"{type(error).__name__}: {str(error)[:300]}" for error in result.errors]


__all__ = ["Engine"]
