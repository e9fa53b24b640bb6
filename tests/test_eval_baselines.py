"""eval.baselines on the small fixtures: each baseline's output is scored by eval.metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import baselines as b
from eval import datasets as ds
from eval import metrics as m

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


def test_majority_label_and_ties() -> None:
    assert (
        b.majority_label(["NOT_ENOUGH_INFO", "SUPPORTED", "NOT_ENOUGH_INFO"]) == "NOT_ENOUGH_INFO"
    )
    assert b.majority_label(["NOT_ENOUGH_INFO", "SUPPORTED"]) == "SUPPORTED"  # verdict order
    with pytest.raises(ValueError):
        b.majority_label([])


def test_predict_majority_scores_like_the_real_system() -> None:
    items = ds.read_summedits(FIXTURES / "summedits-sample.json")
    pred = b.predict_majority(items)
    assert pred == ["NOT_SUPPORTED"] * 3
    assert m.binary_balanced_accuracy([i.label for i in items], pred) == pytest.approx(0.5)
    assert b.predict_majority(items, train_labels=["SUPPORTED"]) == ["SUPPORTED"] * 3


@pytest.mark.parametrize(
    ("text", "number", "entity"),
    [
        ("We created 300,000 jobs.", True, False),
        ("Crime dropped by half in three years.", True, False),
        ("My opponent voted against the Clean Water Act.", False, True),
        ("Thank you. Good night.", False, False),  # capitalised only at sentence starts
        ("I think I'm right, and I'll say so.", False, False),
        ("Then Smith left.", False, True),
    ],
)
def test_number_or_entity_heuristic(text: str, number: bool, entity: bool) -> None:
    assert b.has_number(text) is number
    assert b.has_named_entity(text) is entity
    assert b.checkworthiness_score(text) == float(number) + float(entity)


def test_predict_checkworthiness_shape_and_scores() -> None:
    debates = ds.read_checkworthiness(FIXTURES / "checkthat2019-sample")
    preds = b.predict_checkworthiness(debates)
    assert set(preds) == {"debate_a", "debate_b"}
    assert [p.id for p in preds["debate_a"]] == [s.id for s in debates[0].sentences]
    report = b.score_checkworthiness(debates, preds)
    assert 0.0 <= report["precision"] <= 1.0 and report["recall"] == 1.0
    assert report["n_sentences"] == 8


def test_bm25_ranks_the_matching_claim_first() -> None:
    queries, vclaims, qrels = ds.read_clef_retrieval(FIXTURES / "clef2020-task2" / "dev")
    rankings = b.bm25_rankings(queries, b.vclaim_documents(vclaims), k=3)
    assert rankings["5"][0] == "2"
    assert set(rankings["8"][:2]) == {"0", "1"}
    assert all(len(r) == 3 for r in rankings.values())
    report = b.score_retrieval(rankings, qrels)
    assert report["map@5"] == pytest.approx(1.0)
    assert report["mrr"] == pytest.approx(1.0)


def test_tokenize() -> None:
    assert b.tokenize("The Shark, on a HIGHWAY! pic.twitter.com/x1") == ["shark", "highway", "x1"]


def test_main_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    b.main(["verdicts", str(FIXTURES / "climate-fever-sample.jsonl")])
    result = json.loads(capsys.readouterr().out)
    assert result["baseline"] == "majority"
    assert result["n"] == 3 and result["dropped_disputed_or_conflicting"] == 1
    b.main(["retrieval", str(FIXTURES / "clef2020-task2" / "dev")])
    assert json.loads(capsys.readouterr().out)["map@5"] == pytest.approx(1.0)
    b.main(["checkworthiness", str(FIXTURES / "claimbuster-sample.json")])
    assert json.loads(capsys.readouterr().out)["n_sentences"] == 5
