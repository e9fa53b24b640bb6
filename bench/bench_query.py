"""Archive query latency and lexical index cost at N chunks, as one JSON object on stdout.

Builds a temporary embedded archive (``open_store``, removed at the end) of N chunks:
text assembled from the sentences of a corpus (default: the BBC 2005 archive) to about
800 characters a chunk, five chunks an article, stored with synthetic unit vectors (hashed
from the text, so no embedding model runs and no embedding time is counted). Then:

- ``build_seconds``: the bulk load (batches of ``--batch`` chunks through
  ``ArchiveStore.write_chunks``: Chroma, then one lexical index commit per batch), split
  into ``chroma_seconds`` and ``lexical_seconds``;
- ``dense``, ``lexical``, ``hybrid``: p50/p95/mean ms of ``search`` and ``search_hybrid``
  (k = ``--k``) over ``--queries`` sentences of the corpus, after ``--warmup`` queries;
  ``lexical_index``: the index's own top-100 (tantivy alone, no Chroma);
- ``add_1000_seconds``: 1,000 more chunks written as 200 articles of 5 chunks inside one
  ``ArchiveStore.batch()``, as ingest does, with the index's share (its commit at the end
  of the block, ``add_1000_lexical_seconds``); ``lexical_commit_ms_per_article``: the index
  commit of an article written alone (20 of them), as ``add_article`` outside a batch;
- ``delete_200_articles_seconds``: those 200 deleted one by one (Chroma, then one index
  commit each);
- ``lexical_rebuild_seconds``: the one-off build of an index from the archive (an archive
  from before the index, or an index folder removed), unless ``--no-rebuild``;
- ``peak_rss_mb`` of this process (Chroma runs embedded in it), and the sizes on disk.

    .venv/bin/python bench/bench_query.py --chunks 10000
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import _util
import numpy as np
from _util import ROOT, log, timed

DEFAULT_CORPUS = ROOT.parent / "shared" / "eval" / "archive" / "bbc-2005"
CHUNK_CHARS = 800
PER_ARTICLE = 5
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def sentences(corpus: Path) -> list[str]:
    found = []
    for path in sorted(corpus.rglob("*.txt")):
        if path.name.upper().startswith("README"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [s for s in (p.strip() for p in _SENTENCE.split(text)) if len(s) > 30]
    if not found:
        raise SystemExit(f"no sentences under {corpus}")
    return found


def make_embeddings() -> Any:
    from vectorstore.embeddings import DIMENSIONS, MiniLMEmbeddings

    class HashedVectors(MiniLMEmbeddings):
        """Unit vectors seeded by each text's hash: no model, the same text the same vector."""

        def encode(self, texts: list[str] | str) -> np.ndarray:
            texts = [texts] if isinstance(texts, str) else texts
            out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
            for i, text in enumerate(texts):
                seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())
                v = np.random.default_rng(seed).standard_normal(DIMENSIONS)
                out[i] = v / np.linalg.norm(v)
            return out

    return HashedVectors()


class Corpus:
    """Chunks of random corpus sentences, grouped into articles of PER_ARTICLE chunks."""

    def __init__(self, pool: list[str], seed: int) -> None:
        self.pool, self.rng, self.n = pool, random.Random(seed), 0

    def chunk(self) -> str:
        parts, size = [], 0
        while size < CHUNK_CHARS - 100:
            s = self.rng.choice(self.pool)
            parts.append(s)
            size += len(s) + 1
        return " ".join(parts)

    def articles(self, chunks: int) -> list[tuple[list[str], list[str], list[dict]]]:
        out = []
        for lo in range(0, chunks, PER_ARTICLE):
            aid = f"a{self.n:08d}"
            self.n += 1
            texts = [self.chunk() for _ in range(min(PER_ARTICLE, chunks - lo))]
            starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]]).tolist()
            meta = {"article_id": aid, "title": f"Article {aid}", "author": "", "source": "BBC"}
            metas = [
                {**meta, "start": s, "end": s + len(t)} for s, t in zip(starts, texts, strict=True)
            ]
            out.append(([f"{aid}:{s}" for s in starts], texts, metas))
        return out


def write(store: Any, emb: Any, batch: list[tuple[list[str], list[str], list[dict]]]) -> tuple:
    """Chroma then the index, as ``write_chunks`` does, timed apart (one commit per call)."""
    ids = [i for a in batch for i in a[0]]
    texts = [t for a in batch for t in a[1]]
    metas = [m for a in batch for m in a[2]]
    vectors = emb.encode(texts)
    chroma, _ = timed(lambda: store.collection.upsert(ids=ids, documents=texts, metadatas=metas, embeddings=vectors))  # fmt: skip
    rows = [(c, m["article_id"], t) for c, t, m in zip(ids, texts, metas, strict=True)]
    lexical, _ = timed(lambda: store.lexical.update(add=rows))
    return chroma, lexical


