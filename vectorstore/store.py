"""The archive store: one Chroma collection (cosine space) of article chunks, and its
lexical index.

Every chunk carries its article's metadata, so per-article facts (titles, sources, date
range, chunk counts) are derived from the chunks themselves (``vectorstore.catalog``). The
same code runs embedded (PersistentClient) or against a Chroma server (HttpClient), chosen
by settings (``vectorstore.client``).

``search`` is the dense search (Chroma's nearest neighbours); ``search_hybrid`` adds BM25
from the lexical index (``vectorstore.lexical_index``, tantivy, on disk), which every add
and delete updates by chunk id after Chroma; opening a store brings an index that is out of
step (or missing, for an archive made before it) in step once (``vectorstore.lexical_sync``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api import ClientAPI

from settings import Settings
from vectorstore import catalog, hybrid, lexical
from vectorstore.chunks import article_metadata, passage_from_chunk, unit
from vectorstore.client import lexical_root, make_client
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.lexical_index import LexicalIndex, open_index
from vectorstore.lexical_sync import sync
from vectorstore.models import Article, Passage

if TYPE_CHECKING:
    from langchain_chroma import Chroma

__all__ = ["ArchiveStore", "article_metadata", "make_client", "open_store", "passage_from_chunk"]

_WRITE_BATCH = 256
_PENDING_MAX = 5000  # chunks a batch() holds back from the lexical index before a commit


class ArchiveStore:
    """The newsroom's archive of prior articles, chunked and embedded in one collection.

    ``lexical_dir``: the folder of lexical indexes (one per collection id); None keeps the
    index in memory, built from the collection when the store is opened.
    """

    def __init__(
        self,
        client: ClientAPI,
        collection_name: str,
        embedding: MiniLMEmbeddings | None = None,
        lexical_dir: Path | None = None,
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
        # Keyed by the collection's id: a collection deleted and made again gets a new index.
        path = lexical_dir / str(self.collection.id) if lexical_dir is not None else None
        self.lexical: LexicalIndex = open_index(path)
        self.lexical_sync = sync(self.collection, self.lexical)
        self._pending: list[tuple[str, str, str]] | None = None  # rows held back by batch()
        self._writes: list[tuple] | None = None  # chunks held back from Chroma by batch()

    # --- writing -----------------------------------------------------------------------------

    def add_article(self, article: Article, passages: list[Passage]) -> bool:
        """Store an article's chunks. False (nothing written) if the article is already stored.

        An article only partly stored (a process killed between two of Chroma's write
        batches) gets its missing chunks now, so a rerun completes it instead of skipping it.
        """
        if not passages:
            raise ValueError(f"article {article.id} has no passages to store")
        shared = article_metadata(article)
        article_id = shared["article_id"]
        ids = [f"{article_id}:{p.start}" for p in passages]
        held = {cid for w in self._writes or [] for cid in w[0]}  # written at the batch's end
        present = set(self.collection.get(ids=ids, include=[])["ids"]) | (held & set(ids))
        if len(present) == len(ids) or (not present and self.has_article(article_id)):
            return False  # stored whole (or whole with another chunk size)
        # Only the missing chunks: a chunk written again would be a replaced document in
        # the lexical index, which BM25's statistics count until its segment is merged.
        todo = [i for i, cid in enumerate(ids) if cid not in present]
        ids = [ids[i] for i in todo]
        texts = [passages[i].text for i in todo]
        metas = [{**shared, "start": passages[i].start, "end": passages[i].end} for i in todo]
        # Embed everything first: a model failure then leaves the store untouched.
        self.write_chunks(ids, texts, metas, self.embedding.encode(texts))
        return True

    def write_chunks(
        self,
        ids: list[str],
        texts: list[str],
        metas: list[dict[str, Any]],
        vectors: Any,
    ) -> None:
        """Write chunks with their vectors: to Chroma, then the lexical index; all or nothing.
        Inside ``batch()`` they are held until ``_WRITE_BATCH`` chunks are waiting, so Chroma
        takes many articles in one upsert (one upsert an article cost a quarter of ingest).

        ``add_article``'s second half, also used by bench/bench_query.py with vectors of its own.
        """
        if self._writes is None:
            self._write(ids, texts, metas, vectors)
            return
        self._writes.append((ids, texts, metas, vectors))
        if sum(len(w[0]) for w in self._writes) >= _WRITE_BATCH:
            self._write_held()

    def _write_held(self) -> None:
        if not self._writes:  # None outside batch(): nothing is ever held there
            return
        held, self._writes = self._writes, []
        ids, texts, metas = ([x for w in held for x in w[i]] for i in range(3))
        self._write(ids, texts, metas, np.concatenate([np.asarray(w[3]) for w in held]))

    def _write(
        self, ids: list[str], texts: list[str], metas: list[dict[str, Any]], vectors: Any
    ) -> None:
        try:
            for lo in range(0, len(ids), _WRITE_BATCH):
                hi = lo + _WRITE_BATCH
                self.collection.upsert(
                    ids=ids[lo:hi], documents=texts[lo:hi], metadatas=metas[lo:hi],
                    embeddings=vectors[lo:hi],
                )  # fmt: skip
            # After Chroma: a crash in between leaves chunks the index lacks, which the
            # next open adds (lexical_sync); never indexed chunks Chroma lacks.
            rows = [
                (cid, str(m["article_id"]), t) for cid, t, m in zip(ids, texts, metas, strict=True)
            ]
            if self._pending is None:
                self.lexical.update(add=rows)
            else:
                self._pending += rows
                if len(self._pending) >= _PENDING_MAX:
                    self._flush()
        except Exception:
            self.collection.delete(ids=ids)  # no half-stored article
            self.lexical.update(delete=ids)
            raise

    def _flush(self) -> None:
        if self._pending:
            rows, self._pending = self._pending, []
            self.lexical.update(add=rows)

    @contextmanager
    def batch(self) -> Iterator[ArchiveStore]:
        """Writes inside share Chroma upserts (``_WRITE_BATCH`` chunks) and lexical index
        commits (one per ``_PENDING_MAX`` chunks and one at the end) instead of one of each
        per article: a commit syncs to disk, some 50-100 ms here.

        Chunks written inside are in Chroma once their upsert is full or the block ends,
        and searchable by BM25 after the block; a crash inside loses the held chunks (the
        next ingest adds them) and leaves written ones out of the index until the next
        open adds them.
        """
        outer = self._pending is not None
        if not outer:
            self._pending, self._writes = [], []
        try:
            yield self
        finally:
            if not outer:
                try:
                    self._write_held()
                    self._flush()
                finally:
                    self._pending = self._writes = None

    def delete_article(self, article_id: str) -> int:
        """Remove an article's chunks (from Chroma, then the index); how many were deleted."""
        self._write_held()  # a chunk held back by batch() must not come back after its
        self._flush()  # delete
        ids = self.collection.get(where={"article_id": article_id}, include=[])["ids"]
        if ids:
            self.collection.delete(ids=ids)
            self.lexical.update(delete=ids)
        return len(ids)

    # --- reading -----------------------------------------------------------------------------

    def has_article(self, article_id: str) -> bool:
        found = self.collection.get(where={"article_id": article_id}, limit=1, include=[])
        return bool(found["ids"])

    def count(self) -> int:
        return self.collection.count()

    def fingerprint(self) -> str:
        """Identifies the archive's contents: changes with every chunk added or deleted.

        From the lexical index's facts (updated in the same commit as its chunks), so it
        costs one lookup, not a read of the archive; equal contents give equal fingerprints.
        """
        return f"{self.collection.id}-{self.lexical.fingerprint()}"

    def search(self, query: str, k: int, where: dict | None = None) -> list[Passage]:
        """The k chunks nearest to the query, best first; score = 1 - cosine distance, in 0..1."""
        if k < 1 or not query.strip() or self.collection.count() == 0:
            return []
        rows = hybrid.nearest(self.collection, n_results=k, where=where, query_texts=[query])
        passages = [
            passage_from_chunk(cid, doc, meta, unit(1.0 - dist)) for cid, doc, meta, dist in rows
        ]
        return sorted(passages, key=lambda p: p.score or 0.0, reverse=True)

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

        See ``vectorstore.hybrid``: ``where`` filters both sides; ``score`` stays the
        cosine similarity the floor ``min_score`` is compared with.
        """
        if method == "dense":
            return self.search(query, k, where)
        if method not in ("bm25", "hybrid"):
            raise ValueError(f"unknown retrieval method {method!r}")
        total = self.count()
        if k < 1 or not query.strip() or total == 0:
            return []
        vector = self.embedding.encode([query])[0]
        return hybrid.search(
            self.collection, self.lexical, vector, query, k, where,
            method=method, weight=weight, pool=pool, total=total,
        )  # fmt: skip

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

    def list_articles(self) -> list[dict[str, Any]]:
        """One dict per stored article, newest first (undated last), then by title."""
        return catalog.listing(catalog.articles(catalog.iter_metadatas(self.collection)))

    def stats(self) -> dict[str, Any]:
        return catalog.stats(catalog.articles(catalog.iter_metadatas(self.collection)))

    def as_langchain(self) -> Chroma:
        """A LangChain vector store over the same client, collection and embeddings."""
        from langchain_chroma import Chroma

        return Chroma(
            client=self.client,
            collection_name=self.collection_name,
            embedding_function=self.embedding,
        )


def open_store(settings: Settings, embedding: MiniLMEmbeddings | None = None) -> ArchiveStore:
    """The configured archive, its lexical index in ``client.lexical_root(settings)``."""
    return ArchiveStore(
        make_client(settings), settings.collection, embedding, lexical_root(settings)
    )
