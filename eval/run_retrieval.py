"""Retrieval: CLEF 2020 CheckThat! Task 2 - rank the verified claims for each tweet.

The query is the tweet cleaned by ``query_text``: links removed, hashtags split into
words ("#AustralianFires" -> "Australian Fires"), emoji and other symbols dropped, HTML
entities decoded, a leading "RT" dropped. @mentions and the "- Name (@handle) date"
signature stay: they name who said it, and dropping them cost 1-3 points of MAP@5.

Three methods (``METHODS``), all over the same 10,375 verified claims:

* ``dense``: cosine similarity of our MiniLM embeddings, claim and fact-check title
  embedded separately and the two similarities summed (``FIELDS``; better than one
  vector of "claim title": MAP@5 dev 0.786 -> 0.800, train 0.814 -> 0.842). Plain
  numpy over all documents. The document vectors are cached under
  ``settings.cache_dir / "eval"``, one file per field, keyed by the claims file's
  hash and the embedding model, so a rerun embeds only the queries.
* ``bm25``: Okapi BM25 over claim + title with the stemming tokenizer of
  ``vectorstore.lexical``, scored by the archive's own index (``vectorstore.lexical_index``,
  tantivy, here in memory).
* ``hybrid`` (default): per query, the 100 best documents of each method are pooled,
  both scores z-normalised over the pool and mixed ``weight * dense + (1 - weight) *
  bm25`` (``vectorstore.lexical.fuse``; weight 0.7 by default) - the archive's hybrid
  search does the same over its chunks.

Ties are broken by a fixed pseudo-random order of the documents, not by their order
in the file: that order leaks relevance on CLEF (185 verified claims have a twin that
differs only in quote marks, and the relevant one of a pair always comes first), and
document order gave BM25 4.6 points of MAP@5 it did not earn. ``ties="document"``
restores the old behaviour for comparison.

Figures: MAP@5 (official), MAP@1/3/10, MRR, recall@1/5/10 (``eval.metrics``).
``prepare`` computes the score matrices once and ``evaluate`` scores a method on
them, so a notebook can sweep the fusion weight without recomputing anything.
``archive_retrieval`` measures an archive (``vectorstore.store``) the same way: does
a claim find its own source article among the top-k passages.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval import metrics
from eval.baselines import tie_order, vclaim_documents
from eval.datasets import sample_stratified
from eval.harness import header, path_hash, rounded, stable_hash
from eval.retrieval_data import CLAIMS_FILE, read_clef_retrieval
from settings import Settings
from vectorstore import lexical
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.lexical_index import LexicalIndex

METHODS = ("dense", "bm25", "hybrid")
DEFAULT_METHOD = "hybrid"
DEFAULT_WEIGHT = lexical.DEFAULT_WEIGHT
FIELDS = ("vclaim", "title")  # embedded separately; the dense score is the sum
DEPTH = 100  # documents kept per query: deeper than any figure needs
CONFIG = {
    "query": "tweet without links; hashtags split into words; symbols, entities, RT dropped",
    "dense": "cosine(claim) + cosine(title), MiniLM",
    "bm25": "claim + title, vectorstore.lexical tokenizer (light stemming), tantivy BM25 k1 1.2, b 0.75",
    "hybrid": f"z-scores over the top {lexical.POOL} of each, weight * dense + (1 - weight) * bm25",
}

_URL = re.compile(r"https?://\S+|pic\.twitter\.com/\S+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(
    r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])"
)
_RT = re.compile(r"^\s*RT\b:?")
_SYMBOLS = ("So", "Sk", "Cs", "Co")  # emoji, pictographs, modifiers, surrogates, private use


def split_words(tag: str) -> str:
    """ "AustralianFires" -> "Australian Fires", "COVID19Vaccine" -> "COVID 19 Vaccine"."""
    return " ".join(_CAMEL.sub(" ", tag.replace("_", " ")).split())


def query_text(tweet: str) -> str:
    """The tweet as searched: cleaned of what carries no words (see the module docstring)."""
    text = _URL.sub(" ", html.unescape(tweet))
    text = _RT.sub(" ", text)
    text = _HASHTAG.sub(lambda m: f" {split_words(m.group(1))} ", text)
    text = "".join(
        " " if unicodedata.category(ch) in _SYMBOLS or ch in "\ufe0f\u200d" else ch for ch in text
    )
    return " ".join(text.split())


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
    """(queries, documents) BM25 scores with the archive's index and tokenizer (in memory)."""
    index = LexicalIndex(None)
    index.update(add=[(str(j), str(j), doc) for j, doc in enumerate(docs)])
    out = np.zeros((len(queries), len(docs)))
    for i, query in enumerate(queries):
        for doc, score in index.top(lexical.tokenize(query), len(docs)):
            out[i, int(doc)] = score
    return out