def latency(fn: Any, queries: list[str], warmup: int) -> dict[str, float]:
    for q in queries[:warmup]:
        fn(q)
    ms = []
    for q in queries[warmup:]:
        seconds, _ = timed(lambda q=q: fn(q))
        ms.append(seconds * 1000)
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "mean_ms": float(np.mean(ms)),
        "n": len(ms),
    }


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--batch", type=int, default=5000, help="chunks per bulk-load commit")
    ap.add_argument("--no-rebuild", action="store_true", help="skip lexical_rebuild_seconds")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from settings import Settings
    from vectorstore import lexical as lexical_terms
    from vectorstore.store import ArchiveStore, open_store

    machine = _util.machine()
    pool = sentences(args.corpus)
    corpus = Corpus(pool, args.seed)
    queries = random.Random(args.seed + 1).sample(pool, args.queries + args.warmup)
    emb = make_embeddings()
    tmp = Path(tempfile.mkdtemp(prefix="bench-query-"))
    result: dict[str, Any] = {"chunks": args.chunks}
    try:
        settings = Settings(store_dir=tmp / "store", chroma_host=None, lexical_dir=None)
        store = open_store(settings, embedding=emb)
        chroma_s = lexical_s = 0.0
        per_batch = max(PER_ARTICLE, args.batch - args.batch % PER_ARTICLE)
        for lo in range(0, args.chunks, per_batch):
            c, lx = write(store, emb, corpus.articles(min(per_batch, args.chunks - lo)))
            chroma_s, lexical_s = chroma_s + c, lexical_s + lx
            log(
                f"{min(lo + per_batch, args.chunks)} chunks (chroma {chroma_s:.0f} s, lexical {lexical_s:.0f} s)"
            )
        result |= {
            "build_seconds": chroma_s + lexical_s,
            "chroma_seconds": chroma_s,
            "lexical_seconds": lexical_s,
            "build_batch": per_batch,
        }
        assert store.count() == store.lexical.count() == args.chunks

        log("queries")
        result["dense"] = latency(lambda q: store.search(q, args.k), queries, args.warmup)
        result["lexical"] = latency(
            lambda q: store.search_hybrid(q, args.k, method="bm25"), queries, args.warmup
        )
        result["hybrid"] = latency(lambda q: store.search_hybrid(q, args.k), queries, args.warmup)
        result["lexical_index"] = latency(
            lambda q: store.lexical.top(lexical_terms.tokenize(q), 100), queries, args.warmup
        )

        log("add 1000 chunks as 200 articles in one batch(), as ingest does")
        added = corpus.articles(1000)
        vectors = [emb.encode(a[1]) for a in added]
        with store.batch():
            started = time.perf_counter()
            for (ids, texts, metas), vecs in zip(added, vectors, strict=True):
                store.write_chunks(ids, texts, metas, vecs)
            flushing = time.perf_counter()
        done = time.perf_counter()
        result["add_1000_seconds"] = done - started
        result["add_1000_lexical_seconds"] = done - flushing  # the batch's index commit
        log("20 articles, one index commit each (add_article outside a batch)")
        single = corpus.articles(100)
        commits = [write(store, emb, [article])[1] * 1000 for article in single]
        result["lexical_commit_ms_per_article"] = {
            "p50": float(np.percentile(commits, 50)),
            "max": max(commits),
        }
        removed, _ = timed(lambda: [store.delete_article(a[2][0]["article_id"]) for a in added])
        result["delete_200_articles_seconds"] = removed
        for article in single:
            store.delete_article(article[2][0]["article_id"])
        assert store.count() == store.lexical.count() == args.chunks

        if not args.no_rebuild:
            log("one-off rebuild of an index from the archive")
            fresh = ArchiveStore(store.client, settings.collection, emb, tmp / "rebuilt")
            result["lexical_rebuild_seconds"] = fresh.lexical_sync["seconds"]

        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        lexical_dir = tmp / "store" / "lexical"
        result["disk_mb"] = {
            "lexical": folder_mb(lexical_dir),
            "chroma": folder_mb(tmp / "store") - folder_mb(lexical_dir),
        }
        result["config"] = {
            "corpus": str(args.corpus),
            "sentences": len(pool),
            "chunk_chars": CHUNK_CHARS,
            "chunks_per_article": PER_ARTICLE,
            "k": args.k,
            "vectors": "synthetic unit vectors (hash of the text)",
        }
        result["machine"] = machine
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _util.emit(result)


if __name__ == "__main__":
    main()
