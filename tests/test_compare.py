import datetime as dt
import json

import pytest

from chains.checks import named_difference
from chains.compare import calibrated, judge, judge_claims, judge_passages
from chains.factcheck import FactCheck, check_facts, checked_stance
from chains.llm import ModelOutputError
from chains.models import Claim, Evidence, Mismatch, Stance, Verdict
from chains.verdict import aggregate
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


def test_judge_with_label_probabilities_generates_no_reason():
    # Reading the label costs one prompt; a reason would cost more tokens than the label.
    model = LabelModel(probabilities=[{"SUPPORTS": 0.1, "CONTRADICTS": 0.7, "NEUTRAL": 0.2}])
    stance, p, reason, raw = judge(model, "claim", "passage", prompt=load_prompt("judge_stance"))
    assert (stance, reason) == (Stance.CONTRADICTS, "")
    assert raw == {"SUPPORTS": 0.1, "CONTRADICTS": 0.7, "NEUTRAL": 0.2}  # for the classifier
    assert p == pytest.approx(
        calibrated({"SUPPORTS": 0.1, "CONTRADICTS": 0.7, "NEUTRAL": 0.2})["CONTRADICTS"]
    )
    assert len(model.calls) == 1


def test_a_supporting_passage_is_explained_by_its_own_sentence():
    model = LabelModel(probabilities=[{"SUPPORTS": 0.8, "CONTRADICTS": 0.1, "NEUTRAL": 0.1}])
    text = "The mayor spoke. Councillors approved $58 million for the bridge. Work starts soon."
    (e,) = judge_passages(model, CLAIM, [passage(text)], prompt=load_prompt("judge_stance"))
    assert e.stance is Stance.SUPPORTS
    assert (
        e.reason == "The passage says: \u201cCouncillors approved $58 million for the bridge.\u201d"
    )


def test_neutral_needs_no_reason_generation():
    model = LabelModel(probabilities=[{"SUPPORTS": 0.05, "CONTRADICTS": 0.1, "NEUTRAL": 0.85}])
    stance, _, reason, _ = judge(model, "c", "p", prompt=load_prompt("judge_stance"))
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
        None,
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
        (Stance.CONTRADICTS, facts(0.2, [CONFLICT]), Stance.NEUTRAL),
        (Stance.CONTRADICTS, facts(0.5, [CONFLICT]), Stance.CONTRADICTS),  # a named difference
        (Stance.CONTRADICTS, facts(0.5), Stance.NEUTRAL),  # nothing named: the model alone
        (Stance.CONTRADICTS, facts(0.9), Stance.NEUTRAL),
        (  # a value missing is not a difference
            Stance.CONTRADICTS,
            facts(0.9, [Mismatch(kind="number", claim_value="$42 million")]),
            Stance.NEUTRAL,
        ),
        (Stance.NEUTRAL, facts(0.9), Stance.NEUTRAL),
    ],
)
def test_checked_stance(stance, fact_check, expected):
    assert checked_stance(stance, fact_check)[0] is expected


def test_an_unsure_model_stance_does_not_count():
    assert checked_stance(Stance.CONTRADICTS, facts(0.5, [CONFLICT]), 0.55)[0] is Stance.NEUTRAL
    assert checked_stance(Stance.CONTRADICTS, facts(0.5, [CONFLICT]), 0.8)[0] is Stance.CONTRADICTS


@pytest.mark.parametrize("overlap", [0.9, 0.1])
def test_the_model_alone_never_contradicts(overlap):
    stance, _ = checked_stance(Stance.CONTRADICTS, facts(overlap), 0.99)
    assert stance is Stance.NEUTRAL


def test_no_named_difference_is_said_in_words():
    stance, why = checked_stance(Stance.CONTRADICTS, facts(0.9), 0.95)
    assert stance is Stance.NEUTRAL
    assert why == "the passage is about the same event but no differing fact was found"


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


