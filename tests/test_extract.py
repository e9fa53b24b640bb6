import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chains.extract import extract_claims, is_checkable, locate_quote, windows
from tests.fakes import QueuedChatModel
from vectorstore.sentences import sentence_spans

ARTICLE = (
    "Port Avalon opened its new ferry terminal on May 3, 2021. The terminal cost $12 million.\n\n"
    "Mayor Lena Ortiz said the terminal will bring tourists. Is it worth it?"
)


def answer(*pairs):
    return json.dumps({"claims": [{"quote": q, "claim": c} for q, c in pairs]})


def test_quotes_are_verified_and_offsets_exact():
    model = QueuedChatModel(
        responses=[
            answer(
                (
                    "The terminal cost $12 million.",
                    "The Port Avalon ferry terminal cost $12 million.",
                ),
                ("The terminal cost $15 million.", "invented"),  # not in the article: dropped
                (
                    "Port Avalon opened its new ferry terminal on May 3, 2021.",
                    "Port Avalon opened a terminal.",
                ),
            )
        ]
    )
    claims, warnings = extract_claims(ARTICLE, model)
    assert [c.id for c in claims] == ["c1", "c2"]
    assert claims[0].start < claims[1].start  # article order
    for c in claims:
        assert ARTICLE[c.start : c.end] == c.quote
    assert any("not in the article" in w for w in warnings)


def test_predictions_questions_and_duplicates_are_left_out():
    quote = "The terminal cost $12 million."
    model = QueuedChatModel(
        responses=[
            answer(
                ("Mayor Lena Ortiz said the terminal will bring tourists.", "prediction"),
                ("Is it worth it?", "question"),
                (quote, "The terminal cost $12 million."),
                (quote, "The terminal cost $12 million!"),
            )
        ]
    )
    claims, _ = extract_claims(ARTICLE, model, figure_sentences=False)
    assert [c.quote for c in claims] == [quote]


def test_sentences_with_figures_the_model_missed_are_added():
    text = (
        "Bond passes with room to spare\n\n"
        "Port Avalon voters approved a $95 million school bond, with 61 percent voting yes. "
        "The money will renovate the high school. Officials said 3 schools may close. "
        "It passed in 2023."
    )
    model = QueuedChatModel(responses=[answer(("Bond passes with room to spare", "x"))] * 2)
    claims, _ = extract_claims(text, model)
    assert [c.quote for c in claims] == [
        "Bond passes with room to spare",
        "Port Avalon voters approved a $95 million school bond, with 61 percent voting yes.",
    ]  # no figure, a prediction ("may"), and too short to stand alone are not added
    for c in claims:
        assert text[c.start : c.end] == c.quote
    table = "Ward 1 voted 412 to 300 and ward 2 voted 512 to 290 " * 10  # no sentence end
    listed, _ = extract_claims(table, QueuedChatModel(responses=[answer()]))
    assert listed == []
    capped, _ = extract_claims(text, model, max_claims=1)
    assert [c.quote for c in capped] == ["Bond passes with room to spare"]  # the model's first


def test_bad_model_output_falls_back_then_fails_clearly():
    model = QueuedChatModel(responses=["not json", "still not json", '{"claims": 3}'])
    with pytest.raises(Exception, match="did not fit|no JSON"):
        extract_claims(ARTICLE, model)


def test_server_without_json_schema_uses_json_object():
    model = QueuedChatModel(
        responses=[answer(("The terminal cost $12 million.", "x"))], reject={"json_schema"}
    )
    claims, _ = extract_claims(ARTICLE, model, figure_sentences=False)
    assert len(claims) == 1
    assert [c["kwargs"]["response_format"]["type"] for c in model.calls] == [
        "json_schema",
        "json_object",
    ]


def test_long_articles_are_read_in_windows():
    sentences = [f"Sentence number {i} says the harbour moved {i} tonnes." for i in range(200)]
    text = " ".join(sentences)
    model = QueuedChatModel(responses=[lambda m: answer() for _ in range(100)])
    extract_claims(text, model, window_chars=1000)
    assert len(model.calls) >= len(text) // 1000
    for call in model.calls:
        assert len(call["messages"][-1].content) < 1200


def test_a_quote_cut_short_is_widened_to_its_sentence():
    text = "Intro here. The bridge reopened on November 15, 2024, after 14 months of repairs. Next."
    start, end = locate_quote(text, "The bridge reopened on November 15, 2024.")
    assert (
        text[start:end] == "The bridge reopened on November 15, 2024, after 14 months of repairs."
    )
    assert locate_quote(text, "The bridge reopened on November 16, 2024.") is None


def test_locate_quote_tolerates_quote_style_and_spacing():
    text = "He said \u201cthe bridge  is safe\u201d on Monday."
    start, end = locate_quote(text, 'He said "the bridge is safe" on Monday.')
    assert text[start:end] == text
    assert locate_quote(text, "something else entirely") is None


@pytest.mark.parametrize(
    ("sentence", "checkable"),
    [
        ("The bridge opened on May 3, 2021.", True),
        ("The bridge will open next year.", False),
        ("Is the bridge safe?", False),
        ("I think the bridge is ugly.", False),
        ("Revenue fell 4 percent in 2023.", True),
        ("Port officials expect cargo volumes to keep climbing through 2026.", False),
        ("Many on the docks believe the good years are only beginning.", False),
    ],
)
def test_is_checkable(sentence, checkable):
    assert is_checkable(sentence) is checkable


@given(st.lists(st.text(alphabet="abc .!?\n", min_size=1, max_size=40), min_size=1, max_size=20))
def test_windows_cover_every_sentence(parts):
    text = "".join(parts)
    spans = sentence_spans(text)
    covered = list(windows(text, 50))
    for s, e in spans:
        assert any(ws <= s and e <= we for ws, we in covered)
