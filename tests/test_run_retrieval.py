"""The retrieval runner (eval.run_retrieval) on the CLEF fixture, with real embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eval import run_retrieval as rr
from eval.command import run_eval
from settings import Settings
from tests import test_eval_run
from vectorstore.ingest import article_from_text, chunk_article
from vectorstore.store import open_store

ROOT = Path(__file__).resolve().parents[1]
CLEF = ROOT / "tests" / "fixtures" / "eval" / "clef2020-task2" / "dev"
FIGURES = {"n", "map_at_5", "mrr", "recall_at_1", "recall_at_5", "recall_at_10"}


embeddings = test_eval_run.embeddings  # fixtures, shared
settings = test_eval_run.settings


def test_methods_on_the_fixture(settings, embeddings) -> None:
    results = {
        m: rr.run_retrieval(CLEF, settings=settings, method=m, embeddings=embeddings)
        for m in ("dense", "bm25", "hybrid")
    }
    for result in results.values():
        assert result.keys() >= FIGURES and result["ties"] == "shuffled"
        assert result["n"] == 2 and result["map_at_5"] == pytest.approx(1.0)
    assert results["dense"]["embeddings_cached"] is False
    assert results["hybrid"]["embeddings_cached"] is True  # both fields' vectors were cached
    assert sorted(p.name.split("-")[1] for p in (settings.cache_dir / "eval").glob("*.npy")) == [
        "title",
        "vclaim",
    ]
    assert results["bm25"]["model"] == "bm25" and "embeddings_cached" not in results["bm25"]
    assert results["hybrid"]["weight"] == rr.DEFAULT_WEIGHT == 0.7
    assert results["hybrid"]["model"].endswith("+bm25")
    with pytest.raises(ValueError, match="unknown method"):
        rr.run_retrieval(CLEF, settings=settings, method="rrf")
    with pytest.raises(ValueError, match="weight"):
        rr.run_retrieval(CLEF, settings=settings, method="hybrid", weight=2.0)


def test_run_eval_defaults_to_the_runner_weight(settings, embeddings) -> None:
    result = run_eval("retrieval", data=CLEF, settings=settings, weight=None)
    assert result["method"] == "hybrid" and result["weight"] == rr.DEFAULT_WEIGHT
    assert run_eval("retrieval", data=CLEF, settings=settings, weight=0.4)["weight"] == 0.4


def test_prepare_once_evaluate_many(settings, embeddings) -> None:
    prepared = rr.prepare(CLEF, settings=settings, embeddings=embeddings)
    assert prepared.dense.shape == prepared.sparse.shape == (2, 4)
    sweep = [rr.evaluate(prepared, "hybrid", w)["map_at_5"] for w in (0.0, 0.5, 1.0)]
    assert sweep == [pytest.approx(1.0)] * 3
    only_bm25 = rr.prepare(CLEF, settings=settings, methods=("bm25",))
    assert only_bm25.dense is None
    with pytest.raises(ValueError, match="was not asked"):
        rr.evaluate(only_bm25, "hybrid")


def test_query_text_cleans_what_carries_no_words() -> None:
    assert rr.query_text("Look pic.twitter.com/x1 and https://t.co/abc now") == "Look and now"
    assert (
        rr.query_text("RT Fires &amp; #AustralianFires #COVID19Vaccine 🔥🇦🇺 now")
        == "Fires & Australian Fires COVID 19 Vaccine now"
    )
    signed = "No Collusion! — Donald J. Trump (@realDonaldTrump) March 24, 2019"
    assert rr.query_text(signed) == signed  # who said it and when stays
    assert rr.split_words("DefundTheCBC") == "Defund The CBC"


def test_ties_are_not_broken_by_document_order() -> None:
    scores = np.zeros((1, 50))  # every document tied
    docs = [str(i) for i in range(50)]
    by_file = rr.rank(scores, ["q"], docs, depth=5, ties="document")["q"]
    shuffled = rr.rank(scores, ["q"], docs, depth=5)["q"]
    assert by_file == ["0", "1", "2", "3", "4"]
    assert shuffled != by_file and shuffled == rr.rank(scores, ["q"], docs, depth=5)["q"]
    with pytest.raises(ValueError, match="ties"):
        rr.tie_order(3, "random")


def test_fuse_ranks_within_the_pool() -> None:
    rng = np.random.default_rng(1)
    dense = rng.random((1, 300))
    sparse = np.zeros((1, 300))
    sparse[0, 7] = 5.0  # one lexical match, weak dense score
    dense[0, 7] = 0.0
    fused = rr.fuse(dense, sparse, weight=0.5)
    inside = np.isfinite(fused[0])
    assert inside.sum() == 101 and inside[7]  # 100 best dense + the BM25 match
    assert np.argmax(fused[0]) == 7
    assert np.argmax(rr.fuse(dense, sparse, weight=1.0)[0]) == np.argmax(dense[0])


def test_archive_retrieval_finds_each_claims_own_article(tmp_path, embeddings) -> None:
    store = open_store(Settings(store_dir=tmp_path / "s", chroma_host=None), embeddings)
    texts = {
        "budget": "The city council voted to cut the library budget by 12 percent.",
        "match": "Harbor United beat Rivertown 3-1 on Saturday in front of 12,000 fans.",
        "flood": "Heavy rain flooded the valley road and firefighters pumped out forty homes.",
    }
    ids = {}
    for key, text in texts.items():
        article = article_from_text(text, title=key)
        store.add_article(article, chunk_article(article, 800))
        ids[key] = article.id
    queries = {"q1": "Library funding was reduced by the council", "q2": "Rivertown lost 3-1"}
    relevant = {"q1": {ids["budget"]}, "q2": {ids["match"]}}
    for method in ("dense", "bm25", "hybrid"):
        figures = rr.archive_retrieval(store, queries, relevant, method=method)
        assert figures["recall_at_1"] == pytest.approx(1.0), method
