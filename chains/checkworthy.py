"""Check-worthiness: how likely a claim's sentence states something a record can settle.

Each candidate sentence of an article is asked one short yes/no question on its own:
the probability of YES from the label tokens where the model gives them (the
embedded one, whose few-shot prefix stays cached from one sentence to the next), a
0/1 answer otherwise. `chains.extract` keeps the candidates at or above
``min_checkworthiness``.
"""

from __future__ import annotations

from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel

from chains.llm import UsageCounter, structured
from prompts.loader import Prompt, load_prompt


class Checkable(BaseModel):
    checkable: Literal["YES", "NO"]


def checkworthiness(
    model: BaseChatModel,
    sentence: str,
    *,
    prompt: Prompt | None = None,
    usage: UsageCounter | None = None,
    config: RunnableConfig | None = None,
) -> float:
    """P(the sentence is a checkable factual claim), 0..1."""
    messages = (prompt or load_prompt("checkworthy")).render(sentence=" ".join(sentence.split()))
    scorer = getattr(model, "label_probabilities", None)
    if scorer is None:
        answer = structured(model, Checkable).invoke(messages, config=config)
        return 1.0 if answer.checkable == "YES" else 0.0
    probs, evaluated = scorer([*messages, AIMessage(content='{"checkable": "')], ["YES", "NO"])
    if usage is not None:
        usage.add(calls=1, tokens_in=evaluated)
    return probs["YES"]
