"""Stand-ins for the judge model in the verdict runner: record what it answers, replay it.

* ``ProbabilityRecorder``: the chat model as is, noting the label probabilities it gives.
* ``Replay``: answers a label question from an earlier run's record when it holds one
  (``only``: never asks the model), so a change to the deciding code is rescored free.
* ``ask_probabilities``: the model's raw label probabilities for one pair, asked as
  ``chains.compare.judge`` asks them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage

from chains.compare import LABELS
from chains.pipeline import Prompts
from vectorstore.models import Passage


class ProbabilityRecorder:
    """The chat model as is, noting the label probabilities it gives (for ROC-AUC)."""

    def __init__(self, model: BaseChatModel) -> None:
        self._model = model
        self.seen: list[tuple[str, dict[str, float]]] = []  # (question, probabilities)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._model, name)  # AttributeError when the model has none
        if name != "label_probabilities":
            return attr

        def label_probabilities(messages, labels):
            probs, evaluated = attr(messages, labels)
            asked = [m for m in messages if isinstance(m, HumanMessage)][-1:]
            self.seen.append((str(asked[0].content) if asked else "", dict(probs)))
            return probs, evaluated

        return label_probabilities


class Replay:
    """The chat model, but label questions about a passage whose answer an earlier run
    recorded are answered from that record (see ``earlier_records``): a change to the
    checks or the decision rule is rescored without asking the model again."""

    def __init__(
        self,
        model: BaseChatModel,
        recorded: list[tuple[str, str, dict[str, float]]],
        *,
        only: bool = False,
    ):
        self._model = model
        self._recorded = recorded
        self._only = only
        self.replayed = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._model, name)
        if name != "label_probabilities":
            return attr

        def label_probabilities(messages, labels):
            asked = [m for m in messages if isinstance(m, HumanMessage)][-1:]
            question = str(asked[0].content) if asked else ""
            for text, claim, probs in self._recorded:
                if text in question and same_claim(claim, question) and set(probs) == set(labels):
                    self.replayed += 1
                    return dict(probs), 0
            if self._only:
                raise LookupError(
                    "replay only: no recorded answer for a pair; run without replay first"
                )
            return attr(messages, labels)

        return label_probabilities


_WORD = re.compile(r"[^\W\d_]{3,}")


def same_claim(claim: str, question: str) -> bool:
    """The question asks about this claim: it holds it as is, or as the product words it
    for a passage (``chains.checks.harmonised`` writes values as the passage does: "97%"
    for "97 percent", a year added to a date), which adds no word. A claim worded anew (a
    restatement, another prompt) has words of its own: the model is asked again."""
    if claim in question:
        return True
    asked = question.rpartition("CLAIM:")[2]
    return bool(asked.strip()) and {w.lower() for w in _WORD.findall(asked)} <= {
        w.lower() for w in _WORD.findall(claim)
    }


def recorded_answers(
    passages: Sequence[Passage], record: dict[str, Any] | None, claim: str
) -> list[tuple[str, str, dict[str, float]]]:
    """(passage text, claim, label probabilities) an earlier record holds for these
    passages. A question is replayed only where it asks about both as they were asked: a
    change to what the model is asked (the claim's wording) asks the model again."""
    probs = (record or {}).get("probabilities") or []
    if len(probs) != len(passages):
        return []
    return [(p.text, claim, pr) for p, pr in zip(passages, probs, strict=True) if pr]


def ask_probabilities(
    recorder: ProbabilityRecorder, claim: str, passage: str, prompts: Prompts
) -> dict[str, float]:
    """The model's raw label probabilities for one pair, asked as ``chains.compare.judge`` does."""
    messages = prompts.judge.render(claim=claim, passage=passage)
    probs, _ = recorder.label_probabilities([*messages, AIMessage(content='{"label": "')], LABELS)
    return dict(probs)
