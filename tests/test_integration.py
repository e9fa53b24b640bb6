"""End to end on real parts: the demo archive in a real Chroma store, the real
embedded model checking the demo article. Slow (minutes): marked integration."""

from __future__ import annotations

import json

import pytest

from chains.llm import make_chat_model
from chains.models import Report, Verdict
from chains.pipeline import check_article
from chains.retrieve import join_by_article
from settings import PROJECT_ROOT, Settings
from vectorstore.ingest import ingest, load_file
from vectorstore.store import open_store

pytestmark = pytest.mark.integration
DEMO = PROJECT_ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("integration")
    return Settings(store_dir=root / "store", cache_dir=Settings().cache_dir)


@pytest.fixture(scope="module")
def store(settings):
    archive = open_store(settings)
    report = ingest([str(DEMO / "archive")], archive, chunk_chars=settings.chunk_chars)
    assert not report.rejected
    assert len(report.added) >= 20
    return archive


@pytest.fixture(scope="module")
def report(store, settings) -> Report:
    article = load_file(DEMO / "article.txt")[0]
    return check_article(article, model=make_chat_model(settings), store=store, settings=settings)


@pytest.fixture(scope="module")
def expected() -> list[dict]:
    return json.loads((DEMO / "expected.json").read_text())


def claim_for(report: Report, quote: str):
    """The claim extracted from the planted sentence, if any."""
    start = report.article.text.index(quote)
    end = start + len(quote)
    return next((c for c in report.claims if c.start < end and start < c.end), None)


def test_second_ingest_adds_nothing(store, settings):
    before = store.stats()
    again = ingest([str(DEMO / "archive")], store, chunk_chars=settings.chunk_chars)
    assert again.added == [] and again.chunks_added == 0
    assert len(again.duplicates) == before["articles"]
    assert store.stats() == before


def test_quotes_are_verbatim_spans(report):
    assert len(report.claims) >= 8
    for claim in report.claims:
        assert report.article.text[claim.start : claim.end] == claim.quote


def test_evidence_comes_from_the_archive(report, store):
    archived = {a["article_id"]: a for a in store.list_articles()}
    evidence = [e for c in report.claims for e in c.evidence]
    assert evidence
    for e in evidence:
        assert e.article_id in archived
        assert e.title == archived[e.article_id]["title"]
        # The article's chunks that were found, joined in its order (chains.retrieve).
        found = [p for p in store.get_article_passages(e.article_id) if p.text in e.text]
        joined = join_by_article(sorted(found, key=lambda p: p.start))
        assert [(p.id, p.text) for p in joined] == [(e.passage_id, e.text)]


def test_model_calls_and_tokens_are_counted(report):
    extract = report.stages["extract"]
    assert extract.model_calls >= len(report.claims)  # one question per sentence at least
    assert extract.tokens_in > 0
    # Quotes are never retyped: only what an opening pronoun refers to is generated.
    assert extract.tokens_out <= 20 * len(report.claims)
    # One label question a passage at most (the checks and the cross-encoder spare some),
    # and no generated reason.
    compare = report.stages["compare"]
    assert 0 < compare.model_calls <= sum(len(c.evidence) for c in report.claims)
    assert compare.tokens_out == 0


@pytest.mark.parametrize(
    "verdict", [Verdict.SUPPORTED, Verdict.CONTRADICTED, Verdict.NOT_IN_ARCHIVE]
)
def test_planted_claims(report, expected, verdict):
    planted = [e for e in expected if e["expected"] == verdict]
    results = [(e["quote"], claim_for(report, e["quote"])) for e in planted]
    found = [(q, c) for q, c in results if c is not None]
    right = [q for q, c in found if c.verdict is verdict]
    summary = {q[:50]: c.verdict.value if c else "not extracted" for q, c in results}
    # Every planted claim is found; the small judge gets at least half of them right.
    assert len(found) == len(planted), summary
    assert len(right) >= max(1, len(planted) // 2), summary


def test_report_round_trips_as_json(report):
    data = json.loads(report.model_dump_json())
    claim = data["claims"][0]
    assert {
        "id",
        "text",
        "quote",
        "start",
        "end",
        "verdict",
        "confidence",
        "reason",
        "evidence",
    } <= claim.keys()
    assert data["article"]["text"][claim["start"] : claim["end"]] == claim["quote"]
    assert Report.model_validate(data) == report


# ------------------------------------------------------------------ newsroom cases
# data/cases: four cases, 57 expected claims, checked with the real pipeline and model.
# All four take 3-5 minutes here (31-64 s a case; the test 302 s), so it runs them all; the
# same figures: python cli.py eval cases data/cases --format json
CASES = PROJECT_ROOT / "data" / "cases"


@pytest.fixture(scope="module")
def case_figures(tmp_path_factory) -> dict:
    from eval.run_cases import run_cases

    settings = Settings(
        store_dir=tmp_path_factory.mktemp("cases") / "unused", cache_dir=Settings().cache_dir
    )
    model = make_chat_model(settings)
    return run_cases(CASES, model=model, settings=settings, use_cache=False, progress=False)


def test_newsroom_cases(case_figures):
    rows = {r["sentence"][:60]: f"{r['expected']} -> {r['got']}" for r in case_figures["claims"]}
    assert case_figures["expected_claims"] == 57 and case_figures["opinions"] == 9
    # Measured with the embedded model on 2026-12-04 (judgements grouped by passage,
    # negations in scope, units of measure, values written as the passage writes them):
    # every claim found, 54 of 57 verdicts right (target: 90%), 1 of 9 opinions
    # extracted, no false contradiction. Two verdicts of slack for the model's
    # run-to-run variation; raise these as the figures improve.
    assert case_figures["claims_found"] == 57, rows
    assert case_figures["verdicts_right"] >= 52, rows
    assert case_figures["opinions_extracted"] <= 2, rows
    assert case_figures["false_contradictions"] == 0, rows
    assert case_figures["false_contradictions_on_supported"] == 0, rows
