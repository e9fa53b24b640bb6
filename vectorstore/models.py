"""The archive's own types. The archive knows nothing about claims or verdicts."""

from __future__ import annotations

import datetime as dt
import hashlib

from pydantic import BaseModel, Field


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Article(BaseModel):
    """A normalised article: from a file, a record, a URL or pasted text."""

    text: str
    title: str = ""
    author: str = ""  # the byline, as printed ("By" dropped); "" when unknown
    source: str = ""  # publication or desk, e.g. "Harbor Gazette"
    published: dt.date | None = None
    url: str | None = None
    origin: str = ""  # the file path or URL it was read from

    @property
    def sha256(self) -> str:
        return text_sha256(self.text)

    @property
    def id(self) -> str:
        """Deterministic: the same text always gets the same id."""
        return self.sha256[:16]


class Passage(BaseModel):
    """A chunk of an archived article, with where it came from."""

    id: str  # f"{article_id}:{start}"
    article_id: str
    title: str = ""
    author: str = ""
    source: str = ""
    published: dt.date | None = None
    url: str | None = None
    text: str
    start: int  # character offsets in the article's text
    end: int
    score: float | None = None  # similarity to the query, 0..1, when found by search


class Rejected(BaseModel):
    name: str
    reason: str


class IngestReport(BaseModel):
    """What an ingest did: nothing already stored is ever removed by it."""

    added: list[str] = Field(default_factory=list)  # names of articles added
    duplicates: list[str] = Field(default_factory=list)  # exact duplicates skipped
    rejected: list[Rejected] = Field(default_factory=list)
    chunks_added: int = 0
