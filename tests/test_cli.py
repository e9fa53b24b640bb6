"""The command-line contract, run as a real process against a real store."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

ARTICLE_MD = """---
title: Council approves bridge funds
source: Harbor Gazette
published: 2023-03-15
url: https://harborgazette.example/bridge
---
The council approved $42 million for the Harbour Bridge repairs on March 14, 2023.
"""


def run(*args: str, store: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "FACTCHECK_CACHE_DIR": str(store.parent / "cache") if store else "/tmp"}
    if store is not None:
        env["FACTCHECK_STORE_DIR"] = str(store)
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
    )


def stats(store: Path) -> dict:
    out = run("stats", "--format", "json", store=store)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def archive(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bridge.md").write_text(ARTICLE_MD)
    (folder / "park.txt").write_text(
        "Park opens\n\nThe mayor opened Cormorant Park in June 2021.\n"
    )
    return folder


def test_ingest_twice_adds_nothing_the_second_time(tmp_path, archive):
    store = tmp_path / "store"
    first = run("ingest", str(archive), store=store)
    assert first.returncode == 0, first.stderr
    assert "2 added" in first.stdout
    assert stats(store)["articles"] == 2
    second = run("ingest", str(archive), store=store)
    assert "0 added" in second.stdout and "2 duplicate(s)" in second.stdout
    assert stats(store) == {**stats(store), "articles": 2}


def test_ingest_with_a_source_and_date_that_replace_the_files(tmp_path, archive):
    store = tmp_path / "store"
    bad = run("ingest", str(archive), "--published", "yesterday-ish", store=store)
    assert bad.returncode == 2 and "is not a date" in bad.stderr
    out = run(
        "ingest", str(archive), "--source", "Bay Courier", "--published", "2020-01-02", store=store
    )
    assert out.returncode == 0, out.stderr
    got = stats(store)
    assert got["sources"] == {"Bay Courier": 2}, got
    assert got["first_published"] == got["last_published"] == "2020-01-02", got


def test_bad_files_are_rejected_and_the_archive_is_unchanged(tmp_path, archive):
    store = tmp_path / "store"
    run("ingest", str(archive), store=store)
    before = stats(store)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "corrupt.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (bad / "empty.md").write_text("   \n")
    out = run("ingest", str(bad), store=store)
    assert out.returncode != 0
    assert out.stdout.count("rejected ") == 3
    assert "Traceback" not in out.stderr
    assert stats(store) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.txt", b"  \n\t\n"), ("fake.pdf", b"hello"), ("binary.txt", bytes(range(256)) * 8)],
)
def test_check_bad_input_is_one_line_on_stderr(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    out = run("check", str(path), store=tmp_path / "store")
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert out.stdout == ""


def test_check_refuses_an_article_over_the_limit(tmp_path):
    out = subprocess.run(
        [sys.executable, "cli.py", "check", "-"],
        cwd=ROOT,
        env={
            **os.environ,
            "FACTCHECK_STORE_DIR": str(tmp_path / "s"),
            "FACTCHECK_MAX_ARTICLE_CHARS": "1000",
        },
        input=b"A sentence about the harbour. " * 100,
        capture_output=True,
        timeout=300,
    )
    assert out.returncode != 0
    assert "limit is 1,000" in out.stderr.decode()


def test_stats_json_on_an_empty_store(tmp_path):
    data = stats(tmp_path / "store")
    assert data["articles"] == 0 and data["chunks"] == 0


def test_reading_a_file_to_check_stops_at_the_checks_length(tmp_path):
    """The check's own length limit applies while the file is read, not only afterwards."""
    from cli import _read_article
    from settings import Settings
    from vectorstore.ingest import IngestError

    path = tmp_path / "long.txt"
    path.write_text("A sentence about the harbour. " * 100)  # 3,000 characters
    with pytest.raises(IngestError, match="limit 1,000"):
        _read_article(str(path), Settings(store_dir=tmp_path / "s", max_article_chars=1000))
    assert len(_read_article(str(path), Settings(store_dir=tmp_path / "s")).text) > 1000
