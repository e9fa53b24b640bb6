"""eval.datasets on small hand-written fixtures, plus counts on the real dev data when present."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from eval import datasets as ds

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
REAL = next(
    (p for p in (PROJECT_ROOT.parent / "shared" / "eval", Path("/work/shared/eval")) if p.exists()),
    None,
)


def test_climate_fever_claims_view() -> None:
    items = ds.read_climate_fever_claims(FIXTURES / "climate-fever-sample.jsonl")
    assert [i.id for i in items] == ["10", "11", "12", "13"]
    assert [i.label for i in items] == ["SUPPORTED", "CONTRADICTED", "DISPUTED", "NOT_ENOUGH_INFO"]
    first = items[0]
    assert len(first.evidence) == 5 and first.evidence[0].startswith("Most Alpine glaciers")
    assert first.documents[0] == {"title": "Alpine glacier", "text": first.evidence[0]}
    assert first.meta["evidence_labels"][:2] == ["SUPPORTS", "NOT_ENOUGH_INFO"]
    assert first.source == "climate-fever"


def test_climate_fever_pairs_view_uses_the_evidence_label() -> None:
    items = ds.read_climate_fever_pairs(FIXTURES / "climate-fever-sample.jsonl")
    assert len(items) == 5 + 2 + 2 + 1
    assert items[0].id == "10/0" and items[0].meta["evidence_id"] == "Alpine glacier:3"
    assert Counter(i.label for i in items) == {
        "NOT_ENOUGH_INFO": 5,
        "SUPPORTED": 3,
        "CONTRADICTED": 2,
    }
    disputed_pairs = [i for i in items if i.meta["claim_id"] == "12"]
    assert [i.label for i in disputed_pairs] == ["SUPPORTED", "CONTRADICTED"]
    assert all(len(i.evidence) == 1 for i in items)


def test_summedits_is_binary_and_keeps_edit_types() -> None:
    items = ds.read_summedits(FIXTURES / "summedits-sample.json")
    assert [i.label for i in items] == ["SUPPORTED", "NOT_SUPPORTED", "NOT_SUPPORTED"]
    assert items[0].edit_types == []
    assert items[1].edit_types == ["antonym_swap", "entity_modification"]
    assert items[2].edit_types == ["negation_insertion_removal"]  # already a list
    assert items[0].claim.startswith("Riverside council approved")
    assert items[0].evidence == [items[0].documents[0]["text"]]
    assert items[0].meta["doc_id"] == items[1].meta["doc_id"] != items[2].meta["doc_id"]


def test_averitec_is_lenient() -> None:
    items = ds.read_averitec(FIXTURES / "averitec-sample.json")
    assert [i.label for i in items] == [
        "CONTRADICTED",
        "SUPPORTED",
        "NOT_ENOUGH_INFO",
        "CONFLICTING",
    ]
    assert [i.id for i in items] == ["0", "1", "2", "3"]  # the unlabelled claim is skipped
    refuted = items[0]
    assert refuted.evidence == [
        "It rose from 40 to 42 million dollars.",
        "No. The increase was five percent",
    ]
    assert refuted.documents[0]["title"].startswith("What was Lakeview")
    assert refuted.documents[0]["url"] == "https://example.org/budget"
    assert refuted.meta == {"speaker": "A council member", "claim_date": "05-03-2022"}
    assert items[2].evidence == [] and items[3].evidence == [
        "Two schools lost money while others gained."
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SUPPORTS", "SUPPORTED"),
        ("Supported", "SUPPORTED"),
        ("REFUTES", "CONTRADICTED"),
        ("Refuted", "CONTRADICTED"),
        ("NOT_ENOUGH_INFO", "NOT_ENOUGH_INFO"),
        ("Not Enough Evidence", "NOT_ENOUGH_INFO"),
        ("DISPUTED", "DISPUTED"),
        ("Conflicting Evidence/Cherrypicking", "CONFLICTING"),
    ],
)
def test_normalise_label(raw: str, expected: str) -> None:
    assert ds.normalise_label(raw) == expected


def test_normalise_label_rejects_unknown() -> None:
    with pytest.raises(ValueError):
        ds.normalise_label("half true")


def test_read_verdicts_detects_the_format(tmp_path: Path) -> None:
    assert len(ds.read_verdicts(FIXTURES / "climate-fever-sample.jsonl")) == 4
    assert len(ds.read_verdicts(FIXTURES / "climate-fever-sample.jsonl", view="pairs")) == 10
    assert ds.read_verdicts(FIXTURES / "summedits-sample.json")[0].source == "summedits"
    assert ds.read_verdicts(FIXTURES / "averitec-sample.json")[0].source == "averitec"
    for name in ("climate-fever-sample.jsonl", "summedits-sample.json", "averitec-sample.json"):
        renamed = tmp_path / f"data{Path(name).suffix}"
        renamed.write_bytes((FIXTURES / name).read_bytes())
        assert ds.read_verdicts(renamed) == ds.read_verdicts(FIXTURES / name)


def test_clef_retrieval_reads_quoted_tsv() -> None:
    queries, vclaims, qrels = ds.read_clef_retrieval(FIXTURES / "clef2020-task2" / "dev")
    assert list(queries) == ["5", "8", "9"]
    assert (
        queries["8"]
        == 'The mayor: "our city will never flood again" and a singer painted a bridge purple lol'
    )
    assert list(vclaims) == ["0", "1", "2", "3"]
    assert vclaims["1"]["vclaim"] == 'A mayor said the city "will never flood" again.'
    assert vclaims["2"]["vclaim"] == "A photograph shows a shark swimming\non a flooded highway."
    assert vclaims["2"]["title"] == "Does This Photo Show a Shark on a Highway?"
    assert qrels == {"5": {"2"}, "8": {"0", "1"}, "9": set()}


def test_checkthat2019_debates() -> None:
    debates = ds.read_checkworthiness(FIXTURES / "checkthat2019-sample")
    assert [d.id for d in debates] == ["debate_a", "debate_b"]
    a = debates[0]
    assert [s.label for s in a.sentences] == [0, 0, 1, 1, 0]
    assert a.sentences[3].text == '"Jobs" he says, but wages fell by 2 percent.'
    assert (a.sentences[2].id, a.sentences[2].speaker) == ("3", "SMITH")
    single = ds.read_checkworthiness(FIXTURES / "checkthat2019-sample" / "debate_b.tsv")
    assert single == debates[1:]


def test_claimbuster_is_one_pseudo_debate_in_sentence_id_order() -> None:
    debates = ds.read_checkworthiness(FIXTURES / "claimbuster-sample.json")
    assert [d.id for d in debates] == ["claimbuster"]
    sentences = debates[0].sentences
    assert [s.id for s in sentences] == ["99", "101", "250", "305", "412"]
    assert [s.label for s in sentences] == [0, 1, 0, 1, 0]
    assert all(s.speaker == "" for s in sentences)


def test_sample_stratified_is_proportional_and_deterministic() -> None:
    items = (
        [("a", i) for i in range(60)]
        + [("b", i) for i in range(30)]
        + [("c", i) for i in range(10)]
    )
    sample = ds.sample_stratified(items, 10, key=lambda x: x[0])
    assert Counter(x[0] for x in sample) == {"a": 6, "b": 3, "c": 1}
    assert sample == ds.sample_stratified(items, 10, key=lambda x: x[0], seed=13)
    assert sample != ds.sample_stratified(items, 10, key=lambda x: x[0], seed=14)
    assert sample == sorted(sample, key=items.index)  # input order kept
    odd = ds.sample_stratified(items, 7, key=lambda x: x[0])  # 4.2, 2.1, 0.7 -> 4, 2, 1
    assert Counter(x[0] for x in odd) == {"a": 4, "b": 2, "c": 1}
    assert ds.sample_stratified(items, 500, key=lambda x: x[0]) == items
    assert ds.sample_stratified(items, 0, key=lambda x: x[0]) == []


# ------------------------------------------------------------ real dev data

real = pytest.mark.skipif(REAL is None, reason="shared/eval development data not present")


@real
def test_real_verdict_counts() -> None:
    assert REAL is not None
    claims = ds.read_verdicts(REAL / "verdicts" / "climate-fever.jsonl")
    assert len(claims) == 1535
    assert Counter(i.label for i in claims) == {
        "SUPPORTED": 654,
        "CONTRADICTED": 253,
        "NOT_ENOUGH_INFO": 474,
        "DISPUTED": 154,
    }
    assert len(ds.read_verdicts(REAL / "verdicts" / "climate-fever.jsonl", view="pairs")) == 7675
    summedits = ds.read_verdicts(REAL / "verdicts" / "summedits-news-dev.json")
    assert len(summedits) == 133
    assert len({i.meta["doc_id"] for i in summedits}) == 4


@real
def test_real_retrieval_and_checkworthiness_counts() -> None:
    assert REAL is not None
    queries, vclaims, qrels = ds.read_clef_retrieval(REAL / "retrieval" / "clef2020-task2" / "dev")
    assert (len(queries), len(vclaims), len(qrels)) == (197, 10375, 197)
    assert set(qrels) <= set(queries) and all(d in vclaims for r in qrels.values() for d in r)
    claimbuster = ds.read_checkworthiness(REAL / "checkworthiness" / "claimbuster-train.json")
    labels = [s.label for s in claimbuster[0].sentences]
    assert (len(labels), sum(labels)) == (7976, 1994)
    debates = ds.read_checkworthiness(REAL / "checkworthiness" / "checkthat2019-train")
    assert len(debates) == 19
    assert sum(s.label for d in debates for s in d.sentences) == 440
