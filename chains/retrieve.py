"""Retrieval per claim: the archive passages that best match the claim, above a floor.

``method`` (``settings.retrieval``): "hybrid" (default) fuses the dense search with BM25
over the archive's chunk texts, so a claim's rare exact words (a name, a figure) count as
well as its meaning; "dense" and "bm25" are kept for comparison. Whatever the method, a
passage's ``score`` is its cosine similarity to the claim and ``min_score`` applies to it:
the fusion decides the order and which passages make the top k, not what counts as related.

The chunks found of one article are then read as one passage (`join_by_article`), in the
article's order: a claim whose facts a story states in two paragraphs is judged against
both at once, as a reporter reads them.
"""

from __future__ import annotations

from itertools import pairwise
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
    return join_by_article([p for p in passages if (p.score or 0.0) >= min_score])


GAP = "\n\n[\u2026]\n\n"  # between two chunks of an article that are not consecutive
ADJACENT = 16  # characters between two chunks that can only be the whitespace they split at
# A joined passage stays within the embedded model's context with the prompt around it
# (4,096 tokens): four chunks of the default 800 characters and what joins them.
MAX_JOINED_CHARS = 3400


def _joined(chunks: list[Passage]) -> Passage:
    text = chunks[0].text
    for before, after in pairwise(chunks):
        text += ("\n\n" if after.start - before.end <= ADJACENT else GAP) + after.text
    scores = [p.score for p in chunks if p.score is not None]
    return chunks[0].model_copy(
        update={"text": text, "end": chunks[-1].end, "score": max(scores, default=None)}
    )


def join_by_article(passages: list[Passage]) -> list[Passage]:
    """The chunks found of one article as one passage, in the article's order (with GAP
    where a part between them was not found) and with their best score, up to
    MAX_JOINED_CHARS a passage; articles in the order their best chunk was found."""
    found: dict[str, list[Passage]] = {}
    for p in passages:
        found.setdefault(p.article_id, []).append(p)
    joined = []
    for chunks in found.values():
        group: list[Passage] = []
        for chunk in sorted(chunks, key=lambda p: p.start):
            if group and len(_joined([*group, chunk]).text) > MAX_JOINED_CHARS:
                joined.append(_joined(group))
                group = []
            group.append(chunk)
        joined.append(_joined(group))
    return joined


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
