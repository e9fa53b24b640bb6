import pytest

from chains.models import Verdict
from chains.pipeline import ArticleError, ReportCache, check_article
from settings import Settings
from tests.fakes import LabelModel
from vectorstore.ingest import article_from_text
from vectorstore.models import Passage

TEXT = "The council approved $42 million for the bridge. The mayor opened a park in 2021."


class FakeStore:
    """Stands in for the archive in unit tests of the pipeline's logic only."""

    def __init__(self, passages: dict[str, list[Passage]]):
        self.passages = passages
        self.queries: list[tuple[str, dict | None]] = []

    def search(self, query, k, where=None):
        self.queries.append((query, where))
        return self.passages.get(query, [])[:k]

    def count(self):
        return 7


def make_model():
    return LabelModel(
        responses=["Same figure."],
        probabilities=[{"SUPPORTS": 0.8, "CONTRADICTS": 0.1, "NEUTRAL": 0.1}],
    )


def store():
    text = "Councillors voted on Monday to spend the $42 million on bridge repairs."
    p = Passage(
        id="a:0", article_id="a", title="Bridge", text=text, start=0, end=len(text), score=0.9
    )
    low = Passage(id="b:0", article_id="b", title="Park", text="A park.", start=0, end=7, score=0.1)
    return FakeStore(
        {
            "The council approved $42 million for the bridge.": [p],
            "The mayor opened a park in 2021.": [low],
        }
    )


def test_report_verdicts_progress_and_usage(tmp_path):
    events = []
    settings = Settings(store_dir=tmp_path, min_score=0.35)
    archive = store()
    report = check_article(
        article_from_text(TEXT),
        model=make_model(),
        store=archive,
        settings=settings,
        progress=events.append,
    )
    assert [c.verdict for c in report.claims] == [Verdict.SUPPORTED, Verdict.NOT_IN_ARCHIVE]
    for c in report.claims:
        assert report.article.text[c.start : c.end] == c.quote
    assert report.stages["extract"].model_calls == 2  # one question per sentence
    assert report.stages["compare"].model_calls == 2  # label probabilities + reason
    assert report.stages["compare"].tokens_in > 0
    assert [e.stage for e in events if e.claim] == ["compare", "compare"]
    assert events[-1].stage == "done"
    article_id = article_from_text(TEXT).id
    assert all(where == {"article_id": {"$ne": article_id}} for _, where in archive.queries)


def test_claims_that_are_not_checkable_are_left_out_with_a_warning(tmp_path):
    model = make_model()
    model.not_checkable = ["park"]
    report = check_article(
        article_from_text(TEXT),
        model=model,
        store=store(),
        settings=Settings(store_dir=tmp_path, min_score=0.35),
    )
    assert [c.quote for c in report.claims] == ["The council approved $42 million for the bridge."]
    assert any("not checkable" in w for w in report.warnings)
    kept_all = check_article(
        article_from_text(TEXT),
        model=make_model(),
        store=store(),
        settings=Settings(store_dir=tmp_path, min_score=0.35, min_checkworthiness=0),
    )
    assert len(kept_all.claims) == 2


def test_cache_returns_the_same_report_without_the_model(tmp_path):
    settings = Settings(store_dir=tmp_path)
    cache = ReportCache(tmp_path / "cache")
    first = check_article(
        article_from_text(TEXT), model=make_model(), store=store(), settings=settings, cache=cache
    )
    empty_model = LabelModel()  # would fail if called
    second = check_article(
        article_from_text(TEXT), model=empty_model, store=store(), settings=settings, cache=cache
    )
    assert second.cached and not first.cached
    assert second.claims == first.claims
    changed = Settings(store_dir=tmp_path, top_k=2)
    with pytest.raises(IndexError):  # other settings: not a cache hit, the empty model is called
        check_article(
            article_from_text(TEXT), model=empty_model, store=store(), settings=changed, cache=cache
        )


def test_stop_keeps_finished_claims(tmp_path):
    settings = Settings(store_dir=tmp_path)
    calls = iter([False, True])
    report = check_article(
        article_from_text(TEXT),
        model=make_model(),
        store=store(),
        settings=settings,
        should_stop=lambda: next(calls),
    )
    assert len(report.claims) == 1
    assert "Stopped after 1 of 2" in report.warnings[0]


def test_too_long_article_is_refused_before_the_model(tmp_path):
    settings = Settings(store_dir=tmp_path, max_article_chars=1000)
    with pytest.raises(ArticleError, match="limit is 1,000"):
        check_article(
            article_from_text("word " * 400), model=LabelModel(), store=store(), settings=settings
        )
