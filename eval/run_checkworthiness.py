"""Check-worthiness: the product's claim finding, scored sentence by sentence.

Each sentence of a debate (ClaimBuster json or a CheckThat! 2019 tsv) goes through
what `chains.extract.extract_claims` does with a sentence of an article: questions,
fragments and predictions without a past fact are no candidates (score 0); a
candidate's score is its check-worthiness (`chains.checkworthy`), the most of any
candidate the sentence yields. A sentence is predicted check-worthy at or above the
threshold.

``--limit N`` samples whole windows of ``DEFAULT_WINDOW`` consecutive sentences
(ceil(N / window) of them), seeded and stratified by the number of check-worthy
sentences in the window (0, 1, 2, 3+): the same sentences earlier extraction figures
were measured on. ``tune`` sentences (``--tune N``) are sampled the same way from the
other windows; the F1-best threshold on them is then applied to the reported
sentences, so the threshold is never chosen on the sentences it is reported on.
Without ``--tune`` the threshold is ``settings.min_checkworthiness``.

Figures: precision, recall and F1 of the check-worthy class; average precision per
debate (over its sampled sentences, ranked by score) and their mean, MAP, over debates
with at least one check-worthy sentence; ROC-AUC; model tokens per sentence. The
number-or-entity baseline (``eval.baselines``) on the same sentences is reported beside.
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
from chains.extract import candidates
from chains.llm import UsageCounter, model_label
from chains.pipeline import Prompts
from eval import baselines, metrics
from eval.datasets import Debate, Sentence, read_checkworthiness, sample_stratified
from eval.harness import (
    ProgressLine,
    ResultCache,
    code_version,
    header,
    median_seconds,
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


def make_windows(debates: Sequence[Debate], size: int = DEFAULT_WINDOW) -> list[Window]:
    """Consecutive, non-overlapping windows of ``size`` sentences, debate by debate."""
    if size < 1:
        raise ValueError("the window must hold at least one sentence")
    return [
        Window(d.id, i // size, tuple(d.sentences[i : i + size]))
        for d in debates
        for i in range(0, len(d.sentences), size)
    ]


def sentence_score(model: BaseChatModel, sentence: str, prompts: Prompts) -> dict[str, Any]:
    """The product's check-worthiness of one sentence, and what it cost."""
    text = " ".join(sentence.split())
    usage = UsageCounter()
    started = time.perf_counter()
    found, _ = candidates(text)
    scores = [
        checkworthiness(
            model, c.text, prompt=prompts.checkworthy, usage=usage, config={"callbacks": [usage]}
        )
        for c in found
    ]
    return {
        "score": max(scores, default=0.0),
        "tokens_in": usage.tokens_in,
        "seconds": round(time.perf_counter() - started, 3),
    }


def best_threshold(gold: Sequence[int], scores: Sequence[float]) -> float:
    """The threshold (one of the scores) with the best F1 of the positive class; the
    highest such threshold on ties."""
    best, best_f1 = 0.5, -1.0
    for t in sorted({s for s in scores if s > 0}, reverse=True):
        f1 = metrics.positive_prf(gold, [int(s >= t) for s in scores])["f1"]
        if f1 > best_f1:
            best, best_f1 = t, f1
    return best


def score_sentences(
    gold: dict[str, list[int]], scores: dict[str, list[float]], threshold: float
) -> dict[str, Any]:
    """P/R/F1 of the positive class at ``threshold``, AP per debate, MAP and ROC-AUC."""
    flat_gold = [g for d in gold for g in gold[d]]
    flat_scores = [s for d in gold for s in scores[d]]
    predicted = [int(s >= threshold and s > 0) for s in flat_scores]
    report: dict[str, Any] = metrics.positive_prf(flat_gold, predicted)
    ap = {
        d: metrics.average_precision_from_scores(gold[d], scores[d]) for d in gold if any(gold[d])
    }
    report["map"] = sum(ap.values()) / len(ap) if ap else 0.0
    report["roc_auc"] = metrics.roc_auc(flat_gold, flat_scores)
    report["average_precision"] = ap
    report["predicted_positive"] = sum(predicted)
    return report


