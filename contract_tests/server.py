"""A live mock server in a daemon thread, on a free loopback port.

Werkzeug's threaded server, as pytest-httpserver does it: real sockets (so
clients in any language, timeouts and transport faults all behave as they do
against a remote server) without a second process to manage.
"""

from __future__ import annotations

import ssl
import threading
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from mockserver import Config, MemoryStore, create_app
from mockserver.control.local import MockControl
from mockserver.services import Services, services_of
from mockserver.serving.warmup import Traffic, warm_after_first_answer


class LiveServer:
    """Serve ``app`` (by default a fresh in-memory mock) until :meth:`stop`.

    A server that built its app (no ``app`` given, or :meth:`for_config`) closes it
    on :meth:`stop`: its threads end and the store it opened is closed at once,
    not whenever the collector gets to them (in the middle of a user's test).
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context``: serve TLS with it (the URL is then ``https://``)."""
        #: Whether :meth:`stop` closes the app's services (see :meth:`mockserver.services.Services.close`).
        self.owns_app = app is None
        self.app = app or create_app(Config(store="memory://"), store=MemoryStore())
        self.host = host
        self.requested_port = port
        self.ssl_context = ssl_context
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def for_config(cls, config: Config, *, ssl_context: ssl.SSLContext | None = None) -> LiveServer:
        app = create_app(config, store=MemoryStore() if config.store.startswith("memory") else None)
        server = cls(app, ssl_context=ssl_context)
        server.owns_app = True
        return server

    @property
    def control(self) -> MockControl:
        """In-process access to the same operations as the admin API."""
        return MockControl(services_of(self.app))

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        return self.url + "/" + path.lstrip("/")

    def start(self) -> LiveServer:
        if self._server is not None:
            return self
        traffic = Traffic(self.app)
        self._server = make_server(self.host, self.requested_port, traffic, threaded=True, ssl_context=self.ssl_context)
        self._thread = threading.Thread(target=self._server.serve_forever, name="stability-mock", daemon=True)
        self._thread.start()
        # As a gunicorn worker does (mockserver.serving.warmup): openapi-core is built once the first answer is out.
        services: Services = services_of(self.app)
        warm_after_first_answer(traffic, services.warm)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None
        if self.owns_app:
            services_of(self.app).close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
