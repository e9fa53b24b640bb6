"""Ingest files, folders and URLs into the archive store.

The loaders live in `vectorstore.loaders` and the chunking in `vectorstore.chunking`; their
public names are re-exported here, so `from vectorstore.ingest import ...` keeps working.
`ingest` loads and validates a whole file before it writes any of it, so a bad file leaves
the store as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from vectorstore.chunking import chunk_article
from vectorstore.limits import MAX_ARTICLE_CHARS, InputLimits
from vectorstore.loaders import (
    LOADERS,
    IngestError,
    article_from_record,
    article_from_text,
    load_file,
    normalize_text,
    parse_date,
    read_bytes_as_text,
)
from vectorstore.models import Article, IngestReport, Passage, Rejected
from vectorstore.web import fetch_article, load_url

if TYPE_CHECKING:
    from vectorstore.store import ArchiveStore

__all__ = [
    "LOADERS",
    "MAX_ARTICLE_CHARS",
    "IngestError",
    "InputLimits",
    "article_from_record",
    "article_from_text",
    "chunk_article",
    "ingest",
    "load_file",
    "load_url",
    "normalize_text",
    "parse_date",
    "read_bytes_as_text",
    "store_loaded",
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


def _load_item(item: str | Path, allow_private_urls: bool, limits: InputLimits) -> list[Article]:
    if isinstance(item, str) and _is_url(item):
        return [fetch_article(item, allow_private=allow_private_urls, limits=limits)]
    path = Path(item)
    if not path.exists():
        raise IngestError(f"{path}: no such file or folder")
    return load_file(path, limits=limits)


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


def store_loaded(
    loaded: Iterable[tuple[str, list[Article] | IngestError]],
    store: ArchiveStore,
    *,
    chunk_chars: int,
    max_article_chars: int = MAX_ARTICLE_CHARS,
    source: str = "",
    published: dt.date | None = None,
) -> IngestReport:
    """Write what was loaded (name -> its articles, or why it could not be read).

    Each file goes in whole or not at all; `source` and `published`, when given, replace
    what the files say. Shared by `ingest` and the app's Archive page.
    """
    changes: dict[str, object] = {"source": source.strip()} if source.strip() else {}
    if published:
        changes["published"] = published
    report = IngestReport()
    seen: set[str] = set()
    with store.batch():  # one lexical index commit for many articles, not one each
        for name, got in loaded:
            try:
                if isinstance(got, IngestError):
                    raise got
                articles = [a.model_copy(update=changes) for a in got]
                # Validate and chunk the whole file before writing any of it.
                prepared = _prepare(articles, max_article_chars, chunk_chars)
            except IngestError as e:
                report.rejected.append(Rejected(name=name, reason=str(e)))
                continue
            for article, passages in prepared:
                label = article.origin or name
                if article.id in seen or not store.add_article(article, passages):
                    report.duplicates.append(label)
                else:
                    report.added.append(label)
                    report.chunks_added += len(passages)
                seen.add(article.id)
    return report


def _load_all(
    items: list[str | Path], allow_private_urls: bool, limits: InputLimits
) -> Iterator[tuple[str, list[Article] | IngestError]]:
    for item in items:
        try:
            yield str(item), _load_item(item, allow_private_urls, limits)
        except IngestError as e:
            yield str(item), e


def ingest(
    paths_or_urls: list[str],
    store: ArchiveStore,
    *,
    chunk_chars: int,
    max_article_chars: int = MAX_ARTICLE_CHARS,
    allow_private_urls: bool = False,
    source: str = "",
    published: dt.date | None = None,
    limits: InputLimits | None = None,
) -> IngestReport:
    """Add files, folders and URLs to the store; what failed or was already there is reported.

    URLs on the server's own network are refused unless `allow_private_urls`; `source` and
    `published` replace what the files say. Each input is read within `limits` (their
    article length is `max_article_chars`), and one over a limit is rejected, not the run.
    """
    limits = (limits or InputLimits()).model_copy(update={"max_article_chars": max_article_chars})
    items: list[str | Path] = []
    for raw in map(str, paths_or_urls):
        items.extend([raw] if _is_url(raw) else _expand(raw))
    return store_loaded(
        _load_all(items, allow_private_urls, limits),
        store,
        chunk_chars=chunk_chars,
        max_article_chars=max_article_chars,
        source=source,
        published=published,
    )
