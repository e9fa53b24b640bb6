"""Verdicts: the plain rule from a claim's passage stances to its verdict, with a reason."""

from __future__ import annotations

from chains.checks import closest_sentence, describe, named_difference
from chains.factcheck import RELATED, RESTATEMENT, SAME_STATEMENT
from chains.models import Claim, ClaimCheck, Evidence, Stance, Verdict


def _cite(e: Evidence) -> str:
    when = f", {e.published.isoformat()}" if e.published else ""
    return f"{e.title or e.article_id} ({e.source or 'archive'}{when})"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def aggregate(
    evidence: list[Evidence], claim: str | None = None
) -> tuple[Verdict, float | None, str]:
    """The plain rule from passage stances to a claim's verdict, with a reason in words.
    With the `claim`'s text, passages none of whose sentences speaks to it (sharing under
    ``RELATED`` of its words) settle nothing and say the archive does not cover it."""
    if not evidence:
        return Verdict.NOT_IN_ARCHIVE, None, "No archive passage is close enough to this claim."
    supports = [e for e in evidence if e.stance is Stance.SUPPORTS]
    contradicts = [e for e in evidence if e.stance is Stance.CONTRADICTS]

    def strongest(items: list[Evidence]) -> Evidence:
        return max(items, key=lambda e: (e.stance_confidence or 0.0, e.score))

    def confidence(items: list[Evidence]) -> float | None:
        known = [e.stance_confidence for e in items if e.stance_confidence is not None]
        return max(known) if known else None

    aside = ""
    if contradicts and supports and claim is not None and _restated(claim, supports):
        # A passage stating the claim with every fact equal outweighs contradictions that
        # stand on sentences only related to it: those are another event of the story.
        related = [e for e in contradicts if closest_sentence(claim, e.text)[1] < SAME_STATEMENT]
        contradicts = [e for e in contradicts if e not in related]
        if related:
            aside = (
                f" {_cite(strongest(related))} differs in a sentence about another statement "
                "(another event of the story)."
            )
    if contradicts:
        # The contradicting passage shown is one whose difference can be named.
        named = [e for e in contradicts if named_difference(e.mismatches) is not None]
        best = strongest(named or contradicts)
        detail = named_difference(best.mismatches)
        if detail:
            why = f" {_sentence(describe(detail))}."
        elif best.stance_confidence:  # only the stance classifier confirms such a one
            why = (
                " No differing fact was named; the stance classifier reads a contradiction "
                f"({best.stance_confidence:.0%})."
            )
        else:
            why = " No differing fact was named."
        if supports:
            return (
                Verdict.MIXED,
                None,
                f"The archive disagrees with itself: {_cite(strongest(supports))} supports the "
                f"claim, {_cite(best)} contradicts it.{why}",
            )
        return Verdict.CONTRADICTED, confidence(contradicts), f"Contradicted by {_cite(best)}.{why}"
    if supports:
        return (
            Verdict.SUPPORTED,
            confidence(supports),
            f"Supported by {_cite(strongest(supports))}.{aside}",
        )
    if claim is not None and all(closest_sentence(claim, e.text)[1] < RELATED for e in evidence):
        return (
            Verdict.NOT_IN_ARCHIVE,
            None,
            f"{len(evidence)} archive passage(s) found, none of which speaks to this claim.",
        )
    return (
        Verdict.NOT_ENOUGH_INFO,
        None,
        f"{len(evidence)} related archive passage(s) found, none of which settles the claim.",
    )


def _restated(claim: str, supports: list[Evidence]) -> bool:
    """Whether a supporting passage has a sentence with all the claim's words and facts."""
    return any(
        not e.mismatches and closest_sentence(claim, e.text)[1] >= RESTATEMENT for e in supports
    )


def check_claim(claim: Claim, evidence: list[Evidence]) -> ClaimCheck:
    verdict, confidence, reason = aggregate(evidence, claim.text)
    return ClaimCheck(
        **claim.model_dump(),
        verdict=verdict,
        confidence=confidence,
        reason=reason,
        evidence=evidence,
    )
