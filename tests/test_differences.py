"""chains.differences: the demo's planted differences, agreement with chains.checks, safe HTML."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chains.checks import date_mismatches, name_mismatches, number_mismatches, status_mismatches
from chains.differences import Span, mark_differences, marked_html

EXPECTED = Path(__file__).resolve().parent.parent / "data" / "demo" / "expected.json"


def marks(spans: list[Span]) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in spans]


# --- the demo's planted pairs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "passage", "in_claim", "in_passage"),
    [
        (
            "The Port Avalon City Council approved $58 million for the Harbour Bridge repairs on March 14, 2023.",
            "The Port Avalon City Council approved $42 million for the Harbour Bridge repairs on March 14, 2023.",
            [("number", "$58 million")],
            [("number", "$42 million")],
        ),
        (
            "The Harbour Bridge first opened in 1958 and carries about 31,000 vehicles a day.",
            "The Harbour Bridge first opened in 1961 and carries about 31,000 vehicles a day.",
            [("date", "1958")],
            [("date", "1961")],
        ),
        (
            "The Port of Avalon handled 3.1 million tonnes of cargo in 2023, up 6 percent from 2022.",
            "The Port of Avalon handled 2.4 million tonnes of cargo in 2023, up 6 percent from 2022.",
            [("number", "3.1 million tonnes")],
            [("number", "2.4 million tonnes")],
        ),
        (
            "Port Avalon Transit raised the base bus fare from $2.00 to $2.25 on February 1, 2023.",
            "Port Avalon Transit raised the base bus fare from $2.00 to $2.25 on February 1, 2024.",
            [("date", "2023")],
            [("date", "2024")],
        ),
        (
            "The Port Avalon school board named Dr. Karen Whitfield as superintendent on May 9, 2023.",
            "The Port Avalon school board named Dr. Priya Raman as superintendent on May 9, 2023.",
            [("name", "Karen Whitfield")],
            [("name", "Priya Raman")],
        ),
        (
            "The January 2024 storm forced the evacuation of 212 homes in the Lower Quay district.",
            "The January 2024 storm forced the evacuation of 340 homes in the Lower Quay district, the report said.",
            [("number", "212 homes")],
            [("number", "340 homes")],
        ),
    ],
)
def test_planted_differences(claim, passage, in_claim, in_passage) -> None:
    claim_spans, passage_spans = mark_differences(claim, passage)
    assert marks(claim_spans) == in_claim
    assert marks(passage_spans) == in_passage


def test_supported_demo_claims_have_nothing_marked() -> None:
    pairs = [
        (e["quote"], e["archive_sentence"])
        for e in json.loads(EXPECTED.read_text())
        if e["expected"] == "SUPPORTED"
    ]
    assert len(pairs) >= 4
    for claim, passage in pairs:
        assert mark_differences(claim, passage) == ([], []), claim


# --- values written differently, and each kind ------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("It cost 42 million.", "It cost 42,000,000."),
        ("It cost $3.5m.", "It cost $3,500,000."),
        ("Cargo rose 6 percent.", "Cargo rose 6%."),
        ("It opened Sept. 3, 2024.", "It opened on 3 September 2024."),
        ("Mayor Elena Marsh spoke.", "The mayor, Elena Marsh, spoke."),
        ("The council did not approve it.", "The council never approved it."),
    ],
)
def test_same_value_written_differently_is_not_marked(claim: str, passage: str) -> None:
    assert mark_differences(claim, passage) == ([], [])


def test_each_kind_with_exact_offsets() -> None:
    claim = "Elena Marsh did not win on November 8 with 54 percent, and turnout rose."
    passage = "Tom Reyes won on November 9 with 48 percent, and turnout fell."
    claim_spans, passage_spans = mark_differences(claim, passage)
    assert marks(claim_spans) == [
        ("name", "Elena Marsh"),
        ("negation", "not"),
        ("date", "November 8"),
        ("number", "54 percent"),
        ("negation", "rose"),
    ]
    assert marks(passage_spans) == [
        ("name", "Tom Reyes"),
        ("date", "November 9"),
        ("number", "48 percent"),
        ("negation", "fell"),
    ]
    assert all(claim[s.start : s.end] == s.text for s in claim_spans)


def test_every_occurrence_of_a_missing_name_is_marked() -> None:
    claim = "Karen Whitfield said the plan, drawn up by Karen Whitfield, was ready."
    spans, _ = mark_differences(claim, "The superintendent said the plan was ready.")
    second = claim.rindex("Karen")
    assert [(s.start, s.text) for s in spans] == [
        (0, "Karen Whitfield"),
        (second, "Karen Whitfield"),
    ]


def test_a_name_put_in_the_place_of_another_is_marked_on_both_sides() -> None:
    claim = "It was the anniversary of the U.S.'s invasion of Ukraine."
    passage = "The protest marks the anniversary of Russia's invasion of Ukraine."
    in_claim, in_passage = mark_differences(claim, passage)
    assert marks(in_claim) == [("name", "U.S.")]
    assert marks(in_passage) == [("name", "Russia")]


def test_a_filler_word_after_a_number_is_not_part_of_it() -> None:
    spans, _ = mark_differences("They approved $58 million for the bridge.", "They approved it.")
    assert marks(spans) == [("number", "$58 million")]


# --- properties: offsets always hold, and agreement with chains.checks ----------------------

_TOKENS = st.sampled_from(
    ["$58 million", "$42", "42", "42,000,000", "3.1", "million", "tonnes", "percent", "%", "m",
     "m2", "bn", "5m", "March", "14", "14th", "Sept.", "2023", "1958", "Elena", "Marsh",
     "Dr.", "The", "Port Avalon", "not", "didn't", "rose", "fell", "up", "in", "and", "_", "é",
     "K", "İ", "x"]
)  # fmt: skip
_SEPARATORS = st.sampled_from(["", " ", " ", ", ", ". ", "\n", "-"])
_TEXT = st.one_of(
    st.lists(st.tuples(_TOKENS, _SEPARATORS), max_size=14).map(
        lambda parts: "".join(t + s for t, s in parts)
    ),
    st.text(max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_spans_are_exact_slices_in_order(claim: str, passage: str) -> None:
    for text, spans in zip((claim, passage), mark_differences(claim, passage), strict=True):
        for s in spans:
            assert 0 <= s.start < s.end <= len(text)
            assert text[s.start : s.end] == s.text
        assert spans == sorted(spans, key=lambda s: (s.start, s.end, s.kind))


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_a_text_differs_from_nothing_in_itself(text: str) -> None:
    assert mark_differences(text, text) == ([], [])


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
@example(
    claim="m2 March", passage=""
)  # once "2 March" read as a date in one, a figure in the other
def test_marks_agree_with_the_checks(claim: str, passage: str) -> None:
    """A kind is marked in the claim exactly when chains.checks reports a mismatch of it."""
    kinds = {s.kind for s in mark_differences(claim, passage)[0]}
    assert ("number" in kinds) == bool(number_mismatches(claim, passage))
    assert ("date" in kinds) == bool(date_mismatches(claim, passage))
    assert ("status" in kinds) == bool(status_mismatches(claim, passage))
    # Names: as the checks, except that a line break inside a name counts as a space.
    one_line = " ".join(passage.split())
    assert ("name" in kinds) == bool(name_mismatches(claim, one_line))


def test_dates_in_context_mark_the_differing_date() -> None:
    claim = "The bridge, which reopened in June 2024 after repairs, is busy."
    passage = "The bridge reopened to traffic on Monday, August 19, after repairs."
    mine, theirs = mark_differences(claim, passage, passage_date=dt.date(2024, 8, 20))
    assert marks(mine) == [("date", "June 2024")]
    assert marks(theirs) == [("date", "Monday, August 19")]


def test_a_date_that_agrees_in_context_is_not_marked() -> None:
    claim = "The council approved a $4.2 million budget in March 2024."
    passage = "The council voted 7-2 on Tuesday to approve a $4.2 million budget."
    mine, _ = mark_differences(
        claim, passage, claim_date=dt.date(2024, 4, 1), passage_date=dt.date(2024, 3, 12)
    )
    assert mine == []
    assert marks(mark_differences(claim, passage)[0]) == [("date", "March 2024")]  # unread


def test_a_change_of_status_is_marked() -> None:
    mine, theirs = mark_differences(
        "The stadium opening was postponed.", "The stadium opening remains on schedule."
    )
    assert marks(mine) == [("status", "postponed")]
    assert marks(theirs) == [("status", "on schedule")]


def test_numbers_in_words_are_the_same_figures() -> None:
    assert mark_differences(
        "Eight people paid $1.2 million.", "8 people paid 1,200,000 dollars."
    ) == ([], [])


def test_a_name_broken_over_two_lines_is_still_the_name() -> None:
    assert mark_differences("Elena Marsh won.", "Mayor Elena\nMarsh won.") == ([], [])


# --- HTML: escaped, inert, overlaps merged ---------------------------------------------------

_TAG = re.compile(r'<mark class="[^"<>]*" title="[^"<>]*">|</mark>')


def test_marked_html_wraps_each_span() -> None:
    claim = "The council approved $58 million & more."
    spans, _ = mark_differences(claim, "The council approved $42 million.")
    assert marked_html(claim, spans) == (
        'The council approved <mark class="diff number" title="differs: number">'
        "$58 million</mark> &amp; more."
    )
    assert marked_html(claim, spans, css_class="claim-diff").count('class="claim-diff number"') == 1


@pytest.mark.parametrize(
    "text",
    [
        "Mayor <script>alert('Elena Marsh')</script> won 54 percent.",
        'Karen Whitfield <img src=x onerror="alert(1)"> & "quotes" \'too\' got $58 million.',
        "</mark><mark class=x>1958</mark> Priya Raman",
    ],
)
def test_untrusted_text_comes_out_inert(text: str) -> None:
    spans, _ = mark_differences(text, "Nothing in common here.")
    assert spans  # something inside the hostile text is marked
    out = marked_html(text, spans + [Span(start=0, end=len(text), kind="name", text=text)])
    assert _TAG.sub("", out).count("<") == 0 and _TAG.sub("", out).count(">") == 0
    assert "<script" not in out and "<img" not in out and 'onerror="' not in out
    assert html.unescape(_TAG.sub("", out)) == text


def test_css_class_cannot_break_out_of_the_attribute() -> None:
    out = marked_html("1958", [Span(start=0, end=4, kind="date", text="1958")],
                      css_class='x" onmouseover="alert(1)')  # fmt: skip
    assert 'onmouseover="' not in out and "&quot; onmouseover=&quot;" in out


def test_overlapping_spans_are_merged() -> None:
    text = "paid $58 Main Street"
    spans = [
        Span(start=5, end=13, kind="number", text="$58 Main"),
        Span(start=9, end=20, kind="name", text="Main Street"),
        Span(start=9, end=13, kind="name", text="Main"),
    ]
    assert marked_html(text, spans) == (
        'paid <mark class="diff number name" title="differs: number, name">$58 Main Street</mark>'
    )


def test_spans_outside_the_text_are_ignored() -> None:
    spans = [
        Span(start=3, end=99, kind="number", text="x"),
        Span(start=2, end=2, kind="date", text=""),
    ]
    assert marked_html("a<b", spans) == "a&lt;b"


@settings(max_examples=200, deadline=None)
@given(_TEXT, _TEXT)
def test_marked_html_keeps_the_text_and_adds_only_marks(claim: str, passage: str) -> None:
    spans, _ = mark_differences(claim, passage)
    out = marked_html(claim, spans)
    plain = _TAG.sub("", out)
    assert "<" not in plain and ">" not in plain and '"' not in plain
    assert html.unescape(plain) == claim
