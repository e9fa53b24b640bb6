"""The words that differ between a claim and an archive passage, for the comparison view.

The values are found and compared exactly as `chains.checks` does (same patterns, same
normalisation), so a marked word is one the checks would call a mismatch: a figure
written "42 million" on one side and "42,000,000" on the other is the same figure and
is not marked. Pass the passage's `closest_sentence` to compare one statement with one
statement. The HTML escapes all text: claim and passage are untrusted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel

from chains.checks import (
    _ANTONYMS,
    _DATE,
    _NEGATION,
    _NUMBER,
    _SKIP_UNITS,
    _WORD,
    _YEAR,
    _date_day,
    _dates,
    _day_starts,
    _names,
    _numbers,
)

Kind = Literal["number", "date", "name", "negation"]
_WORDS = re.compile(_WORD.pattern, re.IGNORECASE)  # checks reads lower-cased text; we need offsets


class Span(BaseModel):
    """A marked stretch of a text: text[start:end] == span.text."""

    start: int
    end: int
    kind: Kind
    text: str


def _span(text: str, start: int, end: int, kind: Kind) -> Span:
    return Span(start=start, end=end, kind=kind, text=text[start:end])


def _number_values(text: str, m: re.Match[str]) -> set[float]:
    """The value of one number match, normalised by `checks._numbers` itself.

    The match is re-read on its own, followed by a stand-in for the next character that
    keeps the word boundary as it was (`_` is a word character that no part of the
    pattern takes, " " a non-word one), so the pattern reads it as it did in place.
    """
    after = text[m.end() : m.end() + 1]
    stand_in = "" if not after else "_" if re.match(r"\w", after) else " "
    return set().union(*_numbers(m.group(0) + stand_in).values())


def _number_spans(text: str, other: str) -> Iterator[Span]:
    present = set().union(*_numbers(other).values())
    dated = _day_starts(text)
    for m in _NUMBER.finditer(text):
        if m.start("num") in dated:
            continue
        values = _number_values(text, m)
        if not values or values <= present:  # a year (left to dates), or the same figure
            continue
        start = m.start("cur") if m.group("cur") else m.start("num")
        unit = m.group("unit")
        end = (
            m.end("unit")
            if unit and unit.lower() not in _SKIP_UNITS
            else m.end("scale")
            if m.group("scale")
            else m.end("num")
        )
        yield _span(text, start, end, "number")


def _date_spans(text: str, other: str) -> Iterator[Span]:
    days, years = _dates(other)
    for m in _DATE.finditer(text):
        if _date_day(m) not in days:
            yield _span(text, m.start(), m.end(), "date")
    for m in _YEAR.finditer(text):
        if int(m.group(0)) not in years:
            yield _span(text, m.start(), m.end(), "date")


def _name_spans(text: str, other: str) -> Iterator[Span]:
    # The checks' test (named anywhere in the other), with line breaks read as spaces:
    # _names joins a name's words with one space, so "Elena\nMarsh" must still count.
    other_lower = " ".join(other.split()).lower()
    for name in _names(text):
        if name.lower() in other_lower:
            continue
        words = r"\s+".join(re.escape(w) for w in name.split())
        for m in re.finditer(rf"\b{words}(?![a-z])", text):
            yield _span(text, m.start(), m.end(), "name")


def _negation_spans(text: str, other: str) -> Iterator[Span]:
    # As checks.negation_mismatch: only a side negated when the other is not differs.
    if _NEGATION.search(text) and not _NEGATION.search(other):
        for m in _NEGATION.finditer(text):
            yield _span(text, m.start(), m.end(), "negation")
    # As checks.antonym_mismatch: "rose" here where the other says "fell" and not "rose".
    mine = {w.lower() for w in _WORDS.findall(text)}
    theirs = {w.lower() for w in _WORDS.findall(other)}
    opposed = {
        word
        for pair in _ANTONYMS
        for word, opposite in (pair, pair[::-1])
        if word in mine and opposite in theirs and word not in theirs
    }
    for m in _WORDS.finditer(text):
        if m.group(0).lower() in opposed:
            yield _span(text, m.start(), m.end(), "negation")


def _differing(text: str, other: str) -> list[Span]:
    spans = {
        (s.start, s.end, s.kind): s
        for find in (_number_spans, _date_spans, _name_spans, _negation_spans)
        for s in find(text, other)
    }
    return [spans[key] for key in sorted(spans)]


def mark_differences(claim: str, passage: str) -> tuple[list[Span], list[Span]]:
    """Spans of the claim whose value the passage lacks, and of the passage the claim lacks.

    Kinds: numbers with their unit or scale, dates and years, capitalised names, and
    negations (or opposite words). Each list is sorted by position; spans may overlap.
    """
    return _differing(claim, passage), _differing(passage, claim)


def marked_html(text: str, spans: list[Span], *, css_class: str = "diff") -> str:
    """The text, HTML-escaped, with each span (overlaps merged) in a <mark> naming its kinds."""
    merged: list[tuple[int, int, list[str]]] = []
    for s in sorted(spans, key=lambda s: (s.start, s.end)):
        start, end = max(0, s.start), min(len(text), s.end)
        if start >= end:
            continue  # empty, or for another text: nothing to mark
        if merged and start < merged[-1][1]:
            last_start, last_end, kinds = merged[-1]
            if s.kind not in kinds:
                kinds = [*kinds, s.kind]
            merged[-1] = (last_start, max(last_end, end), kinds)
        else:
            merged.append((start, end, [s.kind]))
    out, pos = [], 0
    for start, end, kinds in merged:
        label = html.escape(" ".join([css_class, *kinds]), quote=True)
        title = html.escape(f"differs: {', '.join(kinds)}", quote=True)
        out.append(html.escape(text[pos:start], quote=True))
        out.append(f'<mark class="{label}" title="{title}">')
        out.append(f"{html.escape(text[start:end], quote=True)}</mark>")
        pos = end
    out.append(html.escape(text[pos:], quote=True))
    return "".join(out)
