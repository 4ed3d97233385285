"""One reading of a request target's path, for every part that judges or routes on it.

The proxy's admin guard and the app's router once read a path differently: the
guard looked at the raw target, the router at what the server had decoded and
Werkzeug had stripped of leading slashes, so ``/%5Fmock/…``, ``//_mock/…`` and
``/_mock%2F…`` passed the guard and reached the admin API. Both now ask
:func:`canonical_path`, so they cannot disagree: percent-escapes decoded once,
runs of slashes merged, and an encoded slash refused, since decoding it would
make one path segment two.

Dot segments are left as they are: neither the router nor anything in front of
it resolves them, so ``/x/../_mock/settings`` is routed nowhere (404).

Paths are WSGI strings: one character per byte of the request line (Latin-1),
as servers put ``RAW_URI`` and ``PATH_INFO`` in the environ.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes, urlsplit

_ENCODED_SLASH = re.compile("%2f", re.IGNORECASE)
_SLASHES = re.compile("/{2,}")


class EncodedSlash(ValueError):
    """The path holds ``%2F``, which no route of the mock can mean."""

    def __init__(self, path: str) -> None:
        super().__init__(f"path: {path} holds an encoded slash (%2F), which the mock does not accept in a path")


def canonical_path(target: str) -> str:
    """The path ``target`` (origin form ``/a?b`` or absolute form ``http://h/a?b``) names, as the router matches it.

    Raises:
        EncodedSlash: the path holds ``%2F`` (any case).

    Example:
        >>> canonical_path("//%5Fmock//settings?x=1")
        '/_mock/settings'
    """
    path = target.partition("?")[0].partition("#")[0] if target.startswith("/") else urlsplit(target).path
    if _ENCODED_SLASH.search(path):
        raise EncodedSlash(path)
    decoded = unquote_to_bytes(path.encode("latin-1", "replace")).decode("latin-1")
    # Werkzeug matches "/" + the path without its leading slashes; merged here, no slash is left to strip.
    return "/" + _SLASHES.sub("/", decoded).lstrip("/")


def under(path: str, prefix: str) -> bool:
    """Whether canonical ``path`` is ``prefix`` or below it (``/_mock``, ``/_mock/ui/x``; not ``/_mockery``)."""
    return path == prefix or path.startswith(prefix + "/")


__all__ = ["EncodedSlash", "canonical_path", "under"]
