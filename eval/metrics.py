"""Evaluation metrics for the three jobs: verdicts, retrieval and check-worthiness.

Every function is pure and typed, and returns a plain float or dict. Conventions:

* A ratio whose denominator is zero is 0.0 (precision of a class never predicted,
  recall of a class never in the gold data, the mean of an empty list); the one
  exception is ROC-AUC, which is undefined with a single class and returns NaN.
* Classification labels are strings. The label order used by the confusion matrix
  and the per-class report is ``labels`` when given, else the union of gold and
  predicted labels: verdict names in ``VERDICT_ORDER`` first, any others sorted.
  Macro-F1 averages over that same set (as scikit-learn does by default), so a
  class that is predicted but never in the gold data counts with F1 = 0.
* Retrieval metrics (CLEF 2020 CheckThat! Task 2) take ``rankings`` (query id ->
  ranked doc ids, best first) and ``qrels`` (query id -> relevant doc ids). They
  average over the queries in ``qrels`` that have at least one relevant document;
  a query with no ranking scores 0 (the official scorer averages over queries in
  both run and qrels, but refuses a run that misses a query, so the two agree on
  any run it accepts). Repeated doc ids in a ranking count once.
* ``average_precision_at_k`` follows the official Task 2 scorer (trectools
  ``TrecEval.get_map(depth=k)``): the precision at each relevant document within
  the top k, summed and divided by the number of relevant documents of the query,
  not capped at k. ``cap_relevant=True`` divides by min(k, #relevant) instead (the
  common "MAP@k" of recommender systems); the two differ only for queries with
  more than k relevant documents.
* ``average_precision`` for check-worthiness follows the CLEF 2019 Task 1 scorer:
  over the whole ranked debate, the precisions at each positive, divided by the
  number of positives (0.0 for a debate without positives). Ranking by score is
  stable: ties keep the input order, as in the official scorer.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence, Set

import numpy as np

VERDICT_ORDER: tuple[str, ...] = (
    "SUPPORTED",
    "CONTRADICTED",
    "MIXED",
    "NOT_ENOUGH_INFO",
    "NOT_IN_ARCHIVE",
    "NOT_SUPPORTED",
    "DISPUTED",
    "CONFLICTING",
)
SUPPORTED = "SUPPORTED"
NOT_SUPPORTED = "NOT_SUPPORTED"


def _div(num: float, den: float) -> float:
    return num / den if den else 0.0


def _check_same_length(gold: Sequence[object], pred: Sequence[object]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"gold and pred differ in length: {len(gold)} != {len(pred)}")


def label_order(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> list[str]:
    """The fixed label order: ``labels`` if given, else known verdicts first, then sorted."""
    if labels is not None:
        return list(labels)
    seen = set(gold) | set(pred)
    known = [lab for lab in VERDICT_ORDER if lab in seen]
    return known + sorted(seen - set(known))


def accuracy(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Share of positions where prediction equals gold; 0.0 for empty input."""
    _check_same_length(gold, pred)
    return _div(sum(g == p for g, p in zip(gold, pred, strict=True)), len(gold))


