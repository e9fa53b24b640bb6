"""Sentence-whole chunking of an `Article` into `Passage`s with exact character offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator

from vectorstore.models import Article, Passage
from vectorstore.sentences import sentence_spans

_SPACES = re.compile(r"\s*")


def _last_space(text: str, lo: int, hi: int) -> int:
    """Index of the last whitespace character in text[lo:hi], or -1."""
    for i in range(hi - 1, lo - 1, -1):
        if text[i].isspace():
            return i
    return -1


def _split_long(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long sentence at whitespace (hard cut only when a word is too long)."""
    while end - start > max_chars:
        cut = _last_space(text, start + 1, start + max_chars + 1)
        if cut < 0:
            cut = start + max_chars
        piece_end = cut
        while text[piece_end - 1].isspace():
            piece_end -= 1
        yield start, piece_end
        start = _SPACES.match(text, cut).end()
    if start < end:
        yield start, end


def chunk_article(article: Article, max_chars: int) -> list[Passage]:
    """Contiguous chunks of whole sentences, at most max_chars each, with exact offsets."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    text = article.text
    units = [u for s, e in sentence_spans(text) for u in _split_long(text, s, e, max_chars)]
    spans: list[list[int]] = []
    for start, end in units:
        if spans and end - spans[-1][0] <= max_chars:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    # article.id hashes the whole text: compute it once, not once per chunk.
    aid = article.id
    common = article.model_dump(include={"title", "author", "source", "published", "url"})
    return [
        Passage(id=f"{aid}:{s}", article_id=aid, text=text[s:e], start=s, end=e, **common)
        for s, e in spans
    ]
