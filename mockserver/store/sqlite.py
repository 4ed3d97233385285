"""SQLite store: the embedded default; one file shared by every worker process.

WAL mode lets readers and one writer work at once; every change is a single
statement (``UPDATE … RETURNING``), so counts stay exact across processes.
Connections are per thread and per process, opened lazily, so the store can be
created before gunicorn forks its workers; each is closed when its thread ends,
when the store is closed or collected (:class:`mockserver.util.per_thread.PerThread`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from mockserver.errors import StoreError, StoreFull
from mockserver.imaging import RenderedImage
from mockserver.models import Fault, Job, JobPlan, after_firing, first_for_key, fits, order_from_json, order_to_json
from mockserver.store.base import RecordQuery, Snapshot, Store, result_from_meta, result_meta
from mockserver.store.change_mark import ChangeMark
from mockserver.util.per_thread import PerThread
from mockserver.util.private_folder import private_folder

#: The layout this code reads and writes, kept in the file's ``PRAGMA user_version``.
#: 0: the first layout (blobs in the job row); 1: blobs in ``job_blobs``, a byte tally.
SCHEMA_VERSION = 1

#: One statement per item: they run inside one transaction (``executescript`` would commit).
_SCHEMA = (
    # A poll updates this row, so it holds no image or result bytes: rewriting a
    # row rewrites its overflow pages, 1 MB of WAL for a 1 MB upload on every poll.
    """CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    operation_id TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    order_json TEXT NOT NULL,
    plan_json TEXT NOT NULL,
    polls INTEGER NOT NULL DEFAULT 0,
    result_meta TEXT,
    bytes INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE INDEX IF NOT EXISTS jobs_expires_at ON jobs (expires_at)",
    # One row per blob (kind ``image`` or ``result``): saving a result never rewrites the upload.
    """CREATE TABLE IF NOT EXISTS job_blobs (
    job_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (job_id, kind)
)""",
    # The bytes of every job blob, kept by the statements that add and drop them.
    """CREATE TABLE IF NOT EXISTS usage (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    blob_bytes INTEGER NOT NULL
)""",
    "INSERT INTO usage (id, blob_bytes) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
    """CREATE TABLE IF NOT EXISTS faults (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    fault_json TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    expires_at REAL
)""",
    """CREATE TABLE IF NOT EXISTS settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings_json TEXT NOT NULL
)""",
    # ``keep``: the journal size in force when the record was added; the newest
    # record's says how many are visible (older ones wait for the next trim).
    """CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    operation TEXT,
    status INTEGER,
    key TEXT,
    record_json TEXT NOT NULL,
    keep INTEGER
)""",
    # Previews of the journal's images, the newest few hundred (``seq`` orders the eviction).
    # A table added to layout 1 rather than a layout 2: older versions open the file and
    # simply never read it, and this one creates it in a file that lacks it.
    """CREATE TABLE IF NOT EXISTS thumbnails (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL UNIQUE,
    data BLOB NOT NULL
)""",
)

#: Version 0 → 1: the blobs move out of the job rows, and the tally starts from what they hold.
_MIGRATE_FROM_0 = (
    "ALTER TABLE jobs RENAME TO jobs_v0",
    "DROP INDEX IF EXISTS jobs_expires_at",
    *_SCHEMA[:3],
    "INSERT INTO jobs (id, operation_id, key_fingerprint, created_at, expires_at, order_json, plan_json, polls,"
    " result_meta, bytes) SELECT id, operation_id, key_fingerprint, created_at, expires_at, order_json, plan_json,"
    " polls, result_meta, length(image) + COALESCE(length(result), 0) FROM jobs_v0",
    "INSERT INTO job_blobs (job_id, kind, data) SELECT id, 'image', image FROM jobs_v0",
    "INSERT INTO job_blobs (job_id, kind, data) SELECT id, 'result', result FROM jobs_v0"
    " WHERE result_meta IS NOT NULL AND result IS NOT NULL",
    "DROP TABLE jobs_v0",
    "ALTER TABLE journal ADD COLUMN keep INTEGER",
)

