"""The cross-encoder: how it reads a passage, when it spares the model, and the shipped
model itself (real onnxruntime, no fake)."""

from __future__ import annotations

import pytest

from chains.compare import SKIP_MODEL, judge_passages
from chains.crossencoder import CrossEncoder, CrossScore, windows
from chains.factcheck import check_facts
from chains.models import Claim, Stance
from prompts.loader import load_prompt
from tests.fakes import LabelModel
from vectorstore.models import Passage

FIVE = "One is here. Two is there. Three is far. Four is near. Five is gone."


def test_a_short_passage_is_one_window_and_a_long_one_slides_sentence_by_sentence() -> None:
    assert windows("One is here. Two is there.") == ["One is here. Two is there."]
    assert windows(FIVE) == [
        "One is here. Two is there. Three is far.",
        "Two is there. Three is far. Four is near.",
        "Three is far. Four is near. Five is gone.",
    ]
    assert windows("no sentence end") == ["no sentence end"]


class FixedCrossEncoder:
    """Reads every passage alike (a fake for the chain's logic; the real one is below)."""

    def __init__(self, neutral: float) -> None:
        self.neutral, self.calls = neutral, 0

    def score(self, claim: str, passage: str) -> CrossScore:
        self.calls += 1
        return CrossScore((1 - self.neutral) / 2, (1 - self.neutral) / 2, self.neutral, passage)


CLAIM = Claim(
    id="c1", text="The council approved $58 million for the bridge.", quote="x", start=0, end=1
)


def passage(text: str) -> Passage:
    return Passage(id="a:0", article_id="a", text=text, start=0, end=len(text), score=0.5)


UNRELATED = passage("The school board hired a new superintendent after a long search.")
RELATED = passage("The council approved money for the bridge repairs on Tuesday.")


def test_a_passage_the_cross_encoder_reads_as_unrelated_is_not_put_to_the_model() -> None:
    model = LabelModel()  # fails if asked: no probabilities queued
    (e,) = judge_passages(
        model, CLAIM, [UNRELATED], prompt=load_prompt("judge_stance"),
        crossencoder=FixedCrossEncoder(neutral=SKIP_MODEL),
    )  # fmt: skip
    assert e.stance is Stance.NEUTRAL and "cross-encoder" in e.reason
    assert model.calls == []


@pytest.mark.parametrize(
    ("text", "neutral"), [(UNRELATED.text, SKIP_MODEL - 0.01), (RELATED.text, 0.99)]
)
def test_the_model_is_asked_when_unsure_or_when_the_words_are_shared(text, neutral) -> None:
    model = LabelModel(probabilities=[{"SUPPORTS": 0.1, "CONTRADICTS": 0.1, "NEUTRAL": 0.8}])
    judge_passages(
        model, CLAIM, [passage(text)], prompt=load_prompt("judge_stance"),
        crossencoder=FixedCrossEncoder(neutral=neutral),
    )  # fmt: skip
    assert len(model.calls) == 1


@pytest.fixture(scope="module")
def shipped() -> CrossEncoder:
    return CrossEncoder()


PASSAGE = (
    "The Harbor Gazette reported on Tuesday. The city council voted 7-2 to approve a $4.2 "
    "million budget for the new branch library on Elm Street. Construction is expected to "
    "begin in the spring. The mayor praised the vote."
)


def test_the_shipped_model_reads_a_stated_claim_as_supported(shipped: CrossEncoder) -> None:
    same = shipped.score("The council approved a $4.2 million budget for the library.", PASSAGE)
    other = shipped.score("The hospital opened a new maternity ward in Dayton.", PASSAGE)
    assert same.supports > 0.5 > other.supports
    assert "$4.2" in same.window


def test_the_shipped_model_reads_a_negated_claim_as_not_supported(shipped: CrossEncoder) -> None:
    negated = shipped.score(
        "The city council did not approve a budget for the new branch library.", PASSAGE
    )
    assert negated.supports < 0.5


def test_the_shipped_file_is_verified_and_check_facts_still_decides_alone() -> None:
    # The model file is pinned by its sha256 in card.json (verified on first use above);
    # the checks' own decisions do not depend on the cross-encoder.
    decided = check_facts("The council approved a $5.1 million budget for the library.", PASSAGE)
    assert decided.decided is Stance.CONTRADICTS
