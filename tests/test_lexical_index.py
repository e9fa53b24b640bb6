"""The lexical index (tantivy) on its own: scoring, updates by id, fingerprint, persistence,
and writers in two processes. No embedding model, no Chroma."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from settings import PROJECT_ROOT
from vectorstore import lexical
from vectorstore.lexical_index import LexicalIndex, open_index

TEXTS = {
    "a:0": "The old bridge was closed for repairs on Monday after cracks were found.",
    "a:80": "Drivers will pay a toll on the new bridge from next year.",
    "b:0": "The swimming pool closed early on Sunday because of a heating fault.",
    "c:0": "Harbor United beat Rivertown 3-1 on Saturday in front of 12,000 fans.",
    "d:0": "bridge bridge bridge",
}


def filled(path: Path | None = None) -> LexicalIndex:
    index = LexicalIndex(path)
    index.update(add=[(cid, cid.split(":")[0], text) for cid, text in TEXTS.items()])
    return index


def lucene_bm25(query: str, texts: dict[str, str], k1: float = 1.2, b: float = 0.75) -> dict:
    """Okapi BM25 with Lucene's idf, over the chunks alone."""
    docs = {cid: lexical.tokenize(t) for cid, t in texts.items()}
    n = len(docs)
    avgdl = sum(len(d) for d in docs.values()) / n
    scores = dict.fromkeys(docs, 0.0)
    for term in lexical.tokenize(query):
        df = sum(term in d for d in docs.values())
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for cid, d in docs.items():
            tf = d.count(term)
            if tf:
                scores[cid] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
    return {cid: s for cid, s in scores.items() if s > 0}


@pytest.mark.parametrize(
    "query", ["Is the bridge closed?", "bridge", "heating in the pool", "Rivertown fans"]
)
def test_scores_are_bm25_over_the_products_terms(query: str) -> None:
    index = filled()
    expected = lucene_bm25(query, TEXTS)
    got = dict(index.top(lexical.tokenize(query), 10))
    assert got.keys() == expected.keys()
    assert all(math.isclose(got[c], expected[c], rel_tol=1e-3) for c in got)
    ranked = [s for _, s in index.top(lexical.tokenize(query), 10)]
    assert ranked == sorted(ranked, reverse=True)
    some = sorted(expected)[:2]
    scored = index.scores_of(lexical.tokenize(query), [*some, "c:0", "nope:0"])
    assert scored.keys() == set(some) | ({"c:0"} & expected.keys())
    assert all(math.isclose(scored[c], expected[c], rel_tol=1e-3) for c in scored)


def test_stemming_stop_words_and_repeats_follow_lexical_tokenize() -> None:
    index = filled()
    closing = {cid for cid, _ in index.top(lexical.tokenize("closing"), 10)}
    assert closing == {"a:0", "b:0"}  # "closed" and "closing" are one term
    assert index.top(lexical.tokenize("the of on was"), 10) == []  # stop words only
    assert index.top(["zzz"], 10) == [] and index.top([], 10) == []
    once = dict(index.top(["pool"], 1))["b:0"]
    twice = dict(index.top(["pool", "pool"], 1))["b:0"]
    assert math.isclose(twice, 2 * once)  # a repeated query term counts again


def test_updates_by_id_and_fingerprint(tmp_path: Path) -> None:
    index = filled(tmp_path / "ix")
    first = index.fingerprint()
    assert index.count() == 5 and index.ids() == set(TEXTS)
    index.update(add=[("a:0", "a", "A ferry replaced the bridge.")])  # same id: replaced
    assert index.count() == 5 and index.fingerprint() == first  # same ids, same fingerprint
    assert index.top(["ferry"], 5)[0][0] == "a:0" and index.top(["crack"], 5) == []
    index.update(delete=["b:0", "missing:0"])
    assert index.count() == 4 and index.top(["pool"], 5) == []
    deleted = index.fingerprint()
    index.update(add=[("e:0", "e", "The pool reopened.")])  # one out, another in: 5 again
    assert index.count() == 5 and len({first, deleted, index.fingerprint()}) == 3
    assert [c for c, _ in index.top(["pool"], 5)] == ["e:0"]
    # Order-independent: the same chunks added otherwise give the same fingerprint.
    other = LexicalIndex(None)
    other.update(add=[("e:0", "e", "x")])
    other.update(add=[(c, c[0], t) for c, t in TEXTS.items() if c != "b:0"])
    assert other.fingerprint() == index.fingerprint()
    index.update(clear=True)
    assert index.count() == 0 and index.fingerprint() == LexicalIndex(None).fingerprint()


def test_scores_and_fingerprint_do_not_depend_on_how_many_commits_wrote_them(
    tmp_path: Path,
) -> None:
    """One commit or one per chunk (an ingest killed and run again commits more often):
    the same chunks give the same BM25 scores and the same fingerprint."""
    rows = [(cid, cid.split(":")[0], text) for cid, text in TEXTS.items()]
    once = LexicalIndex(tmp_path / "once")
    once.update(add=rows)
    often = LexicalIndex(tmp_path / "often")
    for row in reversed(rows):
        often.update(add=[row])
        often.update(delete=["never-there:0"])
    for query in ["bridge", "closed pool", "Rivertown fans"]:
        terms = lexical.tokenize(query)
        assert often.top(terms, 10) == once.top(terms, 10)
        assert often.scores_of(terms, list(TEXTS)) == once.scores_of(terms, list(TEXTS))
    assert often.fingerprint() == once.fingerprint()
    # Killed between a commit and its facts: the fingerprint is computed from the ids.
    (tmp_path / "often" / "facts.json").write_text('{"opstamp": 1, "hash": "bad"}')
    assert LexicalIndex(tmp_path / "often").fingerprint() == once.fingerprint()
    (tmp_path / "often" / "facts.json").unlink()
    assert LexicalIndex(tmp_path / "often").fingerprint() == once.fingerprint()


def test_index_persists_and_open_index_shares_one_per_folder(tmp_path: Path) -> None:
    filled(tmp_path / "ix")
    again = LexicalIndex(tmp_path / "ix")  # as another process would open it
    assert again.count() == 5 and again.top(["rivertown"], 3)[0][0] == "c:0"
    assert open_index(tmp_path / "ix") is open_index(tmp_path / "ix" / ".." / "ix")
    assert open_index(None) is not open_index(None)


WRITER = """
import sys
from pathlib import Path
from vectorstore.lexical_index import LexicalIndex
index = LexicalIndex(Path(sys.argv[1]))
for i in range(40):
    index.update(add=[(f"child{i}:{j}", f"child{i}", f"harbour news item {i} {j}") for j in range(5)])
"""


def test_two_processes_write_one_index(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    LexicalIndex(path).update(add=[("seed:0", "seed", "seed")])  # the folder exists first
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=PROJECT_ROOT)
    mine = LexicalIndex(path)
    for i in range(40):
        mine.update(add=[(f"parent{i}:{j}", f"parent{i}", f"council item {i}") for j in range(5)])
    assert child.wait(timeout=120) == 0
    assert mine.count() == 401 and len(mine.ids()) == 401
    assert len(mine.top(["harbour"], 1000)) == 200 and len(mine.top(["council"], 1000)) == 200
