"""Comparison: a stance per passage, then a verdict per claim by a plain rule.

The stance comes from the model (label probabilities where the model gives them,
schema-constrained JSON otherwise) and is then checked deterministically
(``chains.factcheck``): a "supports" whose numbers or dates are not in the passage is
vetoed, and a passage on the same subject that states a different figure, date or status
is a contradiction.
A "contradicts" stands only when the checks can name what differs, or when the calibrated
stance classifier (``chains.stance_classifier``) is confident of it: a contradiction
sends a reporter to correct a true sentence, so it must say why. A reason is built from
the checks (what differs, or the passage's sentence that states the claim), not generated;
a model's own reason (JSON endpoints) is kept as its explanation, never as evidence.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, Literal, NamedTuple

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel

from chains.checks import describe, harmonised, named_difference
from chains.crossencoder import CrossEncoder
from chains.embedded import ContextTooLongError
from chains.factcheck import RELATED, SAME_STATEMENT, FactCheck, check_facts, checked_stance
from chains.llm import ModelOutputError, UsageCounter, structured
from chains.models import Claim, Evidence, Stance
from chains.stance_classifier import StanceClassifier
from prompts.loader import Prompt, load_prompt
from vectorstore.models import Passage

LABELS = [s.value for s in Stance]
# The small model leans to "contradicts" (DESIGN.md): its label probabilities are
# reweighted before the argmax. SummEdits-news dev, 133 summaries: balanced accuracy
# 0.70 with the plain argmax, 0.77 / 0.80 / 0.76 with "supports" from P >= 0.2 / 0.25 /
# 0.3 of the raw probability; a weight of 3 puts the line near 0.25.
LABEL_WEIGHTS = {"SUPPORTS": 3.0, "CONTRADICTS": 1.0, "NEUTRAL": 1.0}
# Where no sentence of a passage shares RELATED of the claim's words and the cross-encoder
# (chains.crossencoder) gives "neutral" at least this probability, the model is not asked.
# Chosen on Climate-FEVER pairs (macro-F1 0.445 -> 0.447, 115 of 300 pairs not asked),
# reported on SummEdits end to end (docs/EVALUATION.md). As a veto of the model's
# "supports", or a "supports" of its own, it lowered every figure: not used so.
SKIP_MODEL = 0.7


def calibrated(probs: dict[str, float]) -> dict[str, float]:
    """The model's label probabilities reweighted by ``LABEL_WEIGHTS`` and renormalised."""
    weighted = {k: p * LABEL_WEIGHTS.get(k, 1.0) for k, p in probs.items()}
    total = sum(weighted.values()) or 1.0
    return {k: w / total for k, w in weighted.items()}


class Judgement(BaseModel):
    label: Literal["SUPPORTS", "CONTRADICTS", "NEUTRAL"]
    reason: str = ""


class Judged(NamedTuple):
    """The model's stance on a pair, its (reweighted) probability when known, its reason,
    and its raw label probabilities (what the stance classifier reads)."""

    stance: Stance
    probability: float | None
    reason: str
    probabilities: dict[str, float] | None = None


def judge(
    model: BaseChatModel,
    claim: str,
    passage: str,
    *,
    prompt: Prompt,
    usage: UsageCounter | None = None,
    config: RunnableConfig | None = None,
) -> Judged:
    """The model's stance on one claim-passage pair, its probability when known, and its
    reason (from schema-constrained JSON only: label probabilities come without one)."""
    messages = prompt.render(claim=claim, passage=passage)
    scorer = getattr(model, "label_probabilities", None)
    if scorer is None:
        answer = structured(model, Judgement).invoke(messages, config=config)
        return Judged(Stance(answer.label), None, answer.reason.strip()[:600])
    prefix = '{"label": "'
    probs, evaluated = scorer([*messages, AIMessage(content=prefix)], LABELS)
    if usage is not None:
        usage.add(calls=1, tokens_in=evaluated)
    weighted = calibrated(probs)
    label = max(weighted, key=weighted.__getitem__)
    # No reason is generated: it would cost more tokens than the label, and what a
    # reporter needs (the passage's own sentence, or what differs) comes from the checks.
    return Judged(Stance(label), weighted[label], "", dict(probs))


def screen(
    claim: Claim,
    passage: Passage,
    *,
    claim_date: dt.date | None = None,
    crossencoder: CrossEncoder | None = None,
) -> tuple[FactCheck, Evidence | None]:
    """The checks' findings for one pair, and its evidence when they settle it without the
    model: the checks decide alone, or (with a `crossencoder`) no sentence of the passage
    shares the claim's words and the cross-encoder reads the pair as neutral."""
    facts = check_facts(
        claim.text, passage.text, claim_date=claim_date, passage_date=passage.published
    )
    if facts.decided is not None:
        return facts, _evidence(passage, facts, facts.decided, None, f"Checks: {facts.note}.")
    if (
        facts.overlap < RELATED
        and crossencoder is not None
        and crossencoder.score(claim.text, passage.text).neutral >= SKIP_MODEL
    ):
        reason = (
            "Checks: no sentence of the passage speaks to the claim's statement, and "
            "the cross-encoder reads it as unrelated."
        )
        return facts, _evidence(passage, facts, Stance.NEUTRAL, None, reason)
    return facts, None


