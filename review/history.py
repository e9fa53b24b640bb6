"""Checked articles and their reviews, kept in one SQLite file next to the archive.

Every check is its own row with its own id (a uuid), its owner (the browser session, and
the signed-in user when there is sign-in) and its own reviews: two reporters who check
the same article with the same settings get two rows, even when the report cache
answered the second (its key is kept in `cache_key`, not used as the id). Each row keeps
its report's JSON, so History does not depend on the cache's files.

A connection per operation, so Streamlit's threads (and two processes) can share the
file; WAL lets readers carry on while one writer commits, and a writer killed mid-way
leaves the last committed state. A row written by an older version that no longer
validates is reported as unreadable (in `list`, and as an error from `load`) instead of
breaking the history.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from chains.models import Report
from chains.render import utc, verdict_counts
from review.models import (
    CheckSummary,
    Decision,
    Review,
    check_review,
    claim_for,
)
from review.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

UNREADABLE = "The stored report can no longer be read (an older format, or damaged)."
TITLE_CHARS = 80


def use_wal(conn: sqlite3.Connection, timeout: float = 30.0) -> None:
    """Switch the file to WAL (persistent; not inside a transaction). Two connections
    that switch a fresh file at once can deadlock on its lock, and SQLite then answers
    "database is locked" at once instead of waiting, so wait and retry here."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """One transaction on `conn` (opened with isolation_level=None), committed or rolled
    back, and the connection closed. IMMEDIATE takes the write lock up front, so a
    read-then-write cannot fail half-way with SQLITE_BUSY when another writer got in."""
    try:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


class HistoryError(Exception):
    """The history file cannot be used as asked."""


class CheckNotFound(HistoryError, KeyError):
    """No check with that id (a KeyError, with a readable message)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "No such check."


class UnreadableCheck(HistoryError):
    """The check is stored, but its report no longer validates."""


def _stamp(when: dt.datetime) -> str:
    return utc(when).isoformat(timespec="microseconds")


def _parse_stamp(text: str) -> dt.datetime:
    try:
        return utc(dt.datetime.fromisoformat(text))
    except (TypeError, ValueError):
        return dt.datetime.min.replace(tzinfo=dt.UTC)  # a damaged time sorts last


def _read_report(data: str) -> Report | None:
    try:
        return Report.model_validate_json(data)
    except (ValidationError, ValueError):
        return None


