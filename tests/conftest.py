"""App and client fixtures; every response the suite sees is checked against the spec."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import flask
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from mockserver import Config, MemoryStore, create_app
from mockserver.services import EXTENSION_KEY, Services
from tests.images import decoded

API_KEY = "sk-test-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
FAST = "/v2beta/stable-image/upscale/fast"
CONSERVATIVE = "/v2beta/stable-image/upscale/conservative"
CREATIVE = "/v2beta/stable-image/upscale/creative"


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SpecCheckedClient(FlaskClient):
    """A test client that fails the test when a response breaks the bundled spec."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        if isinstance(kwargs.get("data"), dict) and _has_files(kwargs["data"]):
            # Werkzeug's own encoder spills large bodies to temp files it never
            # closes (a ResourceWarning); encode in memory instead.
            boundary, body = encode_multipart(MultiDict(_as_file_storage(kwargs["data"])))
            kwargs["data"] = body
            kwargs["content_type"] = f"multipart/form-data; boundary={boundary}"
        response = super().open(*args, **kwargs)
        services: Services = self.application.extensions[EXTENSION_KEY]
        # Response validation needs only the request's method and matched route.
        environ = {**response.request.environ, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"}
        with self.application.request_context(environ):
            spec = services.admin_spec if flask.request.blueprint in ("meta", "admin") else services.spec
            problems = spec.response_errors(flask.request, response)
        where = f"{response.request.method} {response.request.path} → {response.status}"
        assert not problems, f"{where}: {problems}"
        if response.status_code == 200 and response.mimetype.startswith("image/"):
            assert decoded(response.data).format.lower() == response.mimetype.split("/")[1], where
        assert len(response.headers.get("x-request-id", "")) == 32, where
        return response


def _has_files(data: dict[str, Any]) -> bool:
    return any(isinstance(value, tuple) for value in data.values())


def _as_file_storage(data: dict[str, Any]) -> dict[str, Any]:
    return {name: FileStorage(*value) if isinstance(value, tuple) else value for name, value in data.items()}


@pytest.fixture
def clock() -> Clock:
    return Clock()


#: Conservative and creative aim at 4 MP by default; most tests don't need that
#: many pixels, and rendering them is most of a test's time.
SMALL_TARGET = 256 * 256


@pytest.fixture
def config() -> Config:
    return Config(store="memory://", target_pixels=SMALL_TARGET)


@pytest.fixture
def app(config: Config, clock: Clock) -> Iterator[Flask]:
    app = create_app(config, store=MemoryStore(), clock=clock)
    app.test_client_class = SpecCheckedClient
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def upload() -> Callable[..., dict[str, Any]]:
    """Multipart form data with ``image`` as a file part."""

    def build(image: bytes, **fields: Any) -> dict[str, Any]:
        return {"image": (io.BytesIO(image), "input.png", "image/png"), **{k: str(v) for k, v in fields.items()}}

    return build
