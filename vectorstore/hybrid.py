"""Hybrid search over the archive: Chroma's nearest chunks and the lexical index's best, fused.

The ``pool`` nearest chunks and the ``pool`` best by BM25 are joined and ranked by
``lexical.fuse`` (z-scores over that pool); ``bm25`` ranks by BM25 alone. A ``where``
filter means what it means to Chroma on both sides: BM25 candidates are checked against it
by asking Chroma for those ids under the filter, in up to ``FILTER_ROUNDS`` batches.
Whatever the method, a passage's ``score`` stays its cosine similarity to the query (0..1):
the fusion decides only the order and the top k.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vectorstore import lexical
from vectorstore.chunks import passage_from_chunk, unit
from vectorstore.lexical_index import LexicalIndex
from vectorstore.models import Passage

FILTER_ROUNDS = 5  # batches of BM25 candidates checked against a `where` filter

Found = dict[str, tuple[str, dict[str, Any], float]]  # id -> text, metadata, cosine


def nearest(
    collection: Any, *, n_results: int, where: dict | None, **query: Any
) -> list[tuple[str, str, dict[str, Any], float]]:
    """Chroma's nearest chunks to one query: (id, text, metadata, cosine distance)."""
    result = collection.query(
        n_results=n_results,
        where=where or None,
        include=["documents", "metadatas", "distances"],
        **query,
    )
    rows = zip(
        result["ids"][0], result["documents"][0], result["metadatas"][0],
        result["distances"][0], strict=True,
    )  # fmt: skip
    return [(cid, doc or "", dict(meta or {}), float(dist)) for cid, doc, meta, dist in rows]


def _lexical_candidates(
    collection: Any,
    ranked: list[str],
    n: int,
    where: dict | None,
    vector: np.ndarray,
    found: Found,
) -> list[str]:
    """The ``n`` best of ``ranked`` (BM25 order) that pass ``where``, added to ``found``.

    Their cosine comes from their stored vectors. An id the index holds but Chroma does not
    (deleted elsewhere a moment ago) is not returned by Chroma, so it is dropped here.
    """
    kept: list[str] = []
    for lo in range(0, len(ranked), n):
        batch = ranked[lo : lo + n]
        # Everything in ``found`` already passed ``where`` (dense hits, earlier batches).
        missing = [cid for cid in batch if cid not in found]
        if missing:
            got = collection.get(
                ids=missing, where=where or None, include=["documents", "metadatas", "embeddings"]
            )
            rows = zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            )
            for cid, doc, meta, emb in rows:
                found[cid] = (doc or "", dict(meta or {}), float(np.dot(vector, emb)))
        kept += [cid for cid in batch if cid in found][: n - len(kept)]
        if len(kept) >= n or not where:
            break
    return kept


def search(
    collection: Any,
    index: LexicalIndex,
    vector: np.ndarray,
    query: str,
    k: int,
    where: dict | None,
    *,
    method: str,
    weight: float,
    pool: int,
    total: int,
) -> list[Passage]:
    """The k best chunks by ``method`` ("bm25" or "hybrid") for a query and its vector."""
    n = max(k, pool)
    found: Found = {}
    if method == "hybrid":
        rows = nearest(collection, n_results=min(n, total), where=where, query_embeddings=[vector])
        for cid, doc, meta, dist in rows:
            found[cid] = (doc, meta, 1.0 - dist)
    terms = lexical.tokenize(query)
    ranked = index.top(terms, n * (FILTER_ROUNDS if where else 1))
    bm25 = dict(ranked)
    lexical_ids = _lexical_candidates(
        collection, [cid for cid, _ in ranked], n, where, vector, found
    )
    ids = list(found) if method == "hybrid" else lexical_ids
    if not ids:
        return []
    unscored = [cid for cid in ids if cid not in bm25]  # dense hits beyond the BM25 best
    bm25 |= index.scores_of(terms, unscored)
    cosine = np.array([found[cid][2] for cid in ids])
    sparse = np.array([bm25.get(cid, 0.0) for cid in ids])
    fused = lexical.fuse(cosine, sparse, weight) if method == "hybrid" else sparse
    order = sorted(range(len(ids)), key=lambda i: (-fused[i], -cosine[i], ids[i]))[:k]
    return [
        passage_from_chunk(ids[i], found[ids[i]][0], found[ids[i]][1], unit(cosine[i]))
        for i in order
    ]
