"""Typed results shared by every stage, the CLI, the app and the notebooks."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from vectorstore.models import Passage


class Verdict(StrEnum):
    SUPPORTED = "SUPPORTED"
    CONTRADICTED = "CONTRADICTED"
    MIXED = "MIXED"  # our own coverage disagrees with itself
    NOT_ENOUGH_INFO = "NOT_ENOUGH_INFO"  # related coverage that does not settle it
    NOT_IN_ARCHIVE = "NOT_IN_ARCHIVE"  # nothing related found: this is not "false"
    # The model's answer for this claim stayed malformed when asked again: the claim was
    # not judged (the reason says why); the rest of the report stands.
    NOT_CHECKED = "NOT_CHECKED"


class Stance(StrEnum):
    SUPPORTS = "SUPPORTS"
    CONTRADICTS = "CONTRADICTS"
    NEUTRAL = "NEUTRAL"


class Claim(BaseModel):
    """A checkable claim; article_text[start:end] == quote always holds."""

    id: str
    text: str  # what is judged: the quote, or its fact with a pronoun resolved
    quote: str  # verbatim span of the article: whole sentence(s) or a clause of one
    start: int
    end: int
    checkworthiness: float | None = None  # P(a checkable fact), when the model gives it


class Mismatch(BaseModel):
    """A deterministic difference between claim and passage (number, date, name, negation)."""

    kind: str  # "number" | "date" | "name" | "negation"
    claim_value: str
    passage_values: list[str] = Field(default_factory=list)
    conflict: bool = False  # the passage states a different value for the same thing
    note: str = ""


class Evidence(BaseModel):
    passage_id: str
    article_id: str
    title: str = ""
    author: str = ""
    source: str = ""
    published: dt.date | None = None
    url: str | None = None
    text: str
    score: float  # retrieval similarity 0..1
    stance: Stance
    stance_confidence: float | None = (
        None  # from the label probabilities, when the model gives them
    )
    reason: str = ""  # the model's words: an explanation, never evidence in itself
    mismatches: list[Mismatch] = Field(default_factory=list)

    @classmethod
    def from_passage(cls, passage: Passage, **judgement: Any) -> Evidence:
        """The passage's provenance, flattened as the JSON contract has it, plus the judgement."""
        where = passage.model_dump(
            include={"article_id", "title", "author", "source", "published", "url", "text"}
        )
        return cls(passage_id=passage.id, score=passage.score or 0.0, **where, **judgement)


class ClaimCheck(Claim):
    verdict: Verdict
    confidence: float | None = None
    reason: str = ""
    evidence: list[Evidence] = Field(default_factory=list)


class ArticleInfo(BaseModel):
    text: str  # the exact text the offsets refer to
    title: str = ""
    author: str = ""
    source: str = ""
    published: dt.date | None = None
    url: str | None = None
    sha256: str

    def display_title(self, limit: int = 80) -> str:
        """The title, or else the first line of the text (pasted text often starts with its
        headline), shortened to `limit` characters."""
        title = " ".join(self.title.split())
        if not title:
            first = next((line for line in self.text.splitlines() if line.strip()), "")
            title = " ".join(first.split())
        return title if len(title) <= limit else title[: limit - 1].rstrip() + "\u2026"


class StageStats(BaseModel):
    seconds: float = 0.0
    model_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0


class Report(BaseModel):
    article: ArticleInfo
    claims: list[ClaimCheck] = Field(default_factory=list)
    model: str = ""
    prompt_version: str = ""
    stages: dict[str, StageStats] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    cached: bool = False
    created: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
