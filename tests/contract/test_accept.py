"""The suite judges ``Accept`` as the mock serves it: no false alarm, no header let through that the API refuses."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from contract_tests.adapters import ClientOutcome
from contract_tests.properties import Run, Violation, accept_matches_parsing
from contract_tests.runner import contract_server
from contract_tests.strategies import ImageBytes, UpscaleRequest
from mockserver.control.local import MockControl

_TYPES = ["image", "application", "text", "*"]
_SUBTYPES = ["png", "jpeg", "webp", "json", "xml", "*"]
_PARAMETERS = ["", "; type=image/png", "; type=image/jpeg", '; type="image/png"', "; charset=utf-8", "; TYPE=IMAGE/PNG"]
_QUALITIES = ["", ";q=0", ";q=0.5", ";q=1", ";q=2"]

media_ranges = st.builds(
    lambda kind, subtype, parameter, q: f"{kind}/{subtype}{parameter}{q}",
    st.sampled_from(_TYPES),
    st.sampled_from(_SUBTYPES),
    st.sampled_from(_PARAMETERS),
    st.sampled_from(_QUALITIES),
)
accept_headers = st.lists(media_ranges, min_size=1, max_size=3).map(", ".join)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FlaskClient, MockControl]]:
    server = contract_server()
    yield server.app.test_client(), server.control


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


def _suite_accepts(served: tuple[FlaskClient, MockControl], accept: str) -> tuple[bool, bool]:
    """(the mock served the start, the suite's property held) for one fast upscale sent with ``accept``."""
    client, control = served
    control.reset()
    answer = client.post(
        "/v2beta/stable-image/upscale/fast",
        data={"image": (io.BytesIO(PNG), "image.png"), "output_format": "png"},
        headers={"Authorization": "Bearer sk-accept", "Accept": accept},
    )
    request = UpscaleRequest("fast", ImageBytes(PNG), {"output_format": "png"})
    run = Run(request, ClientOutcome(True, PNG), control.requests())
    try:
        accept_matches_parsing(run)
    except Violation:
        return answer.status_code == 200, False
    return answer.status_code == 200, True


def test_the_json_envelope_the_api_labels_its_answers_with_is_acceptable(
    served: tuple[FlaskClient, MockControl],
) -> None:
    """Published SDKs poll with ``Accept: application/json; type=image/png``; the mock serves it."""
    assert _suite_accepts(served, "application/json; type=image/png") == (True, True)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(accept=accept_headers)
def test_every_accept_the_mock_serves_the_suite_accepts_and_the_reverse(
    served: tuple[FlaskClient, MockControl], accept: str
) -> None:
    mock_serves, suite_accepts = _suite_accepts(served, accept)
    assert mock_serves == suite_accepts, accept
