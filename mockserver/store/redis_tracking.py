"""The Redis store's per-call state, kept between calls until Redis says it changed.

Every API call needs the runtime settings and whether any fault is queued (the
store's :class:`~mockserver.store.base.Snapshot`). They change only when someone
stages something, yet reading them was a Redis round trip on every call. Redis's
client-side tracking (``CLIENT TRACKING ON``, RESP3, Redis 6 or later) removes
it: each process keeps one connection of its own that reads the two keys, and
Redis pushes an invalidation down that connection whenever either key changes
afterwards, whoever changes it. A call looks into that socket without blocking
(a non-blocking read, no command sent) and answers the snapshot it read last while nothing
arrived; anything that arrived (an invalidation, or the end of the connection)
makes it read again.

Why no cached entry can outlive a change:

- The two keys are read in one ``MULTI``/``EXEC``. A push that comes before the
  ``EXEC`` reply is for a write that ran before the reads, so the values read
  already show it; a write that runs after them sends its push after the reply,
  where the next call finds it. Pushes are skipped only while those replies are
  awaited, where skipping is safe.
- A connection that breaks is replaced, and a new connection switches tracking on
  before it reads: invalidations lost with the old one do not matter, as nothing
  read under it is kept.
- Writers fence (see ``RedisStore._fence``): a change returns to its caller only
  after Redis has written the invalidations out, so the next call of any process
  on the same host finds them in its socket. Without the fence a reader on the
  same host saw a change one call late a few times in a thousand
  (``tests/store/test_redis.py``). Across hosts the notice is on the wire before the
  writer's last reply, but a slower or lossy path to the reader could still
  deliver it after that reader's next call began; so could Redis's I/O threads
  (``io-threads`` above 1), which write to different clients independently.
- redis-py's own client-side cache (``CacheConfig``) is not used: it refuses Redis
  servers before 7.4 (Debian ships 7.0), caches per pooled connection, and cannot
  read the two keys atomically.

A process forked after this connection was opened (gunicorn's workers) drops it
in the child and opens its own. A server without RESP3 or tracking (Redis 5, a
proxy, an ACL user without ``client|tracking``) answers :meth:`TrackedSnapshot.get` with
``None`` for good, and the store reads the state on every call, as before.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError

from mockserver.store.base import Snapshot

log = logging.getLogger(__name__)

#: Even unchanged, a kept snapshot is read again this often: a connection that died
#: without a word (no FIN from a vanished host) then shows up as an error, not as
#: stale state. At most one round trip per process every ten seconds.
RECHECK_SECONDS = 10.0

_REPLIES = 4  # MULTI, two QUEUED, EXEC

#: Every live tracker, so a forked child can drop what it inherited (see _forget_after_fork).
_TRACKERS: weakref.WeakSet[TrackedSnapshot] = weakref.WeakSet()


class TrackedConnection(Protocol):
    """What the tracker uses of a redis-py connection (redis-py leaves these untyped)."""

    def connect(self) -> None: ...
    def disconnect(self) -> None: ...
    def can_read(self, timeout: float = 0) -> bool: ...
    def send_command(self, *args: Any) -> None: ...
    def send_packed_command(self, command: Any) -> None: ...
    def pack_commands(self, commands: Sequence[tuple[str, ...]]) -> Any: ...
    def read_response(self) -> Any: ...


class TrackingRefused(RedisError):
    """The server cannot track keys for this connection (no RESP3, no ``CLIENT TRACKING``, or an odd reply)."""


def snapshot_from(settings_json: bytes | str | None, faults_queued: int) -> Snapshot:
    """The snapshot that a ``GET`` of the settings and an ``EXISTS`` of the fault queue describe."""
    return Snapshot(
        settings={} if settings_json is None else dict(json.loads(settings_json)), faults_queued=bool(faults_queued)
    )


class TrackedSnapshot:
    """One process's tracked connection to the settings and fault-queue keys, and the snapshot read on it."""

    def __init__(
        self, make_connection: Callable[[], TrackedConnection], settings_key: str, faults_key: str, where: str
    ) -> None:
        """``make_connection`` builds an unconnected RESP3 connection; ``where`` names the Redis in the log."""
        self._make_connection = make_connection
        self._read = [("MULTI",), ("GET", settings_key), ("EXISTS", faults_key), ("EXEC",)]
        self._where = where
        self._lock = threading.Lock()
        self._connection: TrackedConnection | None = None
        #: The last snapshot read, and the monotonic time until which it may be answered unread.
        self._kept: tuple[float, Snapshot] | None = None
        #: False once the server refused tracking: the store then reads on every call.
        self.tracking = True
        _TRACKERS.add(self)

    def get(self) -> Snapshot | None:
        """The snapshot in force (no command sent when nothing changed); ``None`` when tracking is off.

        A connection that was open and broke (Redis restarted) is replaced and read
        once more, as the store's pool retries a broken connection once; any other
        failure leaves as the ``RedisError`` it is, with nothing kept.
        """
        if not self.tracking:
            return None
        with self._lock:
            was_open = self._connection is not None
            try:
                return self._attempt()
            except RedisConnectionError:
                if not was_open:
                    raise
            return self._attempt()

    def close(self) -> None:
        """Close the tracked connection; the next :meth:`get` opens another."""
        with self._lock:
            self._drop()

    def _attempt(self) -> Snapshot | None:
        """One read (or none): a failure drops the connection and what was read on it, so nothing stale stays."""
        try:
            return self._current()
        except TrackingRefused as exc:
            self._drop()
            self.tracking = False
            log.debug(
                "Redis at %s: no client-side tracking (%s); the per-call state is read on every call", self._where, exc
            )
            return None
        except BaseException:
            self._drop()
            raise

    def _current(self) -> Snapshot:
        connection = self._connection
        if connection is None:
            connection = self._connection = self._open()
        kept = self._kept
        if kept is not None and time.monotonic() < kept[0] and not connection.can_read(0):
            return kept[1]
        self._kept = None
        connection.send_packed_command(connection.pack_commands(self._read))
        replies = [connection.read_response() for _ in range(_REPLIES)]
        snapshot = snapshot_from(*_values(replies[-1]))
        self._kept = (time.monotonic() + RECHECK_SECONDS, snapshot)
        return snapshot

    def _open(self) -> TrackedConnection:
        """A new connection (``HELLO 3`` on connect) with tracking switched on before anything is read on it."""
        connection = self._make_connection()
        try:
            connection.connect()
            connection.send_command("CLIENT", "TRACKING", "ON")
            connection.read_response()
        except ResponseError as exc:
            connection.disconnect()
            raise TrackingRefused(str(exc)) from exc
        except BaseException:
            connection.disconnect()
            raise
        return connection

    def _drop(self) -> None:
        """Forget the connection and what was read on it (a dropped connection is never used again)."""
        connection, self._connection, self._kept = self._connection, None, None
        if connection is not None:
            connection.disconnect()

    def _forget_after_fork(self) -> None:
        """In a forked child: the parent's socket and lock are not ours; closing our copy of the socket is safe."""
        self._lock = threading.Lock()
        self._drop()


def _values(reply: Any) -> tuple[bytes | str | None, int]:
    """The ``EXEC`` reply's two values; an error inside it is raised.

    A reply of another shape (a parser that hands a push over as a reply, as redis-py
    with hiredis before 3.2 did) turns tracking off rather than trusting what was read.
    """
    if not isinstance(reply, list) or len(reply) != 2:
        raise TrackingRefused(f"unexpected reply to the snapshot's EXEC: {reply!r}")
    settings_json, faults_queued = reply
    for value in reply:
        if isinstance(value, RedisError):
            raise value
    if not isinstance(settings_json, bytes | str | None) or not isinstance(faults_queued, int):
        raise TrackingRefused(f"unexpected reply to the snapshot's EXEC: {reply!r}")
    return settings_json, faults_queued


def _forget_after_fork() -> None:
    for tracker in list(_TRACKERS):
        tracker._forget_after_fork()


os.register_at_fork(after_in_child=_forget_after_fork)

__all__ = ["RECHECK_SECONDS", "TrackedConnection", "TrackedSnapshot", "TrackingRefused", "snapshot_from"]