def test_passages_that_do_not_speak_to_the_claim_mean_it_is_not_in_the_archive():
    about_else = evidence(Stance.NEUTRAL).model_copy(
        update={"text": "The library reopened after repairs. Its hours are longer now."}
    )
    related = evidence(Stance.NEUTRAL).model_copy(
        update={"text": "Three coffee roasters opened in Millbrook; beans come from Peru."}
    )
    claim = "Millbrook's three coffee roasters sold 41 tons of beans last year."
    verdict, _, reason = aggregate([about_else], claim)
    assert verdict is Verdict.NOT_IN_ARCHIVE and "none of which speaks" in reason
    assert aggregate([about_else, related], claim)[0] is Verdict.NOT_ENOUGH_INFO
    assert aggregate([about_else])[0] is Verdict.NOT_ENOUGH_INFO  # no claim text: as before


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


# --- issue 9: a contradiction names what differs; dates read in context -----------------------

LIBRARY_CLAIM = "The council approved a $4.2 million budget for the library in March 2024."
LIBRARY = (
    "The council voted 7-2 on Tuesday to approve a $4.2 million budget for a new branch "
    "library. Construction is expected to start next year."
)


def dated_passage(text: str, published: dt.date) -> Passage:
    return passage(text).model_copy(update={"published": published})


def claim_of(text: str) -> Claim:
    return Claim(id="c", text=text, quote=text, start=0, end=len(text))


def test_library_case_no_differing_fact_is_no_contradiction():
    # The model's unsure-looking 0.61 "contradicts" once made this CONTRADICTED.
    probs = {"SUPPORTS": 0.13, "CONTRADICTS": 0.61 * 3, "NEUTRAL": 0.26}  # 0.61 after weights
    without_dates = check_facts(LIBRARY_CLAIM, LIBRARY)
    assert named_difference(without_dates.mismatches) is None
    stance, why = checked_stance(Stance.CONTRADICTS, without_dates, 0.61)
    assert stance is Stance.NEUTRAL and "no differing fact was found" in why
    (e,) = judge_passages(
        LabelModel(probabilities=[probs], responses=["It differs."]),
        claim_of(LIBRARY_CLAIM),
        [passage(LIBRARY).model_copy(update={"published": None})],
    )
    assert e.stance is Stance.NEUTRAL and "no differing fact was found" in e.reason
    # Read against the publication date, "Tuesday" is March 12, 2024: within "March 2024".
    (e,) = judge_passages(
        LabelModel(),  # not asked: the checks find the same statement, every fact equal
        claim_of(LIBRARY_CLAIM),
        [dated_passage(LIBRARY, dt.date(2024, 3, 12))],
        claim_date=dt.date(2024, 5, 1),
    )
    assert e.stance is Stance.SUPPORTS and e.mismatches == []
    assert aggregate([e])[0] is Verdict.SUPPORTED


def test_reopened_case_names_the_date_conflict():
    claim, text = (
        "which reopened in June 2024 after repairs",
        "reopened to traffic on Monday, August 19",
    )
    facts = check_facts(claim, text, passage_date=dt.date(2024, 8, 20))
    (m,) = facts.mismatches
    assert (m.kind, m.claim_value, m.passage_values, m.conflict) == (
        "date", "June 2024", ["August 2024"], True,
    )  # fmt: skip
    model = LabelModel(
        probabilities=[{"SUPPORTS": 0.02, "CONTRADICTS": 0.9, "NEUTRAL": 0.08}],
        responses=["The months differ."],
    )
    (e,) = judge_passages(model, claim_of(claim), [dated_passage(text, dt.date(2024, 8, 20))])
    assert e.stance is Stance.CONTRADICTS
    assert e.reason.startswith(
        "Checks: the passage gives August 2024 where the claim has June 2024"
    )
    verdict, _, reason = aggregate([e])
    assert verdict is Verdict.CONTRADICTED and "June 2024" in reason and "August 2024" in reason
    # Without its publication date the passage's "Monday" is unread, but "August 19" still
    # differs from June: a month apart, whatever the year.
    assert named_difference(check_facts(claim, text).mismatches) is not None


