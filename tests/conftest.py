"""App and client fixtures; every response the suite sees is checked against the spec."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

import flask
import pytest
import redis
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from bench.harness.server import free_port
from mockserver import Config, MemoryStore, create_app
from mockserver.services import Services, services_of
from tests.images import decoded

#: Node ids of their own for every test, and under xdist the check that every collected test ran.
pytest_plugins = ["tests.collection"]

#: The checkout's root, and its sample images: tests in any folder find files from here.
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

API_KEY = "sk-test-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
FAST_PATH = "/v2beta/stable-image/upscale/fast"
CONSERVATIVE_PATH = "/v2beta/stable-image/upscale/conservative"
CREATIVE_PATH = "/v2beta/stable-image/upscale/creative"


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
        services: Services = services_of(self.application)
        # Response validation needs only the request's method and matched route.
        environ = {**response.request.environ, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"}
        with self.application.request_context(environ):
            spec = services.admin_spec if flask.request.blueprint in ("meta", "admin") else services.spec
            # Flask's test client wraps answers in TestResponse mixed with the app's
            # response_class, so this is a flask.Response, as Spec expects.
            assert isinstance(response, flask.Response)
            # A HEAD answer has no body to check, by HTTP's definition.
            problems = [] if flask.request.method == "HEAD" else spec.response_errors(flask.request, response)
        where = f"{response.request.method} {response.request.path} → {response.status}"
        assert not problems, f"{where}: {problems}"
        mimetype = response.mimetype or ""
        if response.status_code == 200 and mimetype.startswith("image/"):
            assert decoded(response.data).format.lower() == mimetype.split("/")[1], where
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


def checked_client(config: Config, clock: Callable[[], float] | None = None) -> FlaskClient:
    """A client of a fresh app built from ``config`` (a memory store), every answer checked against its document."""
    app = create_app(config, store=MemoryStore(), clock=clock)
    app.test_client_class = SpecCheckedClient
    return app.test_client()


#: Multipart form data as the test client takes it: text fields, and files as (stream, filename, content type).
Form = dict[str, str | tuple[IO[bytes], str, str]]


class Upload(Protocol):
    """The ``upload`` fixture: a form with ``image`` as a file part and each field as text."""

    def __call__(self, image: bytes, **fields: object) -> Form: ...


@pytest.fixture
def upload() -> Upload:
    """Multipart form data with ``image`` as a file part."""

    def build(image: bytes, **fields: object) -> Form:
        return {"image": (io.BytesIO(image), "input.png", "image/png"), **{k: str(v) for k, v in fields.items()}}

    return build


# Redis ---------------------------------------------------------------------------
#
# The Redis store's tests need a real Redis. STABILITY_MOCK_TEST_REDIS_URL names one
# (CI starts it); otherwise the session starts a private redis-server on a free
# loopback port. Without redis-server the Redis tests are skipped, except in CI,
# which must run them.

TEST_REDIS_URL_ENV = "STABILITY_MOCK_TEST_REDIS_URL"


def _redis_server_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed, and CI must run the Redis tests (see .ci/run)", pytrace=False)
        pytest.skip("redis-server is not installed (apt-get install redis-server); Redis tests skipped")
    return binary


def _wait_for_redis(url: str, seconds: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Ping until Redis answers; fail with its log's story when it does not."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1)
    deadline = time.monotonic() + seconds
    try:
        while True:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {process.returncode}")
            try:
                client.ping()
                return
            except redis.RedisError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Redis at {url} did not answer within {seconds} s: {exc}") from exc
            time.sleep(0.02)
    finally:
        client.close()


#: What redis-server logs when its port was taken, which it binds itself (it cannot be handed a socket).
PORT_TAKEN = b"Address already in use"


class RedisServer:
    """A private redis-server on a loopback port, which a test may stop and start again."""

    def __init__(self, log: Path) -> None:
        self.binary = _redis_server_binary()
        self.port = 0
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (again, on the same port): nothing saved, nothing kept, loopback only.

        The first start picks a free port; when another process (a test in a parallel
        worker, say) binds it before redis-server does, it tries another, a few times.
        """
        for _ in range(5 if self.port == 0 else 1):
            first = self.port == 0
            if first:
                self.port = free_port()
            logged = self.log.stat().st_size if self.log.exists() else 0
            try:
                self._start()
                return
            except RuntimeError:
                with self.log.open("rb") as output:
                    output.seek(logged)
                    if not (first and PORT_TAKEN in output.read()):
                        raise
                self.port = 0
        raise RuntimeError(f"redis-server found no free port in 5 tries:\n{self.log.read_text(errors='replace')}")

    def _start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_for_redis(self.url, 10, self.process)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}:\n{self.log.read_text(errors='replace')}") from exc

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis for the whole session: the one CI names, or a private redis-server."""
    given = os.environ.get(TEST_REDIS_URL_ENV)
    if given:
        try:
            _wait_for_redis(given, 5)
        except RuntimeError as exc:
            pytest.fail(f"{TEST_REDIS_URL_ENV}={given}: {exc}", pytrace=False)
        yield given
        return
    server = RedisServer(tmp_path_factory.mktemp("redis") / "redis-server.log")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own, so tests sharing one Redis never see each other's keys."""
    prefix = f"stability-mock-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        stale = list(client.scan_iter(match=prefix + "*"))
        if stale:
            client.unlink(*stale)
    finally:
        client.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, for tests that stop and restart it."""
    server = RedisServer(tmp_path / "private-redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def start_job(url: str, headers: dict[str, str]) -> str:
    """Start a creative job of the sample image on a running server; its generation id."""
    with (FIXTURES / "sample.png").open("rb") as image:
        response = requests.post(
            f"{url}{CREATIVE_PATH}",
            files={"image": ("sample.png", image, "image/png")},
            data={"prompt": "a yellow sun", "seed": "5", "output_format": "jpeg"},
            headers=headers,
            timeout=30,
        )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def poll(url: str, generation_id: str, headers: dict[str, str]) -> requests.Response:
    return requests.get(f"{url}/v2beta/results/{generation_id}", headers=headers, timeout=60)
