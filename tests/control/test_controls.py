"""One vocabulary: the in-process control, the pytest handle and the HTTP client speak the same Protocol."""

from __future__ import annotations

import inspect

import pytest
import requests

from contract_tests.handle import StabilityMock
from contract_tests.server import LiveServer
from mockserver import Config
from mockserver.control.local import Controls, MockControl
from mockserver.control.remote import MockAdmin
from tests.images import png

SURFACES = [MockControl, StabilityMock, MockAdmin]
METHODS = sorted(name for name in vars(Controls) if not name.startswith("_"))


@pytest.mark.parametrize("surface", SURFACES, ids=lambda surface: surface.__name__)
@pytest.mark.parametrize("name", METHODS)
def test_each_surface_has_the_method_with_the_same_answer_type(surface: type, name: str) -> None:
    wanted = inspect.signature(getattr(Controls, name))
    method = getattr(surface, name, None)
    assert callable(method), f"{surface.__name__} has no {name}()"
    found = inspect.signature(method)
    assert found.return_annotation == wanted.return_annotation, f"{surface.__name__}.{name}"
    for parameter in wanted.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in found.parameters.values()), name
        elif parameter.name != "self":
            assert parameter.name in found.parameters, f"{surface.__name__}.{name} lacks {parameter.name}"


def test_the_three_doors_give_the_same_answers_for_the_same_state() -> None:
    """Staged over HTTP, read in-process and through the pytest handle: equal typed values."""
    with LiveServer.for_config(Config(store="memory://", target_pixels=64 * 64)) as server:
        control, handle = server.control, StabilityMock(server)
        with MockAdmin(server.url) as admin:
            fault = admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": None})
            assert admin.faults() == control.faults() == handle.faults() == [fault]
            started = requests.post(
                server.url_for("/v2beta/stable-image/upscale/creative"),
                files={"image": ("a.png", png(64, 64), "image/png")},
                data={"prompt": "a lighthouse"},
                headers=handle.headers,
                timeout=30,
            )
            control.services.thumbnails.pool.settle()
            [record] = admin.requests()
            upload = record["image"]["sha256"]
            assert admin.thumbnail(upload) == control.thumbnail(upload) == handle.thumbnail(upload) is not None
            assert admin.thumbnail("0" * 64) is handle.thumbnail("0" * 64) is None
            [job] = admin.jobs()
            assert job.id == started.json()["id"] and job.status == "never-finishing"
            assert control.jobs() == handle.jobs() == [job]
            assert admin.update_settings(credits=7) == control.settings() == handle.settings()
            assert admin.set_credits(handle.api_key, 3) == handle.credits() == control.credits(handle.api_key)
            assert handle.complete_job(job.id) == admin.jobs()[0]
            assert isinstance(admin, Controls) and isinstance(handle, Controls) and isinstance(control, Controls)
