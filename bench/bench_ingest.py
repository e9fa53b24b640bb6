"""Ingest and embedding throughput, printed as one JSON object on stdout (progress on stderr).

In one run, on one corpus:
- `ingest()` into a fresh temporary Chroma store (removed afterwards): chunks/s, articles/s,
  and how much of that time the embedding model took;
- the raw encode rate of the same model (MiniLMEmbeddings, padding to the longest input of
  each batch) on the same chunk texts, and on a sample of the corpus's sentences;
- the baseline in the same run: the same ONNX model padding every input to 256 tokens, as
  stock tokenizers do (`pad_to_longest=False`), with the speed-up and the smallest cosine
  between the two sets of vectors (they should be the same vectors);
- Chroma's stock embedding function (DefaultEmbeddingFunction -> ONNXMiniLM_L6_V2). It
  downloads its model on first use; offline it reports {"available": false, "reason": ...}.

Encode rates are the median of --repeat runs, interleaved (ours, pad-256, stock, ours, ...)
so that a change in machine load hits every method alike.

    .venv/bin/python bench/bench_ingest.py
    .venv/bin/python bench/bench_ingest.py --corpus ../shared/eval/archive/bbc-2005 --limit 200
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import _util
from _util import ROOT, log, median, rate, timed

DEFAULT_CORPUS = ROOT / "data" / "demo" / "archive"
STOCK_URL_NOTE = "Chroma's stock function downloads its model (onnx.tar.gz from chroma-onnx-models on S3) on first use"


# --- corpus -------------------------------------------------------------------------------------


def list_files(corpus: Path, suffixes: set[str]) -> tuple[list[Path], list[str]]:
    """Visible files under corpus, sorted as ingest() walks a folder; READMEs are not articles."""
    files, skipped = [], []
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if path.stem.upper() == "README" or path.suffix.lower() not in suffixes:
            skipped.append(str(rel))
            continue
        files.append(path)
    return files, skipped


def select(files: list[Path], limit: int | None) -> list[Path]:
    """All files, or `limit` of them evenly spaced over the sorted list (every topic folder)."""
    if not limit or limit >= len(files):
        return files
    return [files[i * len(files) // limit] for i in range(limit)]


def prepare(files: list[Path], chunk_chars: int, max_sentences: int) -> dict[str, Any]:
    """Chunk and sentence texts of the unique articles, loaded and chunked as ingest() does."""
    from vectorstore.ingest import IngestError, chunk_article, load_file
    from vectorstore.sentences import sentence_spans

    seen: set[str] = set()
    chunks: list[str] = []
    sentences: list[str] = []
    duplicates = rejected = 0
    for path in files:
        try:
            articles = load_file(path)
        except IngestError:
            rejected += 1
            continue
        for article in articles:
            if article.id in seen:
                duplicates += 1
                continue
            seen.add(article.id)
            chunks += [p.text for p in chunk_article(article, chunk_chars)]
            sentences += [article.text[s:e] for s, e in sentence_spans(article.text)]
    if max_sentences and len(sentences) > max_sentences:
        sentences = [sentences[i * len(sentences) // max_sentences] for i in range(max_sentences)]
    elif not max_sentences:
        sentences = []
    return {
        "articles": len(seen),
        "duplicates": duplicates,
        "rejected_files": rejected,
        "chunks": chunks,
        "sentences": sentences,
    }


def token_stats(texts: list[str], batch_size: int, max_tokens: int) -> dict[str, Any]:
    """Token lengths, and the work (tokens fed to the model) of each padding, as a ratio."""
    from tokenizers import Tokenizer

    from vectorstore.embeddings import default_tokenizer_path

    tokenizer = Tokenizer.from_file(str(default_tokenizer_path()))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    lengths = sorted(len(e.ids) for e in tokenizer.encode_batch(texts))
    # MiniLMEmbeddings sorts by character length; token-length order is close enough here.
    padded_longest = sum(
        max(lengths[lo : lo + batch_size]) * len(lengths[lo : lo + batch_size])
        for lo in range(0, len(lengths), batch_size)
    )
    return {
        "mean_tokens": sum(lengths) / len(lengths),
        "max_tokens": lengths[-1],
        "truncated_at_256": sum(1 for n in lengths if n >= max_tokens),
        "work_ratio_pad256_vs_longest": max_tokens * len(lengths) / padded_longest,
    }


# --- measurements -------------------------------------------------------------------------------


def bench_ingest(files: list[Path], threads: int, batch_size: int, chunk_chars: int) -> dict:
    """ingest() into a fresh temporary store; the embedding's share is timed by wrapping it."""
    import chromadb

    from settings import Settings
    from vectorstore.embeddings import MiniLMEmbeddings
    from vectorstore.ingest import ingest
    from vectorstore.store import open_store

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = Settings(store_dir=Path(tmp), chroma_host=None, collection="bench")
        embedding = MiniLMEmbeddings(threads=threads, batch_size=batch_size)
        load_seconds, _ = timed(lambda: embedding.encode(["warm-up"]))  # hash + ONNX session
        store = open_store(settings, embedding)

        spent = {"seconds": 0.0, "calls": 0}
        encode = embedding.encode

        def timed_encode(texts):
            seconds, vectors = timed(lambda: encode(texts))
            spent["seconds"] += seconds
            spent["calls"] += 1
            return vectors

        embedding.encode = timed_encode  # type: ignore[method-assign]
        log(f"ingest: {len(files)} file(s) into a fresh store in {tmp}")
        seconds, report = timed(
            lambda: ingest([str(f) for f in files], store, chunk_chars=chunk_chars)
        )
        stored = store.count()
        chromadb.api.client.SharedSystemClient.clear_system_cache()  # release the folder
    return {
        "seconds": seconds,
        "articles_added": len(report.added),
        "duplicates_skipped": len(report.duplicates),
        "rejected": len(report.rejected),
        "rejected_reasons": [r.reason for r in report.rejected][:5],
        "chunks_added": report.chunks_added,
        "chunks_in_store": stored,
        "articles_per_s": rate(len(report.added), seconds),
        "chunks_per_s": rate(report.chunks_added, seconds),
        "embedding_seconds": spent["seconds"],
        "embedding_share": spent["seconds"] / seconds if seconds else None,
        "embedding_model_load_seconds_before_ingest": load_seconds,
    }


