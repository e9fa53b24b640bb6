"""Retrieval: CLEF 2020 CheckThat! Task 2 - rank the verified claims for each tweet.

Three methods over the same documents (a verified claim and its fact-check's title,
``eval.baselines.vclaim_documents``):

* ``dense``: cosine similarity of our MiniLM embeddings (plain numpy over all
  documents: exact, and faster than a Chroma round trip for 10k documents). The
  document vectors are cached under ``settings.cache_dir / "eval"`` keyed by the
  claims file's hash and the embedding model, so a rerun embeds only the queries.
* ``bm25``: Okapi BM25 with the baseline's tokenizer (``eval.baselines``).
* ``hybrid``: per query, both score vectors min-max normalised over all documents,
  then ``weight * dense + (1 - weight) * bm25`` (weight 0.8 by default).

Figures: MAP@5 (official), MAP@1/3/10, MRR, recall@1/5/10 (``eval.metrics``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi

from eval import metrics
from eval.baselines import tokenize, vclaim_documents
from eval.datasets import sample_stratified
from eval.harness import header, path_hash, rounded, stable_hash
from eval.retrieval_data import CLAIMS_FILE, read_clef_retrieval
from settings import Settings
from vectorstore.embeddings import MiniLMEmbeddings

METHODS = ("dense", "bm25", "hybrid")
DEFAULT_WEIGHT = 0.8
DEPTH = 100  # documents kept per query: deeper than any figure needs

_URL = re.compile(r"https?://\S+|pic\.twitter\.com/\S+")


def query_text(tweet: str) -> str:
    """The tweet as searched: links removed (they carry no words), the rest kept."""
    return " ".join(_URL.sub(" ", tweet).split())


def claims_path_of(data: str | Path, claims: str | Path | None) -> Path:
    if claims is not None:
        return Path(claims)
    split = Path(data)
    local = split / CLAIMS_FILE
    return local if local.exists() else split.parent / CLAIMS_FILE


def document_vectors(
    doc_ids: Sequence[str],
    docs: Mapping[str, str],
    embeddings: MiniLMEmbeddings,
    cache_file: Path | None,
) -> tuple[np.ndarray, bool]:
    """Unit vectors of the documents in ``doc_ids`` order, from the cache when it is there."""
    if cache_file is not None and cache_file.is_file():
        vectors = np.load(cache_file, allow_pickle=False)
        if vectors.shape[0] == len(doc_ids):
            return vectors, True
    vectors = embeddings.encode([docs[d] for d in doc_ids])
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(cache_file.name + ".tmp.npy")
        np.save(tmp, vectors, allow_pickle=False)
        tmp.replace(cache_file)
    return vectors, False


def bm25_scores(queries: Sequence[str], docs: Sequence[str]) -> np.ndarray:
    """(queries, documents) Okapi BM25 scores (rank-bm25 defaults, baseline tokenizer)."""
    index = BM25Okapi([tokenize(d) or [""] for d in docs])
    return np.vstack([index.get_scores(tokenize(q)) for q in queries]) if queries else np.zeros(0)


def minmax(scores: np.ndarray) -> np.ndarray:
    """Each row scaled to 0..1 (a constant row becomes all zeros)."""
    lo = scores.min(axis=1, keepdims=True)
    span = scores.max(axis=1, keepdims=True) - lo
    return np.divide(scores - lo, span, out=np.zeros_like(scores, dtype=float), where=span > 0)


def fuse(dense: np.ndarray, sparse: np.ndarray, weight: float = DEFAULT_WEIGHT) -> np.ndarray:
    """Linear fusion of min-max normalised dense and BM25 scores."""
    return weight * minmax(dense) + (1.0 - weight) * minmax(sparse)


def rank(scores: np.ndarray, query_ids: Sequence[str], doc_ids: Sequence[str], depth: int):
    """Query id -> the ``depth`` best doc ids (ties keep document order)."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :depth]
    return {q: [doc_ids[j] for j in row] for q, row in zip(query_ids, top, strict=True)}


def score_rankings(
    rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]]
) -> dict[str, float]:
    """The CheckThat! 2020 Task 2 figures, with JSON-friendly key names."""
    report = {f"map_at_{k}": metrics.map_at_k(rankings, qrels, k) for k in (1, 3, 5, 10)}
    report["mrr"] = metrics.mrr(rankings, qrels)
    report |= {f"recall_at_{k}": metrics.recall_at_k(rankings, qrels, k) for k in (1, 5, 10)}
    return report


def run_retrieval(
    data: str | Path,
    *,
    settings: Settings,
    method: str = "hybrid",
    weight: float = DEFAULT_WEIGHT,
    claims: str | Path | None = None,
    limit: int | None = None,
    embeddings: MiniLMEmbeddings | None = None,
    use_cache: bool = True,
) -> dict[str, Any]:
    """Rank the verified claims for every tweet of a split and score the rankings."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError("the dense weight must be between 0 and 1")
    started = time.perf_counter()
    queries, vclaims, qrels = read_clef_retrieval(data, claims)
    query_ids = [q for q in queries if qrels.get(q)]  # the scored queries
    if limit:
        query_ids = sample_stratified(query_ids, limit, key=lambda q: len(qrels[q]))
    docs = vclaim_documents(vclaims)
    doc_ids = list(docs)
    texts = [query_text(queries[q]) for q in query_ids]
    result = header("retrieval", data, model=None, prompt_version=None, mode=method, limit=limit)
    result["method"] = method
    scores: np.ndarray | None = None
    if method in ("dense", "hybrid"):
        embeddings = embeddings or MiniLMEmbeddings()
        key = stable_hash(
            {
                "claims": path_hash(claims_path_of(data, claims)),
                "docs": "v1",
                "model": embeddings.name(),
                "config": embeddings.get_config(),
            }
        )
        cache_file = settings.cache_dir / "eval" / f"clef-vclaims-{key}.npy" if use_cache else None
        vectors, from_cache = document_vectors(doc_ids, docs, embeddings, cache_file)
        scores = embeddings.encode(texts) @ vectors.T if texts else np.zeros((0, len(doc_ids)))
        result["model"] = embeddings.name()
        result["embeddings_cached"] = from_cache
    if method in ("bm25", "hybrid"):
        sparse = bm25_scores(texts, [docs[d] for d in doc_ids]) if texts else None
        if method == "bm25":
            scores = sparse
        elif scores is not None and sparse is not None:
            scores = fuse(scores, sparse, weight)
            result["weight"] = weight
        result["model"] = "bm25" if method == "bm25" else f"{result['model']}+bm25"
    rankings = rank(scores, query_ids, doc_ids, DEPTH) if texts and scores is not None else {}
    result["n"] = len(query_ids)
    result["documents"] = len(doc_ids)
    result |= score_rankings(rankings, {q: qrels[q] for q in query_ids})
    result["seconds"] = round(time.perf_counter() - started, 2)
    return rounded(result)
