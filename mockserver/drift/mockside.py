"""The mock a drift check compares the upstream with: this package's app, in-process, on a free loopback port.

In-process rather than a ``serve`` subprocess: it starts in a fraction of a second,
nothing outlives the check, and its answers are the app's own (the same app
gunicorn serves). It accepts only the user's key, as production does, so the
wrong-key probe is a 401 on both sides.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from mockserver.services import services_of
from mockserver.settings.config import Config
from mockserver.store import MemoryStore
from mockserver.web.app import create_app


class _QuietHandler(WSGIRequestHandler):
    """No access-log line per request: the drift report is the output."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@contextlib.contextmanager
def running_mock(profile: str, key: str) -> Iterator[str]:
    """The base URL of a fresh in-memory mock playing ``profile`` and accepting ``key``, until the block ends."""
    app = create_app(Config(store="memory://", profile=profile, api_keys=(key,)), store=MemoryStore())
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="stability-mock-drift", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        services_of(app).close()


__all__ = ["running_mock"]