def _key(sentence: Sentence) -> str:
    """A sentence's cache key: its text, whitespace collapsed."""
    return stable_hash(" ".join(sentence.text.split()), 20)


def _sample(windows: list[Window], n: int, seed: int) -> list[Window]:
    return sample_stratified(
        windows, math.ceil(n / DEFAULT_WINDOW), key=lambda w: min(w.positives, 3), seed=seed
    )


def run_checkworthiness(
    data: str | Path,
    *,
    model: BaseChatModel,
    settings: Settings,
    limit: int | None = None,
    tune: int | None = None,
    prompts: Prompts | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Score the (sampled) sentences one by one and report the figures."""
    prompts = prompts or Prompts()
    started = time.perf_counter()
    windows = make_windows(read_checkworthiness(data))
    reported = _sample(windows, limit, seed=13) if limit else windows
    tuning: list[Window] = []
    if tune:
        chosen = {(w.debate, w.index) for w in reported}
        tuning = _sample([w for w in windows if (w.debate, w.index) not in chosen], tune, seed=14)
    label = model_label(model)
    config = {
        "model": label,
        "checkworthy_prompt": prompts.checkworthy.version,
        "code": code_version("chains.extract", "chains.checkworthy"),
    }
    cache = ResultCache.for_run(
        settings.cache_dir / "eval" if use_cache else None, "checkworthiness-sentences", config
    )
    sentences = [s for w in reported + tuning for s in w.sentences]
    keys = [_key(s) for s in sentences]
    todo = sorted({k: s for k, s in zip(keys, sentences, strict=True) if k not in cache}.items())
    bar = ProgressLine(
        len(set(keys)), "sentences", enabled=progress, done=len(set(keys)) - len(todo)
    )
    for key, sentence in todo:
        cache.put(key, sentence_score(model, sentence.text, prompts))
        bar.update()
    bar.close()

    def figures(part: list[Window]) -> tuple[dict[str, list[int]], dict[str, list[float]]]:
        gold: dict[str, list[int]] = {}
        scores: dict[str, list[float]] = {}
        for w in part:  # in debate and transcript order (the sample keeps input order)
            gold.setdefault(w.debate, []).extend(s.label for s in w.sentences)
            scores.setdefault(w.debate, []).extend(cache.get(_key(s))["score"] for s in w.sentences)
        return gold, scores

    threshold = settings.min_checkworthiness
    result = header(
        "checkworthiness",
        data,
        model=label,
        prompt_version=prompts.version,
        mode="sentences",
        limit=limit,
    )
    if tuning:
        tune_gold, tune_scores = figures(tuning)
        flat_gold = [g for d in tune_gold for g in tune_gold[d]]
        flat = [s for d in tune_gold for s in tune_scores[d]]
        threshold = best_threshold(flat_gold, flat)
        at = score_sentences(tune_gold, tune_scores, threshold)
        result["threshold_chosen_on"] = {
            "n": len(flat),
            "positives": sum(flat_gold),
            "f1": at["f1"],
            "note": "windows disjoint from the reported ones (seed 14)",
        }
    gold, scores = figures(reported)
    n = sum(len(g) for g in gold.values())
    result |= {"n": n, "positives": sum(sum(g) for g in gold.values())}
    result |= {"windows": len(reported), "debates": len(gold), "threshold": threshold}
    result |= score_sentences(gold, scores, threshold)
    heuristic = {
        d: [baselines.checkworthiness_score(s.text) for w in reported if w.debate == d
            for s in w.sentences]
        for d in gold
    }  # fmt: skip
    base = score_sentences(gold, heuristic, 1e-9)
    result["baseline"] = {"name": "number-or-entity"} | {
        k: base[k] for k in ("precision", "recall", "f1", "map", "roc_auc")
    }
    records = [cache.get(k) or {} for k in keys]
    result["tokens_in_per_sentence"] = sum(r.get("tokens_in", 0) for r in records) / max(
        1, len(records)
    )
    result["median_seconds_per_sentence"] = median_seconds(records)
    result["cached"] = len(set(keys)) - len(todo)
    result["cache_file"] = str(cache.path) if cache.path else None
    result["seconds"] = round(time.perf_counter() - started, 2)
    return rounded(result)
