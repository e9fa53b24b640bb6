import csv
import io
import json

import pytest

from chains.models import Verdict
from chains.pipeline import ArticleError, ReportCache, check_article
from review.exports import claims_csv, memo_markdown, report_json
from settings import Settings
from tests.fakes import LabelModel, QueuedChatModel
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
    assert report.stages["compare"].model_calls == 1  # label probabilities, no reason
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


def test_stop_keeps_finished_claims_and_asks_the_model_no_more(tmp_path):
    settings = Settings(store_dir=tmp_path)
    park = Passage(id="b:0", article_id="b", title="Park", text="The mayor opened a park.",
                   start=0, end=24, score=0.9)  # fmt: skip
    archive = store()
    archive.passages["The mayor opened a park in 2021."] = [park]  # the model must judge it
    model = make_model()
    model.probabilities.append({"SUPPORTS": 0.1, "CONTRADICTS": 0.1, "NEUTRAL": 0.8})
    stop = []  # Stop is pressed once the first claim's check is shown

    def progress(p):
        if p.claim is not None:
            stop.append(True)

    report = check_article(
        article_from_text(TEXT),
        model=model,
        store=archive,
        settings=settings,
        progress=progress,
        should_stop=lambda: bool(stop),
    )
    assert [c.text for c in report.claims] == ["The council approved $42 million for the bridge."]
    assert "Stopped after 1 of 2" in report.warnings[-1]
    assert len(model.probabilities) == 1  # the second claim's passage was never put to it


def test_too_long_article_is_refused_before_the_model(tmp_path):
    settings = Settings(store_dir=tmp_path, max_article_chars=1000)
    with pytest.raises(ArticleError, match="limit is 1,000"):
        check_article(
            article_from_text("word " * 400), model=LabelModel(), store=store(), settings=settings
        )


# -- one malformed answer costs one claim, not the report ------------------------------

BRIDGE = "Councillors voted on Monday to spend the $42 million on bridge repairs."
PARK = "The park on Elm Street, a project of the mayor, drew crowds in 2021."


def judged_store() -> FakeStore:
    """Both claims have a related passage the model must judge (the checks decide neither)."""

    def passage(pid: str, text: str) -> Passage:
        return Passage(id=f"{pid}:0", article_id=pid, title=pid.title(), text=text, start=0,
                       end=len(text), score=0.9)  # fmt: skip

    return FakeStore(
        {
            "The council approved $42 million for the bridge.": [passage("bridge", BRIDGE)],
            "The mayor opened a park in 2021.": [passage("park", PARK)],
        }
    )


def supports(reason: str) -> str:
    return json.dumps({"label": "SUPPORTS", "reason": reason})


def test_a_malformed_answer_is_asked_again_and_the_fixed_answer_counts(tmp_path):
    # A model without label probabilities: the judge asks for JSON (structured output).
    model = QueuedChatModel(
        responses=['{"label": "TRUE"}', supports("Same figure."), supports("Same park.")]
    )
    report = check_article(
        article_from_text(TEXT), model=model, store=judged_store(),
        settings=Settings(store_dir=tmp_path),
    )  # fmt: skip
    assert [c.verdict for c in report.claims] == [Verdict.SUPPORTED, Verdict.SUPPORTED]
    judged = [c["messages"] for c in model.calls if "passage" in str(c["messages"]).lower()]
    reasked = judged[1]
    assert reasked[-2].content == '{"label": "TRUE"}'
    assert "Input should be 'SUPPORTS', 'CONTRADICTS' or 'NEUTRAL'" in reasked[-1].content
    assert report.stages["compare"].model_calls == 3  # the re-ask is counted


@pytest.mark.parametrize("bad", ['{"label": "TRUE"}', '{"label": SUPPORTS', "It supports it."])
def test_a_claim_whose_answer_stays_malformed_could_not_be_checked(tmp_path, bad):
    model = QueuedChatModel(responses=[bad, bad, supports("Same park.")])
    cache = ReportCache(tmp_path / "cache")
    events = []
    report = check_article(
        article_from_text(TEXT), model=model, store=judged_store(),
        settings=Settings(store_dir=tmp_path), cache=cache, progress=events.append,
    )  # fmt: skip
    failed, fine = report.claims
    assert failed.verdict is Verdict.NOT_CHECKED and fine.verdict is Verdict.SUPPORTED
    assert failed.reason.startswith("Could not be checked: the model's answer was malformed twice")
    assert failed.evidence == [] and failed.confidence is None
    assert fine.evidence[0].passage_id == "park:0"
    assert [e.claim.verdict for e in events if e.claim] == [Verdict.NOT_CHECKED, Verdict.SUPPORTED]
    assert events[-1].stage == "done"

    # Every export shows it, with its reason.
    memo = memo_markdown(report, {})
    assert "**Machine verdict: Could not be checked" in memo
    assert "1 supported, 1 not checked" in memo
    data = json.loads(report_json(report, {}))
    assert [c["verdict"] for c in data["claims"]] == ["NOT_CHECKED", "SUPPORTED"]
    assert "malformed twice" in data["claims"][0]["reason"]
    rows = list(csv.DictReader(io.StringIO(claims_csv(report, {}))))
    assert [r["verdict"] for r in rows] == ["NOT_CHECKED", "SUPPORTED"]
    assert rows[0]["reason"] == failed.reason

    # Not cached: the next run asks the model again and can check the claim.
    again = QueuedChatModel(responses=[supports("Same figure."), supports("Same park.")])
    second = check_article(
        article_from_text(TEXT), model=again, store=judged_store(),
        settings=Settings(store_dir=tmp_path), cache=cache,
    )  # fmt: skip
    assert not second.cached
    assert [c.verdict for c in second.claims] == [Verdict.SUPPORTED, Verdict.SUPPORTED]


def test_a_model_that_is_down_still_stops_the_check(tmp_path):
    # Only a malformed answer is one claim's problem; a model that fails every call is not.
    model = QueuedChatModel(raises=ConnectionError("refused"))
    with pytest.raises(ConnectionError):
        check_article(
            article_from_text(TEXT), model=model, store=judged_store(),
            settings=Settings(store_dir=tmp_path),
        )  # fmt: skip
