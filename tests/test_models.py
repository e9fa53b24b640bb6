"""The typed records: bylines travel from Article to chunk metadata, Passage and Evidence."""

from __future__ import annotations

import datetime as dt

import pytest

from chains.models import ArticleInfo, Evidence, Report, Stance
from vectorstore.chunking import chunk_article
from vectorstore.loaders import article_from_text
from vectorstore.models import Article, Passage
from vectorstore.store import article_metadata, passage_from_chunk

BODY = (
    "The Port Avalon City Council approved $42 million for the Harbour Bridge repairs. "
    "Mayor Elena Marsh called the vote the most important of the year."
)


def bylined(author: str = "Dana Ortiz") -> Article:
    return article_from_text(
        BODY,
        title="Council approves bridge funds",
        source="Harbor Gazette",
        published="2023-03-15",
        url="https://harborgazette.example/bridge",
        author=author,
    )


def test_author_defaults_to_empty() -> None:
    assert Article(text="x").author == ""
    assert Passage(id="a:0", article_id="a", text="x", start=0, end=1).author == ""


def test_chunks_carry_the_byline() -> None:
    passages = chunk_article(bylined(), 60)
    assert len(passages) > 1
    assert {p.author for p in passages} == {"Dana Ortiz"}


@pytest.mark.parametrize("author", ["Dana Ortiz", ""])
def test_chunk_metadata_round_trip(author: str) -> None:
    """What the store writes for a chunk reads back as the same Passage, byline included."""
    article = bylined(author)
    [passage] = chunk_article(article, 4000)
    meta = {**article_metadata(article), "start": passage.start, "end": passage.end}
    assert meta["author"] == author
    assert all(v is not None for v in meta.values())  # Chroma refuses None values
    assert passage_from_chunk(passage.id, passage.text, meta) == passage


def test_chunks_stored_before_bylines_read_without_one() -> None:
    old = {"article_id": "abc", "title": "T", "source": "S", "start": 0, "end": 4}
    assert passage_from_chunk("abc:0", "text", old).author == ""


def test_evidence_from_passage_keeps_the_byline() -> None:
    [passage] = chunk_article(bylined(), 4000)
    passage = passage.model_copy(update={"score": 0.8})
    evidence = Evidence.from_passage(passage, stance=Stance.SUPPORTS, reason="same figure")
    assert (evidence.author, evidence.title, evidence.source) == (
        "Dana Ortiz",
        "Council approves bridge funds",
        "Harbor Gazette",
    )
    assert evidence.published == dt.date(2023, 3, 15) and evidence.score == 0.8
    assert evidence.passage_id == passage.id and evidence.text == passage.text


def test_article_info_byline_and_date_in_the_json() -> None:
    info = ArticleInfo(
        text=BODY, author="Dana Ortiz", published=dt.date(2023, 3, 15), sha256="ab" * 32
    )
    data = Report(article=info).model_dump(mode="json")["article"]
    assert (data["author"], data["published"]) == ("Dana Ortiz", "2023-03-15")
    # Reports cached before these fields existed still load.
    old = ArticleInfo.model_validate({"text": BODY, "sha256": "ab" * 32})
    assert (old.author, old.published) == ("", None)


def test_an_untitled_article_is_shown_by_its_first_line():
    text = "Bridge is back\n\nThe Harbour Bridge reopened to traffic on November 15, 2024."
    assert ArticleInfo(text=text, sha256="x").display_title() == "Bridge is back"
    assert ArticleInfo(text=text, title=" Own  title ", sha256="x").display_title() == "Own title"
    long = ArticleInfo(text="word " * 50, sha256="x").display_title(20)
    assert len(long) == 20 and long.endswith("\u2026")
