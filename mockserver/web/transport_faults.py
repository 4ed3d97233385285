"""Transport faults carried out: a reset connection, a truncated body, a response that never comes.

These need the client's socket, which real servers put in the WSGI environ
(gunicorn and Werkzeug both do). Closing it with ``SO_LINGER`` at zero sends a
TCP reset, which is what a client sees when a load balancer or a crashed
upstream drops it.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Response


def client_socket(environ: Mapping[str, Any]) -> socket.socket | None:
    found = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    return found if isinstance(found, socket.socket) else None


def reset_connection(environ: Mapping[str, Any]) -> bool:
    """Drop the client's connection with a TCP reset; ``False`` when there is no socket."""
    sock = client_socket(environ)
    if sock is None:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True


def truncated(response: Response, environ: Mapping[str, Any]) -> Response:
    """Send the headers and half the body, announcing the full length, then reset."""
    body = response.get_data()
    response.headers["Content-Length"] = str(len(body))

    def half_then_reset() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        reset_connection(environ)

    response.response = half_then_reset()
    response.direct_passthrough = True
    return response
