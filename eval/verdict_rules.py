"""The decision rules the cross-validation replays (``eval.verdict_cv``), without the model.

* ``product_records``: ``chains.compare`` as shipped, re-run on a record's passages with
  the model's recorded label probabilities and another weight on SUPPORTS.
* ``pair_stance`` / ``predict``: the stance classifier's thresholds, alone or as a gate
  on the shipped rule's stances (``hybrid``), then ``verdict_of`` (the rule of
  ``chains.verdict.aggregate`` on stance names).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from chains import compare
from chains.pipeline import Prompts
from eval.datasets import VerdictItem
from vectorstore.models import Passage

STANCE_VERDICT = dict(SUPPORTS="SUPPORTED", CONTRADICTS="CONTRADICTED", NEUTRAL="NOT_ENOUGH_INFO")


def verdict_of(stances: Sequence[str], pairs: bool) -> str:
    """``chains.verdict.aggregate``'s rule on stance names (no Evidence objects: the
    threshold grid calls this tens of thousands of times)."""
    if pairs:
        return STANCE_VERDICT[stances[0]] if stances else "NOT_ENOUGH_INFO"
    if not stances:
        return "NOT_IN_ARCHIVE"
    s, c = "SUPPORTS" in stances, "CONTRADICTS" in stances
    return "MIXED" if s and c else "CONTRADICTED" if c else "SUPPORTED" if s else "NOT_ENOUGH_INFO"


class _Recorded:
    """A stand-in judge answering from a record's label probabilities only."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        texts = [p["text"] for p in record.get("passages", [])]
        self.answers = list(zip(texts, record.get("probabilities") or [], strict=False))

    def label_probabilities(self, messages: Sequence[Any], labels: Sequence[str]):
        asked = str([m for m in messages if isinstance(m, HumanMessage)][-1].content)
        for text, probs in self.answers:
            if probs and text in asked:
                return dict(probs), 0
        raise LookupError("no recorded answer for this pair")

    def invoke(self, *args: Any, **kwargs: Any) -> AIMessage:
        return AIMessage(content="")


@contextmanager
def supports_weight(weight: float) -> Iterator[None]:
    """``chains.compare.LABEL_WEIGHTS["SUPPORTS"]`` set to ``weight`` for a while."""
    weights = compare.LABEL_WEIGHTS
    old = weights["SUPPORTS"]
    weights["SUPPORTS"] = weight
    try:
        yield
    finally:
        weights["SUPPORTS"] = old


def product_records(
    items: Sequence[VerdictItem], records: Sequence[Mapping[str, Any]], weight: float, pairs: bool
) -> list[dict[str, Any]]:
    """The shipped rule's records with another weight on SUPPORTS, replayed."""
    from chains.crossencoder import shipped
    from eval.run_verdicts import judge_item

    prompts = Prompts()
    out = []
    with supports_weight(weight):
        for item, record in zip(items, records, strict=True):
            passages = [Passage.model_validate(p) for p in record.get("passages", [])]
            out.append(
                judge_item(
                    _Recorded(record),  # type: ignore[arg-type]
                    item,
                    passages,
                    prompts=prompts,
                    pairs=pairs,
                    crossencoder=shipped(),
                )
            )
    return out


def pair_stance(entry: Sequence[Any], t_s: float, t_c: float) -> str:
    """The classifier's stance for one pair; with the shipped rule's stance and the
    model's own label (``hybrid``), the classifier only lets the model's overruled
    "contradicts" stand (P(contradicts) >= t_c) or vetoes its "supports" (P < t_s)."""
    ps, pc = entry[0], entry[1]
    if len(entry) == 4:
        base, model = entry[2], entry[3]
        if base == "NEUTRAL" and model == "CONTRADICTS" and pc >= t_c:
            return "CONTRADICTS"
        if base == "SUPPORTS" and model == "SUPPORTS" and ps < t_s:
            return "NEUTRAL"
        return base
    s_ok, c_ok = ps >= t_s, pc >= t_c
    if s_ok and (not c_ok or ps >= pc):
        return "SUPPORTS"
    return "CONTRADICTS" if c_ok else "NEUTRAL"


def predict(
    scored: Sequence[Sequence[Sequence[Any]]], t_s: float, t_c: float, pairs: bool
) -> list[str]:
    return [verdict_of([pair_stance(e, t_s, t_c) for e in item], pairs) for item in scored]


def model_label(probs: Mapping[str, float] | None, weight: float) -> str:
    """The model's own label under a weight on SUPPORTS (as ``chains.compare.judge``)."""
    if not probs:
        return "NEUTRAL"
    weighted = {k: v * (weight if k == "SUPPORTS" else 1.0) for k, v in probs.items()}
    return max(weighted, key=weighted.__getitem__)
