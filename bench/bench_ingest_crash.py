"""Ingest killed (SIGKILL) at three moments, then run again: does the archive equal a clean run?

Issue 12's target on a real corpus (default: the BBC 2005 archive). One clean
`cli.py ingest` into a fresh store gives the reference figures; then, for each kill
fraction, a fresh store gets the same ingest as a real subprocess, killed after that
fraction of the clean run's seconds, and an ingest run again to completion. Each store is
read in a separate process straight from its files (Chroma's SQLite and the tantivy index as
left on disk), never through `ArchiveStore`, whose opening would repair the lexical index
and hide a rerun that left it out of step.

    .venv/bin/python bench/bench_ingest_crash.py [--corpus DIR] [--fractions 0.15,0.45,0.8]

JSON on stdout, progress on stderr. Stores go to a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _util import ROOT, emit, log, machine

DEFAULT_CORPUS = ROOT.parent / "shared" / "eval" / "archive" / "bbc-2005"
QUERIES = ["oil prices rise", "chancellor budget election", "mobile phone music downloads"]
# Compared between the clean run and each rerun; fingerprint (collection id + the index's
# fingerprint) is reported but differs by store, so its index part is what is compared.
COMPARED = (
    "articles",
    "chunks",
    "lexical_docs",
    "lexical_fingerprint",
    "chunk_id_hash",
    "chunk_content_hash",
    "index_in_step",
    "bm25_top10_scores",
    "dense_self_hits",
)
DENSE_SAMPLE = 200  # chunks queried with their own vector: each must find itself
EMBEDDING_TOLERANCE = 1e-3  # summed vectors: the same texts embedded in other batches


def _sha(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def read_store(store: Path) -> dict[str, Any]:
    """The figures of a store folder, read from its files without repairing anything."""
    import chromadb
    import chromadb.config

    from settings import Settings
    from vectorstore import lexical
    from vectorstore.lexical_index import LexicalIndex

    if not (store / "chroma.sqlite3").exists():
        return {"articles": 0, "chunks": 0, "lexical_docs": 0}
    client = chromadb.PersistentClient(
        path=str(store), settings=chromadb.config.Settings(anonymized_telemetry=False)
    )
    try:
        collection = client.get_collection(Settings().collection)
    except Exception:  # noqa: BLE001 - killed before the collection was made
        return {"articles": 0, "chunks": 0, "lexical_docs": 0}
    got = collection.get(include=["documents", "metadatas", "embeddings"])
    rows = sorted(
        (cid, str(meta["article_id"]), int(meta["start"]), int(meta["end"]), doc or "")
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    )
    ids = [r[0] for r in rows]
    vectors = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float64), strict=True))
    # Chroma's vector index (written apart from its SQLite tables) must hold the chunks too.
    sample = sorted(ids, key=lambda cid: hashlib.sha256(cid.encode()).hexdigest())[:DENSE_SAMPLE]
    hits = 0
    if sample:
        found = collection.query(
            query_embeddings=np.stack([vectors[cid] for cid in sample]),
            n_results=1,
            include=["distances"],
        )
        hits = sum(bool(d) and d[0] < 1e-4 for d in found["distances"])
    index_dir = store / "lexical" / str(collection.id)
    index = LexicalIndex(index_dir) if index_dir.exists() else None
    indexed = index.ids() if index else set()
    return {
        "articles": len({r[1] for r in rows}),
        "chunks": len(rows),
        "lexical_docs": index.count() if index else 0,
        # What ArchiveStore.fingerprint() returns, from the index as left on disk.
        "fingerprint": f"{collection.id}-{index.fingerprint()}" if index else None,
        "lexical_fingerprint": index.fingerprint() if index else None,
        "chunk_id_hash": _sha(ids),
        "chunk_content_hash": _sha([json.dumps(r) for r in rows]),
        "index_in_step": indexed == set(ids),
        "dense_self_hits": f"{hits}/{len(sample)}",
        "embedding_sum": [float(x) for x in sum(vectors[cid] for cid in ids)] if ids else [],
        "bm25_top10_scores": {
            q: [round(s, 4) for _, s in index.top(lexical.tokenize(q), 10)] if index else []
            for q in QUERIES
        },
    }


def figures(store: Path) -> dict[str, Any]:
    """read_store in its own process (a fresh Chroma client, no cached system per path)."""
    out = subprocess.run(
        [sys.executable, __file__, "--read-store", str(store)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"reading {store} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def ingest_cmd(corpus: Path, store: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "FACTCHECK_CACHE_DIR": str(store.parent / "cache")}
    return [sys.executable, "cli.py", "ingest", str(corpus), "--store", str(store)], env


def run_ingest(corpus: Path, store: Path, timeout: float) -> tuple[float, str]:
    """A complete ingest: its seconds and its summary line."""
    cmd, env = ingest_cmd(corpus, store)
    started = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    if out.returncode != 0:
        raise RuntimeError(f"ingest failed ({out.returncode}): {out.stderr[-2000:]}")
    return seconds, (out.stdout.strip().splitlines() or [""])[-1]


def kill_after(corpus: Path, store: Path, delay: float) -> bool:
    """Start an ingest and SIGKILL it after `delay` s; False if it finished first."""
    cmd, env = ingest_cmd(corpus, store)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def embedding_diff(got: dict[str, Any], clean: dict[str, Any]) -> float | None:
    """The largest difference between the two stores' summed chunk vectors."""
    a, b = np.asarray(got.get("embedding_sum", [])), np.asarray(clean.get("embedding_sum", []))
    return float(np.max(np.abs(a - b))) if a.shape == b.shape and a.size else None


