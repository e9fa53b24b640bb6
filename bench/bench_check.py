"""Time to check one article with the configured chat model, printed as JSON on stdout.

By default the demo article is checked against the demo archive, ingested first into a
fresh temporary store (removed afterwards), with the embedded model (or whatever
FACTCHECK_PROVIDER configures). Reported: seconds, model calls and tokens in/out per stage
(extract, retrieve, compare, from `Report.stages`), totals, claims and verdict counts, the
model's prompt and generation rates measured in the same run and the token floor (the
tokens the check had to read, at that prompt rate) beside the wall time; then
the same check again with the ReportCache of the first run (a temp folder), so the cache-hit
time has its baseline, the uncached run, in the same run. Progress goes to stderr; with the
embedded model a check takes minutes.

    .venv/bin/python bench/bench_check.py
    .venv/bin/python bench/bench_check.py --article my.txt --store data/store --top-k 3
    .venv/bin/python bench/bench_check.py --article data/cases/city-hall/article.md \
        --archive data/cases/city-hall/archive --sentences 7
    .venv/bin/python bench/bench_check.py --extract-only --article a.md --article b.md

``--extract-only`` runs only claim extraction on each article (no archive needed) and
prints its seconds, model calls, and tokens in and out in all and per claim.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import _util
from _util import ROOT, first_sentences, log, timed
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

DEFAULT_ARTICLE = ROOT / "data" / "demo" / "article.txt"
DEMO_ARCHIVE = ROOT / "data" / "demo" / "archive"


class CallLogger(BaseCallbackHandler):
    """Logs each chat-model call as it ends: a stage can hold several minutes of calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = time.perf_counter()

    def on_chat_model_start(self, serialized, messages, **kwargs: Any) -> None:
        self.started = time.perf_counter()

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.calls += 1
        seconds = time.perf_counter() - self.started
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                usage = getattr(message, "usage_metadata", None) or {}
                finish = (getattr(message, "response_metadata", None) or {}).get("finish_reason")
                log(
                    f"  model call {self.calls}: {seconds:.1f} s, {usage.get('input_tokens', '?')} "
                    f"tokens in, {usage.get('output_tokens', '?')} out, finish {finish}"
                )


def read_article(path: Path):
    from vectorstore.ingest import load_file

    articles = load_file(path)
    if len(articles) != 1:
        raise SystemExit(f"{path}: holds {len(articles)} articles; give one")
    return articles[0]


def stage_figures(report) -> dict[str, Any]:
    stages = {}
    for name, stats in report.stages.items():
        stages[name] = {
            "seconds": stats.seconds,
            "model_calls": stats.model_calls,
            "tokens_in": stats.tokens_in,
            "tokens_out": stats.tokens_out,
        }
    return stages