def confusion_matrix(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """``matrix[gold_label][pred_label]`` counts, rows and columns in ``label_order``.

    Pairs whose gold or predicted label is outside an explicit ``labels`` are ignored.
    """
    _check_same_length(gold, pred)
    order = label_order(gold, pred, labels)
    matrix = {g: dict.fromkeys(order, 0) for g in order}
    for g, p in zip(gold, pred, strict=True):
        if g in matrix and p in matrix:
            matrix[g][p] += 1
    return matrix


def per_class_report(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each label (in ``label_order``)."""
    _check_same_length(gold, pred)
    report: dict[str, dict[str, float]] = {}
    for lab in label_order(gold, pred, labels):
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == lab for p in pred)
        n_gold = sum(g == lab for g in gold)
        precision, recall = _div(tp, n_pred), _div(tp, n_gold)
        report[lab] = {
            "precision": precision,
            "recall": recall,
            "f1": _div(2 * precision * recall, precision + recall),
            "support": float(n_gold),
        }
    return report


def macro_f1(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean of per-class F1 over ``label_order``; 0.0 for empty input."""
    report = per_class_report(gold, pred, labels)
    return _div(sum(r["f1"] for r in report.values()), len(report))


def balanced_accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Mean recall over the classes present in gold (scikit-learn's definition)."""
    _check_same_length(gold, pred)
    classes = sorted(set(gold))
    recalls = [
        _div(sum(g == c and p == c for g, p in zip(gold, pred, strict=True)), gold.count(c))
        for c in classes
    ]
    return _div(sum(recalls), len(recalls))


def to_supported_binary(label: str) -> str:
    """Two-way view of a verdict: SUPPORTED stays, anything else is NOT_SUPPORTED."""
    return SUPPORTED if str(label).upper() == SUPPORTED else NOT_SUPPORTED


def binary_balanced_accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Balanced accuracy of supported vs not supported (the usual SummEdits figure)."""
    return balanced_accuracy(
        [to_supported_binary(g) for g in gold], [to_supported_binary(p) for p in pred]
    )


def false_contradiction_rate(
    gold: Sequence[str],
    pred: Sequence[str],
    innocent: Set[str] = frozenset({"SUPPORTED", "NOT_ENOUGH_INFO", "NOT_IN_ARCHIVE"}),
) -> float:
    """Share of items whose gold label is ``innocent`` (nothing to contradict) that were
    predicted CONTRADICTED: the worst error for a reporter. 0.0 when there are none."""
    _check_same_length(gold, pred)
    judged = [p for g, p in zip(gold, pred, strict=True) if g in innocent]
    return _div(sum(p == "CONTRADICTED" for p in judged), len(judged))


def positive_prf(
    gold: Sequence[Hashable], pred: Sequence[Hashable], positive: Hashable = 1
) -> dict[str, float]:
    """Precision, recall and F1 of the positive class (e.g. check-worthy = 1)."""
    _check_same_length(gold, pred)
    tp = sum(g == positive and p == positive for g, p in zip(gold, pred, strict=True))
    precision = _div(tp, sum(p == positive for p in pred))
    recall = _div(tp, sum(g == positive for g in gold))
    return {
        "precision": precision,
        "recall": recall,
        "f1": _div(2 * precision * recall, precision + recall),
    }


def roc_auc(gold: Sequence[int | bool], scores: Sequence[float]) -> float:
    """Area under the ROC curve from scores (Mann-Whitney U, ties count one half).

    ``gold`` is 1/True for the positive class. NaN when only one class is present.
    """
    _check_same_length(gold, scores)
    y = np.asarray(gold, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    s = np.asarray(scores, dtype=float)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=float)
    sorted_s = s[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


# ---------------------------------------------------------------- retrieval


def _dedupe(ranking: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ranking))


def average_precision_at_k(
    ranking: Sequence[str], relevant: Set[str], k: int, cap_relevant: bool = False
) -> float:
    """AP@k of one query: sum of precision@i at relevant hits in the top k / #relevant."""
    if not relevant or k <= 0:
        return 0.0
    hits, total = 0, 0.0
    for i, doc in enumerate(_dedupe(ranking)[:k], start=1):
        if doc in relevant:
            hits += 1
            total += hits / i
    denominator = min(k, len(relevant)) if cap_relevant else len(relevant)
    return total / denominator


def _scored_queries(qrels: Mapping[str, Set[str]]) -> list[str]:
    return [q for q, rel in qrels.items() if rel]


def map_at_k(
    rankings: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Set[str]],
    k: int = 5,
    cap_relevant: bool = False,
) -> float:
    """Mean AP@k over the queries of ``qrels`` (official CheckThat! 2020 Task 2 measure: k=5)."""
    queries = _scored_queries(qrels)
    aps = [average_precision_at_k(rankings.get(q, ()), qrels[q], k, cap_relevant) for q in queries]
    return _div(sum(aps), len(aps))


def reciprocal_rank(ranking: Sequence[str], relevant: Set[str], k: int | None = None) -> float:
    """1 / rank of the first relevant document (within the top k if given), else 0."""
    top = _dedupe(ranking)
    for i, doc in enumerate(top if k is None else top[:k], start=1):
        if doc in relevant:
            return 1.0 / i
    return 0.0


def mrr(
    rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Set[str]], k: int | None = None
) -> float:
    """Mean reciprocal rank over the queries of ``qrels``."""
    queries = _scored_queries(qrels)
    rrs = [reciprocal_rank(rankings.get(q, ()), qrels[q], k) for q in queries]
    return _div(sum(rrs), len(rrs))


def recall_at_k(
    rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Set[str]], k: int
) -> float:
    """Mean over queries of the share of relevant documents found in the top k."""
    queries = _scored_queries(qrels)
    recalls = [
        len(set(_dedupe(rankings.get(q, ()))[:k]) & set(qrels[q])) / len(qrels[q]) for q in queries
    ]
    return _div(sum(recalls), len(recalls))


# ---------------------------------------------------------- check-worthiness


def rank_by_score(scores: Sequence[float]) -> list[int]:
    """Indices sorted by descending score; ties keep input order (stable)."""
    return sorted(range(len(scores)), key=lambda i: -scores[i])


def average_precision(ranked_gold: Sequence[int | bool]) -> float:
    """AP of a full ranking given the gold labels in ranked order (1 = positive)."""
    hits, total = 0, 0.0
    for i, label in enumerate(ranked_gold, start=1):
        if label:
            hits += 1
            total += hits / i
    return _div(total, sum(1 for label in ranked_gold if label))


def average_precision_from_scores(gold: Sequence[int | bool], scores: Sequence[float]) -> float:
    """AP of the ranking induced by ``scores`` (descending, stable on ties)."""
    _check_same_length(gold, scores)
    return average_precision([gold[i] for i in rank_by_score(scores)])


def mean_average_precision(
    per_debate: Sequence[tuple[Sequence[int | bool], Sequence[float]]],
) -> float:
    """Mean over debates of ``average_precision_from_scores(gold, scores)``."""
    aps = [average_precision_from_scores(gold, scores) for gold, scores in per_debate]
    return _div(sum(aps), len(aps))


def classification_report(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, object]:
    """Accuracy, macro-F1, per-class figures and confusion matrix in one dict."""
    return {
        "n": len(gold),
        "accuracy": accuracy(gold, pred),
        "macro_f1": macro_f1(gold, pred, labels),
        "per_class": per_class_report(gold, pred, labels),
        "confusion": confusion_matrix(gold, pred, labels),
    }