def fuse(dense: np.ndarray, sparse: np.ndarray, weight: float = DEFAULT_WEIGHT) -> np.ndarray:
    """Hybrid scores, one row per query: ``lexical.fuse`` over each query's candidate pool.

    Documents outside the pool score -inf (they rank after the pool, which holds at
    least ``lexical.POOL`` documents).
    """
    out = np.full(dense.shape, -np.inf)
    for i in range(dense.shape[0]):
        cand = lexical.pool(dense[i], sparse[i])
        out[i, cand] = lexical.fuse(dense[i, cand], sparse[i, cand], weight)
    return out


def rank(
    scores: np.ndarray,
    query_ids: Sequence[str],
    doc_ids: Sequence[str],
    depth: int,
    ties: str = "shuffled",
) -> dict[str, list[str]]:
    """Query id -> the ``depth`` best doc ids, ties in ``tie_order``."""
    order = tie_order(len(doc_ids), ties)
    top = order[np.argsort(-scores[:, order], axis=1, kind="stable")[:, :depth]]
    return {q: [doc_ids[j] for j in row] for q, row in zip(query_ids, top, strict=True)}


def score_rankings(
    rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]]
) -> dict[str, float]:
    """The CheckThat! 2020 Task 2 figures, with JSON-friendly key names."""
    report = {f"map_at_{k}": metrics.map_at_k(rankings, qrels, k) for k in (1, 3, 5, 10)}
    report["mrr"] = metrics.mrr(rankings, qrels)
    report |= {f"recall_at_{k}": metrics.recall_at_k(rankings, qrels, k) for k in (1, 5, 10)}
    return report


@dataclass
class Prepared:
    """Score matrices (queries x documents) of one split, ready to rank."""

    query_ids: list[str]
    doc_ids: list[str]
    qrels: dict[str, set[str]]
    dense: np.ndarray | None = None
    sparse: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)


def dense_scores(
    texts: Sequence[str],
    vclaims: Mapping[str, Mapping[str, str]],
    doc_ids: Sequence[str],
    *,
    claims_file: Path,
    settings: Settings,
    embeddings: MiniLMEmbeddings,
    use_cache: bool,
) -> tuple[np.ndarray, bool]:
    """Sum over ``FIELDS`` of the cosine similarity of each query to each document's field."""
    queries = embeddings.encode(list(texts))
    total = np.zeros((len(texts), len(doc_ids)), dtype=np.float32)
    all_cached = True
    for name in FIELDS:
        key = stable_hash(
            {
                "claims": path_hash(claims_file),
                "docs": f"v2-{name}",
                "model": embeddings.name(),
                "config": embeddings.get_config(),
            }
        )
        cache = settings.cache_dir / "eval" / f"clef-{name}-{key}.npy" if use_cache else None
        texts_of = {d: str(vclaims[d].get(name, "")) for d in doc_ids}
        vectors, cached = document_vectors(doc_ids, texts_of, embeddings, cache)
        all_cached &= cached
        if len(texts):
            total += queries @ vectors.T
    return total, all_cached


def prepare(
    data: str | Path,
    *,
    settings: Settings,
    methods: Sequence[str] = METHODS,
    claims: str | Path | None = None,
    limit: int | None = None,
    embeddings: MiniLMEmbeddings | None = None,
    use_cache: bool = True,
) -> Prepared:
    """Read a split and compute the score matrices the ``methods`` need."""
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown method {sorted(unknown)[0]!r}; choose from {', '.join(METHODS)}")
    queries, vclaims, qrels = read_clef_retrieval(data, claims)
    query_ids = [q for q in queries if qrels.get(q)]  # the scored queries
    if limit:
        query_ids = sample_stratified(query_ids, limit, key=lambda q: len(qrels[q]))
    doc_ids = list(vclaims)
    texts = [query_text(queries[q]) for q in query_ids]
    prepared = Prepared(query_ids, doc_ids, {q: qrels[q] for q in query_ids})
    if {"dense", "hybrid"} & set(methods):
        embeddings = embeddings or MiniLMEmbeddings()
        prepared.dense, cached = dense_scores(
            texts,
            vclaims,
            doc_ids,
            claims_file=claims_path_of(data, claims),
            settings=settings,
            embeddings=embeddings,
            use_cache=use_cache,
        )
        prepared.info["model"] = embeddings.name()
        prepared.info["embeddings_cached"] = cached
    if {"bm25", "hybrid"} & set(methods):
        docs = vclaim_documents(vclaims)
        prepared.sparse = bm25_scores(texts, [docs[d] for d in doc_ids])
    return prepared


