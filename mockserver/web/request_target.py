"""The app routes on the canonical path of the raw request target, not on the server's own decoding.

Servers fill ``PATH_INFO`` each their own way: gunicorn keeps ``//`` and decodes
``%2F`` into a slash, and Werkzeug's matcher then drops leading slashes but
redirects on inner ones. The proxy's admin guard cannot know which server is
behind it, so :class:`CanonicalPaths` puts back the path read from ``RAW_URI``
with :func:`mockserver.util.paths.canonical_path`, the function the guard asks
(``tests/interception/test_path_agreement.py`` holds them together).

An encoded slash is not routed: the path is left undecoded, so no rule matches
it, and the edge answers the refusal (:func:`encoded_slash`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote

from mockserver.util.paths import EncodedSlash, canonical_path

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: Where the refusal of an encoded slash waits for the edge, in the environ.
ENCODED_SLASH_KEY = "stability_mock.encoded_slash"


class CanonicalPaths:
    """WSGI middleware: ``PATH_INFO`` becomes the canonical path of the request target."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if not raw:
            # A server that keeps no raw target: its decoded path, escaped again so it is decoded only once.
            raw = quote(environ.get("PATH_INFO", ""), safe="/", encoding="latin-1")
        try:
            environ["PATH_INFO"] = canonical_path(raw)
        except EncodedSlash as refusal:
            environ["PATH_INFO"] = raw.partition("?")[0]
            environ[ENCODED_SLASH_KEY] = str(refusal)
        return self.app(environ, start_response)


def encoded_slash(environ: WSGIEnvironment) -> str | None:
    """Why the request's path was not routed (it holds ``%2F``), or ``None``."""
    found: str | None = environ.get(ENCODED_SLASH_KEY)
    return found


__all__ = ["ENCODED_SLASH_KEY", "CanonicalPaths", "encoded_slash"]
