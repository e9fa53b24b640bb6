"""Check-worthiness: the real claim extraction, scored sentence by sentence.

A debate (ClaimBuster json or a CheckThat! 2019 tsv) is cut into windows of ``window``
(default 8) consecutive sentences, joined with spaces into one text whose sentence
offsets are known. ``chains.extract.extract_claims`` runs on each window; every claim's
verbatim quote (with its offsets in the window) is mapped back to the sentences it
overlaps. As in the product, a quote whose check-worthiness
(``chains.checkworthy``) is below ``settings.min_checkworthiness`` is left out. A
sentence is predicted check-worthy when any kept quote covers it; its ranking score is
the number of kept quotes covering it plus the share of its characters covered (0 when
none), ties keeping transcript order. ``extraction_only`` gives the figures with every
quote kept.

``--limit N`` samples whole windows (ceil(N / window) of them), seeded and stratified
by the number of check-worthy sentences in the window (0, 1, 2, 3+), so that the
sentences keep their context. What the model extracted per window is cached, and the
quotes' check-worthiness apart from it (the mapping to sentences is not cached, so it
and the threshold can change without a rerun).

Figures: precision, recall and F1 of the check-worthy class over all sentences scored;
average precision per debate (over its sampled sentences in transcript order) and
their mean, MAP, over debates with at least one check-worthy sentence; ROC-AUC. The
number-or-entity baseline (``eval.baselines``) on the same sentences is reported
beside them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from chains.checkworthy import checkworthiness
from chains.extract import extract_claims
from chains.llm import model_label
from chains.pipeline import Prompts
from eval import baselines, metrics
from eval.datasets import Debate, Sentence, read_checkworthiness, sample_stratified
from eval.harness import (
    ProgressLine,
    ResultCache,
    code_version,
    header,
    median_seconds,
    path_hash,
    rounded,
    stable_hash,
)
from settings import Settings

DEFAULT_WINDOW = 8


@dataclass(frozen=True)
class Window:
    debate: str
    index: int
    sentences: tuple[Sentence, ...]

    @property
    def positives(self) -> int:
        return sum(s.label for s in self.sentences)

    def text(self) -> tuple[str, list[tuple[int, int]]]:
        """The sentences joined by spaces, and each sentence's (start, end) in that text."""
        spans, parts, pos = [], [], 0
        for s in self.sentences:
            text = " ".join(s.text.split())
            spans.append((pos, pos + len(text)))
            parts.append(text)
            pos += len(text) + 1
        return " ".join(parts), spans

    @property
    def key(self) -> str:
        return f"{self.debate}/{self.index}/{stable_hash(self.text()[0], 12)}"


