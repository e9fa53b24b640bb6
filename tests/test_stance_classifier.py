"""chains.stance_classifier: the pair features, scoring from a fitted file, thresholds,
and eval.fit_stance's fitting on small hand-made data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from chains.stance_classifier import (
    DEFAULT_PATH,
    FEATURES,
    StanceClassifier,
    StanceScores,
    pair_features,
)
from eval.fit_stance import fit_classifier, labelled_pair, training_rows

PASSAGE = (
    "The council met on Tuesday. The council approved a $4.2 million budget for a new "
    "branch library, the mayor said. Work starts in May."
)
SURE = {"SUPPORTS": 0.8, "CONTRADICTS": 0.15, "NEUTRAL": 0.05}


def test_features_name_what_the_checks_find() -> None:
    same = pair_features("The council approved a $4.2 million budget.", PASSAGE, SURE, 0.7)
    assert set(same) == set(FEATURES)
    assert same["overlap_sentence"] == 1.0 and same["conflict_number"] == 0
    assert same["logit_supports_contradicts"] == pytest.approx(math.log(0.8001 / 0.1501))
    other = pair_features("The council approved a $5.1 million budget.", PASSAGE, SURE, 0.7)
    assert other["conflict_number"] == 1 and other["missing_number"] == 0
    opposite = pair_features("The council rejected a $4.2 million budget.", PASSAGE, SURE, 0.7)
    assert opposite["opposite"] == 1
    added = pair_features("The library will have 300 seats and a cafe.", PASSAGE, None, 0.4)
    assert added["missing_number"] == 1 and added["overlap_passage"] < 0.5
    assert added["has_model"] == 0 and added["p_supports"] == pytest.approx(1 / 3)


def _fitted(coef_s: dict[str, float], coef_c: dict[str, float]) -> dict:
    return {
        "features": list(FEATURES),
        "mean": [0.0] * len(FEATURES),
        "scale": [1.0] * len(FEATURES),
        "supports": {"coef": [coef_s.get(f, 0.0) for f in FEATURES], "intercept": 0.0},
        "contradicts": {"coef": [coef_c.get(f, 0.0) for f in FEATURES], "intercept": -1.0},
        "thresholds": {"supports": 0.6, "contradicts": 0.7},
    }


def test_scores_follow_the_coefficients() -> None:
    clf = StanceClassifier(
        _fitted({"logit_supports_contradicts": 1.0}, {"conflict_number": 3.0, "opposite": 3.0})
    )
    agree = clf.score_pair("The council approved a $4.2 million budget.", PASSAGE, SURE, 0.7)
    differ = clf.score_pair("The council approved a $5.1 million budget.", PASSAGE, SURE, 0.7)
    assert agree.supports == pytest.approx(1 / (1 + math.exp(-math.log(0.8001 / 0.1501))))
    assert agree.contradicts == pytest.approx(1 / (1 + math.e))  # intercept only
    assert differ.contradicts > 0.8 > agree.contradicts
    assert clf.stance(agree) == "SUPPORTS"
    assert clf.stance(differ) == "CONTRADICTS"  # both over their thresholds: the likelier
    assert clf.stance(StanceScores(0.55, 0.65)) == "NEUTRAL"
    assert clf.stance(StanceScores(0.55, 0.65), supports=0.5) == "SUPPORTS"


def test_a_malformed_file_is_refused() -> None:
    fitted = _fitted({}, {})
    with pytest.raises(ValueError, match="unknown features"):
        StanceClassifier(fitted | {"features": [*FEATURES[:-1], "mood"]})
    with pytest.raises(ValueError, match="coefficients"):
        StanceClassifier(fitted | {"supports": {"coef": [1.0], "intercept": 0.0}})


def test_standardisation_uses_the_files_mean_and_scale() -> None:
    fitted = _fitted({"cosine": 1.0}, {})
    k = FEATURES.index("cosine")
    fitted["mean"][k], fitted["scale"][k] = 0.5, 0.25
    clf = StanceClassifier(fitted)
    features = dict.fromkeys(FEATURES, 0.0) | {"cosine": 0.75}
    assert clf.scores(features).supports == pytest.approx(1 / (1 + math.exp(-1.0)))


def test_fitting_learns_the_direction_and_survives_one_class() -> None:
    base = dict.fromkeys(FEATURES, 0.0)
    rows = [base | {"logit_supports_contradicts": x, "conflict_number": float(x < -1)} for x in
            (-3.0, -2.0, -1.5, -0.5, 0.5, 1.0, 2.0, 3.0)]  # fmt: skip
    y_s = [0, 0, 0, 0, 1, 1, 1, 1]
    clf = StanceClassifier(fit_classifier(rows, y_s, [0] * 8))  # no contradiction at all
    high, low = rows[-1], rows[0]
    assert clf.scores(high).supports > 0.7 > 0.3 > clf.scores(low).supports
    assert clf.scores(high).contradicts == clf.scores(low).contradicts < 0.01


def test_training_rows_take_each_claims_closest_passage() -> None:
    near = dict.fromkeys(FEATURES, 0.0) | {"overlap_sentence": 0.9, "cosine": 0.5}
    far = near | {"overlap_sentence": 0.2, "cosine": 0.9}
    assert labelled_pair([far, near]) == 1 and labelled_pair([]) is None
    rows, y_s, y_c = training_rows(
        ["SUPPORTED", "NOT_SUPPORTED", "NOT_ENOUGH_INFO", "DISPUTED", "SUPPORTED"],
        [{"features": [far, near]}, {"features": [near]}, {"features": [far]}, {"features": [near]}, {}],
    )  # fmt: skip
    assert rows == [near, near, far]  # DISPUTED and an item without passages are left out
    assert (y_s, y_c) == ([1, 0, 0], [0, 1, 0])


@pytest.mark.skipif(not DEFAULT_PATH.is_file(), reason="no fitted classifier shipped yet")
def test_the_shipped_file_is_reproducible_and_separates_agreement_from_conflict() -> None:
    fitted = json.loads(Path(DEFAULT_PATH).read_text())
    assert fitted["command"].startswith("python -m eval.fit_stance")
    assert all(len(d["sha256"]) == 64 for d in fitted["fitted_on"])
    clf = StanceClassifier.load()
    agree = clf.score_pair("The council approved a $4.2 million budget.", PASSAGE, SURE, 0.7)
    differ = clf.score_pair(
        "The council approved a $5.1 million budget.",
        PASSAGE,
        {"SUPPORTS": 0.2, "CONTRADICTS": 0.75, "NEUTRAL": 0.05},
        0.7,
    )
    assert agree.supports > differ.supports and differ.contradicts > agree.contradicts
    assert 0 < clf.thresholds["supports"] <= 1.01 and 0 < clf.thresholds["contradicts"] <= 1.01
    assert clf.contradiction_threshold is not None and 0.5 <= clf.contradiction_threshold <= 1.01


def test_the_gate_confirms_only_a_sure_contradiction() -> None:
    fitted = _fitted({}, {"logit_supports_contradicts": -0.6}) | {"contradiction_threshold": 0.8}
    clf = StanceClassifier(fitted)
    claim = "Councillors rejected the library plan."
    sure = {"SUPPORTS": 0.01, "CONTRADICTS": 0.95, "NEUTRAL": 0.04}
    p = clf.confirms_contradiction(claim, PASSAGE, sure, 0.6)
    assert p is not None and p >= 0.8
    assert clf.confirms_contradiction(claim, PASSAGE, SURE, 0.6) is None  # leans to supports
    assert clf.confirms_contradiction(claim, PASSAGE, None, 0.6) is None  # no probabilities
    ungated = StanceClassifier(_fitted({}, {"logit_supports_contradicts": -0.6}))
    assert ungated.confirms_contradiction(claim, PASSAGE, sure, 0.6) is None


def test_a_contradiction_the_checks_cannot_name_stands_only_through_the_gate() -> None:
    from chains.compare import judge_passages
    from chains.models import Claim, Stance
    from tests.fakes import LabelModel
    from vectorstore.models import Passage

    text = "The council met on Tuesday. Councillors backed the library plan by a wide margin."
    related = "Councillors opposed the new library plan in a close vote."  # 3 of 7 words
    claim = Claim(id="c1", text=related, quote="q", start=0, end=1)
    found = Passage(
        id="a:0",
        article_id="a",
        title="t",
        source="s",
        text=text,
        start=0,
        end=len(text),
        score=0.6,
    )
    contradicts = {"SUPPORTS": 0.01, "CONTRADICTS": 0.95, "NEUTRAL": 0.04}
    gate = _fitted({}, {"logit_supports_contradicts": -0.6}) | {"contradiction_threshold": 0.8}

    def judged(classifier: StanceClassifier | None, claim: Claim = claim):
        model = LabelModel(probabilities=[dict(contradicts)])
        return judge_passages(model, claim, [found], classifier=classifier)[0]

    plain = judged(None)  # nothing named differs: the model alone never contradicts
    assert plain.stance is Stance.NEUTRAL and plain.reason.startswith("Checks:")
    gated = judged(StanceClassifier(gate))
    assert gated.stance is Stance.CONTRADICTS and gated.reason.startswith("Classifier:")
    assert "Councillors backed the library plan by a wide margin." in gated.reason
    assert gated.stance_confidence is not None and gated.stance_confidence >= 0.8
    unsure = judged(StanceClassifier(gate | {"contradiction_threshold": 0.9}))
    assert unsure.stance is Stance.NEUTRAL
    # The same statement: the checks compared it and nothing differs, so no gate.
    same = claim.model_copy(update={"text": "Councillors strongly backed the library plan."})
    assert judged(StanceClassifier(gate), same).stance is Stance.NEUTRAL


@pytest.mark.skipif(not DEFAULT_PATH.is_file(), reason="no fitted classifier shipped yet")
def test_the_shipped_classifier_serves_only_the_judge_it_was_fitted_on() -> None:
    from chains.stance_classifier import classifier_for

    judge = json.loads(Path(DEFAULT_PATH).read_text())["model"]
    assert judge  # the embedded model's name, as chains.llm.model_label gives it
    assert classifier_for(judge) is not None
    assert classifier_for(judge, enabled=False) is None  # FACTCHECK_STANCE_CLASSIFIER=false
    # Another model's probabilities are spread otherwise: its gate would mean nothing.
    assert classifier_for("llama-3.1-8b-instruct") is None
    assert StanceClassifier(_fitted({}, {})).fits("any model")  # a file naming none
