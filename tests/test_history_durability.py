"""History survives what happens to a server: an older file is migrated without losing a
row or review, and a writer process killed with SIGKILL in the middle of its writes
leaves a file that opens with every committed check and review."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from chains.models import Verdict
from review.history import History
from review.models import Review
from review.schema import MIGRATIONS, SCHEMA_VERSION
from tests.test_history import make_report

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import sys
from chains.models import Verdict
from review.history import History
from review.models import Review
from tests.test_history import make_report

history = History(sys.argv[1])
report = make_report(verdicts=tuple([Verdict.SUPPORTED] * 150))  # a large row, slow writes
i = 0
while True:
    cid = history.save(report, owner="writer", cache_key=str(i))
    history.set_review(cid, Review.accept(report.claims[i % 150], note=str(i)))
    print(cid, i, flush=True)  # both committed
    i += 1
"""


def test_a_version_1_file_is_migrated_without_losing_rows_or_reviews(tmp_path):
    path = tmp_path / "old.sqlite3"
    first, second = make_report("First"), make_report("Second")
    with closing(sqlite3.connect(path)) as conn, conn:
        for statement in MIGRATIONS[1]:
            conn.execute(statement)
        for key, report in (("k" * 32, first), ("j" * 32, second)):
            conn.execute(
                "INSERT INTO checks (id, article_sha256, title, url, created, report) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key, report.article.sha256, report.article.title, report.article.url,
                 report.created.isoformat(), report.model_dump_json()),
            )  # fmt: skip
        conn.execute(
            "INSERT INTO reviews (check_id, claim_id, decision, verdict, note, reviewed_at) "
            "VALUES (?, 'c2', 'OVERRULED', 'SUPPORTED', 'old note', '2024-03-02T10:00:00+00:00')",
            ("k" * 32,),
        )
        conn.execute("PRAGMA user_version = 1")

    history = History(path)
    rows = {s.id: s for s in history.list()}
    assert set(rows) == {"k" * 32, "j" * 32}  # the old ids still open the old links
    assert rows["k" * 32].cache_key == "k" * 32 and rows["k" * 32].owner == ""
    report, reviews = history.load("k" * 32)
    assert report == first and reviews["c2"].note == "old note"
    assert history.load("j" * 32)[0] == second
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    # A repeat of an old check is a new record; the old one keeps its review.
    new = history.save(first, owner="session", cache_key="k" * 32)
    assert history.load(new)[1] == {} and "c2" in history.load("k" * 32)[1]


@pytest.mark.parametrize("after", [1, 12, 40])
def test_a_writer_killed_mid_write_leaves_a_usable_history(tmp_path, after):
    path = tmp_path / "history.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    committed: dict[str, int] = {}
    try:
        for line in writer.stdout:
            cid, i = line.split()
            committed[cid] = int(i)
            if len(committed) >= after:
                break
        writer.send_signal(signal.SIGKILL)  # while it is writing the next check
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL, writer.stderr.read()
    assert len(committed) >= after

    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    history = History(path)
    rows = history.list(limit=10_000)
    ids = {row.id for row in rows}
    assert set(committed) <= ids  # every check it reported is there
    assert len(ids) <= len(committed) + 1  # at most the one in flight, committed before the kill
    for cid, i in committed.items():
        report, reviews = history.load(cid)
        assert len(report.claims) == 150
        assert reviews[report.claims[i % 150].id].note == str(i)
    # And the file takes new writes.
    report = make_report(verdicts=(Verdict.MIXED,))
    cid = history.save(report, owner="after")
    history.set_review(cid, Review.accept(report.claims[0]))
    assert history.load(cid)[1]["c1"].decision.value == "ACCEPTED"
