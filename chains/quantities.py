"""Figures in a text, by position, with their value and unit.

Digits are read by one pattern ("$1.2 million", "1,200,000 dollars", "15%", "15 percent"
all normalise to one value and unit); numbers written in words ("eight", "twenty-one",
"one million two hundred thousand") by text2num, a maintained parser (Rust, about 30 us
a sentence), located by token so that every figure keeps its exact offsets for the
comparison view. A figure inside a date ("March 14", "2024") is left to chains.dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import find_numbers

SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6}
NUMBER = re.compile(
    r"(?P<cur>[$£€])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|m)\b)?"
    r"(?:[\s-]?(?P<unit>%|percent|per cent|[a-z]+))?",
    re.IGNORECASE,
)
# What may follow a figure written in words: a scale, then a unit ("eight people").
_AFTER_WORDS = re.compile(
    r"(?:\s(?P<scale>thousand|million|billion|trillion)\b)?(?:[\s-](?P<unit>percent|per cent|[a-z]+))?",
    re.IGNORECASE,
)
# Units that make a figure a measure: two measures in different units differ.
MEASURES = {"%", "$", "£", "€", "year", "month", "week", "day", "hour", "minute", "mile", "km"}
_YEAR = re.compile(r"(?:19|20)\d\d")
# Words after a figure that are not its unit ("$42 million for the bridge").
SKIP_UNITS = {"and", "or", "to", "in", "on", "of", "the", "a", "an", "at", "by", "for", "from"}
# "1,200,000 dollars" is "$1.2 million".
_CURRENCY_WORDS = {"dollar": "$", "pound": "£", "euro": "€"}
# Number words, for telling a statement's words from its values (chains.checks).
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred dozen".split()
)
# A hyphen joins a number word's parts ("twenty-one") but not a figure and its unit
# ("a nine-day trial" is nine days).
_TOKEN = re.compile(
    r"\w+(?:'\w+)*(?:-(?:one|two|three|four|five|six|seven|eight|nine)\b)?|[^\w\s]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    start: int  # text[start:end] is the figure with its currency sign, scale and unit
    end: int
    value: float
    unit: str  # "" when none, "%" for percentages, "$" "£" "€" for money


def _unit(raw: str | None, currency: str | None) -> str:
    if currency:
        return currency
    unit = (raw or "").lower()
    if unit in {"%", "percent", "per cent"}:
        return "%"
    unit = unit.rstrip("s")
    if unit in SKIP_UNITS:
        return ""
    return _CURRENCY_WORDS.get(unit, unit)


class _Token:
    """A token as text2num's find_numbers reads it, remembering where it is."""

    __slots__ = ("match",)

    def __init__(self, match: re.Match[str]) -> None:
        self.match = match

    def text(self) -> str:
        return self.match.group(0)

    def nt_separated(self, previous: object) -> bool:
        return False

    def not_a_number_part(self) -> bool:
        return False


def _inside(pos: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start <= pos < end for start, end in spans)


def _digit_figures(text: str, dates: tuple[tuple[int, int], ...]) -> list[Quantity]:
    out = []
    for m in NUMBER.finditer(text):
        # A year or the day of a date is a date, not a figure (unless it is money).
        if not m.group("cur") and (
            _inside(m.start("num"), dates) or _YEAR.fullmatch(m.group("num"))
        ):
            continue
        value = float(m.group("num").replace(",", "")) * SCALE.get(
            (m.group("scale") or "").lower(), 1
        )
        unit = _unit(m.group("unit"), m.group("cur"))
        start = m.start("cur") if m.group("cur") else m.start("num")
        raw_unit = m.group("unit")
        end = (
            m.end("unit")
            if raw_unit and raw_unit.lower() not in SKIP_UNITS
            else m.end("scale")
            if m.group("scale")
            else m.end("num")
        )
        out.append(Quantity(start, end, value, unit))
    return out


def _word_figures(text: str, taken: list[Quantity]) -> list[Quantity]:
    tokens = [_Token(m) for m in _TOKEN.finditer(text)]
    if not tokens:
        return []
    out: list[Quantity] = []
    # "one" and "two" are read only as a measure ("a one-year anniversary", "two weeks"):
    # alone they are mostly not figures ("one of them", "the two men"). text2num's
    # threshold would drop them all.
    for found in find_numbers(tokens, "en", threshold=0):
        if found.is_ordinal:
            continue
        start = tokens[found.start].match.start()
        end = tokens[found.end - 1].match.end()
        if not re.search(r"[a-z]", text[start:end], re.IGNORECASE) or any(
            q.start <= start < q.end for q in (*taken, *out)
        ):
            continue  # digits, or the scale word of a figure already read ("4.2 million")
        after = _AFTER_WORDS.match(text, end)
        value = float(found.value) * SCALE.get((after.group("scale") or "").lower(), 1)
        raw_unit = after.group("unit")
        unit = _unit(raw_unit, None)
        if found.value < 3 and unit not in MEASURES:
            continue
        if raw_unit and raw_unit.lower() not in SKIP_UNITS:
            end = after.end("unit")
        elif after.group("scale"):
            end = after.end("scale")
        out.append(Quantity(start, end, value, unit))
    return out


@lru_cache(maxsize=4096)
def quantities(text: str, dates: tuple[tuple[int, int], ...] = ()) -> tuple[Quantity, ...]:
    """Every figure of `text` in order of position; `dates` are the spans of its dates."""
    digits = _digit_figures(text, dates)
    words = _word_figures(text, digits) if re.search(r"[a-z]", text, re.IGNORECASE) else []
    return tuple(sorted(digits + words, key=lambda q: (q.start, q.end)))
