"""The embedded model's saved prompt prefixes, on the real model (integration)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage

from chains.llm import make_chat_model
from prompts.loader import load_prompt
from settings import Settings

pytestmark = pytest.mark.integration
JUDGE = '{"label": "'
LABELS = ["SUPPORTS", "CONTRADICTS", "NEUTRAL"]


@pytest.fixture(scope="module")
def model():
    return make_chat_model(Settings())


def judge(claim: str) -> list:
    passage = "The council approved $4.2 million for a new branch library on March 12, 2024."
    return [*load_prompt("judge_stance").render(claim=claim, passage=passage), AIMessage(JUDGE)]


def test_a_saved_prefix_gives_the_same_answer_without_reading_the_instructions_again(model):
    asked = judge("The council approved a $4.2 million library budget in March 2024.")
    fresh, _ = model.label_probabilities(asked, LABELS)
    # Another prompt in between replaces the model's context ...
    other = load_prompt("checkworthy").render(sentence="The bridge reopened on Monday.")
    model.label_probabilities([*other, AIMessage('{"checkable": "')], ["YES", "NO"])
    # ... yet the judge's instructions and examples are not read again: only the question.
    again, evaluated = model.label_probabilities(asked, LABELS)
    tokens, fixed = model._prompt(asked)
    assert fixed > 200
    assert evaluated == len(tokens) - fixed
    assert again == pytest.approx(fresh, abs=0.02)


def test_cache_prefix_reads_a_prompts_fixed_part_once(model):
    messages = load_prompt("resolve_reference").render(
        context="The mayor spoke.", sentence="She said no.", pronoun="She"
    )
    first = model.cache_prefix(messages)
    assert 0 < first <= model._prompt(messages)[1]  # never asked with it before
    assert model.cache_prefix(messages) == 0
    answer = model.invoke(messages, max_tokens=8)  # generation starts from the saved part
    assert answer.content
