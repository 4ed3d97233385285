"""openapi-core 0.23, repaired for this API's documents; :mod:`mockserver.openapi.engine` puts them together.

Four repairs (each measured; see the docstrings): a 3.1 validator that accepts
``bytes`` for ``format: binary`` uploads, validator factories that stop copying
an unchanged format checker for every schema, a request view that hands
openapi-core only the media type it can parse, and (Python 3.11, in the mock's own server
processes only: :func:`quicken_pathable`) pathable's ``Subscriptable`` check answered without
re-walking the protocol every time. The multipart deserializer is
:mod:`mockserver.openapi.multipart`; the relative server is added by
:class:`mockserver.openapi.engine.Engine`, which imports this one with :mod:`mockserver.serving.server`
(for :func:`quicken_pathable`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import _keywords as jsonschema_keywords
from jsonschema.validators import extend
from openapi_core.casting.schemas import oas31_types_caster
from openapi_core.casting.schemas.factories import SchemaCastersFactory
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.unmarshalling.request.unmarshallers import V31RequestUnmarshaller
from openapi_core.unmarshalling.response.unmarshallers import V31ResponseUnmarshaller
from openapi_core.unmarshalling.schemas import oas31_format_unmarshallers, oas31_types_unmarshaller
from openapi_core.unmarshalling.schemas.factories import SchemaUnmarshallersFactory
from openapi_core.validation.schemas import oas31_schema_validators_factory
from openapi_core.validation.schemas.factories import DialectSchemaValidatorsFactory, SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator, OAS31Validator
from pathable import accessors as pathable_accessors

#: The methods of pathable's ``Subscriptable`` protocol (``typing._get_protocol_attrs`` of it).
SUBSCRIPTABLE_METHODS = ("__contains__", "__getitem__", "__len__")


class _SubscriptableCheck(type):
    """``isinstance(node, Subscriptable)`` as Python 3.11 answers it for pathable's protocol, in three getattrs.

    pathable asks it at every step of every document path openapi-core resolves, and
    3.11 walks the protocol's classes again on each call (``typing._get_protocol_attrs``):
    18 % of the CPU of a refused upload under gunicorn (py-spy). For a protocol of
    methods only, 3.11's answer is: each method is there and not ``None``.
    """

    def __instancecheck__(cls, instance: Any) -> bool:
        return all(getattr(instance, name, None) is not None for name in SUBSCRIPTABLE_METHODS)


class QuickSubscriptable(metaclass=_SubscriptableCheck):
    """Stands for pathable's ``Subscriptable`` in its accessors' ``isinstance`` check."""


def quicken_pathable() -> None:
    """On Python 3.11, have pathable's accessors ask :class:`QuickSubscriptable` instead of the protocol.

    It replaces a name in pathable's module, so it changes pathable for everything in the
    process: only the mock's own server processes call it (``serve``, before gunicorn
    forks; the bench that measures them), never an import, so a user's pytest process
    that imports the mock or runs its plugin keeps pathable as shipped. On 3.12 and later
    it does nothing: they read protocol members statically, and the protocol answers as
    fast by itself.
    """
    if sys.version_info < (3, 12):
        pathable_accessors.Subscriptable = QuickSubscriptable  # type: ignore[attr-defined, assignment]


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


class RequestUnmarshaller(V31RequestUnmarshaller):
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


class ResponseUnmarshaller(V31ResponseUnmarshaller):
    schema_validators_factory = _validators_factory  # type: ignore[assignment]
    schema_unmarshallers_factory = _unmarshallers_factory


class OpenAPIRequest(FlaskOpenAPIRequest):
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


__all__ = ["OpenAPIRequest", "RequestUnmarshaller", "ResponseUnmarshaller", "quicken_pathable"]
