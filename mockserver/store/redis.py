"""Redis store: one state for several server processes on several hosts.

Semantics are SQLite's, method for method; Redis primitives give the atomicity:
Lua scripts (:mod:`mockserver.store.redis_scripts`) for every read-modify-write,
``MULTI`` transactions for multi-key writes, ``HINCRBY`` for counts.

Time: every visibility check compares with the caller's ``now`` (the app's
clock, which tests move by hand), exactly as the SQLite store does. TTLs
(``PEXPIREAT`` at ``expires_at``) only collect garbage, so a job or counter
that nobody purges still leaves Redis once it expires by Redis's clock.

All keys live under one prefix (default ``stability-mock:``, or ``?prefix=`` in
the URL), so ``reset`` deletes this mock's keys and nothing else, and several
mocks can share one Redis.

Failures: every ``RedisError`` becomes :class:`mockserver.errors.StoreError`
(answered 503), naming the Redis URL without its password. The connection pool
uses short timeouts and health checks, and retries a command once on a broken
connection, so the mock recovers by itself when Redis comes back. redis-py's
pool notices a fork and opens fresh connections in the child, so the store may
be built (and used) in gunicorn's master before it forks its workers.

Per-call state: :meth:`RedisStore.snapshot` sends nothing while the settings and
the fault queue are unchanged (:mod:`mockserver.store.redis_tracking`: Redis's
client-side tracking tells each process when they change). Every change to them
is fenced (:meth:`RedisStore._fence`), so it is in force for the next call of every
process that shares the Redis.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from mockserver.errors import ConfigError, StoreError, StoreFull
from mockserver.imaging import RenderedImage
from mockserver.models import ANY_OPERATION, Fault, Job, JobPlan, order_from_json, order_to_json
from mockserver.store import redis_scripts as lua
from mockserver.store.base import RecordQuery, Snapshot, Store, result_from_meta, result_meta
from mockserver.store.redis_tracking import TrackedConnection, TrackedSnapshot, snapshot_from
from mockserver.util.redaction import redacted_url

DEFAULT_PREFIX = "stability-mock:"
#: Short enough that a request fails fast (503) while Redis is away.
CONNECT_TIMEOUT_SECONDS = 2.0
OPERATION_TIMEOUT_SECONDS = 5.0
#: Idle pooled connections are pinged before reuse after this long.
HEALTH_CHECK_SECONDS = 10


class RedisStore(Store):
    """All shared state in one Redis database, under ``prefix``."""

    def __init__(self, url: str, *, prefix: str | None = None) -> None:
        """Parse the URL and prepare the pool; no connection is made until first use.

        A Redis that is down at start-up therefore does not stop the mock: it
        starts, and ``/_mock/health`` answers 503 until Redis is reachable.
        """
        connect_url, url_prefix = _split_prefix(url)
        self.url = redacted_url(connect_url)
        self.prefix = prefix if prefix is not None else (url_prefix or DEFAULT_PREFIX)
        if not self.prefix:
            # ``reset`` deletes every key under the prefix: an empty one would empty the whole database.
            raise ConfigError(f"store {self.url!r}: the key prefix must not be empty")
        try:
            self._client: redis.Redis = redis.Redis.from_url(
                connect_url,
                socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                socket_timeout=OPERATION_TIMEOUT_SECONDS,
                health_check_interval=HEALTH_CHECK_SECONDS,
                # Once, and only on a broken connection: a timed-out command may
                # have run, and running HINCRBY twice would miscount.
                retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 1, supported_errors=(RedisConnectionError,)),
            )
        except ValueError as exc:
            raise ConfigError(f"store {self.url!r}: {exc}") from exc
        register = self._client.register_script
        self._add_job = register(lua.ADD_JOB)
        self._poll_job = register(lua.POLL_JOB)
        self._set_job_plan = register(lua.SET_JOB_PLAN)
        self._save_result = register(lua.SAVE_RESULT)
        self._purge_expired = register(lua.PURGE_EXPIRED)
        self._list_jobs = register(lua.LIST_JOBS)
        self._add_fault = register(lua.ADD_FAULT)
        self._take_fault = register(lua.TAKE_FAULT)
        self._list_faults = register(lua.LIST_FAULTS)
        self._delete_faults = register(lua.DELETE_FAULTS)
        self._increment = register(lua.INCREMENT)
        self._debit = register(lua.DEBIT)
        self._reset = register(lua.RESET)
        self._save_thumbnail = register(lua.SAVE_THUMBNAIL)
        self._clear_thumbnails = register(lua.CLEAR_THUMBNAILS)
        self._clear_records_of_key = register(lua.CLEAR_RECORDS_OF_KEY)
        self._tracked = TrackedSnapshot(
            self._tracking_connection, self._key("settings"), self._key("faults"), where=self.url
        )

    def _tracking_connection(self) -> TrackedConnection:
        """A connection like the pool's, but RESP3 (tracking pushes come down the same socket) and never retried
        or health-checked behind the tracker's back: it decides alone when a connection is replaced."""
        pool = self._client.connection_pool
        options = {**pool.connection_kwargs, "protocol": 3, "health_check_interval": 0, "retry": Retry(NoBackoff(), 0)}
        connection: TrackedConnection = pool.connection_class(**options)
        return connection

    # Keys -------------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _job_key(self, job_id: str) -> str:
        return self._key("job", job_id)

    def _image_key(self, job_id: str) -> str:
        return self._key("image", job_id)

    def _result_key(self, job_id: str) -> str:
        return self._key("result", job_id)

    def _bytes_keys(self) -> list[str]:
        """The total of kept job bytes, and each job's share of it."""
        return [self._key("jobs", "bytes"), self._key("jobs", "sizes")]

    def _counter_key(self, name: str) -> str:
        return self._key("counter", name)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Every Redis failure leaves as a StoreError that names the Redis."""
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise StoreError(f"Redis at {self.url} is unreachable: {exc}") from exc
        except RedisError as exc:
            raise StoreError(f"Redis at {self.url} failed: {exc}") from exc

    # Jobs -------------------------------------------------------------------------

    def add_job(self, job: Job, image: bytes, *, max_bytes: int | None = None) -> None:
        keys = [self._job_key(job.id)] + [self._key("jobs", name) for name in ("created", "expiry", "seq")]
        keys += [self._image_key(job.id), *self._bytes_keys()]
        args: list[bytes | str | int] = [
            job.id,
            job.operation_id,
            job.key_fingerprint,
            repr(job.created_at),
            repr(job.expires_at),
            order_to_json(job.order),
            job.plan.to_json(),
            job.polls,
            image,
            _epoch_ms(job.expires_at),
            "" if max_bytes is None else max_bytes,
        ]
        with self._errors():
            seq, used = self._add_job(keys=keys, args=args)
            if int(seq) < 0:
                self.purge_expired(job.created_at)
                seq, used = self._add_job(keys=keys, args=args)
        if int(seq) < 0 and max_bytes is not None:
            raise StoreFull(int(used), len(image), max_bytes)

    def get_job(self, job_id: str, now: float) -> Job | None:
        with self._errors():
            row = self._client.hmget(self._job_key(job_id), list(lua.JOB_FIELDS))
        job = _job(job_id, row)
        return job if job is not None and job.expires_at > now else None

    def poll_job(self, job_id: str, key_fingerprint: str, now: float) -> Job | None:
        with self._errors():
            row = self._poll_job(keys=[self._job_key(job_id)], args=[key_fingerprint, repr(now)])
        return _job(job_id, row)

    def job_image(self, job_id: str) -> bytes | None:
        with self._errors():
            image = self._client.get(self._image_key(job_id))
            if image is None:
                # A job kept by a version that held the image in the job's hash.
                image = self._client.hget(self._job_key(job_id), "image")
        return None if image is None else _bytes(image)

    def job_result(self, job_id: str) -> RenderedImage | None:
        with self._errors(), self._client.pipeline(transaction=False) as pipe:
            pipe.hmget(self._job_key(job_id), ["result_meta", "result"])
            pipe.get(self._result_key(job_id))
            (meta, legacy), data = pipe.execute()
        data = data if data is not None else legacy
        if meta is None or data is None:
            return None
        return result_from_meta(_text(meta), _bytes(data))

    def save_result(self, job_id: str, result: RenderedImage, *, max_bytes: int | None = None) -> None:
        keys = [self._job_key(job_id), self._result_key(job_id), *self._bytes_keys()]
        args = [result_meta(result), result.data, job_id, "" if max_bytes is None else max_bytes]
        with self._errors():
            self._save_result(keys=keys, args=args)

    def stored_bytes(self) -> int:
        with self._errors():
            total = self._client.get(self._bytes_keys()[0])
        return int(total or 0)

    def purge_expired(self, now: float) -> int:
        keys = [self._key("jobs", "created"), self._key("jobs", "expiry"), self._key("counters", "expiry")]
        keys += self._bytes_keys()
        args = [repr(now), self._job_key(""), self._counter_key(""), self._image_key(""), self._result_key("")]
        with self._errors():
            dropped = self._purge_expired(keys=keys, args=args)
        return int(dropped)

    def list_jobs(self, now: float) -> list[Job]:
        keys = [self._key("jobs", "created"), self._key("jobs", "expiry")]
        with self._errors():
            flat = self._list_jobs(keys=keys, args=[repr(now), self._job_key("")])
        width, seq_at = 1 + len(lua.JOB_FIELDS), 1 + lua.JOB_FIELDS.index("seq")
        found: list[tuple[float, int, Job]] = []
        for start in range(0, len(flat), width):
            row = flat[start : start + width]
            job = _job(_text(row[0]), row[1:])
            if job is not None:
                found.append((job.created_at, int(row[seq_at]), job))
        # Oldest first; the sequence keeps insertion order among equal times.
        found.sort(key=lambda entry: entry[:2])
        return [job for _, _, job in found]

    def set_job_plan(self, job_id: str, plan: JobPlan, now: float) -> Job | None:
        with self._errors():
            row = self._set_job_plan(keys=[self._job_key(job_id)], args=[plan.to_json(), repr(now)])
        return _job(job_id, row)

    # Faults -----------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        keys = [self._key("faults"), self._key("faults", "seq"), self._key("fault", fault.id)]
        args = [
            fault.id,
            fault.to_json(),
            fault.scope,
            fault.operation,
            "" if fault.status is None else str(fault.status),
            "" if fault.times is None else str(fault.times),
            str(fault.fired),
            fault.key or "",
        ]
        with self._errors():
            self._add_fault(keys=keys, args=args)
            self._fence()

    def take_fault(
        self, operation_id: str, statuses: Collection[int], scope: str, key: str | None = None
    ) -> Fault | None:
        args = [self._key("fault", ""), operation_id, scope, ANY_OPERATION, key or ""]
        args += [str(status) for status in statuses]
        with self._errors():
            found = self._take_fault(keys=[self._key("faults")], args=args)
            if found:  # it may have been the last one: the queue's key is gone
                self._fence()
        return None if not found else _fault(found)

    def list_faults(self, key: str | None = None) -> list[Fault]:
        with self._errors():
            flat = self._list_faults(keys=[self._key("faults")], args=[self._key("fault", "")])
        faults = [_fault(flat[start : start + 3]) for start in range(0, len(flat), 3)]
        return [fault for fault in faults if key is None or fault.key == key]

    def delete_faults(self, fault_id: str | None = None, key: str | None = None) -> int:
        args = [self._key("fault", ""), fault_id or "", key or ""]
        with self._errors():
            deleted = int(self._delete_faults(keys=[self._key("faults")], args=args))
            if deleted:
                self._fence()
        return deleted

    # Counters ---------------------------------------------------------------------

    def increment(self, name: str, amount: int, expires_at: float, now: float) -> int:
        keys = [self._counter_key(name), self._key("counters", "expiry")]
        args: list[str | int] = [amount, repr(expires_at), repr(now), _epoch_ms(expires_at), name]
        with self._errors():
            return int(self._increment(keys=keys, args=args))

    def counter(self, name: str, now: float) -> int | None:
        with self._errors():
            value, expires = self._client.hmget(self._counter_key(name), ["v", "e"])
        if value is None or (expires is not None and float(expires) <= now):
            return None
        return int(value)

    def set_counter(self, name: str, value: int, expires_at: float | None) -> None:
        key, expiry_index = self._counter_key(name), self._key("counters", "expiry")
        with self._errors(), self._client.pipeline(transaction=True) as multi:
            multi.delete(key)
            if expires_at is None:
                multi.hset(key, "v", value)
                multi.zrem(expiry_index, name)
            else:
                multi.hset(key, mapping={"v": value, "e": repr(expires_at)})
                multi.pexpireat(key, _epoch_ms(expires_at))
                multi.zadd(expiry_index, {name: expires_at})
            multi.execute()

    def debit(self, name: str, amount: int, initial: int) -> int | None:
        with self._errors():
            value = self._debit(keys=[self._counter_key(name)], args=[amount, initial, -amount])
        return None if value is None else int(value)

    # Settings, journal, reset -----------------------------------------------------

    def settings(self) -> dict[str, Any]:
        with self._errors():
            text = self._client.get(self._key("settings"))
        return {} if text is None else dict(json.loads(text))

    def snapshot(self) -> Snapshot:
        """Kept between calls while unchanged (no command sent); one pipelined round trip where Redis cannot track."""
        with self._errors():
            tracked = self._tracked.get()
            if tracked is not None:
                return tracked
            with self._client.pipeline(transaction=False) as pipe:
                pipe.get(self._key("settings"))
                pipe.exists(self._key("faults"))
                text, queued = pipe.execute()
        return snapshot_from(text, queued)

    def save_settings(self, changes: dict[str, Any]) -> None:
        with self._errors():
            self._client.set(self._key("settings"), json.dumps(changes))
            self._fence()

    def _fence(self) -> None:
        """One more round trip after a change to the settings or the fault queue, so the change is in force for
        every process's next call once this returns.

        Redis queues the invalidations for the tracking connections while it runs the
        write, but writes them to their sockets in the same pass as the writer's reply,
        possibly after it. A command sent after that reply came back runs in a later
        pass, so by its reply every invalidation of the change has been written out.
        """
        self._client.ping()

    def append_record(self, record: dict[str, Any], keep: int) -> None:
        """RPUSH then LTRIM in one transaction: the journal never holds more than ``keep``."""
        journal = self._key("journal")
        with self._errors(), self._client.pipeline(transaction=True) as multi:
            if keep > 0:
                multi.rpush(journal, json.dumps(record))
                multi.ltrim(journal, -keep, -1)
            else:
                multi.delete(journal)
            multi.execute()

    def records(self, query: RecordQuery) -> list[dict[str, Any]]:
        if query.limit <= 0:
            return []
        filtered = any(value is not None for value in (query.operation, query.status, query.key))
        with self._errors():
            # Unfiltered, only the newest ``limit`` are read; filtered, all are (the journal is bounded).
            texts = self._client.lrange(self._key("journal"), 0 if filtered else -query.limit, -1)
        found = [record for record in (json.loads(text) for text in texts) if query.matches(record)]
        return found[-query.limit :]

    def clear_records(self, key: str | None = None) -> int:
        if key is not None:
            with self._errors():
                return int(self._clear_records_of_key(keys=[self._key("journal")], args=[key]))
        with self._errors(), self._client.pipeline(transaction=True) as multi:
            multi.llen(self._key("journal"))
            multi.delete(self._key("journal"))
            count, _ = multi.execute()
            self._clear_thumbnails(keys=[self._key("thumbnails")])
        return int(count)

    def save_thumbnail(self, sha256: str, data: bytes, keep: int) -> None:
        with self._errors():
            self._save_thumbnail(keys=[self._key("thumbnail", sha256), self._key("thumbnails")], args=[data, keep])

    def thumbnail(self, sha256: str) -> bytes | None:
        with self._errors():
            data = self._client.get(self._key("thumbnail", sha256))
        return None if data is None else _bytes(data)

    def reset(self) -> None:
        with self._errors():
            self._reset(args=[_glob_escape(self.prefix) + "*"])
            self._fence()

    def check(self) -> None:
        with self._errors():
            self._client.ping()

    def close(self) -> None:
        with self._errors():
            self._tracked.close()
            self._client.close()


# Helpers --------------------------------------------------------------------------


def _split_prefix(url: str) -> tuple[str, str | None]:
    """The URL without its ``prefix`` query parameter (redis-py would refuse it), and the prefix."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefixes = [value for name, value in query if name == "prefix"]
    rest = urlencode([(name, value) for name, value in query if name != "prefix"])
    return urlunsplit(parts._replace(query=rest)), (prefixes[-1] if prefixes else None)


