"""Retrieval per claim: the archive passages closest to the claim, above a floor."""

from __future__ import annotations

from typing import Protocol

from chains.models import Claim
from vectorstore.models import Passage


class Searchable(Protocol):
    def search(self, query: str, k: int, where: dict | None = None) -> list[Passage]: ...


def retrieve(
    store: Searchable,
    claim: Claim,
    *,
    top_k: int,
    min_score: float,
    exclude_article: str | None = None,
) -> list[Passage]:
    """Top-k passages for the claim with score >= min_score, best first.

    The article being checked is excluded when it is itself in the archive, so a
    draft never confirms itself.
    """
    where = {"article_id": {"$ne": exclude_article}} if exclude_article else None
    passages = store.search(claim.text, k=top_k, where=where)
    return [p for p in passages if (p.score or 0.0) >= min_score]