class History:
    """The checks a newsroom ran and the reviews of their verdicts, in a SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    # -- connections ---------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit below, not started implicitly.
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys = ON")  # per connection: needed for CASCADE
            self._ensure_schema(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"{self.path} was written by a newer version (schema {version}; "
                    f"this one knows {SCHEMA_VERSION}). Upgrade, or point "
                    "FACTCHECK_HISTORY_PATH at another file."
                )
            if version < SCHEMA_VERSION:
                use_wal(conn)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Re-read under the write lock: another process may have migrated meanwhile.
                    version = conn.execute("PRAGMA user_version").fetchone()[0]
                    for step in range(version + 1, SCHEMA_VERSION + 1):
                        for statement in MIGRATIONS[step]:
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {max(version, SCHEMA_VERSION)}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            self._ready = True

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        with transaction(self._open(), write=write) as conn:
            yield conn

    # -- checks --------------------------------------------------------------------

    def save(
        self, report: Report, *, owner: str, user: str | None = None, cache_key: str = ""
    ) -> str:
        """Store `report` as a new check of `owner` (a browser session id) and return its
        id. Every save is a new check with no reviews, whatever its cache key."""
        if not owner:
            raise ValueError("A check belongs to someone: the owner is empty.")
        cid = uuid.uuid4().hex
        with self._transaction(write=True) as conn:
            conn.execute(
                """INSERT INTO checks (id, article_sha256, title, url, created, report,
                                       cache_key, owner, user_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    cid,
                    report.article.sha256,
                    report.article.display_title(TITLE_CHARS),
                    report.article.url,
                    _stamp(report.created),
                    report.model_dump_json(),
                    cache_key,
                    owner,
                    user,
                ),
            )
        return cid

    def list(
        self,
        limit: int = 50,
        query: str = "",
        *,
        owner: str | None = None,
        user: str | None = None,
    ) -> list[CheckSummary]:
        """The newest checks first; `query` matches the title or URL (case-insensitive);
        `owner` and `user`, when given, keep only the checks of that session or person."""
        sql = """SELECT c.id, c.title, c.url, c.created, c.report, c.owner, c.user_id,
                   c.cache_key,
                   (SELECT count(*) FROM reviews r WHERE r.check_id = c.id),
                   (SELECT count(*) FROM reviews r
                     WHERE r.check_id = c.id AND r.decision = 'OVERRULED')
                 FROM checks c WHERE 1 = 1"""
        params: list[object] = []
        if query.strip():
            like = "%" + re.sub(r"([\\%_])", r"\\\1", query.strip()) + "%"
            sql += " AND (c.title LIKE ? ESCAPE '\\' OR c.url LIKE ? ESCAPE '\\')"
            params += [like, like]
        if owner is not None:
            sql += " AND c.owner = ?"
            params.append(owner)
        if user is not None:
            sql += " AND c.user_id = ?"
            params.append(user)
        sql += " ORDER BY c.created DESC, c.rowid DESC LIMIT ?"
        params.append(max(0, limit))
        with self._transaction() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [self._summary(*row) for row in rows]

    @staticmethod
    def _summary(
        cid: str,
        title: str,
        url: str | None,
        created: str,
        data: str,
        owner: str,
        user: str | None,
        key: str,
        reviewed: int,
        overruled: int,
    ) -> CheckSummary:
        summary = CheckSummary(
            id=cid, title=title, url=url, created=_parse_stamp(created), owner=owner,
            user=user, cache_key=key, n_reviewed=reviewed, n_overruled=overruled,
        )  # fmt: skip
        report = _read_report(data)
        if report is None:
            return summary.model_copy(update={"problem": UNREADABLE})
        return summary.model_copy(
            update={"n_claims": len(report.claims), "counts": verdict_counts(report.claims)}
        )

    def load(self, check_id: str) -> tuple[Report, dict[str, Review]]:
        """The stored report and its reviews by claim id."""
        with self._transaction() as conn:
            report = self._report(conn, check_id)
            return report, self._reviews(conn, check_id)

    def delete(self, check_id: str) -> bool:
        """Forget a check and its reviews; False when there was no such check."""
        with self._transaction(write=True) as conn:
            return conn.execute("DELETE FROM checks WHERE id = ?", (check_id,)).rowcount > 0

    # -- reviews -------------------------------------------------------------------

    def set_review(self, check_id: str, review: Review) -> None:
        """Record (or replace) a person's decision on one claim of a stored check.

        Raises CheckNotFound, UnreadableCheck, or ReviewError when the review does not
        fit the claim (unknown claim; accepted with another verdict; overruled with the
        machine's own verdict).
        """
        with self._transaction(write=True) as conn:
            check_review(claim_for(self._report(conn, check_id), review.claim_id), review)
            conn.execute(
                """INSERT INTO reviews (check_id, claim_id, decision, verdict, note, reviewed_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (check_id, claim_id) DO UPDATE SET
                     decision = excluded.decision, verdict = excluded.verdict,
                     note = excluded.note, reviewed_at = excluded.reviewed_at""",
                (
                    check_id,
                    review.claim_id,
                    review.decision.value,
                    review.verdict.value,
                    review.note,
                    _stamp(review.reviewed_at),
                ),
            )

    def clear_review(self, check_id: str, claim_id: str) -> bool:
        """Withdraw the decision on a claim; False when there was none."""
        with self._transaction(write=True) as conn:
            deleted = conn.execute(
                "DELETE FROM reviews WHERE check_id = ? AND claim_id = ?", (check_id, claim_id)
            )
            return deleted.rowcount > 0

    # -- rows ----------------------------------------------------------------------

    @staticmethod
    def _report(conn: sqlite3.Connection, cid: str) -> Report:
        row = conn.execute("SELECT report FROM checks WHERE id = ?", (cid,)).fetchone()
        if row is None:
            raise CheckNotFound(f"No check {cid!r} in the history.")
        report = _read_report(row[0])
        if report is None:
            raise UnreadableCheck(f"Check {cid!r}: {UNREADABLE} Delete it and check again.")
        return report

    @staticmethod
    def _reviews(conn: sqlite3.Connection, cid: str) -> dict[str, Review]:
        rows = conn.execute(
            """SELECT claim_id, decision, verdict, note, reviewed_at FROM reviews
               WHERE check_id = ? ORDER BY claim_id""",
            (cid,),
        ).fetchall()
        reviews = {}
        for claim_id, decision, verdict, note, reviewed_at in rows:
            try:
                reviews[claim_id] = Review(
                    claim_id=claim_id,
                    decision=Decision(decision),
                    verdict=verdict,
                    note=note,
                    reviewed_at=_parse_stamp(reviewed_at),
                )
            except (ValidationError, ValueError):
                # One unreadable row must not hide the others; it stays in the file.
                log.warning("check %s: skipped an unreadable review of claim %s", cid, claim_id)
        return reviews
