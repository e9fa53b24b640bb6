"""Comparison: a stance per passage, then a verdict per claim by a plain rule.

The stance comes from the model (label probabilities where the model gives them,
schema-constrained JSON otherwise) and is then checked deterministically: a
"supports" whose numbers or names are not in the passage is vetoed, and a passage on
the same subject that states a different figure or date is a contradiction. The
model's reason is kept as its explanation, never as evidence: what a reporter sees
as evidence is the passage itself.
"""

from __future__ import annotations

from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel

from chains.checks import compare_facts
from chains.llm import UsageCounter, structured
from chains.models import Claim, ClaimCheck, Evidence, Mismatch, Stance, Verdict
from prompts.loader import Prompt, load_prompt
from vectorstore.models import Passage

LABELS = [s.value for s in Stance]
# A passage this similar to the claim is on the same subject: a different figure in it
# is a contradiction, not a different story.
SAME_SUBJECT_SCORE = 0.55


class Judgement(BaseModel):
    label: Literal["SUPPORTS", "CONTRADICTS", "NEUTRAL"]
    reason: str = ""


def judge(
    model: BaseChatModel,
    claim: str,
    passage: str,
    *,
    prompt: Prompt,
    usage: UsageCounter | None = None,
    config: RunnableConfig | None = None,
) -> tuple[Stance, float | None, str]:
    """The model's stance on one claim-passage pair, its probability when known, and reason."""
    messages = prompt.render(claim=claim, passage=passage)
    scorer = getattr(model, "label_probabilities", None)
    if scorer is None:
        answer = structured(model, Judgement).invoke(messages, config=config)
        return Stance(answer.label), None, answer.reason.strip()[:600]
    prefix = '{"label": "'
    probs, evaluated = scorer([*messages, AIMessage(content=prefix)], LABELS)
    if usage is not None:
        usage.add(calls=1, tokens_in=evaluated)
    label = max(probs, key=probs.__getitem__)
    if label == Stance.NEUTRAL:
        return Stance.NEUTRAL, probs[label], ""  # nothing to explain; saves a generation
    # The reason continues the same answer; the prompt prefix is already cached.
    reason = model.invoke(
        [*messages, AIMessage(content=f'{prefix}{label}", "reason": "')],
        stop=['"', "\n"],
        max_tokens=60,
        config=config,
    )
    return Stance(label), probs[label], str(reason.content).strip()


def checked_stance(stance: Stance, mismatches: list[Mismatch], score: float) -> tuple[Stance, str]:
    """Apply the deterministic checks to the model's stance; say why when they change it."""
    conflicts = [m for m in mismatches if m.conflict]
    if conflicts and score >= SAME_SUBJECT_SCORE:
        if stance is Stance.CONTRADICTS:
            return stance, ""
        m = conflicts[0]
        return (
            Stance.CONTRADICTS,
            f"the passage gives {', '.join(m.passage_values)} where the claim has {m.claim_value}",
        )
    missing = [m for m in mismatches if m.kind in {"number", "name", "date"}]
    if stance is Stance.SUPPORTS and missing:
        return Stance.NEUTRAL, f"{missing[0].claim_value} is not in the passage"
    return stance, ""


def judge_passages(
    model: BaseChatModel,
    claim: Claim,
    passages: list[Passage],
    *,
    prompt: Prompt | None = None,
    usage: UsageCounter | None = None,
    config: RunnableConfig | None = None,
) -> list[Evidence]:
    prompt = prompt or load_prompt("judge_stance")
    evidence = []
    for passage in passages:
        stance, probability, reason = judge(
            model, claim.text, passage.text, prompt=prompt, usage=usage, config=config
        )
        mismatches = compare_facts(claim.text, passage.text)
        score = passage.score or 0.0
        final, override = checked_stance(stance, mismatches, score)
        if override:
            reason = f"Checks: {override}. Model: {reason}" if reason else f"Checks: {override}."
            probability = None  # the model's probability was for another label
        evidence.append(
            Evidence(
                passage_id=passage.id,
                article_id=passage.article_id,
                title=passage.title,
                source=passage.source,
                published=passage.published,
                url=passage.url,
                text=passage.text,
                score=score,
                stance=final,
                stance_confidence=probability,
                reason=reason,
                mismatches=mismatches,
            )
        )
    return evidence


def _cite(e: Evidence) -> str:
    when = f", {e.published.isoformat()}" if e.published else ""
    return f"{e.title or e.article_id} ({e.source or 'archive'}{when})"


def aggregate(evidence: list[Evidence]) -> tuple[Verdict, float | None, str]:
    """The plain rule from passage stances to a claim's verdict, with a reason in words."""
    if not evidence:
        return Verdict.NOT_IN_ARCHIVE, None, "No archive passage is close enough to this claim."
    supports = [e for e in evidence if e.stance is Stance.SUPPORTS]
    contradicts = [e for e in evidence if e.stance is Stance.CONTRADICTS]

    def strongest(items: list[Evidence]) -> Evidence:
        return max(items, key=lambda e: (e.stance_confidence or 0.0, e.score))

    def confidence(items: list[Evidence]) -> float | None:
        known = [e.stance_confidence for e in items if e.stance_confidence is not None]
        return max(known) if known else None

    if supports and contradicts:
        return (
            Verdict.MIXED,
            None,
            f"The archive disagrees with itself: {_cite(strongest(supports))} supports the claim, "
            f"{_cite(strongest(contradicts))} contradicts it.",
        )
    if contradicts:
        best = strongest(contradicts)
        detail = next((m for m in best.mismatches if m.conflict), None)
        why = (
            f" It gives {', '.join(detail.passage_values)} where the claim has {detail.claim_value}."
            if detail
            else ""
        )
        return Verdict.CONTRADICTED, confidence(contradicts), f"Contradicted by {_cite(best)}.{why}"
    if supports:
        return (
            Verdict.SUPPORTED,
            confidence(supports),
            f"Supported by {_cite(strongest(supports))}.",
        )
    return (
        Verdict.NOT_ENOUGH_INFO,
        None,
        f"{len(evidence)} related archive passage(s) found, none of which settles the claim.",
    )


def check_claim(claim: Claim, evidence: list[Evidence]) -> ClaimCheck:
    verdict, confidence, reason = aggregate(evidence)
    return ClaimCheck(
        **claim.model_dump(),
        verdict=verdict,
        confidence=confidence,
        reason=reason,
        evidence=evidence,
    )
