"""Bring the lexical index in step with its Chroma collection, when it is not.

Normal operation never needs this: ``ArchiveStore`` writes every chunk to Chroma and then
to the index, and deletes from both. It is for the cases where the two differ when a store
is opened: an archive made before the index existed (or whose index folder was removed),
a crash between the two writes, or a writer that does not share this host's index (another
host against the same Chroma server). Equal chunk counts are taken as in step (``full`` checks
the ids anyway); otherwise the two sets of ids are compared and only the difference is
written (an empty index gets every chunk, once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from vectorstore.catalog import PAGE
from vectorstore.lexical_index import LexicalIndex

log = logging.getLogger(__name__)


def _pages(collection: Any, include: list[str]) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        page = collection.get(include=include, limit=PAGE, offset=offset)
        yield page
        if len(page["ids"]) < PAGE:
            return
        offset += PAGE


def _rows(ids: list[str], docs: list[str | None] | None, metas: list[Any] | None) -> list:
    docs = docs or [None] * len(ids)
    metas = metas or [None] * len(ids)
    return [
        (cid, str((meta or {}).get("article_id", cid.split(":")[0])), doc or "")
        for cid, doc, meta in zip(ids, docs, metas, strict=True)
    ]


def sync(collection: Any, index: LexicalIndex, *, full: bool = False) -> dict[str, Any]:
    """Make ``index`` hold exactly the collection's chunks; what was done, for logs and tests.

    ``full`` compares the ids even when the counts are equal (one article deleted and
    another of as many chunks added by a writer that does not share this index).
    """
    started = time.perf_counter()
    total, held = collection.count(), index.count()
    report: dict[str, Any] = {"chunks": total, "indexed": held, "added": 0, "deleted": 0}
    if total == held and not full:
        return report
    if held == 0 and total:  # the one-off build: stream every chunk once
        for page in _pages(collection, ["documents", "metadatas"]):
            rows = _rows(page["ids"], page["documents"], page["metadatas"])
            index.update(add=rows)
            report["added"] += len(rows)
    else:
        stored: set[str] = set()
        for page in _pages(collection, []):
            stored.update(page["ids"])
        indexed = index.ids()
        stale, missing = sorted(indexed - stored), sorted(stored - indexed)
        if stale:
            index.update(delete=stale)
        for lo in range(0, len(missing), PAGE):
            got = collection.get(ids=missing[lo : lo + PAGE], include=["documents", "metadatas"])
            index.update(add=_rows(got["ids"], got["documents"], got["metadatas"]))
        report |= {"added": len(missing), "deleted": len(stale)}
    report["seconds"] = round(time.perf_counter() - started, 3)
    log.info("lexical index brought in step with the archive: %s", report)
    return report