def stock_function(timeout: float) -> tuple[Any, dict[str, Any]]:
    """Chroma's stock embedding function, if it can run here; else why not."""
    try:
        from chromadb.utils.embedding_functions import DefaultEmbeddingFunction
        from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

        log(f"chroma stock: trying DefaultEmbeddingFunction ({STOCK_URL_NOTE})")
        _util.run_with_timeout(lambda: DefaultEmbeddingFunction()(["probe"]), timeout)
        # It builds a new ONNXMiniLM_L6_V2 (and ONNX session) per call; time one warm instance.
        stock = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
        stock(["warm-up"])
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        reason = f"{type(exc).__name__}: {exc}".strip()
        log(f"chroma stock: not available: {reason}")
        return None, {"available": False, "reason": f"{reason}; {STOCK_URL_NOTE}"}
    return stock, {
        "available": True,
        "model": "all-MiniLM-L6-v2 float32 ONNX (Chroma's download), padded to 256 tokens",
        "threads": "onnxruntime default",
    }


def bench_encode(
    name: str, texts: list[str], methods: dict[str, Any], repeat: int
) -> dict[str, dict[str, Any]]:
    """Seconds per run and median rate of each method, runs interleaved; first vectors kept."""
    import numpy as np

    runs: dict[str, list[float]] = {m: [] for m in methods}
    first: dict[str, Any] = {}
    for r in range(repeat):
        for method, fn in methods.items():
            seconds, vectors = timed(lambda fn=fn: fn(texts))
            runs[method].append(seconds)
            first.setdefault(method, np.asarray(vectors, dtype=np.float32))
            log(f"encode {name}: {method} run {r + 1}/{repeat}: {len(texts) / seconds:.1f}/s")
    out: dict[str, dict[str, Any]] = {}
    for method, seconds in runs.items():
        cosines = (first[method] * first["pad_to_longest"]).sum(axis=1)
        out[method] = {
            "per_s_median": rate(len(texts), median(seconds)),
            "per_s_runs": [rate(len(texts), s) for s in seconds],
            # 0 means the same vectors; padding must not change them
            "max_cosine_distance_vs_pad_to_longest": float(1.0 - cosines.min()),
        }
    return out


