"""The check-worthiness runner (eval.run_checkworthiness) on the small fixtures, with a
fake model that gives label probabilities."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.datasets import read_checkworthiness
from eval.run_checkworthiness import best_threshold, make_windows, run_checkworthiness
from settings import Settings
from tests.fakes import LabelModel

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "eval"
CLAIMBUSTER = FIXTURES / "claimbuster-sample.json"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", store_dir=tmp_path / "unused-store")


class Scores(LabelModel):
    """P(YES) by the words of the sentence: 0.95 with a digit, 0.8 with 'voted', else 0.3."""

    def label_probabilities(self, messages, labels):
        self.calls.append({"messages": messages, "labels": labels})
        sentence = str(messages[-2].content)
        yes = 0.95 if any(c.isdigit() for c in sentence) else 0.8 if "voted" in sentence else 0.3
        return {"YES": yes, "NO": 1 - yes}, 12


def test_each_sentence_is_scored_alone_and_cached(settings) -> None:
    model = Scores()
    result = run_checkworthiness(CLAIMBUSTER, model=model, settings=settings, progress=False)
    assert result["n"] == 5 and result["positives"] == 2
    # "We will do better." is a prediction: no candidate, no question
    assert len(model.calls) == 4
    assert result["precision"] == 1.0 and result["recall"] == 1.0  # threshold 0.7
    assert result["average_precision"] == {"claimbuster": 1.0}
    assert result["tokens_in_per_sentence"] == pytest.approx(4 * 12 / 5)
    assert result["baseline"]["name"] == "number-or-entity"
    silent = Scores()
    again = run_checkworthiness(CLAIMBUSTER, model=silent, settings=settings, progress=False)
    assert silent.calls == [] and again["cached"] == 5 and again["f1"] == result["f1"]


def test_the_threshold_decides(settings) -> None:
    strict = settings.model_copy(update={"min_checkworthiness": 0.9})
    result = run_checkworthiness(CLAIMBUSTER, model=Scores(), settings=strict, progress=False)
    assert result["recall"] == 0.5 and result["threshold"] == 0.9


def test_best_threshold_is_the_f1_best_score() -> None:
    gold = [1, 1, 0, 0, 1]
    scores = [0.95, 0.8, 0.85, 0.3, 0.0]
    assert best_threshold(gold, scores) == 0.8  # F1 0.8 (3 of 3 above, 1 false positive)
    assert best_threshold([1, 0], [0.9, 0.1]) == 0.9


def test_tuning_sentences_are_not_the_reported_ones(settings) -> None:
    data = FIXTURES / "checkthat2019-sample"
    result = run_checkworthiness(
        data, model=Scores(), settings=settings, limit=4, tune=4, progress=False
    )
    assert result["windows"] == 1 and result["threshold_chosen_on"]["n"] >= 1
    windows = make_windows(read_checkworthiness(data))
    assert (
        sum(len(w.sentences) for w in windows) >= result["n"] + result["threshold_chosen_on"]["n"]
    )