#: Records past the journal size are deleted once every this many appends, not on every one.
TRIM_EVERY = 64
#: The first visible journal ``seq`` minus one: the newest record's own minus its ``keep``.
_JOURNAL_START = "(SELECT seq - COALESCE(keep, seq) FROM journal ORDER BY seq DESC LIMIT 1)"

#: Free pages (of 4 KiB) past which a sweep gives space back to the file system: 16 MiB.
RECLAIM_PAGES = 4096
#: Pages freed per write transaction when reclaiming (4 MiB: about 0.1 s on a busy 2-core machine).
RECLAIM_SLICE_PAGES = 1024
#: The WAL file is cut back to this size after a checkpoint (it grows again under load).
WAL_LIMIT_BYTES = 64 * 1024 * 1024

#: Every table of the schema above (what the health check reads).
_TABLES = ("jobs", "job_blobs", "usage", "faults", "counters", "settings", "journal", "thumbnails")

_JOB_COLUMNS = (
    "id, operation_id, key_fingerprint, created_at, expires_at, order_json, plan_json, polls, result_meta IS NOT NULL"
)
#: A job's order and plan are parsed on every poll, though they rarely change: each text is parsed once.
_order_from_json = lru_cache(maxsize=1024)(order_from_json)
_plan_from_json = lru_cache(maxsize=1024)(JobPlan.from_json)
#: Faults staged for one key (the fingerprint bound to ``?``); the key lives in the fault's JSON, so the table
#: keeps its layout and a file written before keyed faults reads as it was (every fault for any key).
_FAULT_OF_KEY = "WHERE json_extract(fault_json, '$.key') = ?"
#: Deletes the blobs of the jobs that the same ``?`` (now) finds expired; run before deleting the jobs.
_DELETE_EXPIRED_BLOBS = "DELETE FROM job_blobs WHERE job_id IN (SELECT id FROM jobs WHERE expires_at <= ?)"


