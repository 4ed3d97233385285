"""Valid requests never fail: any image content the API accepts, in every mode, to every output format.

Found by a probe: one kind of content (heavy noise) made one encoder fail a
valid request. Hypothesis walks content (flat to pure noise), colour modes,
sizes and input formats against every operation and output format, through
the whole HTTP path, and each answer must be the image the request asked for.
"""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from werkzeug.test import TestResponse

from mockserver import create_app
from mockserver.settings.config import Config
from mockserver.store import MemoryStore
from tests.conftest import SMALL_TARGET, SpecCheckedClient
from tests.images import decoded

AUTH = {"Authorization": "Bearer sk-any"}
OPERATIONS = {"fast": 32, "conservative": 64, "creative": 64}
#: Modes an upload may decode to, and what each input format can hold of them.
MODES = ("1", "L", "LA", "P", "PA", "I;16", "I", "F", "RGB", "RGBA", "CMYK")
HOLDS = {
    "PNG": {"1", "L", "LA", "P", "I;16", "RGB", "RGBA"},
    "JPEG": {"L", "RGB", "CMYK"},
    "WEBP": {"RGB", "RGBA"},
}

_APP = create_app(
    Config(store="memory://", target_pixels=SMALL_TARGET, pending_polls=0, journal_size=10), store=MemoryStore()
)
_APP.test_client_class = SpecCheckedClient


@st.composite
def uploads(draw: st.DrawFn) -> tuple[str, bytes, str, tuple[int, int]]:
    """An operation and an image it accepts: size within its rules, content from flat to pure noise."""
    operation = draw(st.sampled_from(sorted(OPERATIONS)))
    smallest = OPERATIONS[operation]
    width = draw(st.integers(smallest, 2 * smallest))
    height = draw(st.integers(smallest, 2 * smallest))
    sigma = draw(st.sampled_from([0, 8, 32, 64, 128]))
    grey = (
        Image.effect_noise((width, height), sigma)
        if sigma
        else Image.new("L", (width, height), draw(st.integers(0, 255)))
    )
    colour = Image.merge("RGB", [grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grey.rotate(180)])
    if draw(st.booleans()):
        colour.putalpha(grey.point(lambda value: 255 - value))
    mode = draw(st.sampled_from(MODES))
    image = colour.convert(mode) if mode not in ("PA", "I;16", "F") else _odd(colour, mode)
    fmt = draw(st.sampled_from(sorted(name for name, modes in HOLDS.items() if image.mode in modes) or ["PNG"]))
    if image.mode not in HOLDS[fmt]:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": draw(st.integers(1, 100))} if fmt != "PNG" else {}))
    return operation, buffer.getvalue(), fmt, (width, height)


def _odd(image: Image.Image, mode: str) -> Image.Image:
    if mode == "PA":
        return image.convert("RGBA").convert("PA") if "PA" in Image.MODES else image.convert("P")
    return image.convert("L").convert(mode)


def _answer(client: FlaskClient, operation: str, data: bytes, output_format: str) -> TestResponse:
    form = {"image": (io.BytesIO(data), "input", "application/octet-stream"), "output_format": output_format}
    if operation != "fast":
        form["prompt"] = "a lighthouse"
    response = client.post(f"/v2beta/stable-image/upscale/{operation}", data=form, headers=AUTH)
    if operation == "fast" or response.status_code != 200:
        return response
    return client.get(f"/v2beta/results/{response.get_json()['id']}", headers={**AUTH, "Accept": "image/*"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(upload=uploads(), output_format=st.sampled_from(["png", "jpeg", "webp"]))
def test_every_accepted_image_comes_back_in_the_format_asked_for(
    upload: tuple[str, bytes, str, tuple[int, int]], output_format: str
) -> None:
    operation, data, fmt, (width, height) = upload
    response = _answer(_APP.test_client(), operation, data, output_format)
    assert response.status_code == 200, (fmt, response.get_json())
    out = decoded(response.data)
    assert out.format == output_format.upper()
    if operation == "fast":
        assert out.size == (4 * width, 4 * height)
    else:
        assert out.width * out.height >= width * height