def _glob_escape(text: str) -> str:
    """``text`` matched literally by SCAN's MATCH pattern."""
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)


def _epoch_ms(seconds: float) -> int:
    """Epoch milliseconds for PEXPIREAT, rounded up so Redis never drops a key early."""
    return math.ceil(seconds * 1000)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _job(job_id: str, row: Sequence[Any] | None) -> Job | None:
    """A job from its hash fields (in ``JOB_FIELDS`` order); ``None`` for a missing hash."""
    if not row or row[0] is None:
        return None
    values = dict(zip(lua.JOB_FIELDS, row, strict=True))
    return Job(
        id=job_id,
        operation_id=_text(values["op"]),
        key_fingerprint=_text(values["key"]),
        created_at=float(values["created"]),
        expires_at=float(values["expires"]),
        order=order_from_json(_text(values["order"])),
        plan=JobPlan.from_json(_text(values["plan"]), float(values["created"])),
        polls=int(values["polls"]),
        has_result=values["result_meta"] is not None,
    )


def _fault(triple: Sequence[Any]) -> Fault:
    """A fault from its queued JSON and its current ``times`` and ``fired``."""
    text, times, fired = triple
    fault = Fault.from_json(_text(text))
    return dataclasses.replace(fault, times=int(times) if times else None, fired=int(fired))
