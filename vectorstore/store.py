"""The archive store: one Chroma collection (cosine space) of article chunks.

Every chunk carries its article's metadata, so per-article facts (titles, sources, date
range, chunk counts) are derived from the chunks themselves: there is no second database
to keep in step. The same code runs embedded (PersistentClient) or against a Chroma server
(HttpClient), chosen by settings.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import chromadb
import chromadb.config
from chromadb.api import ClientAPI

from settings import Settings
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.models import Article, Passage

if TYPE_CHECKING:
    from langchain_chroma import Chroma

_PAGE = 5000  # rows per metadata read: keeps memory flat on large archives
_WRITE_BATCH = 256


def _published_iso(meta: dict[str, Any]) -> str | None:
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


def passage_from_chunk(
    chunk_id: str, text: str, meta: dict[str, Any], score: float | None = None
) -> Passage:
    return Passage(
        id=chunk_id,
        article_id=str(meta.get("article_id", chunk_id.split(":")[0])),
        title=str(meta.get("title") or ""),
        author=str(meta.get("author") or ""),  # chunks stored before bylines have none
        source=str(meta.get("source") or ""),
        published=_parse_date(_published_iso(meta)),
        url=meta.get("url") or None,
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", len(text))),
        score=score,
    )


class ArchiveStore:
    """The newsroom's archive of prior articles, chunked and embedded in one collection."""

    def __init__(
        self, client: ClientAPI, collection_name: str, embedding: MiniLMEmbeddings | None = None
    ) -> None:
        self.client = client
        self.collection_name = collection_name
        self.embedding = embedding or MiniLMEmbeddings()
        self.collection = client.get_or_create_collection(
            name=collection_name,
            embedding_function=self.embedding,
            configuration={"hnsw": {"space": "cosine"}},
        )
        space = (self.collection.configuration.get("hnsw") or {}).get("space", "cosine")
        if space != "cosine":
            raise ValueError(
                f"collection {collection_name!r} uses {space!r} distance; the archive needs cosine"
            )

    # --- writing -----------------------------------------------------------------------------

    def add_article(self, article: Article, passages: list[Passage]) -> bool:
        """Store an article's chunks. False (nothing written) if the article is already stored."""
        if not passages:
            raise ValueError(f"article {article.id} has no passages to store")
        shared = article_metadata(article)
        article_id = shared["article_id"]
        if self.has_article(article_id):
            return False
        ids = [f"{article_id}:{p.start}" for p in passages]
        texts = [p.text for p in passages]
        metas = [{**shared, "start": p.start, "end": p.end} for p in passages]
        # Embed everything first: a model failure then leaves the store untouched.
        vectors = self.embedding.encode(texts)
        try:
            for lo in range(0, len(ids), _WRITE_BATCH):
                hi = lo + _WRITE_BATCH
                self.collection.upsert(
                    ids=ids[lo:hi], documents=texts[lo:hi], metadatas=metas[lo:hi],
                    embeddings=vectors[lo:hi],
                )  # fmt: skip
        except Exception:
            self.collection.delete(ids=ids)  # no half-stored article
            raise
        return True

    def delete_article(self, article_id: str) -> int:
        """Remove an article's chunks; returns how many were deleted."""
        ids = self.collection.get(where={"article_id": article_id}, include=[])["ids"]
        if ids:
            self.collection.delete(ids=ids)
        return len(ids)

    # --- reading -----------------------------------------------------------------------------

    def has_article(self, article_id: str) -> bool:
        found = self.collection.get(where={"article_id": article_id}, limit=1, include=[])
        return bool(found["ids"])

    def count(self) -> int:
        return self.collection.count()

    def search(self, query: str, k: int, where: dict | None = None) -> list[Passage]:
        """The k chunks nearest to the query, best first; score = 1 - cosine distance, in 0..1."""
        if k < 1 or not query.strip() or self.collection.count() == 0:
            return []
        result = self.collection.query(
            query_texts=[query],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        rows = zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0],
            result["distances"][0], strict=True,
        )  # fmt: skip
        passages = [
            passage_from_chunk(cid, doc or "", dict(meta or {}), min(1.0, max(0.0, 1.0 - dist)))
            for cid, doc, meta, dist in rows
        ]
        return sorted(passages, key=lambda p: p.score or 0.0, reverse=True)

    def get_article_passages(self, article_id: str) -> list[Passage]:
        """An article's chunks in text order."""
        got = self.collection.get(
            where={"article_id": article_id}, include=["documents", "metadatas"]
        )
        passages = [
            passage_from_chunk(cid, doc or "", dict(meta or {}))
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]
        return sorted(passages, key=lambda p: p.start)

    def _iter_metadatas(self) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self.collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
            metas = page["metadatas"] or []
            yield from (dict(m or {}) for m in metas)
            if len(metas) < _PAGE:
                return
            offset += _PAGE

    def _articles(self) -> dict[str, dict[str, Any]]:
        """Per-article info, folded from chunk metadata."""
        articles: dict[str, dict[str, Any]] = {}
        for meta in self._iter_metadatas():
            aid = str(meta.get("article_id", ""))
            info = articles.get(aid)
            if info is None:
                info = articles[aid] = {
                    "article_id": aid,
                    "title": meta.get("title") or "",
                    "author": meta.get("author") or "",
                    "source": meta.get("source") or "",
                    "published": _published_iso(meta),
                    "url": meta.get("url") or None,
                    "chunks": 0,
                }
            info["chunks"] += 1
        return articles

    def list_articles(self) -> list[dict[str, Any]]:
        """One dict per stored article, newest first (undated last), then by title."""
        articles = list(self._articles().values())
        articles.sort(key=lambda a: a["title"])
        articles.sort(key=lambda a: a["published"] or "", reverse=True)
        return articles

    def stats(self) -> dict[str, Any]:
        articles = list(self._articles().values())
        dates = sorted(a["published"] for a in articles if a["published"])
        years = Counter(int(a["published"][:4]) for a in articles if a["published"])
        return {
            "articles": len(articles),
            "chunks": sum(a["chunks"] for a in articles),
            "sources": dict(sorted(Counter(a["source"] for a in articles).items())),
            "years": dict(sorted(years.items())),
            "first_published": dates[0] if dates else None,
            "last_published": dates[-1] if dates else None,
        }

    def as_langchain(self) -> Chroma:
        """A LangChain vector store over the same client, collection and embeddings."""
        from langchain_chroma import Chroma

        return Chroma(
            client=self.client,
            collection_name=self.collection_name,
            embedding_function=self.embedding,
        )


def make_client(settings: Settings) -> ClientAPI:
    """HttpClient when a Chroma server is configured, else an embedded store in a folder."""
    chroma_settings = chromadb.config.Settings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)


def open_store(settings: Settings, embedding: MiniLMEmbeddings | None = None) -> ArchiveStore:
    return ArchiveStore(make_client(settings), settings.collection, embedding)
