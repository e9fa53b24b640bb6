import datetime as dt
import json

import pytest

from chains.compare import (
    FactCheck,
    aggregate,
    calibrated,
    check_facts,
    checked_stance,
    judge,
    judge_passages,
)
from chains.models import Claim, Evidence, Mismatch, Stance, Verdict
from prompts.loader import load_prompt
from tests.fakes import LabelModel, QueuedChatModel
from vectorstore.models import Passage

CLAIM = Claim(
    id="c1", text="The council approved $58 million for the bridge.", quote="x", start=0, end=1
)


def passage(text: str, score: float = 0.8, pid: str = "a1:0") -> Passage:
    return Passage(
        id=pid,
        article_id=pid.split(":")[0],
        title="Bridge funds",
        source="Gazette",
        published=dt.date(2023, 3, 15),
        url="https://gazette.example/b",
        text=text,
        start=0,
        end=len(text),
        score=score,
    )


def evidence(stance: Stance, confidence: float | None = 0.9, score: float = 0.8, **kw) -> Evidence:
    return Evidence(
        passage_id="a:0",
        article_id="a",
        title=kw.get("title", "T"),
        text="t",
        score=score,
        stance=stance,
        stance_confidence=confidence,
        mismatches=kw.get("mismatches", []),
    )


def test_judge_with_label_probabilities_then_reason():
    model = LabelModel(
        probabilities=[{"SUPPORTS": 0.1, "CONTRADICTS": 0.7, "NEUTRAL": 0.2}],
        responses=["The figures differ."],
    )
    stance, p, reason = judge(model, "claim", "passage", prompt=load_prompt("judge_stance"))
    assert (stance, reason) == (Stance.CONTRADICTS, "The figures differ.")
    assert p == pytest.approx(
        calibrated({"SUPPORTS": 0.1, "CONTRADICTS": 0.7, "NEUTRAL": 0.2})["CONTRADICTS"]
    )
    prefill = model.calls[1]["messages"][-1].content
    assert prefill.endswith('{"label": "CONTRADICTS", "reason": "')


def test_neutral_needs_no_reason_generation():
    model = LabelModel(probabilities=[{"SUPPORTS": 0.05, "CONTRADICTS": 0.1, "NEUTRAL": 0.85}])
    stance, _, reason = judge(model, "c", "p", prompt=load_prompt("judge_stance"))
    assert (stance, reason) == (Stance.NEUTRAL, "")
    assert len(model.calls) == 1


def test_calibration_corrects_the_lean_to_contradicts():
    # The model's "contradicts" bias: a fair share for "supports" wins after reweighting.
    raw = {"SUPPORTS": 0.35, "CONTRADICTS": 0.6, "NEUTRAL": 0.05}
    weighted = calibrated(raw)
    assert max(weighted, key=weighted.get) == "SUPPORTS"
    assert sum(weighted.values()) == pytest.approx(1.0)
    sure = calibrated({"SUPPORTS": 0.1, "CONTRADICTS": 0.85, "NEUTRAL": 0.05})
    assert max(sure, key=sure.get) == "CONTRADICTS"


def test_judge_with_structured_output_for_other_models():
    model = QueuedChatModel(responses=[json.dumps({"label": "SUPPORTS", "reason": "Same figure."})])
    assert judge(model, "c", "p", prompt=load_prompt("judge_stance")) == (
        Stance.SUPPORTS,
        None,
        "Same figure.",
    )


def test_invalid_label_from_the_model_is_rejected():
    model = QueuedChatModel(responses=['{"label": "TRUE"}'] * 3)
    with pytest.raises(Exception, match="did not fit"):
        judge(model, "c", "p", prompt=load_prompt("judge_stance"))


CONFLICT = Mismatch(kind="number", claim_value="$58", passage_values=["$42"], conflict=True)
BRIDGE = "The council approved $42 million for the Harbour Bridge repairs on March 14, 2023."


@pytest.mark.parametrize(
    ("claim", "passage", "decided"),
    [
        # the same statement with another figure, date or an opposite word
        ("The council approved $58 million for the Harbour Bridge repairs on March 14, 2023.", BRIDGE, Stance.CONTRADICTS),
        ("The council approved $42 million for the Harbour Bridge repairs on March 14, 2022.", BRIDGE, Stance.CONTRADICTS),
        ("The council rejected $42 million for the Harbour Bridge repairs on March 14, 2023.", BRIDGE, Stance.CONTRADICTS),
        ("The council did not approve $42 million for the Harbour Bridge repairs on March 14, 2023.", BRIDGE, Stance.CONTRADICTS),
        # the same statement, every fact equal, inside a longer passage
        ("The council approved $42 million for the Harbour Bridge repairs on March 14, 2023.",
         "The bridge closed on September 5, 2023. " + BRIDGE + " Work began in May.", Stance.SUPPORTS),
        # another event with other dates is not a contradiction, and not settled by the checks
        ("The Harbour Bridge reopened to traffic on November 15, 2024.", "The Harbour Bridge closed to traffic on September 5, 2023, for repairs.", None),
        ("The library opened on Sundays in March 2025.", BRIDGE, None),
    ],
)  # fmt: skip
def test_check_facts_decides_only_clear_cases(claim, passage, decided):
    assert check_facts(claim, passage).decided is decided