def encode_section(
    name: str,
    texts: list[str],
    methods: dict[str, Any],
    stock_info: dict[str, Any],
    repeat: int,
    batch_size: int,
) -> dict[str, Any]:
    from vectorstore.embeddings import MAX_TOKENS

    if not texts:
        return {"texts": 0}
    measured = bench_encode(name, texts, methods, repeat)
    ours, pad256 = measured["pad_to_longest"], measured["pad_to_256"]
    del ours["max_cosine_distance_vs_pad_to_longest"]  # 0 by definition
    section: dict[str, Any] = {
        "texts": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        **token_stats(texts, batch_size, MAX_TOKENS),
        "pad_to_longest": ours,
        "pad_to_256_baseline": pad256,
        "speedup_pad_to_longest_vs_256": (
            ours["per_s_median"] / pad256["per_s_median"] if pad256["per_s_median"] else None
        ),
        "chroma_default_embedding_function": {**stock_info, **measured.get("chroma_stock", {})},
    }
    return section


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    from settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, metavar="DIR")
    parser.add_argument("--limit", type=int, metavar="N", help="use N files, evenly spaced")
    parser.add_argument("--repeat", type=int, default=3, help="encode runs per method (median)")
    parser.add_argument("--threads", type=int, default=2, help="ONNX intra-op threads")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--chunk-chars", type=int, default=Settings.model_fields["chunk_chars"].default
    )
    parser.add_argument(
        "--max-sentences", type=int, default=512, help="sentence sample size (0: skip)"
    )
    parser.add_argument("--stock-timeout", type=float, default=120, metavar="SECONDS")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    from vectorstore.embeddings import MiniLMEmbeddings
    from vectorstore.ingest import LOADERS

    result: dict[str, Any] = {"benchmark": "ingest", "machine": _util.machine()}
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        parser.error(f"--corpus {args.corpus}: not a folder")
    all_files, skipped = list_files(corpus, set(LOADERS))
    files = select(all_files, args.limit)
    if not files:
        parser.error(f"--corpus {args.corpus}: no article files")
    log(f"corpus {corpus}: {len(files)} of {len(all_files)} file(s)")
    seconds, texts = timed(lambda: prepare(files, args.chunk_chars, args.max_sentences))
    result["corpus"] = {
        "path": str(args.corpus),
        "files_found": len(all_files),
        "files_used": len(files),
        "selection": "all"
        if len(files) == len(all_files)
        else f"{len(files)} evenly spaced over the sorted file list (--limit)",
        "skipped_not_articles": skipped,
        "unique_articles": texts["articles"],
        "duplicate_articles": texts["duplicates"],
        "rejected_files": texts["rejected_files"],
        "chunks": len(texts["chunks"]),
        "chunk_chars_limit": args.chunk_chars,
        "load_and_chunk_seconds": seconds,
    }
    result["threads"] = {
        "embedding_onnx_intra_op": args.threads,
        "batch_size": args.batch_size,
        "cpu_count": result["machine"]["cpu_count"],
    }
    result["repeat"] = args.repeat

    result["ingest"] = bench_ingest(files, args.threads, args.batch_size, args.chunk_chars)

    ours = MiniLMEmbeddings(threads=args.threads, batch_size=args.batch_size)
    pad256 = MiniLMEmbeddings(
        threads=args.threads, batch_size=args.batch_size, pad_to_longest=False
    )
    ours.encode(["warm-up"])
    pad256.encode(["warm-up"])
    methods: dict[str, Any] = {"pad_to_longest": ours.encode, "pad_to_256": pad256.encode}
    stock, stock_info = stock_function(args.stock_timeout)
    if stock is not None:
        methods["chroma_stock"] = stock

    result["encode"] = {
        "chunks": encode_section(
            "chunks", texts["chunks"], methods, stock_info, args.repeat, args.batch_size
        ),
        "sentences": encode_section(
            "sentences", texts["sentences"], methods, stock_info, args.repeat, args.batch_size
        ),
    }
    raw = result["encode"]["chunks"]["pad_to_longest"]["per_s_median"]
    # Issue 11's target: ingest at 0.9 x or more of the raw encode rate of the same chunks.
    result["ingest_over_raw_encode"] = result["ingest"]["chunks_per_s"] / raw if raw else None
    result["notes"] = [
        "Rates are texts per second; chunks are what ingest() embeds, sentences are "
        "claim-sized inputs (a sample of the same articles' sentences).",
        "pad_to_256_baseline is our int8 model with the stock padding (every input padded "
        "to 256 tokens); Chroma's stock function is the float32 model with that padding.",
        "Ingest runs once (fresh store); encode rates are medians of --repeat interleaved runs. "
        "Compare figures within one run only: the machine is shared and noisy.",
    ]
    _util.emit(result)


if __name__ == "__main__":
    main()
