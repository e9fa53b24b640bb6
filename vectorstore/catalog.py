"""What the archive holds, per article and in total, folded from the chunks' metadata.

Every chunk carries its article's metadata, so there is no second database of articles to
keep in step: the listing and the statistics read the metadata in pages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from vectorstore.chunks import published_iso

PAGE = 5000  # rows per metadata read: keeps memory flat on large archives


def iter_metadatas(collection: Any) -> Iterator[dict[str, Any]]:
    """Every chunk's metadata of a Chroma collection, read ``PAGE`` rows at a time."""
    offset = 0
    while True:
        page = collection.get(include=["metadatas"], limit=PAGE, offset=offset)
        metas = page["metadatas"] or []
        yield from (dict(m or {}) for m in metas)
        if len(metas) < PAGE:
            return
        offset += PAGE


def articles(metadatas: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per-article info (title, author, source, published, url, chunks) by article id."""
    found: dict[str, dict[str, Any]] = {}
    for meta in metadatas:
        aid = str(meta.get("article_id", ""))
        info = found.get(aid)
        if info is None:
            info = found[aid] = {
                "article_id": aid,
                "title": meta.get("title") or "",
                "author": meta.get("author") or "",
                "source": meta.get("source") or "",
                "published": published_iso(meta),
                "url": meta.get("url") or None,
                "chunks": 0,
            }
        info["chunks"] += 1
    return found


def listing(found: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per article, newest first (undated last), then by title."""
    rows = sorted(found.values(), key=lambda a: a["title"])
    rows.sort(key=lambda a: a["published"] or "", reverse=True)
    return rows


def stats(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Articles, chunks, sources, years and the date range."""
    rows = list(found.values())
    dates = sorted(a["published"] for a in rows if a["published"])
    years = Counter(int(a["published"][:4]) for a in rows if a["published"])
    return {
        "articles": len(rows),
        "chunks": sum(a["chunks"] for a in rows),
        "sources": dict(sorted(Counter(a["source"] for a in rows).items())),
        "years": dict(sorted(years.items())),
        "first_published": dates[0] if dates else None,
        "last_published": dates[-1] if dates else None,
    }
