"""Deterministic checks that explain a mismatch between a claim and a passage.

Numbers (with their unit), dates, names, negation and opposite words are compared as
text, without a model. A claim value missing from the passage is a mismatch; the
passage giving a different value for the same unit is a conflict. `closest_sentence`
finds the passage sentence that makes the same statement as the claim, so a value
is compared with the value of the same statement, not of another event.
"""

from __future__ import annotations

import re

from chains.models import Mismatch
from vectorstore.sentences import WORD as _WORD
from vectorstore.sentences import content_words, sentence_spans

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NUMBER = re.compile(
    r"(?P<cur>[$£€])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|m)\b)?"
    r"(?:\s?(?P<unit>%|percent|per cent|[a-z]+))?",
    re.IGNORECASE,
)
# "September 3", "Sept. 3", "3 September", "3rd of Sep": one (month, day) whatever the style;
# day first only before a capital ("20 may lose" is no date).
_MONTH = rf"(?:{_MONTHS}|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?)"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?:(?P<month>{_MONTH})\s+(?P<day>{_DAY})"
    rf"|(?P<day2>{_DAY})\s+(?:of\s+)?(?-i:(?=[A-Z]))(?P<month2>{_MONTH}))"
    r"(?![\w.]\w)",  # not the start of a longer word or number ("May 2023", "3 Marina")
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_ABBREVIATIONS = ("Dr.", "Mr.", "Mrs.", "Ms.", "St.", "Gov.", "Sen.", "Rep.")
_NEGATION = re.compile(
    r"\b(not|no|never|none|neither|nor|denied|rejected|failed|without)\b|n't\b", re.I
)
_COMMON = {
    "The",
    "A",
    "An",
    "In",
    "On",
    "At",
    "It",
    "He",
    "She",
    "They",
    "We",
    "This",
    "That",
    "But",
    "And",
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "After",
    "Before",
    "When",
    "While",
    "Last",
    "Next",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    # titles before a name
    "Mayor",
    "President",
    "Governor",
    "Senator",
    "Councillor",
    "Chief",
    "Judge",
    "Superintendent",
}
_SKIP_UNITS = {"and", "or", "to", "in", "on", "of", "the", "a", "an", "at", "by", "for", "from"}


def _date_day(m: re.Match[str]) -> tuple[str, int]:
    """(full month name in lower case, day) of a _DATE match."""
    month = (m.group("month") or m.group("month2")).lower().rstrip(".")
    day = re.match(r"\d+", m.group("day") or m.group("day2"))
    full = next(name for name in _MONTHS.split("|") if name.startswith(month[:3]))
    return full, int(day.group(0)) if day else 0


def _day_starts(text: str) -> set[int]:
    """Where the day of each date starts: a date's day is not a figure."""
    return {m.start("day") if m.group("day") else m.start("day2") for m in _DATE.finditer(text)}


def _numbers(text: str) -> dict[str, set[float]]:
    """Values by unit ("" when none); years and days of a date are left to _dates."""
    dated = _day_starts(text)
    found: dict[str, set[float]] = {}
    for m in _NUMBER.finditer(text):
        if m.start("num") in dated or (_YEAR.fullmatch(m.group("num")) and not m.group("cur")):
            continue
        value = float(m.group("num").replace(",", ""))
        scale = (m.group("scale") or "").lower()
        value *= _SCALE.get(scale, 1e9 if scale == "bn" else 1e6 if scale == "m" else 1)
        unit = (m.group("unit") or "").lower()
        unit = "%" if unit in {"%", "percent", "per cent"} else unit.rstrip("s")
        if unit in _SKIP_UNITS:
            unit = ""
        if m.group("cur"):
            unit = m.group("cur")
        found.setdefault(unit, set()).add(value)
    return found


def _dates(text: str) -> tuple[set[tuple[str, int]], set[int]]:
    days = {_date_day(m) for m in _DATE.finditer(text)}
    return days, {int(y) for y in _YEAR.findall(text)}


