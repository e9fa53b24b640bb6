"""Evidence for the verdict runner: given passages and the end-to-end archive.

* ``given_passages``: an item's evidence as scored Passages (cosine similarity of our
  MiniLM embeddings to the claim, as an archive search would score them); a text
  longer than ``chunk_chars`` is cut with ``chunk_article`` and only its ``top`` chunks
  most similar to the claim are kept (``top=0``: every text whole, however long; the
  judge's context must then hold it).
* ``archive_for``: a Chroma archive (a temporary folder, or a kept ``store_dir``)
  holding the items' documents and any distractor files or folders.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import VerdictItem
from eval.harness import ProgressLine
from settings import Settings
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.ingest import IngestError, article_from_text, chunk_article, ingest
from vectorstore.models import Article, Passage
from vectorstore.store import ArchiveStore, open_store


class Similarity:
    """Cosine similarity of a claim to texts, with each text embedded once."""

    def __init__(self, embeddings: MiniLMEmbeddings) -> None:
        self.embeddings = embeddings
        self._memo: dict[str, np.ndarray] = {}

    def scores(self, claim: str, texts: list[str]) -> list[float]:
        missing = list(dict.fromkeys(t for t in [claim, *texts] if t not in self._memo))
        for text, vector in zip(missing, self.embeddings.encode(missing), strict=True):
            self._memo[text] = vector
        q = self._memo[claim]
        return [float(min(1.0, max(0.0, q @ self._memo[t]))) for t in texts]


def article_of(text: str, doc: dict[str, str], item: VerdictItem) -> Article | None:
    try:
        return article_from_text(
            text,
            title=doc.get("title", ""),
            url=doc.get("url") or None,
            source=item.source,
            origin=f"{item.source}:{item.id}",
        )
    except IngestError:
        return None  # empty evidence


def given_passages(
    item: VerdictItem, similarity: Similarity, *, chunk_chars: int, top: int
) -> list[Passage]:
    """The item's evidence as scored passages; long documents as their top chunks."""
    passages: list[Passage] = []
    for i, text in enumerate(item.evidence):
        doc = item.documents[i] if i < len(item.documents) else {}
        article = article_of(text, doc, item)
        if article is None:
            continue
        if top > 0 and len(article.text) > chunk_chars:
            chunks = chunk_article(article, chunk_chars)
            scores = similarity.scores(item.claim, [c.text for c in chunks])
            ranked = sorted(zip(scores, range(len(chunks)), strict=True), reverse=True)[:top]
            passages += [chunks[k].model_copy(update={"score": s}) for s, k in ranked]
            continue
        score = similarity.scores(item.claim, [article.text])[0]
        common = article.model_dump(include={"title", "source", "url"})
        passages.append(
            Passage(
                id=f"{article.id}:0",
                article_id=article.id,
                text=article.text,
                start=0,
                end=len(article.text),
                score=score,
                **common,
            )
        )
    return passages


@contextmanager
def archive_for(
    items: Sequence[VerdictItem],
    settings: Settings,
    embeddings: MiniLMEmbeddings,
    *,
    distractors: Sequence[str] = (),
    store_dir: Path | None = None,
    progress: bool = True,
) -> Iterator[tuple[ArchiveStore, dict[str, Any]]]:
    """A Chroma archive holding the items' documents and the distractors."""
    with tempfile.TemporaryDirectory(prefix="factcheck-eval-", ignore_cleanup_errors=True) as tmp:
        folder = Path(store_dir) if store_dir else Path(tmp) / "store"
        store = open_store(
            settings.model_copy(update={"store_dir": folder, "chroma_host": None}), embeddings
        )
        articles: dict[str, Article] = {}
        for item in items:
            for doc in item.documents:
                article = article_of(doc.get("text", ""), doc, item)
                if article is not None:
                    articles.setdefault(article.id, article)
        bar = ProgressLine(len(articles), "archive", enabled=progress)
        added = 0
        for article in articles.values():
            added += store.add_article(article, chunk_article(article, settings.chunk_chars))
            bar.update()
        bar.close()
        info: dict[str, Any] = {"documents": len(articles), "documents_added": added}
        if distractors:
            report = ingest(list(distractors), store, chunk_chars=settings.chunk_chars)
            info["distractors_added"] = len(report.added)
            info["distractors_rejected"] = len(report.rejected)
        info["chunks"] = store.count()
        info["store"] = str(folder) if store_dir else "temporary"
        yield store, info


def own_articles(item: VerdictItem) -> set[str]:
    return {a.id for doc in item.documents if (a := article_of(doc.get("text", ""), doc, item))}


@contextmanager
def maybe_archive(
    wanted: bool,
    items: Sequence[VerdictItem],
    settings: Settings,
    embeddings: MiniLMEmbeddings,
    distractors: Sequence[str],
    store_dir: Path | None,
    progress: bool,
) -> Iterator[tuple[ArchiveStore | None, dict[str, Any]]]:
    if not wanted:
        yield None, {}
        return
    with archive_for(
        items,
        settings,
        embeddings,
        distractors=distractors,
        store_dir=store_dir,
        progress=progress,
    ) as (store, info):
        yield store, info
