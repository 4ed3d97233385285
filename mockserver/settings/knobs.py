"""How a setting is declared: its default, help, bounds and command-line form, in one place.

Each field of :class:`~mockserver.settings.runtime.RuntimeSettings` and
:class:`~mockserver.settings.config.Config` is declared with :func:`setting`. The
``serve`` options (:mod:`mockserver.cli`), their environment names
(:meth:`Config.from_env`), the checks every entrance runs (:func:`problems`)
and the bounds in ``spec/admin.yml`` and the documentation's settings reference all come from, or are
tested against, that one declaration (``tests/settings/test_settings.py``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
_KEY = "stability_mock_knob"


@dataclass(frozen=True)
class Knob:
    """What is known about one setting beyond its type and default."""

    help: str
    #: Inclusive bounds of a number (``None``: unbounded on that side).
    minimum: float | None = None
    maximum: float | None = None
    #: The most items of a list setting, and the longest each may be: a staged list is checked per call.
    max_items: int | None = None
    max_length: int | None = None
    #: Allowed values of a text setting.
    choices: tuple[str, ...] | None = None
    #: The ``serve`` option when it is not ``--<name-with-dashes>``.
    option: str | None = None
    #: ``False``: environment only (``STABILITY_MOCK_<NAME>``), no ``serve`` option.
    cli: bool = True
    #: A list option given once per value (``--api-key a --api-key b``) rather than comma-separated.
    repeatable: bool = False
    #: The option names a file that must exist.
    existing_file: bool = False
    #: What the default means, when the value alone does not say (``off``, ``any key``).
    default_text: str | None = None


def setting(default: T, help: str, **knob: Any) -> T:
    """A dataclass field with ``default`` and its :class:`Knob`."""
    found: T = dataclasses.field(default=default, metadata={_KEY: Knob(help=help, **knob)})
    return found


def knobs(cls: type) -> Iterator[tuple[dataclasses.Field[Any], Knob, Any]]:
    """Each declared field of a settings dataclass: the field, its knob, and its type (``None`` removed)."""
    hints = typing.get_type_hints(cls)
    for item in dataclasses.fields(cls):
        knob = item.metadata.get(_KEY)
        if isinstance(knob, Knob):
            yield item, knob, value_type(hints[item.name])


def value_type(hint: Any) -> Any:
    """``int`` for ``int | None``, and so on: the type a value has when it is set."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return hint


def whole_numbers(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with each integral float (``3.0``) of an ``int`` field of dataclass ``cls`` as that int.

    JSON Schema counts ``3.0`` as an integer, so the admin spec accepts it; the
    value then takes the field's own type rather than being refused after.
    """
    hints = typing.get_type_hints(cls)
    found = dict(values)
    for name, value in values.items():
        if name in hints and value_type(hints[name]) is int and isinstance(value, float) and value.is_integer():
            found[name] = int(value)
    return found


def option_name(item: dataclasses.Field[Any], knob: Knob) -> str:
    return knob.option or "--" + item.name.replace("_", "-")


def default_text(item: dataclasses.Field[Any], knob: Knob) -> str:
    """The default as the help and the settings reference show it."""
    if knob.default_text is not None:
        return knob.default_text
    value = item.default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "none" if value in (None, ()) else str(value)


def problems(instance: Any) -> list[str]:
    """``name: must …`` for every declared value of ``instance`` outside its type, bounds or choices."""
    found: list[str] = []
    for item, knob, python_type in knobs(type(instance)):
        value = getattr(instance, item.name)
        if value is None:
            continue
        found.extend(f"{item.name}: {problem}" for problem in _value_problems(value, python_type, knob))
    return found


def value_problems(value: Any, python_type: Any, knob: Knob) -> list[str]:
    """What is wrong with one value of a setting of type ``python_type`` (empty: nothing)."""
    return list(_value_problems(value, python_type, knob))


def _value_problems(value: Any, python_type: Any, knob: Knob) -> Iterator[str]:
    if python_type in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield f"must be {'an integer' if python_type is int else 'a number'}, got {value!r}"
            return
        if python_type is int and not isinstance(value, int):
            yield f"must be an integer, got {value!r}"
            return
        if not math.isfinite(value):
            yield f"must be a finite number, got {value!r}"
            return
        if knob.minimum is not None and value < knob.minimum:
            yield f"must be ≥ {_number(knob.minimum)}"
        if knob.maximum is not None and value > knob.maximum:
            yield f"must be ≤ {_number(knob.maximum)}"
    elif python_type is str:
        if not isinstance(value, str):
            yield f"must be text, got {value!r}"
        elif knob.choices is not None and value not in knob.choices:
            yield f"must be one of: {', '.join(knob.choices)} (got {value!r})"
    elif python_type is bool and not isinstance(value, bool):
        yield f"must be true or false, got {value!r}"
    elif isinstance(value, tuple | list):
        if knob.max_items is not None and len(value) > knob.max_items:
            yield f"must have at most {knob.max_items:,} items"
        if knob.max_length is not None and any(len(str(item)) > knob.max_length for item in value):
            yield f"each must be at most {knob.max_length} characters"


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


__all__ = [
    "Knob",
    "default_text",
    "knobs",
    "option_name",
    "problems",
    "setting",
    "value_problems",
    "value_type",
    "whole_numbers",
]
