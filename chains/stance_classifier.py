"""A small calibrated stance classifier for one claim-passage pair.

Two logistic regressions (fitted by ``python -m eval.fit_stance``, shipped as
``chains/stance_classifier.json`` with the fitting command and the sha256 of its data)
turn what the product already has for a pair into P(supports) and P(contradicts).
``chains.compare`` uses P(contradicts) as a gate (``contradiction_threshold``): a
"contradicts" of the model that the checks cannot explain stands when the classifier is
at least that sure (``eval.verdict_cv`` measures it as the ``hybrid``). It reads:

* the judge model's raw label probabilities (before ``chains.compare``'s reweighting),
* the deterministic checks (``chains.checks``): the share of the claim's words in the
  closest passage sentence and in the whole passage, differing values (conflicts) in
  that sentence by kind, opposite words or negation there, and numbers, dates and
  names of the claim missing from the whole passage,
* the MiniLM cosine of claim and passage (the retrieval score).

Only numpy at run time: scikit-learn is needed to fit, not to score.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from chains.checks import antonym_mismatch, closest_sentence, compare_facts, lacked_elsewhere
from vectorstore.sentences import content_words

DEFAULT_PATH = Path(__file__).with_name("stance_classifier.json")
LABELS = ("SUPPORTS", "CONTRADICTS", "NEUTRAL")
_EPS = 1e-4  # keeps the log-odds finite when the model gives a label no mass

FEATURES = (
    "p_supports",
    "p_contradicts",
    "p_neutral",
    "logit_supports_contradicts",  # log P(s) - log P(c): the model's lean, unbounded
    "has_model",  # 0 when the model gave no probabilities (then each is 1/3)
    "overlap_sentence",  # share of the claim's content words in the closest sentence
    "overlap_passage",  # ... anywhere in the passage (low: the claim adds facts)
    "cosine",
    "conflict_number",  # the closest sentence gives another figure
    "conflict_date",
    "opposite",  # negation or an opposite word, only on one side of that sentence
    "missing_number",  # a figure of the claim that the whole passage lacks
    "missing_date",
    "missing_name",
)


def pair_features(
    claim: str,
    passage: str,
    probabilities: Mapping[str, float] | None,
    cosine: float,
) -> dict[str, float]:
    """The classifier's inputs for one pair, by name (see ``FEATURES``)."""
    probs = {k: float((probabilities or {}).get(k, 0.0)) for k in LABELS}
    has_model = bool(probabilities) and sum(probs.values()) > 0
    if not has_model:
        probs = dict.fromkeys(LABELS, 1 / 3)
    sentence, overlap = closest_sentence(claim, passage)
    words = content_words(claim)
    in_passage = len(words & content_words(passage)) / max(1, len(words))
    whole = compare_facts(claim, passage)
    # As chains.factcheck.check_facts reads a related sentence: a value of the claim that
    # the passage states elsewhere is no conflict.
    near = lacked_elsewhere(
        compare_facts(claim, sentence) + antonym_mismatch(claim, sentence), whole
    )

    def count(found: Sequence[Any], kind: str, *, conflict: bool | None = None) -> float:
        return float(
            sum(m.kind == kind and (conflict is None or m.conflict == conflict) for m in found)
        )

    return {
        "p_supports": probs["SUPPORTS"],
        "p_contradicts": probs["CONTRADICTS"],
        "p_neutral": probs["NEUTRAL"],
        "logit_supports_contradicts": math.log(probs["SUPPORTS"] + _EPS)
        - math.log(probs["CONTRADICTS"] + _EPS),
        "has_model": float(has_model),
        "overlap_sentence": overlap,
        "overlap_passage": in_passage,
        "cosine": float(cosine),
        "conflict_number": count(near, "number", conflict=True),
        "conflict_date": count(near, "date", conflict=True),
        "opposite": float(any(m.kind == "negation" for m in near)),
        "missing_number": count(whole, "number", conflict=False),
        "missing_date": count(whole, "date", conflict=False),
        "missing_name": count(whole, "name"),
    }


@dataclass(frozen=True)
class StanceScores:
    supports: float
    contradicts: float


