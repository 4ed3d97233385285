"""Hypothesis strategies for upscale clients: images, valid and broken requests, server plans.

Bounds and enums come from the bundled spec, so the strategies follow it as
it grows. Every value has a short ``repr``, because it is what a failing
property shows as its minimal example.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hypothesis import strategies as st
from PIL import Image

from mockserver.models import OUTCOMES, SUCCESS, JobPlan
from mockserver.openapi import Spec
from mockserver.operations import OPERATION_IDS
from mockserver.settings.profiles import SEED

OPERATIONS = tuple(OPERATION_IDS)
#: The async operations of the seed profile; :func:`async_operations` gives any profile's.
ASYNC_OPERATIONS = frozenset({"conservative", "creative"})
FORMATS = ("png", "jpeg", "webp")
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


class ImageBytes(bytes):
    """Image file bytes that describe themselves briefly in reports."""

    description: str = "image"

    def __repr__(self) -> str:
        return f"<{self.description}, {len(self):,} bytes>"


@dataclass(frozen=True)
class UpscaleRequest:
    """What a client is asked to do: an operation, an image, spec-named fields."""

    operation: str
    image: bytes
    fields: dict[str, Any] = field(default_factory=dict)
    broken: str | None = None

    @property
    def operation_id(self) -> str:
        return OPERATION_IDS[self.operation]

    def __repr__(self) -> str:
        broken = f", broken={self.broken!r}" if self.broken else ""
        return f"{self.operation}({self.image!r}, fields={self.fields!r}{broken})"


@cache
def _spec(profile: str = SEED) -> Spec:
    return Spec.for_profile(profile)


def async_operations(profile: str = SEED) -> frozenset[str]:
    """The operations answered with a job to poll under ``profile``: its document decides."""
    sync = _spec(profile).renders_at_once
    return frozenset(name for name, operation_id in OPERATION_IDS.items() if operation_id not in sync)


@cache
def request_schema(operation: str) -> dict[str, Any]:
    """The resolved multipart schema of an operation ("fast", "conservative", "creative")."""
    schema = _spec().request_schema(OPERATION_IDS[operation])
    if schema is None:
        raise ValueError(f"{operation} has no multipart request body")
    return schema


def _check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ValueError(f"operation must be one of {OPERATIONS}, not {operation!r}")


@st.composite
def images(
    draw: st.DrawFn,
    *,
    formats: tuple[str, ...] = FORMATS,
    min_side: int = 64,
    max_side: int = 128,
    alpha: bool | None = None,
) -> ImageBytes:
    """A valid image: sides in ``min_side..max_side`` (64..160 meets every operation's
    rules), any of ``formats``, with or without alpha (``None``: either; never for JPEG)."""
    if not 1 <= min_side <= max_side:
        raise ValueError("need 1 <= min_side <= max_side")
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise ValueError(f"formats must be a non-empty subset of {FORMATS}")
    width = draw(st.integers(min_side, max_side))
    height = draw(st.integers(min_side, max_side))
    fmt = draw(st.sampled_from(formats))
    with_alpha = False if fmt == "jpeg" else (draw(st.booleans()) if alpha is None else alpha)
    mode = "RGBA" if with_alpha else "RGB"
    red, green = draw(st.integers(0, 255)), draw(st.integers(0, 255))
    image = Image.new(mode, (width, height), (red, green, 128, 200)[: len(mode)])
    gradient = Image.linear_gradient("L").resize((max(1, width // 2), height)).convert(mode)
    image.paste(gradient, (0, 0))
    buffer = io.BytesIO()
    image.save(buffer, _PILLOW_FORMATS[fmt])
    data = ImageBytes(buffer.getvalue())
    data.description = f"{fmt.upper()} {width}x{height} {mode}"
    return data


def _bounded(schema: dict[str, Any]) -> tuple[Any, Any]:
    return schema.get("minimum"), schema.get("maximum")


@st.composite
def _fields(draw: st.DrawFn, /, operation: str) -> dict[str, Any]:
    """Valid optional and required fields for ``operation``, from its schema."""
    schema = request_schema(operation)
    properties, required = schema["properties"], set(schema.get("required", ()))
    text = st.text(st.characters(codec="ascii", categories=["L", "N", "Zs"]), min_size=1, max_size=60)
    chosen: dict[str, Any] = {}
    for name, prop in properties.items():
        if name == "image" or (name not in required and not draw(st.booleans())):
            continue
        if "enum" in prop:
            chosen[name] = draw(st.sampled_from(prop["enum"]))
        elif prop.get("type") == "integer":
            low, high = _bounded(prop)
            chosen[name] = draw(st.integers(low, high))
        elif prop.get("type") == "number":
            low, high = _bounded(prop)
            chosen[name] = round(draw(st.floats(low, high)), 3)
        else:
            chosen[name] = draw(text)
    return chosen


@st.composite
def upscale_requests(draw: st.DrawFn, /, operation: str, **image_options: Any) -> UpscaleRequest:
    """A valid request for ``operation``."""
    _check_operation(operation)
    return UpscaleRequest(operation, draw(images(**image_options)), draw(_fields(operation)))


def fast_requests(**image_options: Any) -> st.SearchStrategy[UpscaleRequest]:
    return upscale_requests("fast", **image_options)


def conservative_requests(**image_options: Any) -> st.SearchStrategy[UpscaleRequest]:
    return upscale_requests("conservative", **image_options)


def creative_requests(**image_options: Any) -> st.SearchStrategy[UpscaleRequest]:
    return upscale_requests("creative", **image_options)


@st.composite
def invalid_requests(draw: st.DrawFn, /, operation: str) -> UpscaleRequest:
    """A request with exactly one broken thing: a missing part, an enum, a bound,
    a type, an oversized body, an undecodable or too-small image."""
    _check_operation(operation)
    valid = draw(upscale_requests(operation))
    schema = request_schema(operation)
    fields = dict(valid.fields)
    choices = ["output_format enum", "undecodable image", "image too small", "oversized body"]
    if "prompt" in schema.get("required", ()):
        choices += ["missing prompt", "prompt too long"]
    if "seed" in schema["properties"]:
        choices += ["seed above maximum", "seed not an integer"]
    if "creativity" in schema["properties"]:
        choices += ["creativity out of range"]
    broken = draw(st.sampled_from(choices))
    image: bytes = valid.image
    if broken == "output_format enum":
        fields["output_format"] = draw(st.sampled_from(["gif", "tiff", "PNG", "jpg"]))
    elif broken == "undecodable image":
        image = ImageBytes(draw(st.binary(min_size=1, max_size=64)))
    elif broken == "image too small":
        image = draw(images(min_side=8, max_side=24))
    elif broken == "oversized body":
        padded = ImageBytes(valid.image + bytes(10 * 1024 * 1024 + 1))
        padded.description = "image padded past 10 MiB"
        image = padded
    elif broken == "missing prompt":
        fields.pop("prompt", None)
    elif broken == "prompt too long":
        fields["prompt"] = "p" * (schema["properties"]["prompt"].get("maxLength", 10000) + 1)
    elif broken == "seed above maximum":
        fields["seed"] = schema["properties"]["seed"]["maximum"] + draw(st.integers(1, 10**6))
    elif broken == "seed not an integer":
        fields["seed"] = draw(st.sampled_from([1.5, "abc", "4_2"]))
    elif broken == "creativity out of range":
        low, high = _bounded(schema["properties"]["creativity"])
        fields["creativity"] = draw(st.sampled_from([round(low - 0.05, 3), round(high + 0.25, 3)]))
    return UpscaleRequest(operation, image, fields, broken=broken)


@st.composite
def async_plans(draw: st.DrawFn, *, max_pending: int = 3, max_seconds: float = 0.0, errors: bool = False) -> JobPlan:
    """How many 202s before the result, how long the job takes, and (with ``errors``)
    whether the job fails (500 on poll) or is content-filtered instead."""
    if max_pending < 0 or max_seconds < 0:
        raise ValueError("max_pending and max_seconds must be >= 0")
    outcomes = list(OUTCOMES) if errors else [SUCCESS]
    seconds = draw(st.floats(0, max_seconds)) if max_seconds else 0.0
    return JobPlan(draw(st.integers(0, max_pending)), round(seconds, 2), draw(st.sampled_from(outcomes)))


#: The name this toolkit first exported for :class:`~mockserver.models.JobPlan` (the same class).
AsyncPlan = JobPlan


__all__ = [
    "ASYNC_OPERATIONS",
    "FORMATS",
    "OPERATIONS",
    "OPERATION_IDS",
    "AsyncPlan",
    "ImageBytes",
    "JobPlan",
    "UpscaleRequest",
    "async_operations",
    "async_plans",
    "conservative_requests",
    "creative_requests",
    "fast_requests",
    "images",
    "invalid_requests",
    "request_schema",
    "upscale_requests",
]
