"""Ingest files, folders and URLs into the archive store.

The loaders live in `vectorstore.loaders` and the chunking in `vectorstore.chunking`; their
public names are re-exported here, so `from vectorstore.ingest import ...` keeps working.
`ingest` loads and validates a whole file before it writes any of it, so a bad file leaves
the store as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from vectorstore.chunking import _sentence_spans, chunk_article  # noqa: F401 (bench uses it)
from vectorstore.loaders import (
    LOADERS,
    IngestError,
    article_from_record,
    article_from_text,
    load_file,
    load_url,
    normalize_text,
    parse_date,
    read_bytes_as_text,
)
from vectorstore.models import Article, IngestReport, Passage, Rejected
from vectorstore.web import fetch_article

if TYPE_CHECKING:
    from vectorstore.store import ArchiveStore

__all__ = [
    "LOADERS",
    "IngestError",
    "article_from_record",
    "article_from_text",
    "chunk_article",
    "ingest",
    "load_file",
    "load_url",
    "normalize_text",
    "parse_date",
    "read_bytes_as_text",
]


def _is_url(item: str) -> bool:
    return bool(re.match(r"[a-z][a-z0-9+.-]*://", item.strip(), re.IGNORECASE))


def _expand(item: str) -> Iterator[Path]:
    """A folder's visible files, recursively and in sorted order; a file as itself."""
    path = Path(item)
    if not path.is_dir():
        yield path
        return
    for child in sorted(path.rglob("*")):
        rel = child.relative_to(path)
        if child.is_file() and not any(part.startswith(".") for part in rel.parts):
            yield child


def _load_item(item: str | Path, allow_private_urls: bool) -> list[Article]:
    if isinstance(item, str) and _is_url(item):
        return [fetch_article(item, allow_private=allow_private_urls)]
    path = Path(item)
    if not path.exists():
        raise IngestError(f"{path}: no such file or folder")
    return load_file(path)


def _prepare(
    articles: list[Article], max_article_chars: int, chunk_chars: int
) -> list[tuple[Article, list[Passage]]]:
    prepared = []
    for article in articles:
        if len(article.text) > max_article_chars:
            raise IngestError(f"{article.origin}: article too long ({len(article.text):,} "
                              f"characters; limit {max_article_chars:,})")  # fmt: skip
        prepared.append((article, chunk_article(article, chunk_chars)))
    return prepared


def ingest(
    paths_or_urls: list[str],
    store: ArchiveStore,
    *,
    chunk_chars: int,
    max_article_chars: int = 2_000_000,
    allow_private_urls: bool = False,
) -> IngestReport:
    """Add files, folders and URLs to the store; what failed or was already there is reported.

    URLs on the server's own network are refused unless `allow_private_urls`.
    """
    report = IngestReport()
    seen: set[str] = set()
    items: list[str | Path] = []
    for raw in map(str, paths_or_urls):
        items.extend([raw] if _is_url(raw) else _expand(raw))
    for item in items:
        try:
            # Load, validate and chunk the whole file before writing any of it.
            prepared = _prepare(
                _load_item(item, allow_private_urls), max_article_chars, chunk_chars
            )
        except IngestError as e:
            report.rejected.append(Rejected(name=str(item), reason=str(e)))
            continue
        for article, passages in prepared:
            name = article.origin or str(item)
            if article.id in seen or not store.add_article(article, passages):
                report.duplicates.append(name)
            else:
                report.added.append(name)
                report.chunks_added += len(passages)
            seen.add(article.id)
    return report
