"""SQLite store: the embedded default; one file shared by every worker process.

WAL mode lets readers and one writer work at once; every change is a single
statement (``UPDATE … RETURNING``), so counts stay exact across processes.
Connections are per thread and per process, opened lazily, so the store can be
created before gunicorn forks its workers.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mockserver.errors import StoreError
from mockserver.imaging import RenderedImage
from mockserver.jobs import Job, JobPlan, order_from_json, order_to_json
from mockserver.store.base import Store, result_from_meta, result_meta

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    operation_id TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    order_json TEXT NOT NULL,
    plan_json TEXT NOT NULL,
    polls INTEGER NOT NULL DEFAULT 0,
    image BLOB NOT NULL,
    result_meta TEXT,
    result BLOB
);
CREATE INDEX IF NOT EXISTS jobs_expires_at ON jobs (expires_at);
"""

_JOB_COLUMNS = (
    "id, operation_id, key_fingerprint, created_at, expires_at, order_json, plan_json, polls, result_meta IS NOT NULL"
)


class SQLiteStore(Store):
    """Jobs in one SQLite file (created with its folder when missing)."""

    def __init__(self, path: Path | str, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._transaction() as connection:
                connection.executescript(_SCHEMA)
        except OSError as exc:
            raise StoreError(f"cannot create the SQLite store at {self.path}: {exc}") from exc
        # No connection may cross a fork (gunicorn forks after the app is built).
        self.close()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            self._local.pid = os.getpid()
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = self._connection()
            yield connection
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    def add_job(self, job: Job, image: bytes) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO jobs (id, operation_id, key_fingerprint, created_at, expires_at, order_json,"
                " plan_json, polls, image) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    job.operation_id,
                    job.key_fingerprint,
                    job.created_at,
                    job.expires_at,
                    order_to_json(job.order),
                    job.plan.to_json(),
                    job.polls,
                    image,
                ),
            )

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
            row = connection.execute("SELECT image FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bytes(row[0]) if row else None

    def job_result(self, job_id: str) -> RenderedImage | None:
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT result_meta, result FROM jobs WHERE id = ? AND result_meta IS NOT NULL", (job_id,)
            ).fetchone()
        return result_from_meta(row[0], bytes(row[1])) if row else None

    def save_result(self, job_id: str, result: RenderedImage) -> None:
        with self._transaction() as connection:
            connection.execute(
                "UPDATE jobs SET result_meta = ?, result = ? WHERE id = ?",
                (result_meta(result), result.data, job_id),
            )

    def purge_expired(self, now: float) -> int:
        with self._transaction() as connection:
            return connection.execute("DELETE FROM jobs WHERE expires_at <= ?", (now,)).rowcount

    def check(self) -> None:
        with self._transaction() as connection:
            connection.execute("SELECT 1").fetchone()

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _job(row: tuple[object, ...]) -> Job:
    job_id, operation_id, key_fingerprint, created_at, expires_at, order_json, plan_json, polls, has_result = row
    return Job(
        id=str(job_id),
        operation_id=str(operation_id),
        key_fingerprint=str(key_fingerprint),
        created_at=float(created_at),  # type: ignore[arg-type]
        expires_at=float(expires_at),  # type: ignore[arg-type]
        order=order_from_json(str(order_json)),
        plan=JobPlan.from_json(str(plan_json)),
        polls=int(polls),  # type: ignore[call-overload]
        has_result=bool(has_result),
    )
