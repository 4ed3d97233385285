"""Secrets out of what the mock shows: store URLs in errors, health answers, logs and the banner.

A Redis password can sit in a URL two ways, ``redis://:secret@host`` and
``redis://host?password=secret`` (both read by redis-py); either is replaced
by ``***`` wherever the URL is shown, so a 503 body, which anyone may read on
``/_mock/health``, never carries it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameters whose value is a secret.
SECRET_PARAMETERS = frozenset({"password", "pass", "passwd", "pwd", "secret", "token", "auth"})
MASK = "***"


def redacted_url(url: str) -> str:
    """``url`` with its password (in the user part or the query) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
        port = parts.port
    except ValueError:
        # Not a URL we can take apart safely: show its scheme only.
        return url.split(":", 1)[0] + "://" + MASK if ":" in url else MASK
    netloc = parts.netloc
    if password is not None:
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:{MASK}@{host}" + (f":{port}" if port else "")
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in SECRET_PARAMETERS for name, _ in pairs):
            query = urlencode(
                [(name, MASK if name.lower() in SECRET_PARAMETERS else value) for name, value in pairs], safe="*"
            )
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


__all__ = ["MASK", "SECRET_PARAMETERS", "redacted_url"]