def settle(
    claim: str,
    passage: Passage,
    facts: FactCheck,
    judged: Judged,
    classifier: StanceClassifier | None = None,
) -> Evidence:
    """The model's stance on a pair as evidence, overruled where the checks say so, unless
    the `classifier` is confident of a "contradicts" that no difference explains. Not where
    a passage sentence makes the claim's statement: the checks compared that sentence and
    found nothing differing (the newsroom cases: the small model says "contradicts" to
    the same statement, and the classifier followed it)."""
    stance, probability, reason = judged.stance, judged.probability, judged.reason
    final, override = checked_stance(stance, facts, probability)
    confirmed = (
        classifier.confirms_contradiction(
            claim, passage.text, judged.probabilities, passage.score or 0.0
        )
        if override
        and stance is Stance.CONTRADICTS
        and classifier is not None
        and facts.overlap < SAME_STATEMENT  # the checks read that statement: nothing differs
        else None
    )
    if confirmed is not None:
        reason = (  # the sentence it rests on, for the reporter to read: nothing is marked
            "Classifier: the checks name no differing fact, but the calibrated stance "
            f"classifier reads a contradiction ({confirmed:.0%}). The passage's closest "
            f"sentence: \u201c{facts.sentence}\u201d"
        )
        probability = confirmed
    elif override:
        reason = f"Checks: {override}."
        stance, probability = final, None  # the model's probability was for another label
    elif stance is Stance.CONTRADICTS:
        named = named_difference(facts.mismatches)
        if named is not None:  # what differs first, then the model's own words
            reason = f"Checks: {describe(named)}." + (f" {reason}" if reason else "")
    elif stance is Stance.SUPPORTS and not reason:
        reason = f"The passage says: \u201c{facts.sentence}\u201d"
    return _evidence(passage, facts, stance, probability, reason)


def _evidence(
    passage: Passage, facts: FactCheck, stance: Stance, probability: float | None, reason: str
) -> Evidence:
    return Evidence.from_passage(
        passage,
        stance=stance,
        stance_confidence=probability,
        reason=reason,
        mismatches=facts.mismatches,
    )


def judge_claims(
    model: BaseChatModel,
    claims: list[Claim],
    passages: list[list[Passage]],
    *,
    prompt: Prompt | None = None,
    usage: UsageCounter | None = None,
    config: RunnableConfig | None = None,
    claim_date: dt.date | None = None,
    crossencoder: CrossEncoder | None = None,
    classifier: StanceClassifier | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[tuple[int, list[Evidence] | Exception]]:
    """A stance per passage of every claim (`passages[i]` are claim i's), yielded claim by
    claim in order as each is complete: its evidence, or the model's error that stopped it
    (a malformed answer, a pair too long for the context costs that claim only).

    The pairs the model must judge are put to it passage by passage: the prompt reads the
    passage before the claim, so for every further claim that retrieved the same passage
    only the claim is new to llama.cpp's cached prefix, and each passage is read once a
    check. `claim_date` is the date the claims' article was written (or the day of the
    check); each passage's own date is its publication date. `classifier` may confirm a
    "contradicts" of the model that the checks overruled (see `settle`). `should_stop` is asked
    before each model call: when it says so, the claims yielded so far are all there is.
    """
    prompt = prompt or load_prompt("judge_stance")
    evidence: list[list[Evidence | None]] = [[None] * len(ps) for ps in passages]
    by_passage: dict[str, list[tuple[int, int, FactCheck]]] = {}  # in order of first use
    for i, (claim, found) in enumerate(zip(claims, passages, strict=True)):
        for j, passage in enumerate(found):
            facts, settled = screen(
                claim, passage, claim_date=claim_date, crossencoder=crossencoder
            )
            if settled is None:
                by_passage.setdefault(passage.text, []).append((i, j, facts))
            evidence[i][j] = settled
    waiting = Counter(i for pairs in by_passage.values() for i, _, _ in pairs)
    failed: dict[int, Exception] = {}
    done = 0

    def complete() -> Iterator[tuple[int, list[Evidence] | Exception]]:
        nonlocal done
        while done < len(claims) and not waiting[done]:
            yield done, failed.get(done) or [e for e in evidence[done] if e is not None]
            done += 1

    yield from complete()
    for text, pairs in by_passage.items():
        for i, j, facts in pairs:
            if should_stop and should_stop():
                return
            if i not in failed:
                try:
                    asked = claims[i].text
                    if facts.overlap >= RELATED:  # values written as the passage writes them
                        asked = harmonised(
                            asked,
                            facts.sentence,
                            claim_date=claim_date,
                            passage_date=passages[i][j].published,
                        )
                    judged = judge(model, asked, text, prompt=prompt, usage=usage, config=config)
                    evidence[i][j] = settle(
                        claims[i].text, passages[i][j], facts, judged, classifier
                    )
                except (ModelOutputError, ContextTooLongError) as exc:
                    failed[i] = exc
            waiting[i] -= 1
            yield from complete()


def judge_passages(
    model: BaseChatModel,
    claim: Claim,
    passages: list[Passage],
    **options: Any,
) -> list[Evidence]:
    """`judge_claims` for one claim: its evidence, or the model's error raised."""
    ((_, result),) = judge_claims(model, [claim], [passages], **options)
    if isinstance(result, Exception):
        raise result
    return result