@dataclass(frozen=True)
class _Logistic:
    coef: np.ndarray
    intercept: float

    def probability(self, x: np.ndarray) -> float:
        z = float(x @ self.coef + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


class StanceClassifier:
    """P(supports) and P(contradicts) for a pair, from fitted coefficients (a JSON dict)."""

    def __init__(self, fitted: Mapping[str, Any]) -> None:
        names = tuple(fitted["features"])
        unknown = set(names) - set(FEATURES)
        if unknown:
            raise ValueError(f"the classifier file names unknown features: {sorted(unknown)}")
        self.features = names
        self.mean = np.asarray(fitted["mean"], dtype=float)
        self.scale = np.asarray(fitted["scale"], dtype=float)
        if not len(self.mean) == len(self.scale) == len(names):
            raise ValueError("the classifier file's mean, scale and features differ in length")
        self.models = {
            label: _Logistic(
                np.asarray(fitted[label]["coef"], dtype=float), fitted[label]["intercept"]
            )
            for label in ("supports", "contradicts")
        }
        for label, model in self.models.items():
            if len(model.coef) != len(names):
                raise ValueError(
                    f"{label}: {len(model.coef)} coefficients for {len(names)} features"
                )
        # The classifier deciding alone; and the gate chains.compare puts on the model's
        # "contradicts" where no difference is named (chosen by cross-validation).
        self.thresholds: dict[str, float] = dict(fitted.get("thresholds", {}))
        self.contradiction_threshold: float | None = fitted.get("contradiction_threshold")
        self.meta = {k: v for k, v in fitted.items() if k in {"command", "fitted_on", "cv"}}
        # The judge model whose label probabilities it was fitted on: another model's
        # probabilities are spread otherwise, and the gate's threshold means nothing there.
        self.model: str | None = fitted.get("model")

    def fits(self, model: str) -> bool:
        """Whether this classifier was fitted on the judge model named `model`
        (``chains.llm.model_label``); a file that names none fits any."""
        return self.model is None or self.model == model

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> StanceClassifier:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def vector(self, features: Mapping[str, float]) -> np.ndarray:
        raw = np.asarray([float(features[name]) for name in self.features])
        return (raw - self.mean) / np.where(self.scale > 0, self.scale, 1.0)

    def scores(self, features: Mapping[str, float]) -> StanceScores:
        x = self.vector(features)
        return StanceScores(
            supports=self.models["supports"].probability(x),
            contradicts=self.models["contradicts"].probability(x),
        )

    def score_pair(
        self,
        claim: str,
        passage: str,
        probabilities: Mapping[str, float] | None,
        cosine: float,
    ) -> StanceScores:
        return self.scores(pair_features(claim, passage, probabilities, cosine))

    def confirms_contradiction(
        self,
        claim: str,
        passage: str,
        probabilities: Mapping[str, float] | None,
        cosine: float,
    ) -> float | None:
        """P(contradicts) of a pair whose model said "contradicts", when it reaches the
        gate; None below it, without the model's probabilities, or without a gate."""
        if not probabilities or self.contradiction_threshold is None:
            return None
        p = self.score_pair(claim, passage, probabilities, cosine).contradicts
        return p if p >= self.contradiction_threshold else None

    def stance(
        self,
        scores: StanceScores,
        *,
        supports: float | None = None,
        contradicts: float | None = None,
    ) -> str:
        """SUPPORTS, CONTRADICTS or NEUTRAL by the thresholds (the file's unless given);
        a pair over both thresholds takes the likelier side."""
        t_s = self.thresholds.get("supports", 0.5) if supports is None else supports
        t_c = self.thresholds.get("contradicts", 0.5) if contradicts is None else contradicts
        s_ok, c_ok = scores.supports >= t_s, scores.contradicts >= t_c
        if s_ok and (not c_ok or scores.supports >= scores.contradicts):
            return "SUPPORTS"
        return "CONTRADICTS" if c_ok else "NEUTRAL"


@lru_cache(maxsize=1)
def default_classifier() -> StanceClassifier | None:
    """The shipped classifier, or None when its file is absent (the product then does
    without it)."""
    return StanceClassifier.load() if DEFAULT_PATH.is_file() else None


def classifier_for(model: str, enabled: bool = True) -> StanceClassifier | None:
    """The shipped classifier when it is enabled and was fitted on this judge model."""
    found = default_classifier() if enabled else None
    return found if found is not None and found.fits(model) else None
