"""chains.quantities: figures in digits and in words, with their unit and offsets."""

from __future__ import annotations

import pytest

from chains.quantities import quantities


def values(text: str) -> list[tuple[float, str]]:
    return [(q.value, q.unit) for q in quantities(text)]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("$1.2 million", "1,200,000 dollars"),
        ("eight people", "8 people"),
        ("15%", "15 percent"),
        ("15 per cent", "fifteen percent"),
        ("twenty-one tonnes", "21 tonnes"),
        ("one million two hundred thousand dollars", "$1.2m"),
        ("three point five million", "3.5 million"),
        ("£2bn", "2 billion pounds"),
        ("a nine-day trial", "9 days"),
        ("a 12-day wait", "twelve days"),
        ("the one-year anniversary", "1 year"),
        ("two weeks", "2 weeks"),
    ],
)
def test_the_same_value_written_two_ways(a, b):
    assert values(a) == values(b) != []


def test_offsets_cover_the_figure_and_its_unit():
    text = "They hired eight people and spent $4.2 million for the library."
    assert [text[q.start : q.end] for q in quantities(text)] == ["eight people", "$4.2 million"]


@pytest.mark.parametrize(
    "text",
    ["one of them", "no one came", "the two men", "the first time", "a second term", "In 2024"],
)
def test_no_figure(text):
    assert quantities(text) == ()


def test_a_number_inside_a_date_is_left_to_the_dates():
    text = "On March 14 they paid 14 dollars."
    date = (text.index("March"), text.index("14") + 2)
    found = [(q.value, q.unit, q.start) for q in quantities(text, (date,))]
    assert found == [(14.0, "$", text.rindex("14"))]