def test_the_same_statement_with_another_month_is_decided_by_the_checks():
    facts = check_facts(
        "The Harbour Bridge reopened in June 2024 after repairs.",
        "The Harbour Bridge reopened to traffic on Monday, August 19, after 14 months of repairs.",
        claim_date=dt.date(2024, 9, 1),
        passage_date=dt.date(2024, 8, 20),
    )
    assert facts.decided is Stance.CONTRADICTS
    assert "August 2024" in facts.note and "June 2024" in facts.note


@pytest.mark.parametrize(
    ("claim", "text", "mine", "theirs"),
    [
        ("The stadium opening was postponed.", "The stadium opening remains on schedule.", "postponed", "on schedule"),
        ("The jazz concert in the park was cancelled on Friday.", "The jazz concert in the park went ahead on Friday.", "cancelled", "went ahead"),
        ("Mayor Ana Duarte resigned in May.", "Mayor Ana Duarte remains in office, she said in May.", "resigned", "remains in office"),
        ("The jury acquitted Tom Reyes.", "The jury convicted Tom Reyes.", "acquitted", "convicted"),
        ("The train line is delayed.", "The train line is on time.", "delayed", "on time"),
        ("The pool closed for the summer.", "The pool was kept open for the summer.", "closed", "kept open"),
    ],
)  # fmt: skip
def test_a_change_of_status_is_a_named_contradiction(claim, text, mine, theirs):
    facts = check_facts(claim, text)
    assert facts.decided is Stance.CONTRADICTS
    (m,) = [m for m in facts.mismatches if m.kind == "status"]
    assert (m.claim_value, m.passage_values, m.conflict) == (mine, [theirs], True)
    assert mine in facts.note and theirs in facts.note


def test_the_same_status_in_other_words_is_not_a_difference():
    facts = check_facts(
        "The opening was postponed.", "The opening was postponed again, officials said."
    )
    assert named_difference(facts.mismatches) is None


def test_written_numbers_and_units_are_the_same_values():
    facts = check_facts(
        "Eight people were hurt and the city paid $1.2 million, 15% more than planned.",
        "8 people were hurt and the city paid 1,200,000 dollars, 15 percent more than planned.",
    )
    assert facts.mismatches == [] and facts.decided is Stance.SUPPORTS


def test_a_claim_without_date_context_reads_dates_as_before():
    claim, text = (
        "The vote was on August 19.",
        "The council voted on Monday, August 19, to close it.",
    )
    assert check_facts(claim, text) == check_facts(claim, text, claim_date=None, passage_date=None)
    assert [m.kind for m in check_facts(claim, text).mismatches] == []
    # "on Tuesday" means nothing without a date to count from: neither found nor different.
    facts = check_facts("The council voted on March 14, 2023.", "The council voted on Tuesday.")
    assert [(m.claim_value, m.conflict) for m in facts.mismatches] == [("March 14, 2023", False)]
    dated = check_facts(
        "The council voted on March 14, 2023.",
        "The council voted on Tuesday.",
        passage_date=dt.date(2023, 3, 14),  # a Tuesday
    )
    assert dated.mismatches == [] and dated.decided is Stance.SUPPORTS


def test_a_relative_claim_date_is_read_against_the_article_date():
    facts = check_facts(
        "The council voted last week to close the pool.",
        "The council voted on July 2, 2024, to close the pool.",
        claim_date=dt.date(2024, 8, 20),
        passage_date=dt.date(2024, 7, 3),
    )
    (m,) = facts.mismatches
    assert (
        m.conflict
        and m.claim_value == "August 2024 (last week)"
        and m.passage_values == ["July 2024"]
    )


