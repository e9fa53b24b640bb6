"""chains.dates: dates read against the date a text was written."""

from __future__ import annotations

import datetime as dt

import pytest

from chains.dates import compatible, date_mentions, differing_level, rivals, states

D = dt.date
PUBLISHED = D(2024, 8, 20)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "base", "written", "lo", "hi"),
    [
        ("reopened on Monday, August 19", PUBLISHED, "Monday, August 19", D(2024, 8, 19), D(2024, 8, 19)),
        ("voted on Tuesday", D(2024, 3, 12), "Tuesday", D(2024, 3, 12), D(2024, 3, 12)),
        # a weekday that is not the publication day may be the one before or after it
        ("voted on Monday", D(2024, 3, 13), "Monday", D(2024, 3, 11), D(2024, 3, 18)),
        ("said last Friday", PUBLISHED, "last Friday", D(2024, 8, 16), D(2024, 8, 16)),
        ("said last week", PUBLISHED, "last week", D(2024, 8, 12), D(2024, 8, 18)),
        ("said yesterday", PUBLISHED, "yesterday", D(2024, 8, 19), D(2024, 8, 19)),
        ("opens next month", PUBLISHED, "next month", D(2024, 9, 1), D(2024, 9, 30)),
        ("closed in June", PUBLISHED, "June", D(2024, 6, 1), D(2024, 6, 30)),
        # the year that puts a year-less date nearest the publication date
        ("on December 30", D(2025, 1, 2), "December 30", D(2024, 12, 30), D(2024, 12, 30)),
        ("on January 3", D(2024, 12, 28), "January 3", D(2025, 1, 3), D(2025, 1, 3)),
        # ... unless the sentence is about the past and that date is more than a month ahead
        ("announced in February", D(2024, 12, 3), "February", D(2024, 2, 1), D(2024, 2, 29)),
        ("will reopen in February", D(2024, 12, 3), "February", D(2025, 2, 1), D(2025, 2, 28)),
        ("was sentenced on March 3", D(2024, 12, 3), "March 3", D(2024, 3, 3), D(2024, 3, 3)),
        ("is set for March 3", D(2024, 12, 3), "March 3", D(2025, 3, 3), D(2025, 3, 3)),
        ("in March 2024", None, "March 2024", D(2024, 3, 1), D(2024, 3, 31)),
        ("on Sept. 3, 2024", None, "Sept. 3, 2024", D(2024, 9, 3), D(2024, 9, 3)),
        ("in 1958", None, "1958", D(1958, 1, 1), D(1958, 12, 31)),
    ],
)  # fmt: skip
def test_dates_read_against_the_base_date(text, base, written, lo, hi):
    (d,) = date_mentions(text, base)
    assert (text[d.start : d.end], d.lo, d.hi) == (written, lo, hi)


def test_without_a_base_date_relative_dates_are_not_read():
    assert date_mentions("It reopened on Tuesday, last week, in June.") == ()
    (d,) = date_mentions("It reopened on August 19.")
    assert (d.lo, d.months, d.days) == (None, 8, 19)


@pytest.mark.parametrize("text", ["About 20 may lose their jobs.", "They march on.", "7-2 vote"])
def test_words_that_are_no_dates(text):
    assert date_mentions(text, PUBLISHED) == ()


def test_a_day_in_the_month_states_the_month():
    (claim,) = date_mentions("approved in March 2024")
    (tuesday,) = date_mentions("voted on Tuesday", D(2024, 3, 12))
    assert compatible(claim, tuesday) and states(tuesday, claim)
    assert not states(claim, tuesday)  # a month does not state the day


def test_another_month_of_the_same_year_is_a_rival():
    claim = date_mentions("which reopened in June 2024 after repairs")
    passage = date_mentions("reopened to traffic on Monday, August 19", PUBLISHED)
    (found,) = rivals(claim[0], claim, passage)
    assert differing_level(claim[0], found) == "month"
    assert (claim[0].label("month"), found.label("month")) == ("June 2024", "August 2024")


def test_a_year_among_several_is_context_not_a_rival():
    claim = date_mentions("It happened in 2021.")
    passage = date_mentions("Between 2019 and 2022 it grew.")
    assert rivals(claim[0], claim, passage) == []
