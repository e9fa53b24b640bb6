"""A person's decision on a machine verdict, and the summary of a stored check."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from chains.models import ClaimCheck, Report, Verdict

MAX_NOTE_CHARS = 4000  # a note is a comment for the editor, not a document


class ReviewError(ValueError):
    """A review that does not fit its claim (unknown claim, or a decision at odds with it)."""


class Decision(StrEnum):
    ACCEPTED = "ACCEPTED"  # the person stands behind the machine's verdict
    OVERRULED = "OVERRULED"  # the person gives a different verdict


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Review(BaseModel):
    """One person's decision on one claim's verdict.

    `verdict` is the verdict the person stands behind: the machine's when ACCEPTED,
    their own (a different one) when OVERRULED; `check_review` enforces that against
    the claim, since the model alone does not know the machine's verdict.
    """

    claim_id: str
    decision: Decision
    verdict: Verdict
    note: str = Field("", max_length=MAX_NOTE_CHARS)
    reviewed_at: dt.datetime = Field(default_factory=_now)

    @field_validator("reviewed_at")
    @classmethod
    def _in_utc(cls, value: dt.datetime) -> dt.datetime:
        # Naive times are taken as UTC, so every stored time compares and sorts alike.
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    @classmethod
    def accept(cls, claim: ClaimCheck, note: str = "") -> Review:
        return cls(claim_id=claim.id, decision=Decision.ACCEPTED, verdict=claim.verdict, note=note)

    @classmethod
    def overrule(cls, claim: ClaimCheck, verdict: Verdict, note: str = "") -> Review:
        review = cls(claim_id=claim.id, decision=Decision.OVERRULED, verdict=verdict, note=note)
        check_review(claim, review)
        return review


def check_review(claim: ClaimCheck, review: Review) -> None:
    """Raise ReviewError unless `review` is a consistent decision on `claim`."""
    if review.claim_id != claim.id:
        raise ReviewError(f"The review is for claim {review.claim_id!r}, not {claim.id!r}.")
    if review.decision is Decision.ACCEPTED and review.verdict != claim.verdict:
        raise ReviewError(
            f"Accepting claim {claim.id!r} means keeping its verdict {claim.verdict.value}; "
            f"to give {review.verdict.value}, overrule it."
        )
    if review.decision is Decision.OVERRULED and review.verdict == claim.verdict:
        raise ReviewError(
            f"Overruling claim {claim.id!r} needs a verdict other than the machine's "
            f"{claim.verdict.value}; to keep it, accept it."
        )


def claim_for(report: Report, claim_id: str) -> ClaimCheck:
    for claim in report.claims:
        if claim.id == claim_id:
            return claim
    raise ReviewError(f"The check has no claim {claim_id!r}.")


class CheckSummary(BaseModel):
    """One row of the history list. `problem` is set when the stored report is unreadable."""

    id: str
    title: str = ""
    url: str | None = None
    created: dt.datetime
    owner: str = ""  # the browser session that ran it ('' for checks from before owners)
    user: str | None = None  # the signed-in person, when there is sign-in
    cache_key: str = ""  # the report cache entry it came from (shared by repeats)
    n_claims: int = 0
    n_reviewed: int = 0
    n_overruled: int = 0
    counts: dict[Verdict, int] = Field(default_factory=dict)  # machine verdicts
    problem: str = ""
