"""Ingest killed at any moment (SIGKILL) and run again leaves the archive exactly as one
clean run: the same articles, the same chunks (ids and texts) and the same lexical index.

Real processes (`cli.py ingest`) write a real Chroma store and its tantivy index; the test
kills them after random delays, runs ingest to completion, and compares the result, read
without opening an `ArchiveStore` (whose opening would repair the lexical index), with a
clean run into another folder. The seed of the delays is printed for a rerun.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
KILLS = 6
QUERIES = [
    "harbour bridge repairs budget",
    "ferry riders Gull Island",
    "council vote on the library",
    "storm damage pier 7",
]
PLACES = ["Harbour Bridge", "Gull Island", "Pier 7", "the library", "Cormorant Park", "Old Town"]
THINGS = ["repairs", "ferry riders", "budget", "council vote", "storm damage", "new school"]


def write_articles(folder: Path) -> None:
    """30 short articles and one long one (over Chroma's write batch of 256 chunks)."""
    rng = random.Random(7)
    folder.mkdir()
    for i in range(30):
        lines = [
            f"The {rng.choice(THINGS)} at {rng.choice(PLACES)} cost ${rng.randint(2, 90)} "
            f"million in {2000 + rng.randint(0, 24)}, officials said in report {i}-{j}."
            for j in range(6)
        ]
        (folder / f"a{i:02d}.txt").write_text(f"Story {i}\n\n" + " ".join(lines) + "\n")
    long = [
        f"Paragraph {j}: the {THINGS[j % 6]} near {PLACES[j % 5]} reached {j * 3} units, "
        f"and the harbour board met {j % 11} times about it before the vote."
        for j in range(700)
    ]
    (folder / "long.md").write_text("---\ntitle: The long one\n---\n" + "\n\n".join(long))


# An ingest that SIGKILLs itself at one exact point: before or after the n-th call of a
# store write (Chroma's upsert, or the lexical index's commit of added chunks).
KILL_AT = """
import os, signal, sys
from chromadb.api.models.Collection import Collection
from vectorstore.lexical_index import LexicalIndex
import cli

where, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
owner = {"upsert": Collection, "lexical": LexicalIndex}[name]
method = "upsert" if name == "upsert" else "update"
original, calls = getattr(owner, method), [0]

def patched(self, *args, **kwargs):
    if name == "lexical" and not kwargs.get("add"):
        return original(self, *args, **kwargs)
    calls[0] += 1
    if where == "before" and calls[0] == n:
        os.kill(os.getpid(), signal.SIGKILL)
    result = original(self, *args, **kwargs)
    if where == "after" and calls[0] == n:
        os.kill(os.getpid(), signal.SIGKILL)
    return result

setattr(owner, method, patched)
sys.exit(cli.main(["ingest", *sys.argv[4:]]))
"""


def ingest_cmd(folder: Path, store: Path) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "FACTCHECK_STORE_DIR": str(store),
        "FACTCHECK_CACHE_DIR": str(store.parent / "cache"),
        "FACTCHECK_CHUNK_CHARS": "200",
    }
    return [sys.executable, "cli.py", "ingest", str(folder)], env


def run_ingest(folder: Path, store: Path) -> float:
    cmd, env = ingest_cmd(folder, store)
    started = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return time.monotonic() - started


