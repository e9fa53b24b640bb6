"""Figures for verdict predictions (the records ``eval.run_verdicts`` caches per item).

* Gold DISPUTED (Climate-FEVER) and CONFLICTING (AVeriTeC) items are left out of the
  figures; how many, and what was predicted for them, is reported (a MIXED verdict is
  the product's nearest answer to DISPUTED).
* Two-way data (SummEdits: SUPPORTED vs NOT_SUPPORTED) is scored on the two-way view
  of the prediction (anything but SUPPORTED is NOT_SUPPORTED): accuracy, macro-F1,
  per-class precision/recall, confusion matrix and balanced accuracy (the usual
  figure), plus the share of inconsistent summaries caught per edit type.
* Three-way data is scored on the verdicts as predicted (MIXED and NOT_IN_ARCHIVE are
  classes of their own, so they count as errors), with balanced accuracy over the
  gold classes and the two-way balanced accuracy of supported vs not.
* ``roc_auc`` (supported vs not) when the model gives label probabilities: the score
  of a claim is its highest P(SUPPORTS) minus its highest P(CONTRADICTS) over its
  passages, the model's own figures before the checks overrule it; a passage that the
  checks decided without asking the model counts as certain (1.0) of its stance.
* ``false_contradiction_rate``: share of gold SUPPORTED / NOT_ENOUGH_INFO /
  NOT_IN_ARCHIVE items predicted CONTRADICTED (MIXED not counted).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from eval import metrics
from eval.datasets import CONFLICTING, DISPUTED, NOT_SUPPORTED, SUPPORTED, VerdictItem
from eval.harness import median_seconds

DROPPED = (DISPUTED, CONFLICTING)


def _is_binary(items: Sequence[VerdictItem]) -> bool:
    return any(i.label == NOT_SUPPORTED or i.source == "summedits" for i in items)


def _by_edit_type(items: Sequence[VerdictItem], pred: Sequence[str]) -> dict[str, dict]:
    """Inconsistent items caught (predicted not SUPPORTED), per edit type."""
    counts: dict[str, list[int]] = {}
    for item, p in zip(items, pred, strict=True):
        if item.label != NOT_SUPPORTED:
            continue
        for edit in item.edit_types or ["unknown"]:
            seen = counts.setdefault(edit, [0, 0])
            seen[0] += 1
            seen[1] += p == NOT_SUPPORTED
    return {e: {"n": n, "caught": caught / n} for e, (n, caught) in sorted(counts.items())}


def score_verdicts(
    items: Sequence[VerdictItem], records: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The standard figures for ``records[i]["prediction"]`` against ``items[i].label``."""
    pred_all = [str(r.get("prediction", "")) for r in records]
    keep = [k for k, item in enumerate(items) if item.label not in DROPPED]
    kept_items = [items[k] for k in keep]
    gold = [items[k].label for k in keep]
    pred = [pred_all[k] for k in keep]
    report: dict[str, Any]
    if _is_binary(kept_items):
        two_way = [metrics.to_supported_binary(p) for p in pred]
        report = metrics.classification_report(gold, two_way, [SUPPORTED, NOT_SUPPORTED])
        report["balanced_accuracy"] = metrics.balanced_accuracy(gold, two_way)
        report["by_edit_type"] = _by_edit_type(kept_items, two_way)
    else:
        report = metrics.classification_report(gold, pred)
        report["balanced_accuracy"] = metrics.balanced_accuracy(gold, pred)
        report["binary_balanced_accuracy"] = metrics.binary_balanced_accuracy(gold, pred)
    report["predicted"] = dict(Counter(pred))
    # On the verdicts as predicted: SummEdits' consistent summaries (gold SUPPORTED) and
    # any NOT_ENOUGH_INFO / NOT_IN_ARCHIVE gold judged CONTRADICTED.
    report["false_contradiction_rate"] = metrics.false_contradiction_rate(gold, pred)
    scores = [records[k].get("support_score") for k in keep]
    if scores and all(s is not None for s in scores):
        report["roc_auc"] = metrics.roc_auc([g == SUPPORTED for g in gold], scores)
    dropped = [k for k in range(len(items)) if k not in set(keep)]
    if dropped:
        report["dropped"] = len(dropped)
        report["dropped_predicted"] = dict(Counter(pred_all[k] for k in dropped))
    judged = [records[k] for k in keep]
    report["passages_judged"] = sum(len(r.get("stances", [])) for r in judged)
    report["checks_overrides"] = sum(int(r.get("checks_overrides", 0)) for r in judged)
    found = [r["evidence_found"] for r in judged if "evidence_found" in r]
    if found:
        report["evidence_found"] = sum(found) / len(found)
    report["median_seconds_per_item"] = median_seconds(judged)
    return report
