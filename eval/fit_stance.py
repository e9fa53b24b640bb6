"""Fit the stance classifier (``chains/stance_classifier.json``) on development data.

    python -m eval.fit_stance --data /tmp/cf-dev.jsonl:pairs:900 [--data MORE] [--out PATH]

Each ``--data`` is ``PATH[:VIEW[:LIMIT]]``, read in the given mode (whole documents)
from the verdict runner's recorded label probabilities with ``replay_only``: the model
is never asked (run ``cli.py eval verdicts`` on the same data first). The pairs of all
files are pooled to fit; each file is also cross-validated (``eval.verdict_cv``: whole
documents held out, the other files' pairs always in training). On the first file's
out-of-fold scores it chooses the ``contradiction_threshold`` of the ``hybrid`` (the
shipped rule, its overruled "contradicts" standing when P(contradicts) reaches it, as
``chains.compare.settle`` applies it) and the ``thresholds`` of the classifier deciding
alone. The shipped file is fitted on Climate-FEVER pairs of the claims that the reported
sample does not touch (``python -m eval.climate_fever_split``; docs/EVALUATION.md), so no
reported figure informed it. ``--contradiction-threshold`` ships another gate (say where it
was chosen). The file records the command, the sha256 of the data and the
cross-validated figures. Needs scikit-learn; the product only reads the JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chains.stance_classifier import DEFAULT_PATH

# Pair labels for the two regressions: (supports, contradicts); others are not fitted on.
PAIR_TARGETS = {
    "SUPPORTED": (1, 0),
    "CONTRADICTED": (0, 1),
    "NOT_SUPPORTED": (0, 1),  # SummEdits' inconsistent summaries: an edit of the document
    "NOT_ENOUGH_INFO": (0, 0),
}
# The shipped variant. On whole SummEdits documents the features that depend on the
# document's length (cosine to a whole article, words or names anywhere in it) moved
# between documents and cost about 0.1 of cross-validated balanced accuracy (see the
# ablations of eval.verdict_cv); these are the model's view and the closest sentence's.
SHIPPED_FEATURES = (
    "logit_supports_contradicts",
    "p_neutral",
    "overlap_sentence",
    "conflict_number",
    "conflict_date",
    "opposite",
    "missing_number",
    "missing_date",
)
# Strong L2 (few hundred pairs) and balanced classes: the documents' shares of
# consistent summaries differ, and a threshold chosen on some should hold on another.
SHIPPED_FIT: dict[str, Any] = {"c": 0.1, "balanced": True}

Rows = tuple[list[Mapping[str, float]], list[int], list[int]]


def labelled_pair(features: Sequence[Mapping[str, float]]) -> int | None:
    """Which of a claim's passages carries its label: the one whose closest sentence
    shares most of the claim's words (the retrieval score breaks ties)."""
    if not features:
        return None
    return max(
        range(len(features)),
        key=lambda k: (features[k]["overlap_sentence"], features[k]["cosine"]),
    )


def training_rows(labels: Sequence[str], records: Sequence[Mapping[str, Any]]) -> Rows:
    """(features, y_supports, y_contradicts): one labelled pair per item, if any."""
    rows: list[Mapping[str, float]] = []
    y_s: list[int] = []
    y_c: list[int] = []
    for label, record in zip(labels, records, strict=True):
        target = PAIR_TARGETS.get(label)
        features = record.get("features") or []
        k = labelled_pair(features)
        if target is None or k is None:
            continue
        rows.append(features[k])
        y_s.append(target[0])
        y_c.append(target[1])
    return rows, y_s, y_c


def fit_classifier(
    rows: Sequence[Mapping[str, float]],
    y_supports: Sequence[int],
    y_contradicts: Sequence[int],
    features: Sequence[str] = SHIPPED_FEATURES,
    *,
    c: float = 1.0,
    balanced: bool = False,
) -> dict[str, Any]:
    """Standardised features and two L2 logistic regressions, as the JSON holds them.

    A target with a single class (no contradiction in the data) gets a constant model
    at its rate, so a fold without an example never crashes."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray([[float(r[name]) for name in features] for r in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    z = (x - mean) / scale
    fitted: dict[str, Any] = {
        "features": list(features),
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
    }
    for name, target in (("supports", y_supports), ("contradicts", y_contradicts)):
        y = np.asarray(target)
        if len(set(y.tolist())) < 2:
            rate = min(max(float(y.mean()) if len(y) else 0.0, 1e-3), 1 - 1e-3)
            intercept = float(np.log(rate / (1 - rate)))
            fitted[name] = {"coef": [0.0] * len(features), "intercept": intercept}
            continue
        weights = "balanced" if balanced else None
        model = LogisticRegression(C=c, max_iter=2000, class_weight=weights).fit(z, y)
        fitted[name] = {
            "coef": model.coef_[0].round(6).tolist(),
            "intercept": round(float(model.intercept_[0]), 6),
        }
    return fitted


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def loaded_model_label() -> str:
    """The configured judge model's name, as the recorded runs and the product name it."""
    from chains.llm import make_chat_model, model_label
    from settings import Settings

    return model_label(make_chat_model(Settings()))