def _names(text: str) -> set[str]:
    """Capitalised word runs, less a leading common word or title; a lone capitalised
    word opening a sentence is not taken for a name."""
    names = set()
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        before = text[: m.start()].rstrip()
        opens_sentence = not before or (
            before[-1] in '.!?"' and not before.endswith(_ABBREVIATIONS)
        )
        if words[0] in _COMMON:
            words = words[1:]
        elif opens_sentence and len(words) == 1:
            words = []
        if words:
            names.add(" ".join(words))
    return names


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def number_mismatches(claim: str, passage: str) -> list[Mismatch]:
    out: list[Mismatch] = []
    in_passage = _numbers(passage)
    all_passage = set().union(*in_passage.values()) if in_passage else set()
    for unit, values in _numbers(claim).items():
        for value in values - all_passage:
            others = sorted(in_passage.get(unit, set()) - values) if unit else []
            out.append(
                Mismatch(
                    kind="number",
                    claim_value=f"{unit if unit in '$£€' else ''}{_fmt(value)}"
                    + (f" {unit}" if unit and unit not in "$£€" else ""),
                    passage_values=[_fmt(v) for v in others],
                    conflict=bool(others),
                    note="the passage gives a different figure" if others else "not in the passage",
                )
            )
    return out


def date_mismatches(claim: str, passage: str) -> list[Mismatch]:
    out: list[Mismatch] = []
    claim_days, claim_years = _dates(claim)
    passage_days, passage_years = _dates(passage)
    for month, day in claim_days - passage_days:
        others = sorted(
            f"{m.title()} {d}"
            for m, d in passage_days
            if m == month or not claim_days & passage_days
        )
        out.append(
            Mismatch(
                kind="date",
                claim_value=f"{month.title()} {day}",
                passage_values=others,
                conflict=bool(others),
                note="a different date" if others else "not in the passage",
            )
        )
    for year in claim_years - passage_years:
        others = sorted(str(y) for y in passage_years)
        # One year each side, in otherwise similar sentences, is a conflict; several years are context.
        conflict = len(passage_years) == 1 and len(claim_years) == 1
        out.append(
            Mismatch(
                kind="date",
                claim_value=str(year),
                passage_values=others,
                conflict=conflict,
                note="a different year" if conflict else "not in the passage",
            )
        )
    return out


def name_mismatches(claim: str, passage: str) -> list[Mismatch]:
    # Whitespace collapsed on both sides: a name broken across a line is still there.
    passage_flat = " ".join(passage.lower().split())
    return [
        Mismatch(kind="name", claim_value=name, note="not in the passage")
        for name in sorted(_names(claim))
        if " ".join(name.lower().split()) not in passage_flat
    ]


def negation_mismatch(claim: str, passage: str) -> list[Mismatch]:
    a, b = bool(_NEGATION.search(claim)), bool(_NEGATION.search(passage))
    if a == b:
        return []
    side = "claim" if a else "passage"
    return [
        Mismatch(
            kind="negation",
            claim_value="negated" if a else "affirmed",
            note=f"only the {side} is negated",
        )
    ]


_ANTONYMS = [
    ("rose", "fell"), ("increased", "decreased"), ("up", "down"), ("won", "lost"),
    ("approved", "rejected"), ("opened", "closed"), ("higher", "lower"), ("more", "fewer"),
    ("gained", "lost"), ("above", "below"), ("before", "after"), ("increase", "decrease"),
    ("rise", "fall"), ("raised", "cut"), ("hired", "fired"), ("reopened", "closed"),
]  # fmt: skip


def closest_sentence(claim: str, passage: str) -> tuple[str, float]:
    """The passage sentence sharing the most of the claim's words, and that share (0..1)."""
    words = content_words(claim)
    best, share = passage, 0.0
    for start, end in sentence_spans(passage):
        sentence = passage[start:end]
        overlap = len(words & content_words(sentence)) / max(1, len(words))
        if overlap > share:
            best, share = sentence, overlap
    return best, share


def antonym_mismatch(claim: str, passage: str) -> list[Mismatch]:
    a, b = set(_WORD.findall(claim.lower())), set(_WORD.findall(passage.lower()))
    for x, y in _ANTONYMS:
        for mine, theirs in ((x, y), (y, x)):
            if mine in a and theirs in b and mine not in b:
                return [
                    Mismatch(
                        kind="negation",
                        claim_value=mine,
                        passage_values=[theirs],
                        conflict=True,
                        note="opposite words",
                    )
                ]
    return []


def compare_facts(claim: str, passage: str) -> list[Mismatch]:
    """All deterministic differences between a claim and a passage."""
    return (
        number_mismatches(claim, passage)
        + date_mismatches(claim, passage)
        + name_mismatches(claim, passage)
        + negation_mismatch(claim, passage)
    )