def kill_after(folder: Path, store: Path, delay: float) -> bool:
    """Start an ingest and SIGKILL it after `delay` s; False if it finished first."""
    cmd, env = ingest_cmd(folder, store)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def run_killed_at(folder: Path, store: Path, point: tuple[str, str, int]) -> None:
    cmd, env = ingest_cmd(folder, store)
    where, name, n = point
    kill = [sys.executable, "-c", KILL_AT, where, name, str(n), str(folder)]
    out = subprocess.run(kill, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == -signal.SIGKILL, (out.returncode, out.stderr[-2000:])


def contents(store: Path) -> dict[str, Any]:
    """What the folder holds, read directly: Chroma's chunks and the index as left on disk."""
    import chromadb

    from settings import Settings
    from vectorstore import lexical
    from vectorstore.lexical_index import LexicalIndex

    client = chromadb.PersistentClient(path=str(store))
    collection = client.get_collection(Settings().collection)
    got = collection.get(include=["documents", "metadatas"])
    chunks = {
        cid: (doc, meta["article_id"], meta["start"], meta["end"])
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    }
    index = LexicalIndex(store / "lexical" / str(collection.id))
    return {
        "articles": sorted({a for _, a, _, _ in chunks.values()}),
        "chunks": chunks,
        "indexed": index.ids(),
        "index_fingerprint": index.fingerprint(),
        "top": {q: index.top(lexical.tokenize(q), 10) for q in QUERIES},
        "scores": {q: index.scores_of(lexical.tokenize(q), list(chunks)) for q in QUERIES},
    }


def assert_same_archive(got: dict[str, Any], clean: dict[str, Any]) -> None:
    assert got["articles"] == clean["articles"]
    assert got["chunks"] == clean["chunks"]
    assert got["indexed"] == set(got["chunks"])  # the index as left on disk, unrepaired
    assert got["index_fingerprint"] == clean["index_fingerprint"]
    # Every chunk scores the same for each query (BM25's statistics count only chunks,
    # not commits), and the top ten score the same rank by rank (chunks of equal score may
    # come in either order, and a tie at the tenth place may show either of them).
    for q in QUERIES:
        assert got["scores"][q] == clean["scores"][q], q
        assert [s for _, s in got["top"][q]] == [s for _, s in clean["top"][q]], q
        assert all(clean["scores"][q][cid] == s for cid, s in got["top"][q]), q


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> tuple[Path, dict[str, Any], float]:
    tmp = tmp_path_factory.mktemp("clean")
    folder = tmp / "articles"
    write_articles(folder)
    seconds = run_ingest(folder, tmp / "store")
    clean = contents(tmp / "store")
    assert len(clean["articles"]) == 31
    assert clean["indexed"] == set(clean["chunks"])
    assert all(clean["top"].values())
    return folder, clean, seconds


# Inside batch() Chroma takes 256 chunks an upsert: the 30 short articles (about 90
# chunks) and the long one (about 700) go in four, each holding parts of several
# articles. The lexical index gets the added chunks in one commit at the end.
KILL_POINTS = [
    ("after", "upsert", 1),  # the short articles and the long one's start in Chroma
    ("after", "upsert", 2),  # the long article half in Chroma
    ("before", "lexical", 1),  # every chunk in Chroma, none in the index
    ("after", "lexical", 1),  # the index committed, the process not yet done
]


@pytest.mark.integration
@pytest.mark.parametrize("point", KILL_POINTS, ids=lambda p: "-".join(map(str, p)))
def test_ingest_killed_at_a_write_then_rerun_equals_a_clean_run(tmp_path, clean_run, point):
    folder, clean, _ = clean_run
    store = tmp_path / "store"
    run_killed_at(folder, store, point)
    run_ingest(folder, store)
    assert_same_archive(contents(store), clean)


@pytest.mark.integration
def test_ingest_killed_at_random_moments_then_rerun_equals_a_clean_run(tmp_path, clean_run):
    folder, clean, clean_seconds = clean_run
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1_000_000)))
    print(f"CRASH_SEED={seed} (clean run {clean_seconds:.1f} s)")
    rng = random.Random(seed)
    store = tmp_path / "store"
    killed = 0
    for _ in range(KILLS):
        # From start-up (imports, model load) to the end of a clean run's writes.
        killed += kill_after(folder, store, rng.uniform(0.1, 1.0) * clean_seconds)
    assert killed, "every run finished before its kill: nothing was tested"
    run_ingest(folder, store)
    assert_same_archive(contents(store), clean)
