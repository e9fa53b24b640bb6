"""Dates in a text, read against the date it was written.

Each date mention becomes the stretch of days it may mean: "2024" a year, "March 2024" a
month, "Monday, August 19" one day. A date without a year ("August 19", "in June") takes
the year that puts it nearest the base date (the passage's publication date, the
article's date for a claim); "on Tuesday" is the Tuesday on or before the base date, or
the one on or after it (news uses both); "last week", "yesterday", "next month" are
counted from the base date. Without a base date, a year-less day keeps only its month
and day, and "in June" or "on Tuesday" are not read (the behaviour before dates had
context).

A hand-written pattern finds the mentions: dateparser's search_dates took 4-10 ms a
sentence here and read "7-2 on Tuesday" as July 2 and "a $4" as January 4; its parse of
a located mention (0.5 ms each) gives one day, not the stretch a month or a week means.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, replace
from functools import lru_cache

MONTHS = [m.lower() for m in calendar.month_name[1:]]
WEEKDAYS = [d.lower() for d in calendar.day_name]
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?)"
_CAP_MONTH = rf"(?-i:(?=[A-Z])){_MONTH}"  # a month standing alone is capitalised ("may", "march")
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_END = r"(?![\w.]\w)"  # not the start of a longer word or number ("May 2023", "3 Marina")
DATE = re.compile(
    rf"\b(?:{_WEEKDAY},?\s+)?(?:(?P<md_month>{_MONTH})\s+(?P<md_day>{_DAY})"
    rf"|(?P<dm_day>{_DAY})\s+(?:of\s+)?(?P<dm_month>{_CAP_MONTH})){_END}"
    rf"(?:,?\s+(?P<d_year>{_YEAR})\b)?"
    rf"|\b(?P<my_month>{_CAP_MONTH})\s+(?:of\s+)?(?P<my_year>{_YEAR})\b"
    rf"|\b(?P<mo_when>in|since|until|by|from|through|during|early|late|mid-?|last|next|this)\s+"
    rf"(?P<mo_month>{_CAP_MONTH})\b(?!\s+(?:of\s+)?\d)"
    r"|\b(?P<rel_when>last|this|next|earlier\s+this|later\s+this)\s+(?P<rel_unit>week|month|year)\b"
    rf"|\b(?:(?P<wd_when>last|next|this)\s+)?(?P<wd>{_WEEKDAY})\b"
    r"|\b(?P<near>yesterday|today|tonight|tomorrow)\b"
    rf"|\b(?P<year>{_YEAR})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMention:
    """A date in a text. With a known year, `lo`..`hi` are the days it may mean; without
    one (no base date), only `month` and `day` are known."""

    start: int
    end: int
    text: str
    lo: dt.date | None = None
    hi: dt.date | None = None
    month: int | None = None
    day: int | None = None
    precision: str = "day"  # "day", "month", "year", or "span" (a week, "since Monday")
    year_at: tuple[int, int] | None = None  # where its year is written, if it is

    @property
    def year(self) -> int | None:
        return self.lo.year if self.lo and self.hi and self.lo.year == self.hi.year else None

    @property
    def months(self) -> int | None:
        """The month, when the mention lies within one."""
        if self.lo and self.hi:
            same = (self.lo.year, self.lo.month) == (self.hi.year, self.hi.month)
            return self.lo.month if same else None
        return self.month

    @property
    def days(self) -> int | None:
        if self.lo and self.hi:
            return self.lo.day if self.lo == self.hi else None
        return self.day

    def level(self) -> str:
        return self.precision

    def label(self, level: str | None = None) -> str:
        """In words, at `level` ("year", "month", "day"; its own when None)."""
        level = level or self.level()
        year, month, day = self.year, self.months, self.days
        if level == "year" and year is not None:
            return str(year)
        if level == "month" and month is not None:
            return f"{calendar.month_name[month]} {year}" if year else calendar.month_name[month]
        if level == "day" and month is not None and day is not None:
            return f"{calendar.month_name[month]} {day}" + (f", {year}" if year else "")
        if self.lo and self.hi:  # a week, or a weekday that may be either side of the base date
            return f"{self.text} ({self.lo:%B} {self.lo.day}\u2013{self.hi:%B} {self.hi.day}, {self.hi.year})"
        return self.text


def _month_number(name: str) -> int:
    name = name.lower().rstrip(".")
    return next(i for i, full in enumerate(MONTHS, 1) if full.startswith(name[:3]))


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


# A sentence that speaks of what is to come; without one, a date without a year is the
# latest one on or before the base date ("announced in February", written in December).
_FUTURE = re.compile(
    r"\b(?:will|would|shall|going to|scheduled|expected|plans?|planned|set to|set for|due to|due in|"
    r"upcoming|next|is to|are to|opens|begins|starts|ahead)\b",
    re.IGNORECASE,
)
_SENTENCE_EDGE = re.compile(r"[.!?]\s")


def _speaks_of_future(text: str, at: int) -> bool:
    """Does the sentence of `text` around position `at` speak of what is to come?"""
    start = max((m.end() for m in _SENTENCE_EDGE.finditer(text, 0, at)), default=0)
    end = _SENTENCE_EDGE.search(text, at)
    return bool(_FUTURE.search(text, start, end.start() if end else len(text)))


def _nearest_year(base: dt.date, month: int, day: int | None, past: bool = False) -> int:
    """The year that puts month (and day) nearest the base date; ties go to the past.
    With `past`, the latest year that puts it on or before the base date, unless it falls
    within a month after it (an event just ahead: "the market opens January 3")."""

    def distance(year: int) -> tuple[int, int]:
        if day is None:
            return abs((year * 12 + month) - (base.year * 12 + base.month)), year > base.year
        try:
            return abs((dt.date(year, month, day) - base).days), year > base.year
        except ValueError:
            return 10**6, True

    nearest = min((base.year - 1, base.year, base.year + 1), key=distance)
    if not past or distance(nearest)[0] <= (1 if day is None else 31):
        return nearest
    later = (month, day) > (base.month, base.day) if day else month > base.month
    return base.year - 1 if later else base.year


def _relative(m: re.Match[str], base: dt.date) -> tuple[dt.date, dt.date] | None:
    if m.group("near"):
        shift = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}
        day = base + dt.timedelta(days=shift[m.group("near").lower()])
        return day, day
    if m.group("wd"):
        weekday = WEEKDAYS.index(m.group("wd").lower())
        back = base - dt.timedelta(days=(base.weekday() - weekday) % 7)
        ahead = base + dt.timedelta(days=(weekday - base.weekday()) % 7)
        when = (m.group("wd_when") or "").lower()
        if when == "last":
            back = back if back < base else back - dt.timedelta(days=7)
            return back, back
        if when == "next":
            ahead = ahead if ahead > base else ahead + dt.timedelta(days=7)
            return ahead, ahead
        return back, ahead
    when, unit = " ".join(m.group("rel_when").lower().split()), m.group("rel_unit").lower()
    step = {"last": -1, "next": 1}.get(when, 0)
    if unit == "week":
        monday = base - dt.timedelta(days=base.weekday()) + dt.timedelta(weeks=step)
        lo, hi = monday, monday + dt.timedelta(days=6)
    elif unit == "month":
        index = base.year * 12 + base.month - 1 + step
        lo, hi = _month_span(index // 12, index % 12 + 1)
    else:
        lo, hi = dt.date(base.year + step, 1, 1), dt.date(base.year + step, 12, 31)
    if when == "earlier this":
        hi = base
    elif when == "later this":
        lo = base
    return lo, hi


def _mention(m: re.Match[str], base: dt.date | None) -> DateMention | None:
    found = _read(m, base)
    year = next((g for g in ("d_year", "my_year", "year") if m.group(g)), None)
    if found is None or year is None:
        return found
    return replace(found, year_at=m.span(year))


def _read(m: re.Match[str], base: dt.date | None) -> DateMention | None:
    start, end = m.span()
    if m.group("mo_month"):
        start = m.start("mo_month")
    elif m.group("wd") and not m.group("wd_when"):
        start = m.start("wd")
    text = m.string[start:end]
    month_name = m.group("md_month") or m.group("dm_month")
    if month_name:
        month = _month_number(month_name)
        day = int(re.match(r"\d+", m.group("md_day") or m.group("dm_day")).group(0))
        year = int(m.group("d_year")) if m.group("d_year") else None
        if year is None and base is None:
            return DateMention(start, end, text, month=month, day=day, precision="day")
        try:
            past = not _speaks_of_future(m.string, start)
            when = dt.date(year or _nearest_year(base, month, day, past), month, day)  # type: ignore[arg-type]
        except ValueError:
            return None  # "February 30": not a date
        return DateMention(start, end, text, when, when, precision="day")
    if m.group("my_month"):
        lo, hi = _month_span(int(m.group("my_year")), _month_number(m.group("my_month")))
        return DateMention(start, end, text, lo, hi, precision="month")
    if m.group("mo_month"):
        if base is None:
            return None  # "in June" of which year? (and before dates had context: unread)
        month = _month_number(m.group("mo_month"))
        when = m.group("mo_when").lower()
        year = _nearest_year(
            base, month, None, past=when != "next" and not _speaks_of_future(m.string, start)
        )
        if when == "last" and (year, month) >= (base.year, base.month):
            year -= 1
        elif when == "next" and (year, month) <= (base.year, base.month):
            year += 1
        lo, hi = _month_span(year, month)
        return DateMention(start, end, text, lo, hi, precision="month")
    if m.group("year"):
        year = int(m.group("year"))
        return DateMention(
            start, end, text, dt.date(year, 1, 1), dt.date(year, 12, 31), precision="year"
        )
    if base is None:
        return None  # "on Tuesday", "last week": nothing to count from
    lo, hi = _relative(m, base)
    if lo == hi:
        precision = "day"
    elif m.group("rel_unit") and not m.group("rel_when").lower().startswith(("earlier", "later")):
        precision = {"week": "span", "month": "month", "year": "year"}[m.group("rel_unit").lower()]
    else:
        precision = "span"
    return DateMention(start, end, text, lo, hi, precision=precision)


@lru_cache(maxsize=4096)
def date_mentions(text: str, base: dt.date | None = None) -> tuple[DateMention, ...]:
    """The dates of `text` in order, read against `base` (see the module's docstring)."""
    found = (_mention(m, base) for m in DATE.finditer(text))
    return tuple(d for d in found if d is not None)


def compatible(a: DateMention, b: DateMention) -> bool:
    """Could both mean the same day?"""
    if a.lo and a.hi and b.lo and b.hi:
        return a.lo <= b.hi and b.lo <= a.hi
    return all(
        x is None or y is None or x == y for x, y in ((a.months, b.months), (a.days, b.days))
    )


def states(p: DateMention, c: DateMention) -> bool:
    """Does `p` state `c`: as precise, and inside it?"""
    if p.lo and p.hi and c.lo and c.hi:
        return c.lo <= p.lo and p.hi <= c.hi
    if c.year is not None:
        return False  # p has no year to confirm c's
    return (c.months is None or p.months == c.months) and (c.days is None or p.days == c.days)


def rivals(
    c: DateMention, claim: tuple[DateMention, ...], passage: tuple[DateMention, ...]
) -> list[DateMention]:
    """Passage dates that give another date for the claim's `c`: the same month with
    another day, the same year with another month, or the only date on each side."""
    if any(states(p, c) for p in passage):
        return []
    one_each = len({(d.lo, d.hi, d.months, d.days) for d in claim}) == 1 and (
        len({(d.lo, d.hi, d.months, d.days) for d in passage}) == 1
    )

    def rival(p: DateMention) -> bool:
        same_year = c.year is None or p.year is None or p.year == c.year
        if c.days is not None and p.days is not None and p.months == c.months and same_year:
            return True  # the same month, another day
        if c.level() == "month" and p.months is not None and c.year and p.year == c.year:
            return True  # the same year, another month
        return one_each

    return [p for p in passage if not compatible(p, c) and rival(p)]


def differing_level(c: DateMention, p: DateMention) -> str:
    """The coarsest of year, month and day at which two dates differ."""
    if c.year is not None and p.year is not None and c.year != p.year:
        return "year"
    if c.months is not None and p.months is not None and c.months != p.months:
        return "month"
    return "day" if c.level() == "day" else c.level()
