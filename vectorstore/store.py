"""The archive store: one Chroma collection (cosine space) of article chunks.

Every chunk carries its article's metadata, so per-article facts (titles, sources, date
range, chunk counts) are derived from the chunks themselves: there is no second database
to keep in step. The same code runs embedded (PersistentClient) or against a Chroma server
(HttpClient), chosen by settings.

``search`` is the dense search (Chroma's nearest neighbours); ``search_hybrid`` adds BM25
over the chunk texts (``vectorstore.lexical``), from an index built in memory on first use
and rebuilt when the collection's count changes.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import chromadb
import chromadb.config
import numpy as np
from chromadb.api import ClientAPI

from settings import Settings
from vectorstore import lexical
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.models import Article, Passage

if TYPE_CHECKING:
    from langchain_chroma import Chroma

_PAGE = 5000  # rows per metadata read: keeps memory flat on large archives
_FILTER_ROUNDS = 5  # batches of BM25 candidates checked against a `where` filter
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


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


@dataclass(frozen=True)
class LexicalIndex:
    """BM25 over a collection's chunk texts as they were when ``count`` was read."""

    count: int
    ids: list[str]
    row_of: dict[str, int]
    bm25: lexical.BM25Index
    seconds: float

    @classmethod
    def build(cls, collection: Any, count: int) -> LexicalIndex:
        """Read every chunk's text (in pages of ``_PAGE``) and index it."""
        started = time.perf_counter()
        ids: list[str] = []

        def tokens() -> Iterator[list[str]]:  # streamed: no list of every chunk's tokens
            offset = 0
            while True:
                page = collection.get(include=["documents"], limit=_PAGE, offset=offset)
                ids.extend(page["ids"])
                yield from (lexical.tokenize(doc or "") for doc in page["documents"] or [])
                if len(page["ids"]) < _PAGE:
                    return
                offset += _PAGE

        bm25 = lexical.BM25Index(tokens())
        row_of = {cid: row for row, cid in enumerate(ids)}
        return cls(count, ids, row_of, bm25, time.perf_counter() - started)


_LEXICAL: dict[str, LexicalIndex] = {}  # collection id -> its index (one per collection)
_LEXICAL_LOCK = threading.Lock()


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

    def _nearest(
        self, *, n_results: int, where: dict | None, **query: Any
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """Chroma's nearest chunks to one query: (id, text, metadata, cosine distance)."""
        result = self.collection.query(
            n_results=n_results,
            where=where or None,
            include=["documents", "metadatas", "distances"],
            **query,
        )
        rows = zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0],
            result["distances"][0], strict=True,
        )  # fmt: skip
        return [(cid, doc or "", dict(meta or {}), float(dist)) for cid, doc, meta, dist in rows]

    def search(self, query: str, k: int, where: dict | None = None) -> list[Passage]:
        """The k chunks nearest to the query, best first; score = 1 - cosine distance, in 0..1."""
        if k < 1 or not query.strip() or self.collection.count() == 0:
            return []
        rows = self._nearest(n_results=k, where=where, query_texts=[query])
        passages = [
            passage_from_chunk(cid, doc, meta, _unit(1.0 - dist)) for cid, doc, meta, dist in rows
        ]
        return sorted(passages, key=lambda p: p.score or 0.0, reverse=True)

    # --- lexical and hybrid search -----------------------------------------------------------

    def lexical_index(self) -> LexicalIndex:
        """BM25 over every chunk's text: built on first use, rebuilt when the count changes.

        Shared by every ArchiveStore on the same collection in this process. Building
        reads all chunk texts (paged) and tokenizes them: see ``LexicalIndex.build``.
        """
        key = str(self.collection.id)
        with _LEXICAL_LOCK:
            count = self.count()
            cached = _LEXICAL.get(key)
            if cached is None or cached.count != count:
                cached = _LEXICAL[key] = LexicalIndex.build(self.collection, count)
            return cached

    def search_hybrid(
        self,
        query: str,
        k: int,
        where: dict | None = None,
        *,
        method: str = "hybrid",
        weight: float = lexical.DEFAULT_WEIGHT,
        pool: int = lexical.POOL,
    ) -> list[Passage]:
        """The k best chunks by ``method`` ("dense", "bm25" or "hybrid"), best first.

        hybrid: the ``pool`` nearest chunks (Chroma) and the ``pool`` best by BM25 are
        joined and ranked by ``lexical.fuse``; bm25: the BM25 best alone. ``where``
        filters both sides (Chroma applies it to the BM25 candidates too). Whatever the
        method, ``score`` stays the cosine similarity to the query in 0..1, the floor
        ``min_score`` is compared with: the fusion only decides the order and the top k.
        """
        if method == "dense":
            return self.search(query, k, where)
        if method not in ("bm25", "hybrid"):
            raise ValueError(f"unknown retrieval method {method!r}")
        total = self.count()
        if k < 1 or not query.strip() or total == 0:
            return []
        n = max(k, pool)
        vector = self.embedding.encode([query])[0]
        found: dict[str, tuple[str, dict[str, Any], float]] = {}  # id -> text, meta, cosine
        if method == "hybrid":
            rows = self._nearest(n_results=min(n, total), where=where, query_embeddings=[vector])
            for cid, doc, meta, dist in rows:
                found[cid] = (doc, meta, 1.0 - dist)
        index = self.lexical_index()
        bm25 = index.bm25.scores(query)
        lexical_ids = self._lexical_candidates(index, bm25, n, where, vector, found)
        ids = list(found) if method == "hybrid" else lexical_ids
        if not ids:
            return []
        cosine = np.array([found[cid][2] for cid in ids])
        sparse = np.array(
            [bm25[r] if (r := index.row_of.get(cid)) is not None else 0.0 for cid in ids]
        )
        fused = lexical.fuse(cosine, sparse, weight) if method == "hybrid" else sparse
        order = sorted(range(len(ids)), key=lambda i: (-fused[i], -cosine[i], ids[i]))[:k]
        return [
            passage_from_chunk(ids[i], found[ids[i]][0], found[ids[i]][1], _unit(cosine[i]))
            for i in order
        ]

    def _lexical_candidates(
        self,
        index: LexicalIndex,
        bm25: np.ndarray,
        n: int,
        where: dict | None,
        vector: np.ndarray,
        found: dict[str, tuple[str, dict[str, Any], float]],
    ) -> list[str]:
        """The ``n`` best chunks by BM25 that pass ``where``, added to ``found``.

        Candidates are checked in batches of ``n`` (at most ``_FILTER_ROUNDS`` of them)
        by asking Chroma for those ids under ``where``, so the filter means exactly what
        it means for the dense side; their cosine comes from their stored vectors.
        """
        ranked = index.bm25.top(bm25, len(bm25))
        kept: list[str] = []
        for lo in range(0, min(len(ranked), n * _FILTER_ROUNDS), n):
            batch = [index.ids[r] for r in ranked[lo : lo + n]]
            # Everything in ``found`` already passed ``where`` (dense hits, earlier batches).
            missing = [cid for cid in batch if cid not in found]
            if missing:
                got = self.collection.get(
                    ids=missing,
                    where=where or None,
                    include=["documents", "metadatas", "embeddings"],
                )
                rows = zip(
                    got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
                )
                for cid, doc, meta, emb in rows:
                    found[cid] = (doc or "", dict(meta or {}), float(np.dot(vector, emb)))
            kept += [cid for cid in batch if cid in found][: n - len(kept)]
            if len(kept) >= n or not where:
                break
        return kept

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
