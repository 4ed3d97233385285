"""Short ``field: message`` lines from openapi-core and jsonschema errors.

openapi-core's own text carries the repr of the whole body (megabytes for an
upload), so it is never shown: each error is rebuilt from its parts instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from jsonschema.exceptions import ValidationError as SchemaError
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.security.exceptions import SecurityNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    MissingRequiredParameter,
    ParameterValidationError,
    SecurityValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

from mockserver.errors import SECURITY_LINE
from mockserver.openapi.rule_messages import rule_message, short, type_name


def describe_openapi_error(error: BaseException) -> list[str]:
    """One line per problem found in ``error`` and its causes."""
    lines = list(_describe(error))
    return lines or ["request: does not match the API specification"]


def _describe(error: BaseException) -> Iterator[str]:
    cause = error.__cause__
    if isinstance(error, SecurityValidationError) or isinstance(cause, SecurityNotFound):
        yield SECURITY_LINE
    elif isinstance(error, ParameterValidationError):
        yield from _describe_parameter(error)
    elif isinstance(error, MissingRequestBodyError):
        yield "body: required (send the fields as multipart/form-data)"
    elif isinstance(cause, MediaTypeNotFound):
        yield "content-type: must be " + " or ".join(
            getattr(cause, "availableMimetypes", None) or ["multipart/form-data"]
        )
    elif isinstance(cause, MediaTypeDeserializeError):
        yield "body: is not valid multipart/form-data"
    elif isinstance(cause, CastError):
        kind = str(cause.type)
        yield f"body: {short(cause.value)} is not {type_name(kind)}"
    elif isinstance(cause, InvalidSchemaValue):
        for schema_error in cause.schema_errors:
            yield from describe_schema_error(schema_error)
    elif isinstance(error, OpenAPIError) and cause is not None:
        yield from _describe(cause)


def _describe_parameter(error: ParameterValidationError) -> Iterator[str]:
    if isinstance(error, MissingRequiredParameter):
        yield f"{error.name}: required"
        return
    cause = error.__cause__
    if isinstance(cause, InvalidSchemaValue):
        for schema_error in cause.schema_errors:
            for line in describe_schema_error(schema_error):
                yield f"{error.name}{line}" if line.startswith(":") else line
        return
    yield f"{error.name}: is not valid"


def describe_schema_error(error: SchemaError, prefix: str = "") -> Iterator[str]:
    """``field: message`` for one jsonschema error (``: message`` at the top level)."""
    field = ".".join(str(part) for part in error.absolute_path)
    where = f"{prefix}{field}"
    value = error.validator_value
    match error.validator:
        case "required":
            present = error.instance if isinstance(error.instance, dict) else {}
            for name in value:
                if name not in present:
                    yield f"{where + '.' if where else ''}{name}: required"
            return
        case "type" if error.schema.get("format") == "binary":
            message = "must be a file part (an uploaded image)"
        case "pattern" if error.schema.get("examples"):
            # A regular expression tells a person less than one value that fits it.
            message = f"{short(error.instance)} must look like {error.schema['examples'][0]}"
        case "additionalProperties":
            known = set(error.schema.get("properties", {}))
            extra = sorted(set(error.instance) - known) if isinstance(error.instance, dict) else []
            for name in extra:
                yield f"{where + '.' if where else ''}{name}: is not a known field"
            return
        case _:
            message = rule_message(error.validator, value, error.instance) or f"breaks the {error.validator!r} rule"
    yield f"{where}: {message}"
