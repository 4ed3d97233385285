"""What a 400 says after ``field:`` when a value breaks one JSON Schema rule: one wording, two callers.

:mod:`mockserver.openapi.field_errors` words openapi-core's errors with it, and the upload
shortcut (:mod:`mockserver.openapi.form_fields`) its own refusals, which must read
exactly the same. It imports neither openapi-core nor jsonschema, so a refusal
the shortcut words never needs them.
"""

from __future__ import annotations

from typing import Any

#: An ``image`` sent as a text field where the schema wants a file part.
IMAGE_AS_TEXT_LINE = "image: must be a file part (an uploaded image), not a text field"

TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def short(value: Any, limit: int = 40) -> str:
    """A value as a message quotes it: its repr, cut at ``limit`` characters (an upload's is megabytes)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_name(value: Any) -> str:
    """A schema's ``type`` in words; a nullable field's is a list (``["integer", "null"]``)."""
    if isinstance(value, list):
        return " or ".join(type_name(item) for item in value)
    return TYPE_NAMES.get(value, str(value))


def rule_message(rule: str, value: Any, instance: Any = None) -> str | None:
    """The words for ``instance`` breaking ``rule`` (a schema keyword) set to ``value``; ``None``: none here."""
    match rule:
        case "type":
            return f"must be {type_name(value)}, got {short(instance)}"
        case "enum":
            return "must be one of: " + ", ".join(str(item) for item in value)
        case "minimum":
            return f"must be ≥ {value}"
        case "maximum":
            return f"must be ≤ {value}"
        case "exclusiveMinimum":
            return f"must be > {value}"
        case "exclusiveMaximum":
            return f"must be < {value}"
        case "minLength":
            return "must not be empty" if value == 1 else f"must be at least {value} characters"
        case "maxLength":
            return f"must be at most {value} characters"
        case "maxItems":
            return f"must have at most {value:,} items"
        case "pattern":
            return f"must match {value}"
        case "format":
            return f"must be a valid {value}"
    return None


__all__ = ["IMAGE_AS_TEXT_LINE", "TYPE_NAMES", "rule_message", "short", "type_name"]