def test_a_mixed_verdict_names_the_difference():
    verdict, _, reason = aggregate(
        [
            evidence(Stance.SUPPORTS, 0.9, title="Budget passes"),
            evidence(Stance.CONTRADICTS, 0.7, title="Council vote", mismatches=[CONFLICT]),
        ]
    )
    assert verdict is Verdict.MIXED
    assert "Budget passes" in reason and "Council vote" in reason and "$42" in reason


def test_a_contradiction_without_a_named_difference_says_so():
    verdict, _, reason = aggregate([evidence(Stance.CONTRADICTS, 0.95)])
    assert verdict is Verdict.CONTRADICTED and "No differing fact was named" in reason
    assert "stance classifier reads a contradiction (95%)" in reason


def test_the_model_reads_each_passage_once_for_every_claim_that_retrieved_it():
    # Passage before claim in the prompt: grouped by passage, only the claim is new to the
    # model's cached prefix. Results still come claim by claim, in retrieval order.
    neutral = {"SUPPORTS": 0.1, "CONTRADICTS": 0.1, "NEUTRAL": 0.8}
    model = LabelModel(probabilities=[dict(neutral) for _ in range(4)])
    bridge = passage("The bridge reopened after long repairs.", pid="a1:0")
    ferry = passage("The ferry carried riders across the bay.", pid="a2:0")
    claims = [
        Claim(id="c1", text="The bridge reopened on May 3, 2024.", quote="x", start=0, end=1),
        Claim(id="c2", text="The ferry carried 400,000 riders.", quote="x", start=0, end=1),
    ]
    judged = list(judge_claims(model, claims, [[bridge, ferry], [ferry, bridge]]))
    asked = [str(call["messages"][-2].content) for call in model.calls]
    assert [(bridge.text in a, claims[0].text in a) for a in asked] == [
        (True, True),
        (True, False),
        (False, True),
        (False, False),
    ]
    assert [i for i, _ in judged] == [0, 1]
    assert [[e.passage_id for e in ev] for _, ev in judged] == [["a1:0", "a2:0"], ["a2:0", "a1:0"]]


def test_a_claim_whose_answer_is_malformed_is_the_only_one_lost():
    model = QueuedChatModel(responses=["not json", "still not", '{"label": "NEUTRAL"}'])
    claims = [
        Claim(id="c1", text="The bridge reopened on May 3, 2024.", quote="x", start=0, end=1),
        Claim(id="c2", text="The ferry carried 400,000 riders.", quote="x", start=0, end=1),
    ]
    bridge = passage("The bridge reopened after long repairs.", pid="a1:0")
    ferry = passage("The ferry carried riders across the bay.", pid="a2:0")
    (_, first), (_, second) = judge_claims(model, claims, [[bridge], [ferry]])
    assert isinstance(first, ModelOutputError)
    assert [e.stance for e in second] == [Stance.NEUTRAL]


def test_a_restatement_outweighs_a_contradiction_about_another_statement():
    claim = "Pell was sentenced on January 28, 2025."
    same = "Judge Okafor sentenced Pell to four years on Tuesday, January 28, 2025."
    other = "Pell was convicted on Wednesday after a six-day trial."  # another event

    def ev(stance, text, title):
        return Evidence(
            passage_id=title, article_id=title, title=title, text=text, score=0.8, stance=stance,
            mismatches=[] if stance is Stance.SUPPORTS else [Mismatch(
                kind="date", claim_value="2025", passage_values=["2024"], conflict=True, note="x")],
        )  # fmt: skip

    verdict, _, reason = aggregate(
        [ev(Stance.SUPPORTS, same, "Sentenced"), ev(Stance.CONTRADICTS, other, "Convicted")], claim
    )
    assert verdict is Verdict.SUPPORTED
    assert "Convicted" in reason and "another statement" in reason
    # A contradiction in a sentence making the same statement still makes it MIXED.
    rival = "Pell was sentenced on January 29, 2025."
    verdict, _, _ = aggregate(
        [ev(Stance.SUPPORTS, same, "Sentenced"), ev(Stance.CONTRADICTS, rival, "Rival")], claim
    )
    assert verdict is Verdict.MIXED
