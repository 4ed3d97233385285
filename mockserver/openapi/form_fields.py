"""One property of a simple multipart form schema: what openapi-core accepts there, and how it refuses the rest.

:class:`mockserver.openapi.uploads.UploadShortcut` compiles a :class:`FormField` per
property. openapi-core decodes each part (text parts of non-binary properties as
``text/plain``), then validates the form with jsonschema, and
:mod:`mockserver.openapi.field_errors` words each failing keyword; :meth:`FormField.problems`
finds the same failing keywords for the few a simple property may have, without
importing either (a refused upload then never needs openapi-core), and words them
with the same :func:`~mockserver.openapi.rule_messages.rule_message`.
``tests/openapi/test_spec_refusals.py`` compares both on generated uploads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.openapi.rule_messages import rule_message

#: What a property may say, by schema type; a property with any other keyword is left to openapi-core.
KEYWORDS = {
    "binary": frozenset({"type", "format"}),
    "string": frozenset({"type", "minLength", "maxLength", "enum", "default"}),
    "integer": frozenset({"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default"}),
    "number": frozenset({"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default"}),
}


@dataclass(frozen=True)
class FormField:
    """One form property openapi-core would check with these few keywords alone."""

    #: The schema's ``type`` (``binary`` for a ``string`` of ``format: binary``).
    schema_type: str
    min_length: int | None = None
    max_length: int | None = None
    #: The allowed values in the document's order (the refusal lists them so).
    enum: tuple[str, ...] | None = None
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
        return not self._out_of_bounds(value)

    def decoded(self, value: Any) -> Any:
        """The part as openapi-core hands it to the validator.

        A binary property's part passes through as sent; any other property's
        part is read as ``text/plain`` (openapi-core's ``plain_loads``): a file
        part's bytes become text, in UTF-8 or else byte for byte.
        """
        if self.schema_type == "binary" or type(value) is not bytes:
            return value
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("ascii", errors="surrogateescape")

    def problems(self, value: Any) -> list[str] | None:
        """What ``field_errors`` says after ``field:`` for ``value`` (:meth:`decoded`); ``None`` when unsure.

        jsonschema checks every keyword: a string can break its enum and its
        length at once. A number's bounds only apply to numbers, so text sent
        for one is only a type error. Values of other Python types (a field cast
        as a number because another operation's form has a number of that name)
        are left to openapi-core.
        """
        python_type = type(value)
        if self.schema_type == "binary":
            return [] if python_type is bytes or python_type is str else None
        if self.schema_type == "string":
            return self._string_problems(value) if python_type is str else None
        if python_type is str:
            return [_message("type", self.schema_type, value)]
        if not (python_type is int or (python_type is float and self.schema_type == "number")):
            return None
        return self._out_of_bounds(value)

    def _string_problems(self, value: str) -> list[str]:
        found = []
        if self.enum is not None and value not in self.enum:
            found.append(_message("enum", self.enum, value))
        if self.min_length is not None and len(value) < self.min_length:
            found.append(_message("minLength", self.min_length, value))
        if self.max_length is not None and len(value) > self.max_length:
            found.append(_message("maxLength", self.max_length, value))
        return found

    def _out_of_bounds(self, value: float) -> list[str]:
        """The bounds ``value`` breaks, compared as jsonschema compares them (a NaN breaks none)."""
        found = []
        if self.minimum is not None and value < self.minimum:
            found.append(_message("minimum", self.minimum, value))
        if self.maximum is not None and value > self.maximum:
            found.append(_message("maximum", self.maximum, value))
        if self.exclusive_minimum is not None and value <= self.exclusive_minimum:
            found.append(_message("exclusiveMinimum", self.exclusive_minimum, value))
        if self.exclusive_maximum is not None and value >= self.exclusive_maximum:
            found.append(_message("exclusiveMaximum", self.exclusive_maximum, value))
        return found


def form_field(prop: Mapping[str, Any]) -> FormField | None:
    """The :class:`FormField` of a property schema (``$ref`` followed, annotations dropped); ``None``: not simple."""
    schema_type = prop.get("type")
    if schema_type == "string" and "format" in prop:
        schema_type = "binary" if prop["format"] == "binary" else None
    if not isinstance(schema_type, str) or schema_type not in KEYWORDS or set(prop) - KEYWORDS[schema_type]:
        return None
    if schema_type == "string":
        lengths = [prop.get("minLength"), prop.get("maxLength")]
        enum = prop.get("enum")
        if not all(value is None or type(value) is int for value in lengths):
            return None
        if enum is not None and not (isinstance(enum, list) and all(type(value) is str for value in enum)):
            return None
        return FormField(schema_type, lengths[0], lengths[1], tuple(enum) if enum is not None else None)
    if schema_type in ("integer", "number"):
        names = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
        bounds = [prop.get(name) for name in names]
        if not all(value is None or type(value) in (int, float) for value in bounds):
            return None
        return FormField(schema_type, None, None, None, *bounds)
    return FormField(schema_type)


def _message(rule: str, bound: Any, value: Any) -> str:
    """The words ``field_errors`` gives openapi-core's error for the same broken rule."""
    message = rule_message(rule, bound, value)
    if message is None:
        raise ValueError(f"no message for the {rule!r} rule")
    return message


__all__ = ["KEYWORDS", "FormField", "form_field"]
