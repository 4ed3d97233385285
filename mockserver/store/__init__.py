"""State stores behind one interface, chosen by URL, and the sweep that keeps them small.

``base`` (the :class:`Store` interface: jobs, faults, counters, settings,
journal, thumbnails), ``memory``, ``sqlite`` (with ``change_mark``: settings
and faults read again only after they change), ``redis`` (with
``redis_scripts``, its atomic Lua steps, and ``redis_tracking``: settings and
faults kept until Redis says they changed) and ``sweeper`` (a thread per worker
that drops expired jobs and compacts the store, traffic or not).

Imports: ``models``, ``imaging``, ``util``, ``errors``: what it keeps, never
what uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from mockserver.errors import ConfigError
from mockserver.store.base import Store
from mockserver.store.memory import MemoryStore
from mockserver.store.sqlite import SQLiteStore
from mockserver.util.redaction import redacted_url

if TYPE_CHECKING:
    from mockserver.store.redis import RedisStore


def open_store(url: str) -> Store:
    """``memory://``, ``sqlite:///absolute/path.sqlite3`` (``sqlite:///./relative`` works too),
    or ``redis://host:port/db`` (``rediss://`` for TLS; ``?prefix=name:`` sets the key prefix).
    """
    parsed = urlparse(url)
    if parsed.scheme == "memory":
        return MemoryStore()
    if parsed.scheme == "sqlite":
        path = (parsed.netloc + parsed.path) if parsed.netloc else parsed.path
        if not path or path == "/":
            raise ConfigError(f"store {redacted_url(url)!r} names no file: use sqlite:///path/to/file.sqlite3")
        return SQLiteStore(path)
    if parsed.scheme in ("redis", "rediss"):
        from mockserver.store.redis import RedisStore

        return RedisStore(url)
    raise ConfigError(
        f"store {redacted_url(url)!r}: unsupported scheme {parsed.scheme!r} (memory://, sqlite:///path, redis://host:port/db)"
    )


def __getattr__(name: str) -> Any:
    """``RedisStore`` is imported when first asked for: the redis client took a sixth of start-up."""
    if name == "RedisStore":
        from mockserver.store.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MemoryStore", "RedisStore", "SQLiteStore", "Store", "open_store"]