def make_windows(debates: Sequence[Debate], size: int = DEFAULT_WINDOW) -> list[Window]:
    """Consecutive, non-overlapping windows of ``size`` sentences, debate by debate."""
    if size < 1:
        raise ValueError("the window must hold at least one sentence")
    return [
        Window(d.id, i // size, tuple(d.sentences[i : i + size]))
        for d in debates
        for i in range(0, len(d.sentences), size)
    ]


def sentence_scores(
    spans: Sequence[tuple[int, int]], claims: Sequence[Sequence[int]]
) -> list[float]:
    """Per sentence: quotes overlapping it plus the share of its characters they cover."""
    scores = []
    for start, end in spans:
        covered = [0] * max(0, end - start)
        count = 0
        for c_start, c_end in claims:
            lo, hi = max(start, c_start), min(end, c_end)
            if hi > lo:
                count += 1
                covered[lo - start : hi - start] = [1] * (hi - lo)
        scores.append(count + (sum(covered) / len(covered) if covered and count else 0.0))
    return scores


def _extract(window: Window, model: BaseChatModel, prompts: Prompts, settings: Settings) -> dict:
    text, _ = window.text()
    started = time.perf_counter()
    claims, warnings = extract_claims(
        text, model, prompt=prompts.extract, max_claims=settings.max_claims
    )
    return {
        "claims": [[c.start, c.end] for c in claims],
        "quotes": [c.quote for c in claims],
        "dropped": len(warnings),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _score_quotes(
    windows: Sequence[Window],
    extracted: ResultCache,
    model: BaseChatModel,
    prompts: Prompts,
    settings: Settings,
    use_cache: bool,
    progress: bool,
) -> dict[str, list[float]]:
    """Window key -> the check-worthiness of each extracted quote (cached on its own, so
    the threshold and the check-worthiness prompt change without a new extraction)."""
    if settings.min_checkworthiness <= 0:
        return {w.key: [1.0] * len((extracted.get(w.key) or {}).get("claims", [])) for w in windows}
    config = {
        "model": model_label(model),
        "checkworthy_prompt": prompts.checkworthy.version,
        "code": code_version("chains.checkworthy"),
    }
    cache = ResultCache.for_run(
        settings.cache_dir / "eval" if use_cache else None, "checkworthiness-quotes", config
    )

    def quotes(w: Window) -> list[str]:
        return (extracted.get(w.key) or {}).get("quotes", [])

    # A window is scored again when its extraction changed; quotes scored before are reused.
    todo = [w for w in windows if (cache.get(w.key) or {}).get("quotes") != quotes(w)]
    bar = ProgressLine(len(windows), "quotes", enabled=progress, done=len(windows) - len(todo))
    for w in todo:
        earlier = cache.get(w.key) or {}
        known = dict(zip(earlier.get("quotes", []), earlier.get("scores", []), strict=False))
        scores = [
            known[q] if q in known else checkworthiness(model, q, prompt=prompts.checkworthy)
            for q in quotes(w)
        ]
        cache.put(w.key, {"quotes": quotes(w), "scores": scores})
        bar.update()
    bar.close()
    return {w.key: (cache.get(w.key) or {}).get("scores", []) for w in windows}


def score_sentences(gold: dict[str, list[int]], scores: dict[str, list[float]]) -> dict[str, Any]:
    """P/R/F1 of the positive class, AP per debate, MAP and ROC-AUC."""
    flat_gold = [g for d in gold for g in gold[d]]
    flat_scores = [s for d in gold for s in scores[d]]
    report: dict[str, Any] = metrics.positive_prf(flat_gold, [int(s > 0) for s in flat_scores])
    ap = {
        d: metrics.average_precision_from_scores(gold[d], scores[d]) for d in gold if any(gold[d])
    }
    report["map"] = sum(ap.values()) / len(ap) if ap else 0.0
    report["roc_auc"] = metrics.roc_auc(flat_gold, flat_scores)
    report["average_precision"] = ap
    return report


def run_checkworthiness(
    data: str | Path,
    *,
    model: BaseChatModel,
    settings: Settings,
    window: int = DEFAULT_WINDOW,
    limit: int | None = None,
    prompts: Prompts | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Extract claims window by window and score the sentences they cover."""
    prompts = prompts or Prompts()
    started = time.perf_counter()
    debates = read_checkworthiness(data)
    windows = make_windows(debates, window)
    if limit:
        windows = sample_stratified(
            windows, math.ceil(limit / window), key=lambda w: min(w.positives, 3)
        )
    label = model_label(model)
    config = {
        "data": path_hash(data),
        "model": label,
        "extract_prompt": prompts.extract.version,
        "code": code_version("chains.extract"),
        "max_claims": settings.max_claims,
    }
    cache = ResultCache.for_run(
        settings.cache_dir / "eval" if use_cache else None, "checkworthiness", config
    )
    todo = [w for w in windows if w.key not in cache]
    bar = ProgressLine(len(windows), "windows", enabled=progress, done=len(windows) - len(todo))
    for w in todo:
        record = _extract(w, model, prompts, settings)
        cache.put(w.key, record)
        bar.update(note=f"{len(record['claims'])} claim(s)")
    bar.close()
    worthiness = _score_quotes(windows, cache, model, prompts, settings, use_cache, progress)

    gold: dict[str, list[int]] = {}
    scores: dict[str, list[float]] = {}
    unfiltered: dict[str, list[float]] = {}
    heuristic: dict[str, list[float]] = {}
    threshold = settings.min_checkworthiness
    for w in windows:  # in debate and transcript order (the sample keeps input order)
        _, spans = w.text()
        claims = (cache.get(w.key) or {}).get("claims", [])
        kept = [c for c, p in zip(claims, worthiness[w.key], strict=True) if p >= threshold]
        gold.setdefault(w.debate, []).extend(s.label for s in w.sentences)
        scores.setdefault(w.debate, []).extend(sentence_scores(spans, kept))
        unfiltered.setdefault(w.debate, []).extend(sentence_scores(spans, claims))
        heuristic.setdefault(w.debate, []).extend(
            baselines.checkworthiness_score(s.text) for s in w.sentences
        )
    result = header(
        "checkworthiness",
        data,
        model=label,
        prompt_version=prompts.version,
        mode="extract",
        limit=limit,
    )
    n = sum(len(g) for g in gold.values())
    result |= {"n": n, "positives": sum(sum(g) for g in gold.values())}
    result |= {"windows": len(windows), "window": window, "debates": len(gold)}
    result |= score_sentences(gold, scores)
    result["predicted_positive"] = sum(s > 0 for d in scores.values() for s in d)
    result["min_checkworthiness"] = threshold
    every = score_sentences(gold, unfiltered)
    result["extraction_only"] = {k: every[k] for k in ("precision", "recall", "f1", "map")}
    base = score_sentences(gold, heuristic)
    result["baseline"] = {"name": "number-or-entity"} | {
        k: base[k] for k in ("precision", "recall", "f1", "map", "roc_auc")
    }
    result["median_seconds_per_window"] = median_seconds(cache.get(w.key) or {} for w in windows)
    result["cached"] = len(windows) - len(todo)
    result["cache_file"] = str(cache.path) if cache.path else None
    result["seconds"] = round(time.perf_counter() - started, 2)
    return rounded(result)