def totals(stages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    keys = ("seconds", "model_calls", "tokens_in", "tokens_out")
    return {k: sum(s[k] for s in stages.values()) for k in keys}


def per_claim(stats: dict[str, Any], claims: int) -> dict[str, float | None]:
    return {
        f"{k}_per_claim": (stats[k] / claims if claims else None)
        for k in ("tokens_in", "tokens_out")
    }


def run_extract_only(args: argparse.Namespace) -> dict[str, Any]:
    from chains.extract import extract_claims
    from chains.llm import UsageCounter, make_chat_model, model_label
    from settings import Settings

    settings = Settings()
    model = make_chat_model(settings)
    load = getattr(model, "_load", None)
    load_seconds, _ = timed(load) if callable(load) else (None, None)
    result: dict[str, Any] = {"benchmark": "extract", "machine": _util.machine()}
    result["model"] = {"label": model_label(model), "load_seconds": load_seconds}
    result["min_checkworthiness"] = settings.min_checkworthiness
    rows = []
    for path in args.article:
        article = read_article(path)
        usage = UsageCounter()
        seconds, (claims, _) = timed(
            lambda a=article, u=usage: extract_claims(
                a.text,
                model,
                threshold=settings.min_checkworthiness,
                max_claims=settings.max_claims,
                usage=u,
                config={"callbacks": [u]},
            )
        )
        stats = {"tokens_in": usage.tokens_in, "tokens_out": usage.tokens_out}
        rows.append(
            {"article": str(path), "seconds": seconds, "model_calls": usage.calls}
            | stats
            | {"claims": len(claims)}
            | per_claim(stats, len(claims))
        )
        log(f"{path}: {len(claims)} claims in {seconds:.1f} s")
    all_stats = {
        k: sum(r[k] for r in rows)
        for k in ("seconds", "model_calls", "tokens_in", "tokens_out", "claims")
    }
    result["articles"] = rows
    result["total"] = all_stats | per_claim(all_stats, all_stats["claims"])
    return result


def model_rates(model, text: str, generate: int = 64) -> dict[str, float | None]:
    """The model's prompt and generation rates (tokens/s), measured now: the text as a
    prompt answered with one token, then again with `generate` tokens. Each prompt opens
    with a fresh nonce, so no cached prefix (llama.cpp's or a server's) is reused."""
    from langchain_core.messages import HumanMessage

    def ask(max_tokens: int) -> tuple[float, int, int]:
        asked = f"{uuid.uuid4()}\n{text}\n\nCount from 1 to 200, separated by commas."
        seconds, answer = timed(lambda: model.invoke([HumanMessage(asked)], max_tokens=max_tokens))
        usage = answer.usage_metadata or {}
        return seconds, usage.get("input_tokens", 0), usage.get("output_tokens", 0)

    prompt_seconds, prompt_tokens, _ = ask(1)
    prompt_rate = prompt_tokens / prompt_seconds if prompt_tokens else None
    seconds, prompt_tokens, generated = ask(generate)
    generating = seconds - prompt_tokens / prompt_rate if prompt_rate else 0.0
    return {
        "prompt_tokens_per_s": prompt_rate,
        "generation_tokens_per_s": (generated - 1) / generating if generating > 0 else None,
        "rate_prompt_tokens": prompt_tokens,
        "rate_generated_tokens": generated,
    }


def token_floor(report, wall_seconds: float, rates: dict, count) -> dict[str, Any]:
    """What the check had to read (the article, and each distinct passage shown once) in
    tokens, against what the model evaluated and generated, and the floor: the tokens needed
    at the measured prompt rate. `count` is the model's tokenizer (None: not known)."""
    passages = {e.text for claim in report.claims for e in claim.evidence}
    stages = report.stages.values()
    processed = sum(s.tokens_in + s.tokens_out for s in stages)
    figures: dict[str, Any] = {"distinct_passages": len(passages), "tokens_processed": processed}
    if count is None or not rates.get("prompt_tokens_per_s"):
        return figures | {"tokens_needed": None, "note": "no tokenizer for this model"}
    article_tokens = count(report.article.text)
    passage_tokens = sum(count(text) for text in passages)
    needed = article_tokens + passage_tokens
    floor = needed / rates["prompt_tokens_per_s"]
    return figures | {
        "article_tokens": article_tokens,
        "passage_tokens": passage_tokens,
        "tokens_needed": needed,
        "processed_over_needed": processed / needed if needed else None,
        "floor_seconds": floor,
        "wall_seconds": wall_seconds,
        "wall_over_floor": wall_seconds / floor if floor else None,
    }


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from chains.llm import make_chat_model, model_label
    from chains.pipeline import ReportCache, check_article, warm_prompts
    from settings import Settings
    from vectorstore.ingest import ingest
    from vectorstore.store import open_store

    result: dict[str, Any] = {"benchmark": "check", "machine": _util.machine()}
    overrides: dict[str, Any] = {"chroma_host": None}  # a folder store, never a server
    if args.top_k:
        overrides["top_k"] = args.top_k
    if args.store:
        overrides["store_dir"] = Path(args.store)
    else:
        overrides["store_dir"] = tmp / "store"
        overrides["collection"] = "bench"
    settings = Settings(**overrides)

    if args.sentences:
        article = first_sentences(args.article[0], args.sentences)
    else:
        article = read_article(args.article[0])
    result["article"] = {
        "path": str(args.article[0]),
        "sentences": args.sentences,
        "title": article.title,
        "chars": len(article.text),
        "sha256": article.sha256[:16],
    }

    store_seconds, store = timed(lambda: open_store(settings))
    store_info: dict[str, Any] = {"path": str(args.store) if args.store else "temporary"}
    if not args.store:
        archive = args.archive or DEMO_ARCHIVE
        log(f"ingesting {archive} into a fresh store in {settings.store_dir}")
        seconds, report = timed(
            lambda: ingest([str(archive)], store, chunk_chars=settings.chunk_chars)
        )
        store_info |= {
            "ingested": str(archive),
            "ingest_seconds": seconds,
            "articles_added": len(report.added),
            "rejected": len(report.rejected),
        }
    store_info["chunks"] = store.count()
    if not store_info["chunks"]:
        log(f"warning: the store {settings.store_dir} ({settings.collection}) is empty")
    store_info["open_seconds"] = store_seconds
    result["store"] = store_info

    model = make_chat_model(settings)
    load = getattr(model, "_load", None)  # embedded model: load it outside the timed stages
    load_seconds, llama = timed(load) if callable(load) else (None, None)
    model.callbacks = [CallLogger()]  # progress within a stage; the pipeline's counts are apart
    result["model"] = {
        "provider": settings.provider,
        "label": model_label(model),
        "n_threads": getattr(llama, "n_threads", settings.n_threads),
        "n_threads_batch": getattr(llama, "n_threads_batch", None),
        "n_ctx": settings.n_ctx,
        "load_seconds": load_seconds,
    }
    result["settings"] = {
        "top_k": settings.top_k,
        "min_score": settings.min_score,
        "max_claims": settings.max_claims,
        "chunk_chars": settings.chunk_chars,
    }
    log(f"model {model_label(model)} ready (load {load_seconds or 0:.1f} s)")
    log("measuring the model's prompt and generation rates")
    rates = model_rates(model, article.text)
    # As the worker does when it starts: the prompts' fixed parts are read once, outside
    # every check (a check in a fresh process reads them itself: warm_seconds more).
    warm_seconds, warm_tokens = timed(lambda: warm_prompts(model))
    result["model"] |= rates | {"warm_seconds": warm_seconds, "warm_tokens": warm_tokens}

    def progress(p) -> None:
        log(f"[{p.stage}] {p.message}")

    cache = ReportCache(tmp / "reports")

    def check():
        return check_article(
            article, model=model, store=store, settings=settings, progress=progress, cache=cache
        )

    log("first run (nothing cached)")
    first_seconds, first = timed(check)
    stages = stage_figures(first)
    verdicts = Counter(str(c.verdict) for c in first.claims)
    result["first_run"] = {
        "wall_seconds": first_seconds,
        "cached": first.cached,
        "stages": stages,
        "totals": totals(stages),
        "claims": len(first.claims),
        "extract": per_claim(stages["extract"], len(first.claims)),
        "seconds_per_claim": first_seconds / len(first.claims) if first.claims else None,
        "verdicts": dict(sorted(verdicts.items())),
        "warnings": first.warnings,
    }
    count = (lambda text: len(llama.tokenize(text.encode(), add_bos=False))) if llama else None
    result["token_floor"] = token_floor(first, first_seconds, rates, count)

    if args.baseline:
        # After the measured run, so any warm-up favours the baseline, not the change.
        log("baseline: the same check without the cross-encoder (nothing cached)")
        plain = settings.model_copy(update={"crossencoder": False})
        base_seconds, base = timed(
            lambda: check_article(
                article, model=model, store=store, settings=plain, progress=progress
            )
        )
        base_stages = stage_figures(base)
        result["baseline_without_crossencoder"] = {
            "wall_seconds": base_seconds,
            "stages": base_stages,
            "totals": totals(base_stages),
            "verdicts": dict(sorted(Counter(str(c.verdict) for c in base.claims).items())),
            "same_verdicts": [c.verdict for c in base.claims] == [c.verdict for c in first.claims],
        }

    log("second run (the same check: should come from the cache)")
    cached_seconds, second = timed(check)
    result["cached_run"] = {
        "wall_seconds": cached_seconds,
        "cached": second.cached,
        "same_claims_and_verdicts": [(c.id, c.verdict) for c in second.claims]
        == [(c.id, c.verdict) for c in first.claims],
    }
    result["cache_speedup"] = first_seconds / cached_seconds if cached_seconds else None
    result["notes"] = [
        "Stage seconds come from Report.stages; tokens_in of compare include the prompts whose "
        "label probabilities are read without generating.",
        "model.load_seconds is outside the stages; wall_seconds of the first run includes "
        "everything check_article does (cache lookup, retrieval embedding, progress).",
        "The machine may be shared: compare figures within one run, not across runs.",
    ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--article", type=Path, action="append", metavar="PATH", help="default: the demo article"
    )
    parser.add_argument("--extract-only", action="store_true", help="only claim extraction")
    parser.add_argument("--store", metavar="DIR", help="an existing store (nothing is ingested)")
    parser.add_argument(
        "--archive", type=Path, metavar="DIR", help="folder ingested into a fresh store"
    )
    parser.add_argument(
        "--sentences", type=int, metavar="N", help="check only the article's first N sentences"
    )
    parser.add_argument("--top-k", type=int, metavar="N", help="passages per claim")
    parser.add_argument(
        "--baseline", action="store_true", help="also check without the cross-encoder, after"
    )
    args = parser.parse_args()
    args.article = args.article or [DEFAULT_ARTICLE]
    for path in args.article:
        if not path.is_file():
            parser.error(f"--article {path}: no such file")
    if args.extract_only:
        _util.emit(run_extract_only(args))
        return
    if args.store and not Path(args.store).is_dir():
        parser.error(f"--store {args.store}: no such folder")
    if args.archive and not args.archive.is_dir():
        parser.error(f"--archive {args.archive}: no such folder")

    import chromadb

    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        result = run(args, Path(tmp))
        chromadb.api.client.SharedSystemClient.clear_system_cache()  # release the store
    _util.emit(result)


if __name__ == "__main__":
    main()