def check_method(method: str, weight: float) -> None:
    """ValueError for an unknown method or a dense weight outside 0..1."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError("the dense weight must be between 0 and 1")


def method_scores(prepared: Prepared, method: str, weight: float = DEFAULT_WEIGHT) -> np.ndarray:
    """The (queries, documents) scores a method ranks by."""
    check_method(method, weight)
    needed = {"dense": (prepared.dense,), "bm25": (prepared.sparse,)}
    for matrix in needed.get(method, (prepared.dense, prepared.sparse)):
        if matrix is None:
            raise ValueError(f"{method}: prepare() was not asked for the scores it needs")
    if method == "dense":
        return prepared.dense  # type: ignore[return-value]
    if method == "bm25":
        return prepared.sparse  # type: ignore[return-value]
    return fuse(prepared.dense, prepared.sparse, weight)  # type: ignore[arg-type]


def evaluate(
    prepared: Prepared,
    method: str = DEFAULT_METHOD,
    weight: float = DEFAULT_WEIGHT,
    ties: str = "shuffled",
) -> dict[str, float]:
    """The figures of one method on prepared scores."""
    if not prepared.query_ids:
        return score_rankings({}, {})
    scores = method_scores(prepared, method, weight)
    rankings = rank(scores, prepared.query_ids, prepared.doc_ids, DEPTH, ties)
    return score_rankings(rankings, prepared.qrels)


def run_retrieval(
    data: str | Path,
    *,
    settings: Settings,
    method: str = DEFAULT_METHOD,
    weight: float | None = None,
    claims: str | Path | None = None,
    limit: int | None = None,
    embeddings: MiniLMEmbeddings | None = None,
    use_cache: bool = True,
    ties: str = "shuffled",
) -> dict[str, Any]:
    """Rank the verified claims for every tweet of a split and score the rankings."""
    weight = DEFAULT_WEIGHT if weight is None else weight
    check_method(method, weight)  # before any reading or embedding
    tie_order(0, ties)  # validates
    started = time.perf_counter()
    prepared = prepare(
        data,
        settings=settings,
        methods=(method,),
        claims=claims,
        limit=limit,
        embeddings=embeddings,
        use_cache=use_cache,
    )
    result = header("retrieval", data, model=None, prompt_version=None, mode=method, limit=limit)
    result["method"] = method
    result["model"] = {
        "dense": prepared.info.get("model"),
        "bm25": "bm25",
        "hybrid": f"{prepared.info.get('model')}+bm25",
    }[method]
    if "embeddings_cached" in prepared.info:
        result["embeddings_cached"] = prepared.info["embeddings_cached"]
    if method == "hybrid":
        result["weight"] = weight
    result["config"] = CONFIG[method]
    result["ties"] = ties
    result["n"] = len(prepared.query_ids)
    result["documents"] = len(prepared.doc_ids)
    result |= evaluate(prepared, method, weight, ties)
    result["seconds"] = round(time.perf_counter() - started, 2)
    return rounded(result)


# ------------------------------------------------------------ an archive's retrieval


def archive_retrieval(
    store: Any,
    queries: Mapping[str, str],
    relevant: Mapping[str, set[str]],
    *,
    method: str = DEFAULT_METHOD,
    weight: float = DEFAULT_WEIGHT,
    depth: int = 10,
) -> dict[str, float]:
    """Does each query find its own article? Figures over article rankings.

    ``queries``: query id -> text; ``relevant``: query id -> article ids. The store's
    passages (``search_hybrid``, ``3 * depth`` of them) are turned into a ranking of
    articles (first passage of each), scored like CLEF: MAP@5, MRR, recall@1/5/10.
    """
    rankings: dict[str, list[str]] = {}
    for qid, text in queries.items():
        passages = store.search_hybrid(text, k=3 * depth, method=method, weight=weight)
        rankings[qid] = list(dict.fromkeys(p.article_id for p in passages))[:depth]
    return score_rankings(rankings, {q: set(relevant[q]) for q in queries})
