"""eval.metrics: hand-computed tables, published worked examples and hypothesis properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval import metrics as m

# scikit-learn's documented f1_score example, with labels 0/1/2 written as a/b/c:
# f1 per class [0.8, 0, 0], macro 0.2666..., accuracy 1/3.
SK_GOLD = ["a", "b", "c", "a", "b", "c"]
SK_PRED = ["a", "c", "b", "a", "a", "b"]


def test_worked_example_sklearn_f1() -> None:
    report = m.per_class_report(SK_GOLD, SK_PRED)
    assert [round(r["f1"], 6) for r in report.values()] == [0.8, 0.0, 0.0]
    assert m.macro_f1(SK_GOLD, SK_PRED) == pytest.approx(0.26666666666666666)
    assert m.accuracy(SK_GOLD, SK_PRED) == pytest.approx(1 / 3)
    assert report["a"]["precision"] == pytest.approx(2 / 3)
    assert report["a"]["support"] == 2


def test_confusion_matrix_rows_are_gold_in_fixed_order() -> None:
    matrix = m.confusion_matrix(SK_GOLD, SK_PRED)
    assert list(matrix) == ["a", "b", "c"]
    assert matrix == {
        "a": {"a": 2, "b": 0, "c": 0},
        "b": {"a": 1, "b": 0, "c": 1},
        "c": {"a": 0, "b": 2, "c": 0},
    }


def test_verdict_labels_come_first_in_verdict_order() -> None:
    gold = ["NOT_ENOUGH_INFO", "SUPPORTED", "zzz"]
    pred = ["CONTRADICTED", "SUPPORTED", "aaa"]
    assert m.label_order(gold, pred) == [
        "SUPPORTED",
        "CONTRADICTED",
        "NOT_ENOUGH_INFO",
        "aaa",
        "zzz",
    ]
    fixed = m.confusion_matrix(gold, pred, labels=["SUPPORTED", "CONTRADICTED", "NOT_ENOUGH_INFO"])
    assert fixed["NOT_ENOUGH_INFO"]["CONTRADICTED"] == 1
    assert sum(sum(row.values()) for row in fixed.values()) == 2  # the zzz/aaa pair is outside


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [
        # scikit-learn's balanced_accuracy_score example
        (["0", "1", "0", "0", "1", "0"], ["0", "1", "0", "0", "0", "1"], 0.625),
        (["S", "S", "N", "N"], ["S", "S", "S", "S"], 0.5),
        (["S", "N", "N", "N"], ["S", "N", "N", "S"], (1 + 2 / 3) / 2),
        ([], [], 0.0),
    ],
)
def test_balanced_accuracy(gold: list[str], pred: list[str], expected: float) -> None:
    assert m.balanced_accuracy(gold, pred) == pytest.approx(expected)


def test_binary_view_of_verdicts() -> None:
    assert m.to_supported_binary("SUPPORTED") == "SUPPORTED"
    for other in ("CONTRADICTED", "MIXED", "NOT_ENOUGH_INFO", "NOT_IN_ARCHIVE", "NOT_SUPPORTED"):
        assert m.to_supported_binary(other) == "NOT_SUPPORTED"
    gold = ["SUPPORTED", "NOT_SUPPORTED", "NOT_SUPPORTED", "SUPPORTED"]
    pred = ["SUPPORTED", "CONTRADICTED", "SUPPORTED", "NOT_IN_ARCHIVE"]
    assert m.binary_balanced_accuracy(gold, pred) == pytest.approx(0.5)


def test_empty_and_never_predicted_class_do_not_divide_by_zero() -> None:
    assert m.accuracy([], []) == 0.0
    assert m.macro_f1([], []) == 0.0
    assert m.confusion_matrix([], []) == {}
    report = m.per_class_report(["x", "y"], ["x", "x"])
    assert report["y"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1.0}
    # a class predicted but never in gold counts in macro-F1 with F1 = 0
    assert m.macro_f1(["x"], ["z"]) == 0.0
    assert m.positive_prf([0, 0], [0, 0]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    with pytest.raises(ValueError):
        m.accuracy(["a"], [])


def test_positive_class_prf() -> None:
    result = m.positive_prf([1, 0, 1, 1, 0], [1, 1, 0, 1, 0])
    assert result == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    assert m.positive_prf([1, 1, 0], [1, 0, 0]) == pytest.approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3}
    )


@pytest.mark.parametrize(
    ("gold", "scores", "expected"),
    [
        ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75),  # scikit-learn's roc_auc_score example
        ([0, 1], [0.2, 0.9], 1.0),
        ([0, 1], [0.9, 0.2], 0.0),
        ([0, 1, 1], [0.5, 0.5, 0.9], 0.75),  # a tie counts one half
    ],
)
def test_roc_auc(gold: list[int], scores: list[float], expected: float) -> None:
    assert m.roc_auc(gold, scores) == pytest.approx(expected)


def test_roc_auc_single_class_is_nan() -> None:
    assert math.isnan(m.roc_auc([1, 1], [0.2, 0.3]))
    assert math.isnan(m.roc_auc([], []))


# ---------------------------------------------------------------- retrieval

RANKING = ["d1", "x", "d2", "y", "z", "d3"]
RELEVANT = {"d1", "d2", "d3"}


@pytest.mark.parametrize(
    ("k", "cap", "expected"),
    [
        (5, False, (1 + 2 / 3) / 3),  # d3 at rank 6 is outside the top 5
        (5, True, (1 + 2 / 3) / 3),
        (6, False, (1 + 2 / 3 + 3 / 6) / 3),
        (1, False, 1 / 3),  # official (trectools): divide by all 3 relevant
        (1, True, 1.0),  # capped variant: divide by min(k, 3) = 1
        (0, False, 0.0),
    ],
)
def test_average_precision_at_k(k: int, cap: bool, expected: float) -> None:
    assert m.average_precision_at_k(RANKING, RELEVANT, k, cap) == pytest.approx(expected)


def test_map_mrr_recall_over_queries() -> None:
    rankings = {"q1": ["a", "b", "c"], "q2": ["e", "d", "e"], "q3": ["f"]}
    qrels = {"q1": {"b"}, "q2": {"e", "d"}, "q3": {"g"}, "q4": {"h"}, "empty": set()}
    # q1: 1/2; q2: (1 + 2/2)/2 = 1; q3 and q4 (no ranking): 0; "empty" is not scored
    assert m.map_at_k(rankings, qrels, k=5) == pytest.approx((0.5 + 1.0) / 4)
    assert m.mrr(rankings, qrels) == pytest.approx((0.5 + 1.0) / 4)
    assert m.mrr(rankings, qrels, k=1) == pytest.approx(1.0 / 4)
    assert m.recall_at_k(rankings, qrels, 1) == pytest.approx((0 + 0.5) / 4)
    assert m.recall_at_k(rankings, qrels, 5) == pytest.approx((1 + 1) / 4)
    assert m.map_at_k({}, {}) == 0.0 and m.mrr({}, {}) == 0.0


# ---------------------------------------------------------- check-worthiness


def test_average_precision_textbook_example() -> None:
    # relevant at ranks 1, 3, 6, 9, 10: (1 + 2/3 + 3/6 + 4/9 + 5/10) / 5
    ranked = [1, 0, 1, 0, 0, 1, 0, 0, 1, 1]
    assert m.average_precision(ranked) == pytest.approx((1 + 2 / 3 + 0.5 + 4 / 9 + 0.5) / 5)
    assert m.average_precision([0, 0]) == 0.0
    assert m.average_precision([]) == 0.0


def test_average_precision_from_scores_is_stable_on_ties() -> None:
    assert m.rank_by_score([0.1, 0.5, 0.5, 0.9]) == [3, 1, 2, 0]
    assert m.average_precision_from_scores([0, 1], [1.0, 1.0]) == pytest.approx(0.5)
    assert m.average_precision_from_scores([0, 1], [0.0, 1.0]) == pytest.approx(1.0)
    debates = [([0, 1], [0.0, 1.0]), ([1, 0, 1], [0.3, 0.2, 0.1])]
    assert m.mean_average_precision(debates) == pytest.approx((1.0 + (1 + 2 / 3) / 2) / 2)
    assert m.mean_average_precision([]) == 0.0


# ---------------------------------------------------------------- properties

labels = st.sampled_from(["SUPPORTED", "CONTRADICTED", "NOT_ENOUGH_INFO", "MIXED"])
pairs = st.lists(st.tuples(labels, labels), max_size=40)


@given(pairs)
def test_scores_are_in_unit_interval(data: list[tuple[str, str]]) -> None:
    gold, pred = [g for g, _ in data], [p for _, p in data]
    for value in (
        m.accuracy(gold, pred),
        m.macro_f1(gold, pred),
        m.balanced_accuracy(gold, pred),
        m.binary_balanced_accuracy(gold, pred),
    ):
        assert 0.0 <= value <= 1.0
    matrix = m.confusion_matrix(gold, pred)
    assert sum(sum(row.values()) for row in matrix.values()) == len(gold)
    assert sum(matrix[lab][lab] for lab in matrix) == round(m.accuracy(gold, pred) * len(gold))


@given(st.lists(labels, min_size=1, max_size=40))
def test_perfect_predictions_score_one(gold: list[str]) -> None:
    assert m.accuracy(gold, gold) == 1.0
    assert m.macro_f1(gold, gold) == pytest.approx(1.0)
    assert m.balanced_accuracy(gold, gold) == pytest.approx(1.0)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=4),
        st.sets(st.integers(0, 30), min_size=1, max_size=8),
        max_size=10,
    )
)
def test_perfect_ranking_has_map_at_5_of_one(raw: dict[str, set[int]]) -> None:
    qrels = {q: {f"d{i}" for i in docs} for q, docs in raw.items()}
    rankings = {q: sorted(rel) + ["other1", "other2"] for q, rel in qrels.items()}
    expected = 1.0 if qrels else 0.0
    assert m.map_at_k(rankings, qrels, 5, cap_relevant=True) == pytest.approx(expected)
    assert m.mrr(rankings, qrels) == pytest.approx(expected)
    assert m.recall_at_k(rankings, qrels, 40) == pytest.approx(expected)
    small = {q: rel for q, rel in qrels.items() if len(rel) <= 5}
    assert m.map_at_k(rankings, small, 5) == pytest.approx(1.0 if small else 0.0)


scored = st.lists(
    st.tuples(st.integers(0, 1), st.floats(0, 1, allow_nan=False)), min_size=1, max_size=30
)


@given(scored)
def test_roc_auc_matches_pair_counting(data: list[tuple[int, float]]) -> None:
    gold, scores = [g for g, _ in data], [s for _, s in data]
    pos = [s for g, s in data if g]
    neg = [s for g, s in data if not g]
    auc = m.roc_auc(gold, scores)
    if not pos or not neg:
        assert math.isnan(auc)
        return
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    assert auc == pytest.approx(wins / (len(pos) * len(neg)))


@given(scored)
def test_average_precision_in_unit_interval_and_perfect_is_one(data: list[tuple[int, float]]):
    gold, scores = [g for g, _ in data], [s for _, s in data]
    assert 0.0 <= m.average_precision_from_scores(gold, scores) <= 1.0
    if any(gold):
        assert m.average_precision_from_scores(gold, [float(g) for g in gold]) == 1.0


def test_false_contradiction_rate_counts_only_innocent_gold() -> None:
    gold = ["SUPPORTED", "SUPPORTED", "NOT_ENOUGH_INFO", "CONTRADICTED", "NOT_SUPPORTED"]
    pred = ["CONTRADICTED", "SUPPORTED", "MIXED", "CONTRADICTED", "CONTRADICTED"]
    # 1 of the 3 items with nothing to contradict was called CONTRADICTED; MIXED is not.
    assert m.false_contradiction_rate(gold, pred) == pytest.approx(1 / 3)
    assert m.false_contradiction_rate(["CONTRADICTED"], ["CONTRADICTED"]) == 0.0
    with pytest.raises(ValueError):
        m.false_contradiction_rate(["SUPPORTED"], [])