def compare(got: dict[str, Any], clean: dict[str, Any]) -> list[str]:
    differs = [key for key in COMPARED if got.get(key) != clean.get(key)]
    diff = embedding_diff(got, clean)
    if diff is None or diff > EMBEDDING_TOLERANCE:
        differs.append("embedding_sum")
    return differs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--fractions", default="0.15,0.45,0.8",
                        help="kill after these fractions of the clean run's seconds")  # fmt: skip
    parser.add_argument("--seed", type=int, default=None,
                        help="draw the fractions at random (as many as --fractions) instead")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per ingest")
    parser.add_argument("--read-store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read_store:
        print(json.dumps(read_store(args.read_store)))
        return 0

    fractions = [float(f) for f in args.fractions.split(",")]
    if args.seed is not None:
        rng = random.Random(args.seed)
        fractions = sorted(round(rng.uniform(0.05, 0.95), 3) for _ in fractions)
    log(f"corpus {args.corpus}; kill fractions {fractions} (seed {args.seed})")
    result: dict[str, Any] = {
        "machine": machine(),
        "corpus": str(args.corpus),
        "seed": args.seed,
        "fractions": fractions,
    }
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-crash-"))
    try:
        store = tmp / "clean" / "store"
        store.parent.mkdir()
        seconds, summary = run_ingest(args.corpus, store, args.timeout)
        clean = figures(store)
        clean |= {"seconds": round(seconds, 1), "summary": summary}
        log(f"clean: {seconds:.1f} s, {summary}; {clean['chunks']} chunks")
        result["clean"] = {k: v for k, v in clean.items() if k != "embedding_sum"}
        shutil.rmtree(tmp / "clean")
        runs = []
        for i, fraction in enumerate(fractions):
            store = tmp / f"run{i}" / "store"
            store.parent.mkdir()
            delay = round(fraction * seconds, 1)
            killed = kill_after(args.corpus, store, delay)
            before = figures(store)
            log(f"run {i}: killed after {delay} s ({killed}): {before['articles']} articles, "
                f"{before['chunks']} chunks, {before['lexical_docs']} indexed")  # fmt: skip
            rerun_s, summary = run_ingest(args.corpus, store, args.timeout)
            got = figures(store)
            differs = compare(got, clean)
            log(f"run {i}: rerun {rerun_s:.1f} s, {summary}; differs in {differs or 'nothing'}")
            runs.append(
                {
                    "fraction": fraction,
                    "killed_after_s": delay,
                    "killed": killed,
                    "articles_before_rerun": before["articles"],
                    "chunks_before_rerun": before["chunks"],
                    "lexical_docs_before_rerun": before["lexical_docs"],
                    "rerun_seconds": round(rerun_s, 1),
                    "rerun_summary": summary,
                    **{k: got.get(k) for k in ("articles", "chunks", "lexical_docs")},
                    **{k: got.get(k) for k in ("fingerprint", "lexical_fingerprint")},
                    **{k: got.get(k) for k in ("chunk_id_hash", "index_in_step")},
                    "dense_self_hits": got.get("dense_self_hits"),
                    "embedding_sum_max_diff": embedding_diff(got, clean),
                    "differs_in": differs,
                    "equal_to_clean": not differs,
                }
            )
            shutil.rmtree(tmp / f"run{i}")
        result["runs"] = runs
        result["all_equal"] = all(r["equal_to_clean"] and r["killed"] for r in runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - started, 1)
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