def _records(spec: str) -> tuple[Path, str, int | None, list[Any], list[dict[str, Any]]]:
    from chains.llm import make_chat_model
    from eval.run_verdicts import VerdictOptions, verdict_records
    from settings import Settings

    path, _, rest = spec.partition(":")
    view, _, limit = rest.partition(":")
    settings = Settings()
    options = VerdictOptions(
        view=view or "claims", limit=int(limit) if limit else None, replay_only=True
    )
    # The model object only names the cache; replay_only never loads or asks it.
    model = make_chat_model(settings)
    items, records = verdict_records(path, model=model, settings=settings, options=options)
    return Path(path), options.view, options.limit, items, records


def _summary(result: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("balanced_accuracy", "macro_f1", "false_contradiction_rate", "roc_auc")
    parts = {
        part: result[part]
        for part in ("product_rule", "classifier", "hybrid", "hybrid_fixed", "hybrid_supports_veto")
        if part in result
    }
    parts |= result.get("ablations", {})
    summary = {part: {k: r.get(k) for k in keys if k in r} for part, r in parts.items()}
    for part in ("classifier", "hybrid"):
        if part in result:
            summary[part]["thresholds_per_fold"] = result[part]["thresholds_per_fold"]
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    from eval.verdict_cv import cross_validate

    parser = argparse.ArgumentParser(prog="python -m eval.fit_stance", description=__doc__)
    parser.add_argument("--data", action="append", required=True, help="PATH[:VIEW[:LIMIT]]")
    parser.add_argument("--out", default=str(DEFAULT_PATH))
    parser.add_argument(
        "--contradiction-threshold",
        type=float,
        help="ship this gate instead of the first file's choice (say where it was chosen)",
    )
    args = parser.parse_args(argv)
    loaded = [_records(spec) for spec in args.data]
    per_file = [training_rows([i.label for i in items], recs) for *_, items, recs in loaded]
    fitted_on, cv = [], {}
    gate: dict[str, float] = {}
    alone: dict[str, float] = {}
    for n, (path, view, limit, items, records) in enumerate(loaded):
        others = [r for m, r in enumerate(per_file) if m != n]
        extra: Rows = (
            [row for r in others for row in r[0]],
            [y for r in others for y in r[1]],
            [y for r in others for y in r[2]],
        )
        fitted_on.append(
            {
                "file": path.name,
                "sha256": sha256_of(path),
                "view": view,
                "limit": limit,
                "pairs": len(per_file[n][0]),
            }
        )
        fixed = args.contradiction_threshold or (gate.get("contradicts") if n else None)
        result = cross_validate(
            items, records, pairs=view == "pairs", extra=extra, fixed_contradiction=fixed
        )
        cv[path.name] = result
        if n == 0:  # the rule with the classifier as its gate, as chains.compare uses it
            gate = result["hybrid"]["thresholds_out_of_fold"]
            alone = result["classifier"]["thresholds_out_of_fold"]
    fitted = fit_classifier(
        [row for f in per_file for row in f[0]],
        [y for f in per_file for y in f[1]],
        [y for f in per_file for y in f[2]],
        **SHIPPED_FIT,
    )
    # What chains.compare uses: the model's "contradicts" stands without a named
    # difference when P(contradicts) reaches this (the hybrid of eval.verdict_cv).
    fitted["contradiction_threshold"] = args.contradiction_threshold or gate["contradicts"]
    fitted["contradiction_threshold_first_file"] = gate["contradicts"]
    fitted["thresholds"] = alone  # the classifier deciding every stance by itself
    fitted["model"] = loaded_model_label()  # the judge whose probabilities it reads
    fitted["command"] = "python -m eval.fit_stance " + " ".join(
        [f"--data {d}" for d in args.data]
        + (
            [f"--contradiction-threshold {args.contradiction_threshold}"]
            if args.contradiction_threshold
            else []
        )
    )
    fitted["fitted_on"] = fitted_on
    fitted["cv"] = {name: _summary(result) for name, result in cv.items()}
    Path(args.out).write_text(json.dumps(fitted, indent=1) + "\n", encoding="utf-8")
    json.dump({"out": args.out, **fitted["cv"]}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
