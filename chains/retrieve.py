"""Retrieval per claim: the archive passages that best match the claim, above a floor.

``method`` (``settings.retrieval``): "hybrid" (default) fuses the dense search with BM25
over the archive's chunk texts, so a claim's rare exact words (a name, a figure) count as
well as its meaning; "dense" and "bm25" are kept for comparison. Whatever the method, a
passage's ``score`` is its cosine similarity to the claim and ``min_score`` applies to it:
the fusion decides the order and which passages make the top k, not what counts as related.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from chains.models import Claim
from vectorstore.lexical import DEFAULT_WEIGHT
from vectorstore.models import Passage

if TYPE_CHECKING:
    from settings import Settings

METHODS = ("dense", "bm25", "hybrid")


class Searchable(Protocol):
    def search(self, query: str, k: int, where: dict | None = None) -> list[Passage]: ...


def retrieve(
    store: Searchable,
    claim: Claim,
    *,
    top_k: int,
    min_score: float,
    exclude_article: str | None = None,
    method: str = "hybrid",
    weight: float = DEFAULT_WEIGHT,
) -> list[Passage]:
    """Top-k passages for the claim with score >= min_score, best first.

    The article being checked is excluded when it is itself in the archive, so a
    draft never confirms itself. A store without ``search_hybrid`` (a stand-in in
    tests) is searched densely whatever the method.
    """
    if method not in METHODS:
        raise ValueError(f"unknown retrieval method {method!r}; choose from {', '.join(METHODS)}")
    where = {"article_id": {"$ne": exclude_article}} if exclude_article else None
    hybrid = getattr(store, "search_hybrid", None)
    if method == "dense" or hybrid is None:
        passages = store.search(claim.text, k=top_k, where=where)
    else:
        passages = hybrid(claim.text, k=top_k, where=where, method=method, weight=weight)
    return [p for p in passages if (p.score or 0.0) >= min_score]


def retrieve_with(
    store: Searchable, claim: Claim, settings: Settings, exclude_article: str | None = None
) -> list[Passage]:
    """`retrieve` as the settings say: the one call of the pipeline and the evaluation, so
    the evaluation ranks the way the product does."""
    return retrieve(
        store,
        claim,
        top_k=settings.top_k,
        min_score=settings.min_score,
        exclude_article=exclude_article,
        method=settings.retrieval,
        weight=settings.hybrid_weight,
    )
