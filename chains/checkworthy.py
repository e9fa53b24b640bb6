"""Check-worthiness: how likely a claim's sentence states something a record can settle.

The extractor is generous (on ClaimBuster it finds 9 in 10 check-worthy sentences but
half of what it keeps is not check-worthy), so each extracted quote is scored once
more with a short yes/no question: the probability of YES from the label tokens where
the model gives them (the embedded one), a 0/1 answer otherwise. Claims below
``min_checkworthiness`` are left out of the check, and the report says how many.
"""

from __future__ import annotations

from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel

from chains.llm import UsageCounter, structured
from chains.models import Claim
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


def keep_checkworthy(
    model: BaseChatModel,
    claims: list[Claim],
    *,
    threshold: float,
    prompt: Prompt | None = None,
    usage: UsageCounter | None = None,
    config: RunnableConfig | None = None,
) -> tuple[list[Claim], list[str]]:
    """The claims scoring at least ``threshold``, and a warning naming how many did not."""
    if threshold <= 0:
        return claims, []
    kept = [
        c
        for c in claims
        if checkworthiness(model, c.quote, prompt=prompt, usage=usage, config=config) >= threshold
    ]
    dropped = len(claims) - len(kept)
    note = (
        f"{dropped} sentence(s) the extractor proposed were left out as not checkable "
        "(opinion, promise or too vague to check)."
    )
    return kept, [note] if dropped else []
