"""Cross-validated verdict figures: every weight and threshold chosen on other documents.

``cli.py eval verdicts ... --cv documents`` splits the items by document (SummEdits: the
article a summary was written from; Climate-FEVER pairs: the claim), one fold per
document when there are at most 5, else 5 folds of whole documents, so no item of a
test document informs a choice. On the records the run already holds (the model's
label probabilities, the checks' features, the passages), without the model:

* ``product_rule``: ``chains.compare`` as shipped, with the weight on SUPPORTS
  (``LABEL_WEIGHTS``) chosen per fold from ``WEIGHTS`` on the training documents.
* ``classifier``: the stance classifier (``chains.stance_classifier``) fitted per fold
  on the training documents' pairs (``eval.fit_stance``, plus any ``extra`` pairs from
  other files), with its two thresholds chosen there too.
* ``hybrid``: the shipped rule, where a "contradicts" of the model that the rule
  overruled stands when the classifier's P(contradicts) reaches a threshold (a gate
  measured here, not used by ``chains.compare``); ``hybrid_supports_veto`` also
  turns the model's "supports" into NEUTRAL under a P(supports) threshold.
* ``ablations``: the classifier on the model's probabilities only, on the checks and
  cosine only, and on every feature.

Choices maximise balanced accuracy (two-way data) or macro-F1 (three-way), keeping the
false-contradiction rate on the training items at or under ``MAX_FALSE_CONTRADICTIONS``
(two-way data only: the target concerns SummEdits' consistent summaries).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from chains.factcheck import SAME_STATEMENT
from chains.stance_classifier import FEATURES, StanceClassifier
from eval import metrics
from eval.datasets import NOT_SUPPORTED, VerdictItem
from eval.fit_stance import SHIPPED_FEATURES, SHIPPED_FIT, fit_classifier, training_rows
from eval.harness import stable_hash
from eval.verdict_rules import model_label, predict, product_records
from eval.verdict_scoring import score_verdicts

WEIGHTS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
# 0.0: always, 1.01: never
THRESHOLDS = (0.0, *(round(float(t), 2) for t in np.arange(0.05, 0.96, 0.05)), 1.01)
MAX_FALSE_CONTRADICTIONS = 0.05
MIN_CONTRADICTION_PRECISION = 0.9
MODEL_FEATURES = ("p_supports", "p_contradicts", "p_neutral", "logit_supports_contradicts")
CHECK_FEATURES = tuple(f for f in FEATURES if f not in MODEL_FEATURES and f != "has_model")
# What else was measured, beside the shipped classifier (eval.fit_stance.SHIPPED_*).
ABLATIONS = (
    ("model_only", MODEL_FEATURES, {"c": 0.1, "balanced": True}),
    ("checks_only", CHECK_FEATURES, {"c": 0.1, "balanced": True}),
    ("all_features", FEATURES, {"c": 0.1, "balanced": True}),
)

Rows = tuple[list[Mapping[str, float]], list[int], list[int]]


def group_keys(items: Sequence[VerdictItem]) -> list[str]:
    """The document an item belongs to: its claim (Climate-FEVER) or first evidence text."""
    return [
        str(i.meta.get("claim_id") or (stable_hash(i.evidence[0]) if i.evidence else i.id))
        for i in items
    ]


def make_folds(keys: Sequence[str], most: int = 5) -> list[list[int]]:
    """Test indices per fold: one fold per group, or ``most`` folds of whole groups."""
    groups = sorted(set(keys), key=stable_hash)  # a fixed order that is not the file's
    fold_of = {g: (k if len(groups) <= most else k % most) for k, g in enumerate(groups)}
    folds: dict[int, list[int]] = {}
    for index, key in enumerate(keys):
        folds.setdefault(fold_of[key], []).append(index)
    return [folds[k] for k in sorted(folds)]


def _binary(items: Sequence[VerdictItem]) -> bool:
    return any(i.label == NOT_SUPPORTED or i.source == "summedits" for i in items)


def objective(gold: Sequence[str], pred: Sequence[str], binary: bool) -> float:
    """What a choice maximises; -1 when it breaks the false-contradiction limit."""
    if binary:
        if metrics.false_contradiction_rate(gold, pred) > MAX_FALSE_CONTRADICTIONS:
            return -1.0
        return metrics.binary_balanced_accuracy(gold, pred)
    return metrics.macro_f1(gold, pred)


def _choose(
    candidates: Mapping[Any, Sequence[str]], gold: Sequence[str], train: Sequence[int], binary: bool
) -> Any:
    """The candidate whose predictions score best on the training items (first on ties)."""
    return max(
        candidates,
        key=lambda c: objective(
            [gold[i] for i in train], [candidates[c][i] for i in train], binary
        ),
    )


def _scores(clf: StanceClassifier, record: Mapping[str, Any]) -> list[tuple[float, float]]:
    return [
        (s.supports, s.contradicts) for f in record.get("features", []) for s in [clf.scores(f)]
    ]


def _thresholds(scored, gold, idx, binary, pairs, veto=True) -> tuple[float, float]:
    grid = {
        (ts, tc): predict([scored[i] for i in idx], ts, tc, pairs)
        for ts in (THRESHOLDS if veto else (0.0,))
        for tc in THRESHOLDS
    }
    sub_gold = [gold[i] for i in idx]

    def key(t: tuple[float, float]) -> tuple[float, bool, float, float]:
        # Ties (two-way figures do not tell CONTRADICTED from NOT_ENOUGH_INFO): the lowest
        # contradiction threshold whose contradictions are right often enough, else the highest.
        ok = contradictions_precise(sub_gold, grid[t])
        return objective(sub_gold, grid[t], binary), ok, -t[1] if ok else t[1], -abs(t[0] - 0.5)

    return max(grid, key=key)


def contradictions_precise(gold: Sequence[str], pred: Sequence[str]) -> bool:
    """At least ``MIN_CONTRADICTION_PRECISION`` of the CONTRADICTED predictions are right
    (gold CONTRADICTED, or SummEdits' NOT_SUPPORTED); true when there are none."""
    said = [g for g, p in zip(gold, pred, strict=True) if p == "CONTRADICTED"]
    right = sum(g in {"CONTRADICTED", NOT_SUPPORTED} for g in said)
    return not said or right / len(said) >= MIN_CONTRADICTION_PRECISION


def _support_score(scored: Sequence[Sequence[Any]]) -> float | None:
    return max(e[0] for e in scored) - max(e[1] for e in scored) if scored else None


def model_view(record: Mapping[str, Any], weight: float) -> list[tuple[str, str]]:
    """Per passage: the shipped rule's stance and the model's own label, NEUTRAL where the
    product did not ask the model (the checks settled it, or the cross-encoder spared it)
    or where a passage sentence makes the claim's statement (no gate there)."""
    n = len(record["stances"])
    probs = record.get("probabilities") or [None] * n
    asked = record.get("asked_model") or [True] * n
    gated = [  # where chains.compare.settle lets the classifier confirm a "contradicts"
        a and f["overlap_sentence"] < SAME_STATEMENT
        for a, f in zip(
            asked, record.get("features") or [{"overlap_sentence": 0.0}] * n, strict=True
        )
    ]
    labels = [model_label(p, weight) if g else "NEUTRAL" for p, g in zip(probs, gated, strict=True)]
    return list(zip(record["stances"], labels, strict=True))


def classifier_cv(
    items: Sequence[VerdictItem],
    records: Sequence[Mapping[str, Any]],
    folds: Sequence[Sequence[int]],
    *,
    pairs: bool,
    features: Sequence[str] | None = None,
    extra: Rows | None = None,
    fit: Mapping[str, Any] | None = None,
    base: Sequence[Sequence[Sequence[tuple[str, str]]]] | None = None,
    veto: bool = True,
    fixed: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Out-of-fold figures of the classifier fitted and thresholded on the other folds.

    ``base`` (per fold, item and passage: the shipped rule's stance and the model's
    weighted label) makes it the ``hybrid``: the classifier as a gate on the rule."""
    features = features or SHIPPED_FEATURES
    fit = SHIPPED_FIT if fit is None else fit
    gold = [i.label for i in items]
    binary = _binary(items)
    held: dict[int, str] = {}
    support: dict[int, float | None] = {}
    oof: dict[int, list[tuple[float, float]]] = {}
    chosen = []
    for f, test in enumerate(folds):
        train = sorted(set(range(len(items))) - set(test))
        rows, y_s, y_c = training_rows([gold[i] for i in train], [records[i] for i in train])
        if extra:
            rows, y_s, y_c = rows + extra[0], y_s + extra[1], y_c + extra[2]
        clf = StanceClassifier(fit_classifier(rows, y_s, y_c, features, **fit))
        scored: list[list[tuple[Any, ...]]] = [list(_scores(clf, r)) for r in records]
        if base is not None:
            scored = [
                [(*sc, *b) for sc, b in zip(item, base[f][i], strict=True)]
                for i, item in enumerate(scored)
            ]
        t_s, t_c = fixed or _thresholds(scored, gold, train, binary, pairs, veto)
        chosen.append({"test_items": len(test), "supports": t_s, "contradicts": t_c})
        for i, p in zip(test, predict([scored[i] for i in test], t_s, t_c, pairs), strict=True):
            held[i], support[i], oof[i] = p, _support_score(scored[i]), scored[i]
    order = range(len(items))
    report = score_verdicts(
        items, [{"prediction": held[i], "support_score": support[i]} for i in order]
    )
    report = {
        k: v
        for k, v in report.items()
        if k not in {"passages_judged", "checks_overrides", "median_seconds_per_item"}
    }
    report["thresholds_per_fold"] = chosen
    # One pair of thresholds for the shipped file: chosen on all out-of-fold scores.
    t_s, t_c = _thresholds([oof[i] for i in order], gold, list(order), binary, pairs, veto)
    report["thresholds_out_of_fold"] = {"supports": t_s, "contradicts": t_c}
    return report


def cross_validate(
    items: Sequence[VerdictItem],
    records: Sequence[Mapping[str, Any]],
    *,
    how: str = "documents",
    pairs: bool = False,
    extra: Rows | None = None,
    fixed_contradiction: float | None = None,
) -> dict[str, Any]:
    """Figures on held-out documents for the shipped rule and for the classifier."""
    if how != "documents":
        raise ValueError(f"unknown cross-validation {how!r}; choose documents")
    folds = make_folds(group_keys(items))
    gold = [i.label for i in items]
    binary = _binary(items)
    result: dict[str, Any] = {
        "how": how,
        "folds": len(folds),
        "documents": len(set(group_keys(items))),
    }
    by_weight = {w: product_records(items, records, w, pairs) for w in WEIGHTS}
    preds = {w: [r["prediction"] for r in recs] for w, recs in by_weight.items()}
    held: dict[int, dict[str, Any]] = {}
    weights = []
    for test in folds:
        train = sorted(set(range(len(items))) - set(test))
        w = _choose(preds, gold, train, binary)
        weights.append(w)
        held |= {i: by_weight[w][i] for i in test}
    product = score_verdicts(items, [held[i] for i in range(len(items))])
    product["weights_per_fold"] = weights
    product["by_weight_in_sample"] = {
        str(w): round(
            objective(gold, p, False) if not binary else metrics.binary_balanced_accuracy(gold, p),
            4,
        )
        for w, p in preds.items()
    }
    result["product_rule"] = product
    result["classifier"] = classifier_cv(items, records, folds, pairs=pairs, extra=extra)
    base = [[model_view(rec, w) for rec in by_weight[w]] for w in weights]
    # The gate on the model's "contradicts" (contradiction_threshold), measured ...
    result["hybrid"] = classifier_cv(
        items, records, folds, pairs=pairs, extra=extra, base=base, veto=False
    )
    if fixed_contradiction is not None:  # a threshold chosen on other data
        result["hybrid_fixed"] = classifier_cv(
            items,
            records,
            folds,
            pairs=pairs,
            extra=extra,
            base=base,
            fixed=(0.0, fixed_contradiction),
        )
    # ... and if it also vetoed the model's "supports" under a threshold.
    result["hybrid_supports_veto"] = classifier_cv(
        items, records, folds, pairs=pairs, extra=extra, base=base
    )
    keep = {"balanced_accuracy", "macro_f1", "false_contradiction_rate", "roc_auc"}
    result["ablations"] = {
        name: {
            k: v
            for k, v in classifier_cv(
                items, records, folds, pairs=pairs, features=feats, extra=extra, fit=fit
            ).items()
            if k in keep
        }
        for name, feats, fit in ABLATIONS
    }
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m eval.verdict_cv --data PATH [--view pairs] [--limit N] [--mode end-to-end
    --store DIR --distractors PATH] [--replay-only] [--extra PATH[:VIEW[:LIMIT]]]``: the
    verdict figures of ``cli.py eval verdicts`` plus ``cv``."""
    import argparse
    import json
    import sys
    from pathlib import Path

    from chains.llm import make_chat_model
    from eval.command import render_text
    from eval.fit_stance import _records
    from eval.run_verdicts import VerdictOptions, run_verdicts
    from settings import Settings

    parser = argparse.ArgumentParser(prog="python -m eval.verdict_cv", description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--view", default="claims", choices=["claims", "pairs"])
    parser.add_argument("--limit", type=int)
    parser.add_argument("--mode", choices=["given", "end-to-end"])
    parser.add_argument("--store")
    parser.add_argument("--distractors", action="append", default=[])
    parser.add_argument(
        "--replay-only",
        action="store_true",
        help="never ask the model; items no earlier run recorded are left out (and counted)",
    )
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        help="PATH[:VIEW[:LIMIT]] of another file whose pairs join every training fold",
    )
    parser.add_argument(
        "--contradiction-threshold",
        type=float,
        help="also report the hybrid at this fixed threshold (hybrid_fixed)",
    )
    parser.add_argument("--format", default="text", choices=["text", "json"])
    args = parser.parse_args(argv)
    mode = args.mode or ("end-to-end" if args.store or args.distractors else "given")
    settings = Settings()
    options = VerdictOptions(
        mode=mode,
        view=args.view,
        limit=args.limit,
        distractors=tuple(args.distractors),
        store_dir=Path(args.store) if args.store and mode == "end-to-end" else None,
        replay_only=args.replay_only,
        partial=args.replay_only,
    )
    sink: list[Any] = []
    result = run_verdicts(
        args.data,
        model=make_chat_model(settings),  # loaded only if an answer is not recorded
        settings=settings,
        options=options,
        progress=False,
        _sink=sink,
    )
    items, records = sink[0]
    rows: Rows = ([], [], [])
    for spec in args.extra:  # recorded answers of other files, given mode
        *_, extra_items, extra_records = _records(spec)
        found = training_rows([i.label for i in extra_items], extra_records)
        rows = (rows[0] + found[0], rows[1] + found[1], rows[2] + found[2])
    result["cv"] = cross_validate(
        items,
        records,
        pairs=args.view == "pairs",
        extra=rows if args.extra else None,
        fixed_contradiction=args.contradiction_threshold,
    )
    result["cv"]["extra"] = list(args.extra)
    if args.format == "json":
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        sys.stdout.write(render_text({k: v for k, v in result.items() if k != "cv"}))
        sys.stdout.write(json.dumps(result["cv"], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