def test_a_different_figure_in_another_statement_is_not_a_conflict():
    facts = check_facts(
        "The port handled 3.1 million tonnes of cargo in 2023.",
        "The ferry carried 2.4 million passengers in 2023 and hired staff.",
    )
    assert facts.decided is None
    assert not any(m.conflict for m in facts.mismatches)


def facts(overlap: float, mismatches=()) -> FactCheck:
    return FactCheck(sentence="s", overlap=overlap, mismatches=list(mismatches))


@pytest.mark.parametrize(
    ("stance", "fact_check", "expected"),
    [
        (
            Stance.SUPPORTS,
            facts(0.7, [Mismatch(kind="number", claim_value="$42 million")]),
            Stance.NEUTRAL,
        ),
        (  # a name missing is not a veto: paraphrases name people and places differently
            Stance.SUPPORTS,
            facts(0.7, [Mismatch(kind="name", claim_value="Karen Whitfield")]),
            Stance.SUPPORTS,
        ),
        (Stance.SUPPORTS, facts(0.7), Stance.SUPPORTS),
        (Stance.CONTRADICTS, facts(0.2), Stance.NEUTRAL),  # about something else
        (Stance.CONTRADICTS, facts(0.5), Stance.CONTRADICTS),
        (Stance.NEUTRAL, facts(0.9), Stance.NEUTRAL),
    ],
)
def test_checked_stance(stance, fact_check, expected):
    assert checked_stance(stance, fact_check)[0] is expected


def test_an_unsure_model_stance_does_not_count():
    assert checked_stance(Stance.CONTRADICTS, facts(0.5), 0.55)[0] is Stance.NEUTRAL
    assert checked_stance(Stance.CONTRADICTS, facts(0.5), 0.8)[0] is Stance.CONTRADICTS


def test_an_unsure_support_still_counts_when_nothing_is_missing():
    # The model's bias is towards "contradicts"; its "supports" is taken as argmax.
    assert checked_stance(Stance.SUPPORTS, facts(0.9), 0.45)[0] is Stance.SUPPORTS


def test_judge_passages_decided_by_checks_needs_no_model():
    model = LabelModel()  # fails if called
    (e,) = judge_passages(
        model, CLAIM, [passage("The council approved $42 million for the bridge.")]
    )
    assert e.stance is Stance.CONTRADICTS
    assert e.stance_confidence is None
    assert "Checks:" in e.reason and "42" in e.reason


def test_judge_passages_explains_an_override():
    model = LabelModel(
        probabilities=[{"SUPPORTS": 0.9, "CONTRADICTS": 0.05, "NEUTRAL": 0.05}], responses=["ok"]
    )
    (e,) = judge_passages(
        model,
        CLAIM,
        [passage("Funding of $30 million went to the schools this year, the council said.")],
    )
    assert e.stance is Stance.NEUTRAL
    assert e.stance_confidence is None
    assert e.reason.startswith("Checks:") and "not in the passage" in e.reason
    assert (e.title, e.source, e.url, e.published) == (
        "Bridge funds",
        "Gazette",
        "https://gazette.example/b",
        dt.date(2023, 3, 15),
    )


@pytest.mark.parametrize(
    ("stances", "verdict"),
    [
        ([], Verdict.NOT_IN_ARCHIVE),
        ([Stance.NEUTRAL, Stance.NEUTRAL], Verdict.NOT_ENOUGH_INFO),
        ([Stance.SUPPORTS, Stance.NEUTRAL], Verdict.SUPPORTED),
        ([Stance.CONTRADICTS, Stance.NEUTRAL], Verdict.CONTRADICTED),
        ([Stance.SUPPORTS, Stance.CONTRADICTS], Verdict.MIXED),
    ],
)
def test_aggregate(stances, verdict):
    result, _, reason = aggregate([evidence(s) for s in stances])
    assert result is verdict
    assert reason


def test_aggregate_confidence_and_reason_name_the_passage():
    verdict, confidence, reason = aggregate(
        [
            evidence(Stance.CONTRADICTS, 0.6, title="Council vote", mismatches=[CONFLICT]),
            evidence(Stance.NEUTRAL, 0.99),
        ]
    )
    assert verdict is Verdict.CONTRADICTED
    assert confidence == 0.6
    assert "Council vote" in reason and "$42" in reason
