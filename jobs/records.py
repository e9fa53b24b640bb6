"""Each job's state, progress and owner, in a SQLite file every app process and the
worker share (WAL: readers carry on while the worker writes its progress).

The queue itself (order, dispatch, revocation) is huey's; this is what a reporter sees of
a job: waiting, running (claims done of total, the claims checked so far), then done (its
History record), failed (the error), stopped (the partial report) or cancelled.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from chains.models import Report
from review.history import transaction, use_wal

QUEUED, RUNNING, DONE, FAILED, STOPPED, CANCELLED = (
    "queued", "running", "done", "failed", "stopped", "cancelled",
)  # fmt: skip
ACTIVE = (QUEUED, RUNNING)
FINISHED = (DONE, FAILED, STOPPED, CANCELLED)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY, task_id TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL,
        user_id TEXT, title TEXT NOT NULL DEFAULT '', url TEXT, created TEXT NOT NULL,
        updated TEXT NOT NULL, state TEXT NOT NULL, stage TEXT NOT NULL DEFAULT '',
        done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '', cancel INTEGER NOT NULL DEFAULT 0,
        check_id TEXT, cached INTEGER NOT NULL DEFAULT 0, partial TEXT, error BLOB,
        worker TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, created)",
    "CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, seen TEXT NOT NULL)",
)


class Job(BaseModel):
    id: str
    task_id: str = ""
    owner: str
    user: str | None = None
    title: str = ""
    url: str | None = None
    created: dt.datetime
    updated: dt.datetime
    state: str
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    cancel: bool = False
    check_id: str | None = None
    cached: bool = False
    partial: Report | None = None  # the claims checked so far (running, stopped)
    error: bytes | None = None  # a pickled exception (jobs.runner.load_error reads it)
    worker: str = ""

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def worker_id() -> str:
    """host:pid of this process: a job's worker, and how a restarted one finds its dead jobs."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobStore:
    """Job records in one SQLite file; a connection per operation (threads, processes)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._ready = False

    @contextmanager
    def _db(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            if not self._ready:
                use_wal(conn)
                for statement in SCHEMA:
                    conn.execute(statement)
                self._ready = True
        except BaseException:
            conn.close()
            raise
        with transaction(conn, write=write) as conn:
            yield conn

    def create(
        self, job_id: str, *, owner: str, user: str | None, title: str, url: str | None
    ) -> None:
        now = _now()
        with self._db(write=True) as conn:
            conn.execute(
                """INSERT INTO jobs (id, owner, user_id, title, url, created, updated, state)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (job_id, owner, user, title, url, now, now, QUEUED),
            )

    def set_task(self, job_id: str, task_id: str) -> None:
        with self._db(write=True) as conn:
            conn.execute("UPDATE jobs SET task_id = ? WHERE id = ?", (task_id, job_id))

    def start(self, job_id: str, worker: str) -> bool:
        """queued -> running; False when the job was cancelled (or taken) meanwhile."""
        with self._db(write=True) as conn:
            cur = conn.execute(
                "UPDATE jobs SET state = ?, worker = ?, updated = ? WHERE id = ? AND state = ?",
                (RUNNING, worker, _now(), job_id, QUEUED),
            )
            return cur.rowcount == 1

    def progress(
        self, job_id: str, *, stage: str, done: int, total: int, message: str,
        partial: Report | None = None,
    ) -> None:  # fmt: skip
        sets = "stage = ?, done = ?, total = ?, message = ?, updated = ?"
        params: list[object] = [stage, done, total, message, _now()]
        if partial is not None:
            sets += ", partial = ?"
            params.append(partial.model_dump_json())
        with self._db(write=True) as conn:
            conn.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*params, job_id))

    def finish(
        self,
        job_id: str,
        state: str,
        *,
        check_id: str | None = None,
        cached: bool = False,
        partial: Report | None = None,
        error: list[BaseException] | None = None,
        message: str = "",
    ) -> None:
        assert state in FINISHED, state
        with self._db(write=True) as conn:
            conn.execute(
                """UPDATE jobs SET state = ?, check_id = ?, cached = ?, partial = ?,
                   error = ?, message = ?, updated = ? WHERE id = ?""",
                (
                    state,
                    check_id,
                    int(cached),
                    partial.model_dump_json() if partial is not None else None,
                    pickle.dumps(error) if error is not None else None,
                    message,
                    _now(),
                    job_id,
                ),
            )

    def request_cancel(self, job_id: str) -> str | None:
        """Ask a job to stop. A queued job is cancelled at once; a running one stops
        after the claim it is on. The job's state after the request (None: no such job)."""
        with self._db(write=True) as conn:
            conn.execute(
                "UPDATE jobs SET state = ?, updated = ? WHERE id = ? AND state = ?",
                (CANCELLED, _now(), job_id, QUEUED),
            )
            conn.execute("UPDATE jobs SET cancel = 1 WHERE id = ? AND state = ?", (job_id, RUNNING))
            row = conn.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row[0] if row else None

    def cancel_requested(self, job_id: str) -> bool:
        with self._db() as conn:
            row = conn.execute("SELECT cancel, state FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row is None or bool(row[0]) or row[1] == CANCELLED

    def get(self, job_id: str) -> Job | None:
        with self._db() as conn:
            rows = conn.execute(f"{_SELECT} WHERE id = ?", (job_id,)).fetchall()
        return _job(rows[0]) if rows else None

    def list(
        self, *, states: tuple[str, ...] = ACTIVE, owner: str | None = None,
        user: str | None = None, limit: int = 100,
    ) -> list[Job]:  # fmt: skip
        """Jobs in `states`, oldest first (queue order); `owner`/`user` narrow them."""
        sql = f"{_SELECT} WHERE state IN ({','.join('?' * len(states))})"
        params: list[object] = list(states)
        for column, value in (("owner", owner), ("user_id", user)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        sql += " ORDER BY created, rowid LIMIT ?"
        with self._db() as conn:
            rows = conn.execute(sql, (*params, limit)).fetchall()
        return [_job(row) for row in rows]

    def count_running(self) -> int:
        with self._db() as conn:
            return conn.execute("SELECT count(*) FROM jobs WHERE state = ?", (RUNNING,)).fetchone()[
                0
            ]

    def prune(self, days: float = 7.0) -> int:
        """Forget finished jobs older than `days` (a done check stays in History); the
        number forgotten."""
        before = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat()
        marks = ",".join("?" * len(FINISHED))
        with self._db(write=True) as conn:
            cur = conn.execute(
                f"DELETE FROM jobs WHERE state IN ({marks}) AND updated < ?", (*FINISHED, before)
            )
            return cur.rowcount

    # -- workers ----------------------------------------------------------------------

    def heartbeat(self, worker: str) -> None:
        with self._db(write=True) as conn:
            conn.execute(
                "INSERT INTO workers (id, seen) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET seen = excluded.seen",
                (worker, _now()),
            )

    def retire(self, worker: str) -> None:
        with self._db(write=True) as conn:
            conn.execute("DELETE FROM workers WHERE id = ?", (worker,))

    def workers_alive(self, within: float = 30.0) -> int:
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=within)).isoformat()
        with self._db() as conn:
            return conn.execute(
                "SELECT count(*) FROM workers WHERE seen >= ?", (since,)
            ).fetchone()[0]

    def orphans(self, host: str) -> list[tuple[str, int]]:
        """Running jobs of this host's workers: (job id, worker pid), to find the ones
        whose worker died mid-check."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT id, worker FROM jobs WHERE state = ? AND worker LIKE ?",
                (RUNNING, f"{host}:%"),
            ).fetchall()
        return [(jid, int(w.rsplit(":", 1)[1])) for jid, w in rows]


_SELECT = """SELECT id, task_id, owner, user_id, title, url, created, updated, state, stage,
    done, total, message, cancel, check_id, cached, partial, error, worker FROM jobs"""


def _job(row: tuple) -> Job:
    names = (
        "id task_id owner user title url created updated state stage done total message "
        "cancel check_id cached partial error worker"
    ).split()
    data = dict(zip(names, row, strict=True))
    data["partial"] = Report.model_validate_json(data["partial"]) if data["partial"] else None
    return Job(**data)
