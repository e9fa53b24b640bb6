"""The words that differ between a claim and an archive passage, for the comparison view.

The values are found and compared by `chains.checks` itself (the same figures, dates,
names and opposites), so a marked word is one the checks would call a mismatch: a figure
written "42 million" on one side and "forty-two million" on the other is the same figure
and is not marked. Pass the passage's `closest_sentence` to compare one statement with one
statement. The HTML escapes all text: claim and passage are untrusted.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel

from chains.checks import (
    _names,
    counted_negations,
    dates_in,
    figures,
    opposites,
    states_figure,
    substituted_names,
)
from chains.dates import differing_level, rivals, states

Kind = Literal["number", "date", "name", "negation", "status"]


class Span(BaseModel):
    """A marked stretch of a text: text[start:end] == span.text."""

    start: int
    end: int
    kind: Kind
    text: str


def _span(text: str, start: int, end: int, kind: Kind) -> Span:
    return Span(start=start, end=end, kind=kind, text=text[start:end])


def _number_spans(text: str, other: str) -> Iterator[Span]:
    present = figures(other)
    for q in figures(text):  # a figure written another way is the same figure
        if not states_figure(present, q.value, q.unit):
            yield _span(text, q.start, q.end, "number")


def _date_spans(
    text: str, other: str, base: dt.date | None, other_base: dt.date | None
) -> Iterator[Span]:
    mine, theirs = dates_in(text, base), dates_in(other, other_base)
    for d in mine:
        if any(states(p, d) for p in theirs):
            continue
        found = rivals(d, mine, theirs)
        if found and d.year_at and differing_level(d, found[0]) == "year":
            yield _span(text, *d.year_at, "date")  # only the year differs: mark the year
        else:
            yield _span(text, d.start, d.end, "date")


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
    for swapped in substituted_names(text, other):  # "U.S." where the other says "Russia"
        for m in re.finditer(rf"(?<![\w.]){re.escape(swapped.claim_value)}(?![a-z])", text):
            yield _span(text, m.start(), m.end(), "name")


def _negation_spans(
    text: str, other: str, mine: list[re.Match], theirs: list[re.Match]
) -> Iterator[Span]:
    # As checks.negation_mismatch: only a side negated when the other is not differs.
    if mine and not theirs:
        for m in mine:
            yield _span(text, m.start(), m.end(), "negation")
    # As checks.antonym_mismatch and status_mismatches: "rose" here where the other says
    # "fell" (and not "rose"); "postponed" here where the other says "on schedule".
    for start, end, kind, _ in opposites(text, other):
        yield _span(text, start, end, kind)  # type: ignore[arg-type]


def _differing(
    text: str,
    other: str,
    base: dt.date | None,
    other_base: dt.date | None,
    negated: tuple[list[re.Match], list[re.Match]],
) -> list[Span]:
    found = [
        *_number_spans(text, other),
        *_date_spans(text, other, base, other_base),
        *_name_spans(text, other),
        *_negation_spans(text, other, *negated),
    ]
    spans = {(s.start, s.end, s.kind): s for s in found}
    return [spans[key] for key in sorted(spans)]


def mark_differences(
    claim: str,
    passage: str,
    *,
    claim_date: dt.date | None = None,
    passage_date: dt.date | None = None,
) -> tuple[list[Span], list[Span]]:
    """Spans of the claim whose value the passage lacks, and of the passage the claim lacks.

    Kinds: numbers with their unit or scale, dates (year-less and relative ones read
    against `claim_date` and `passage_date`, as the checks read them), capitalised names,
    negations or opposite words, and changes of status. Each list is sorted by position;
    spans may overlap.
    """
    mine, theirs = counted_negations(claim, passage)
    return (
        _differing(claim, passage, claim_date, passage_date, (mine, theirs)),
        _differing(passage, claim, passage_date, claim_date, (theirs, mine)),
    )


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
