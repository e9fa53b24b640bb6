"""A chunk as Chroma stores it: the metadata every chunk carries, and a Passage read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vectorstore.models import Article, Passage


def published_iso(meta: dict[str, Any]) -> str | None:
    value = meta.get("published")
    return value if isinstance(value, str) and value else None


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None  # written by someone else: show no date rather than fail a search


def article_metadata(article: Article) -> dict[str, Any]:
    """Per-article metadata every chunk carries. Chroma cannot hold None: such keys are left out."""
    sha = article.sha256  # hashes the whole text: once per article
    meta: dict[str, Any] = {
        "article_id": sha[:16],
        "title": article.title,
        "author": article.author,
        "source": article.source,
        "article_sha256": sha,
    }
    if article.url:
        meta["url"] = article.url
    if article.published:
        meta["published"] = article.published.isoformat()
        meta["year"] = article.published.year
        # An int so that `where` can filter date ranges ($gte/$lt work on numbers only).
        meta["published_day"] = int(article.published.strftime("%Y%m%d"))
    return meta


def unit(value: float) -> float:
    """A similarity clipped to 0..1."""
    return min(1.0, max(0.0, float(value)))


def passage_from_chunk(
    chunk_id: str, text: str, meta: dict[str, Any], score: float | None = None
) -> Passage:
    return Passage(
        id=chunk_id,
        article_id=str(meta.get("article_id", chunk_id.split(":")[0])),
        title=str(meta.get("title") or ""),
        author=str(meta.get("author") or ""),  # chunks stored before bylines have none
        source=str(meta.get("source") or ""),
        published=_parse_date(published_iso(meta)),
        url=meta.get("url") or None,
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", len(text))),
        score=score,
    )