class SQLiteStore(Store):
    """Jobs in one SQLite file (created, owner-only, with its folder when missing)."""

    def __init__(self, path: Path | str, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._connections = PerThread(self._connect, sqlite3.Connection.close)
        try:
            private_folder(self.path.parent)
            # Owner-only from the start: SQLite gives its -wal and -shm files the main file's mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            self._create_or_migrate()
        except OSError as exc:
            raise StoreError(f"cannot create the SQLite store at {self.path}: {exc}") from exc
        #: Moves when settings or faults change, so a call reads them from SQLite only then.
        self._changes = ChangeMark(Path(f"{self.path}-state"))
        #: The last snapshot read, and the mark it was read under.
        self._snapshot: tuple[bytes, Snapshot] | None = None
        # No connection may cross a fork (gunicorn forks after the app is built).
        self._connections.close()

    def _create_or_migrate(self) -> None:
        """Create the tables, or bring a file of an older layout to this one; refuse a newer one.

        The check and the change are one write transaction, so several workers or
        replicas opening the same file at once migrate it once.
        """
        with self._exclusive() as connection:
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"SQLite store {self.path}: written by a newer stability-mock (layout {version}, this one reads"
                    f" up to {SCHEMA_VERSION}); upgrade, or point --store or --data-dir at another file"
                )
            columns = {row[1] for row in connection.execute("PRAGMA table_info(jobs)")}
            migrating = "image" in columns
            for statement in (*_MIGRATE_FROM_0, *_SCHEMA) if migrating else _SCHEMA:
                connection.execute(statement)
            if migrating:
                connection.execute("UPDATE usage SET blob_bytes = (SELECT COALESCE(SUM(bytes), 0) FROM jobs)")
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _connect(self) -> sqlite3.Connection:
        # Not tied to its thread: it is closed by whichever thread lets go of it (see PerThread);
        # only its own thread runs statements on it.
        connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            # Before WAL mode writes the first page: then a new file frees pages with
            # incremental_vacuum. An existing file keeps its mode (until a VACUUM).
            connection.execute("PRAGMA auto_vacuum=INCREMENTAL")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        except BaseException:
            connection.close()
            raise
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One statement at a time, each atomic on its own (autocommit)."""
        try:
            with self._connections.use() as connection:
                yield connection
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    @contextmanager
    def _exclusive(self) -> Iterator[sqlite3.Connection]:
        """Several statements as one: ``BEGIN IMMEDIATE`` takes the write lock up front."""
        with self._transaction() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def add_job(self, job: Job, image: bytes, *, max_bytes: int | None = None) -> None:
        full: StoreFull | None = None
        with self._exclusive() as connection:
            used = self._used(connection)
            if max_bytes is not None and used + len(image) > max_bytes:
                self._purge(connection, job.created_at)
                used = self._used(connection)
            if max_bytes is not None and used + len(image) > max_bytes:
                # Raised after the commit, so the purge above is kept.
                full = StoreFull(used, len(image), max_bytes)
            else:
                connection.execute(
                    "INSERT INTO jobs (id, operation_id, key_fingerprint, created_at, expires_at, order_json,"
                    " plan_json, polls, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        job.id,
                        job.operation_id,
                        job.key_fingerprint,
                        job.created_at,
                        job.expires_at,
                        order_to_json(job.order),
                        job.plan.to_json(),
                        job.polls,
                        len(image),
                    ),
                )
                connection.execute("INSERT INTO job_blobs (job_id, kind, data) VALUES (?, 'image', ?)", (job.id, image))
                connection.execute("UPDATE usage SET blob_bytes = blob_bytes + ?", (len(image),))
        if full is not None:
            raise full

    @staticmethod
    def _used(connection: sqlite3.Connection) -> int:
        row = connection.execute("SELECT blob_bytes FROM usage WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def get_job(self, job_id: str, now: float) -> Job | None:
        with self._transaction() as connection:
            row = connection.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ? AND expires_at > ?", (job_id, now)
            ).fetchone()
        return _job(row) if row else None

    def poll_job(self, job_id: str, key_fingerprint: str, now: float) -> Job | None:
        with self._transaction() as connection:
            row = connection.execute(
                f"UPDATE jobs SET polls = polls + 1 WHERE id = ? AND key_fingerprint = ? AND expires_at > ?"
                f" RETURNING {_JOB_COLUMNS}",
                (job_id, key_fingerprint, now),
            ).fetchone()
        return _job(row) if row else None

    def job_image(self, job_id: str) -> bytes | None:
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT data FROM job_blobs WHERE job_id = ? AND kind = 'image'", (job_id,)
            ).fetchone()
        return bytes(row[0]) if row else None

    def job_result(self, job_id: str) -> RenderedImage | None:
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT jobs.result_meta, job_blobs.data FROM jobs JOIN job_blobs"
                " ON job_blobs.job_id = jobs.id AND job_blobs.kind = 'result'"
                " WHERE jobs.id = ? AND jobs.result_meta IS NOT NULL",
                (job_id,),
            ).fetchone()
        return result_from_meta(row[0], bytes(row[1])) if row else None

    def save_result(self, job_id: str, result: RenderedImage, *, max_bytes: int | None = None) -> None:
        size = len(result.data)
        with self._exclusive() as connection:
            if max_bytes is not None and self._used(connection) + size > max_bytes:
                return
            saved = connection.execute(
                "INSERT INTO job_blobs (job_id, kind, data) SELECT id, 'result', ? FROM jobs WHERE id = ?"
                " ON CONFLICT (job_id, kind) DO NOTHING",
                (result.data, job_id),
            ).rowcount
            if saved:
                connection.execute(
                    "UPDATE jobs SET result_meta = ?, bytes = bytes + ? WHERE id = ?",
                    (result_meta(result), size, job_id),
                )
                connection.execute("UPDATE usage SET blob_bytes = blob_bytes + ?", (size,))

    def purge_expired(self, now: float) -> int:
        with self._exclusive() as connection:
            connection.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
            return self._purge(connection, now)

    @staticmethod
    def _purge(connection: sqlite3.Connection, now: float) -> int:
        """Drop expired jobs and their blobs, and take their bytes off the tally; how many jobs."""
        (freed,) = connection.execute(
            "SELECT COALESCE(SUM(bytes), 0) FROM jobs WHERE expires_at <= ?", (now,)
        ).fetchone()
        connection.execute(_DELETE_EXPIRED_BLOBS, (now,))
        dropped = connection.execute("DELETE FROM jobs WHERE expires_at <= ?", (now,)).rowcount
        connection.execute("UPDATE usage SET blob_bytes = MAX(0, blob_bytes - ?)", (freed,))
        return dropped

    def stored_bytes(self) -> int:
        with self._transaction() as connection:
            return self._used(connection)

    def list_jobs(self, now: float) -> list[Job]:
        with self._transaction() as connection:
            rows = connection.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE expires_at > ? ORDER BY created_at, rowid", (now,)
            ).fetchall()
        return [_job(row) for row in rows]

    def set_job_plan(self, job_id: str, plan: JobPlan, now: float) -> Job | None:
        with self._transaction() as connection:
            row = connection.execute(
                f"UPDATE jobs SET plan_json = ? WHERE id = ? AND expires_at > ? RETURNING {_JOB_COLUMNS}",
                (plan.to_json(), job_id, now),
            ).fetchone()
        return _job(row) if row else None

    # Faults ---------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self._transaction() as connection:
            connection.execute("INSERT INTO faults (id, fault_json) VALUES (?, ?)", (fault.id, fault.to_json()))
        self._changes.move()

    def take_fault(
        self, operation_id: str, statuses: Collection[int], scope: str, key: str | None = None
    ) -> Fault | None:
        taken = None
        with self._exclusive() as connection:
            rows = connection.execute("SELECT seq, fault_json FROM faults ORDER BY seq").fetchall()
            fitting = {}
            for seq, text in rows:
                fault = Fault.from_json(text)
                if fits(fault, operation_id, statuses, scope):
                    fitting[fault.id] = (seq, fault)
            taken = first_for_key((fault for _, fault in fitting.values()), key)
            if taken is not None:
                seq = fitting[taken.id][0]
                remaining = after_firing(taken)
                if remaining is None:
                    connection.execute("DELETE FROM faults WHERE seq = ?", (seq,))
                else:
                    connection.execute("UPDATE faults SET fault_json = ? WHERE seq = ?", (remaining.to_json(), seq))
        if taken is not None:
            self._changes.move()
        return taken

    def list_faults(self, key: str | None = None) -> list[Fault]:
        with self._transaction() as connection:
            rows = connection.execute(
                f"SELECT fault_json FROM faults {_FAULT_OF_KEY if key is not None else ''} ORDER BY seq",
                () if key is None else (key,),
            ).fetchall()
        return [Fault.from_json(text) for (text,) in rows]

    def delete_faults(self, fault_id: str | None = None, key: str | None = None) -> int:
        clauses, values = ["1"], []
        if fault_id is not None:
            clauses.append("id = ?")
            values.append(fault_id)
        if key is not None:
            clauses.append(_FAULT_OF_KEY.removeprefix("WHERE "))
            values.append(key)
        with self._transaction() as connection:
            deleted = connection.execute(f"DELETE FROM faults WHERE {' AND '.join(clauses)}", values).rowcount
        self._changes.move()
        return int(deleted)

    # Counters -------------------------------------------------------------------

    def increment(self, name: str, amount: int, expires_at: float, now: float) -> int:
        with self._transaction() as connection:
            (value,) = connection.execute(
                "INSERT INTO counters (name, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " value = CASE WHEN counters.expires_at <= ?"
                " THEN excluded.value ELSE counters.value + excluded.value END,"
                " expires_at = CASE WHEN counters.expires_at <= ?"
                " THEN excluded.expires_at ELSE counters.expires_at END"
                " RETURNING value",
                (name, amount, expires_at, now, now),
            ).fetchone()
        return int(value)

    def counter(self, name: str, now: float) -> int | None:
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT value FROM counters WHERE name = ? AND (expires_at IS NULL OR expires_at > ?)", (name, now)
            ).fetchone()
        return int(row[0]) if row else None

    def set_counter(self, name: str, value: int, expires_at: float | None) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO counters (name, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " value = excluded.value, expires_at = excluded.expires_at",
                (name, value, expires_at),
            )

    def debit(self, name: str, amount: int, initial: int) -> int | None:
        with self._exclusive() as connection:
            connection.execute(
                "INSERT INTO counters (name, value, expires_at) VALUES (?, ?, NULL) ON CONFLICT (name) DO NOTHING",
                (name, initial),
            )
            row = connection.execute(
                "UPDATE counters SET value = value - ? WHERE name = ? AND value >= ? RETURNING value",
                (amount, name, amount),
            ).fetchone()
        return int(row[0]) if row else None

    # Settings, journal, reset ---------------------------------------------------

    def settings(self) -> dict[str, Any]:
        with self._transaction() as connection:
            row = connection.execute("SELECT settings_json FROM settings WHERE id = 1").fetchone()
        return dict(json.loads(row[0])) if row else {}

    def snapshot(self) -> Snapshot:
        """The settings and fault queue: read from the file only when the change mark moved since the last read."""
        mark, cached = self._changes.current(), self._snapshot
        if mark is not None and cached is not None and cached[0] == mark:
            return cached[1]
        with self._transaction() as connection:
            text, queued = connection.execute(
                "SELECT (SELECT settings_json FROM settings WHERE id = 1), EXISTS (SELECT 1 FROM faults)"
            ).fetchone()
        snapshot = Snapshot(settings=dict(json.loads(text)) if text else {}, faults_queued=bool(queued))
        if mark is not None:
            self._snapshot = (mark, snapshot)
        return snapshot

    def save_settings(self, changes: dict[str, Any]) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO settings (id, settings_json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET"
                " settings_json = excluded.settings_json",
                (json.dumps(changes),),
            )
        self._changes.move()

    def append_record(self, record: dict[str, Any], keep: int) -> None:
        """One INSERT (its own transaction); every ``TRIM_EVERY``-th also deletes what fell out.

        Reads show only the newest ``keep`` (see ``_JOURNAL_START``), so the records
        waiting for the trim are never seen; the trim is cheap because it is rare.
        """
        with self._transaction() as connection:
            seq = connection.execute(
                "INSERT INTO journal (operation, status, key, record_json, keep) VALUES (?, ?, ?, ?, ?)",
                (record.get("operation"), record.get("status"), record.get("key"), json.dumps(record), keep),
            ).lastrowid
            if seq is not None and seq % TRIM_EVERY == 0:
                connection.execute("DELETE FROM journal WHERE seq <= ?", (seq - keep,))

    def records(self, query: RecordQuery) -> list[dict[str, Any]]:
        clauses, values = [f"seq > {_JOURNAL_START}"], []
        for column, value in (("operation", query.operation), ("status", query.status), ("key", query.key)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        with self._transaction() as connection:
            rows = connection.execute(
                f"SELECT record_json FROM journal WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT ?",
                (*values, query.limit),
            ).fetchall()
        return [json.loads(text) for (text,) in reversed(rows)]

    def clear_records(self, key: str | None = None) -> int:
        with self._exclusive() as connection:
            if key is not None:
                # The records waiting for the trim go first: with the newest deleted, the visible
                # window would otherwise reach back over them.
                connection.execute(f"DELETE FROM journal WHERE seq <= {_JOURNAL_START}")
                return int(connection.execute("DELETE FROM journal WHERE key = ?", (key,)).rowcount)
            (count,) = connection.execute(f"SELECT COUNT(*) FROM journal WHERE seq > {_JOURNAL_START}").fetchone()
            connection.execute("DELETE FROM journal")
            connection.execute("DELETE FROM thumbnails")
        return int(count)

    def save_thumbnail(self, sha256: str, data: bytes, keep: int) -> None:
        with self._exclusive() as connection:
            seq = connection.execute(
                "INSERT OR REPLACE INTO thumbnails (sha256, data) VALUES (?, ?)", (sha256, data)
            ).lastrowid
            if seq is not None:
                connection.execute("DELETE FROM thumbnails WHERE seq <= ?", (seq - keep,))

    def thumbnail(self, sha256: str) -> bytes | None:
        with self._transaction() as connection:
            row = connection.execute("SELECT data FROM thumbnails WHERE sha256 = ?", (sha256,)).fetchone()
        return bytes(row[0]) if row else None

    def reset(self) -> None:
        with self._exclusive() as connection:
            for table in ("jobs", "job_blobs", "faults", "counters", "settings", "journal", "thumbnails"):
                connection.execute(f"DELETE FROM {table}")
            connection.execute("UPDATE usage SET blob_bytes = 0")
        self._changes.move()

    def compact(self) -> None:
        """Give freed pages back to the file system, then move the WAL into the file and truncate it.

        Purged uploads leave free pages that SQLite reuses but never returns: a
        file grown to gigabytes stayed that size. Once more than ``RECLAIM_PAGES``
        are free, a file made with ``auto_vacuum=INCREMENTAL`` (every new one) drops
        them in one cheap ``incremental_vacuum``; an older file is rebuilt once by
        ``VACUUM``, which also switches it to incremental. The checkpoint comes last,
        so the WAL those writes produced is emptied too (``TRUNCATE``: cut to 0 bytes).
        """
        with self._transaction() as connection:
            (free,) = connection.execute("PRAGMA freelist_count").fetchone()
            if free > RECLAIM_PAGES:
                (mode,) = connection.execute("PRAGMA auto_vacuum").fetchone()
                if mode == 2:
                    # In slices, each its own short write transaction, so API calls wait
                    # for one slice, not for the whole file. It frees one page per step
                    # and returns no rows: execute() would step once, executescript()
                    # steps it to the end.
                    while connection.execute("PRAGMA freelist_count").fetchone()[0]:
                        connection.executescript(f"PRAGMA incremental_vacuum({RECLAIM_SLICE_PAGES})")
                else:
                    connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
                    connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def check(self) -> None:
        """Read both ends of every table, so a damaged file fails here as it fails the API calls.

        ``SELECT 1`` reads no table page and passed on a truncated file while every
        call answered 503; a full ``PRAGMA quick_check`` would read the whole file on
        every health probe. Both ends of each b-tree reach the pages a cut-off file
        loses first, at the cost of a few page reads.
        """
        with self._transaction() as connection:
            for table in _TABLES:
                for order in ("ASC", "DESC"):
                    connection.execute(f"SELECT * FROM {table} ORDER BY rowid {order} LIMIT 1").fetchone()

    def close(self) -> None:
        """Close every thread's connection and the change mark; a later call opens a connection again."""
        self._connections.close()
        self._changes.close()


def _job(row: tuple[object, ...]) -> Job:
    job_id, operation_id, key_fingerprint, created_at, expires_at, order_json, plan_json, polls, has_result = row
    return Job(
        id=str(job_id),
        operation_id=str(operation_id),
        key_fingerprint=str(key_fingerprint),
        created_at=float(created_at),  # type: ignore[arg-type]
        expires_at=float(expires_at),  # type: ignore[arg-type]
        order=_order_from_json(str(order_json)),
        plan=_plan_from_json(str(plan_json), float(created_at)),  # type: ignore[arg-type]
        polls=int(polls),  # type: ignore[call-overload]
        has_result=bool(has_result),
    )
