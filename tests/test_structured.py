"""structured(): fallbacks for servers that refuse a format, one re-ask for a bad answer."""

import json
from typing import Literal

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from chains.llm import ModelOutputError, UsageCounter, structured
from tests.fakes import QueuedChatModel

GOOD = json.dumps({"label": "SUPPORTS"})
ASK = [SystemMessage(content="Answer with JSON."), HumanMessage(content="Claim and passage.")]


class Answer(BaseModel):
    label: Literal["SUPPORTS", "CONTRADICTS", "NEUTRAL"]


@pytest.mark.parametrize(
    ("bad", "told"),
    [
        ('{"label": "TRUE"}', "label: Input should be 'SUPPORTS', 'CONTRADICTS' or 'NEUTRAL'"),
        ('{"label": SUPPORTS}', "the answer is not valid JSON"),
        ("I think it supports the claim.", "the answer holds no JSON object"),
        ('{"reason": "no label"}', "label: Field required"),
    ],
)
def test_a_malformed_answer_is_asked_again_with_the_error(bad, told):
    model = QueuedChatModel(responses=[bad, GOOD])
    usage = UsageCounter()
    answer = structured(model, Answer).invoke(ASK, config={"callbacks": [usage]})
    assert answer == Answer(label="SUPPORTS")
    assert len(model.calls) == 2 and usage.calls == 2
    first, again = (c["messages"] for c in model.calls)
    assert again[: len(ASK)] == first == ASK  # the question itself is unchanged
    assert again[-2].type == "ai" and again[-2].content == bad  # its own answer, then the error
    assert again[-1].type == "human" and told in again[-1].content
    assert "Answer again with only the JSON object" in again[-1].content
    # The re-ask uses the same response format as the first answer.
    assert model.calls[1]["kwargs"] == model.calls[0]["kwargs"]


def test_two_malformed_answers_raise_saying_it_was_asked_again():
    model = QueuedChatModel(responses=['{"label": "TRUE"}', '{"label": "FALSE"}', GOOD])
    with pytest.raises(ModelOutputError, match="still malformed when asked again") as raised:
        structured(model, Answer).invoke(ASK)
    assert len(model.calls) == 2  # one re-ask, not more
    assert raised.value.answer == '{"label": "FALSE"}'
    assert raised.value.problem.startswith("label: Input should be")


def test_no_reask_when_turned_off():
    model = QueuedChatModel(responses=["nothing", GOOD])
    with pytest.raises(ModelOutputError, match="no JSON object"):
        structured(model, Answer, reask=0).invoke(ASK)
    assert len(model.calls) == 1


def test_a_server_that_refuses_json_schema_falls_back_and_a_bad_answer_is_reasked_there():
    model = QueuedChatModel(responses=["not json", GOOD], reject={"json_schema"})
    assert structured(model, Answer).invoke(ASK).label == "SUPPORTS"
    formats = [(c["kwargs"].get("response_format") or {}).get("type") for c in model.calls]
    # refused, answered badly under json_object, refused again, answered well under json_object
    assert formats == ["json_schema", "json_object", "json_schema", "json_object"]


def test_a_good_first_answer_costs_one_call():
    model = QueuedChatModel(responses=[GOOD])
    assert structured(model, Answer, max_tokens=20).invoke(ASK).label == "SUPPORTS"
    assert len(model.calls) == 1 and model.calls[0]["kwargs"]["max_tokens"] == 20
