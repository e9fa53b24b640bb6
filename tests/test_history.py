import datetime as dt
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest

from chains.models import ArticleInfo, ClaimCheck, Evidence, Report, Stance, Verdict
from review.history import (
    SCHEMA_VERSION,
    CheckNotFound,
    History,
    HistoryError,
    UnreadableCheck,
    check_id,
)
from review.models import Decision, Review, ReviewError
from settings import Settings

KEY = "0123456789abcdef0123456789abcdef"  # the shape chains.pipeline.cache_key gives


def sql(path, statement: str):
    """Run one statement on the file directly, as another program (or damage) would."""
    with closing(sqlite3.connect(path)) as conn, conn:
        return conn.execute(statement).fetchone()


def make_report(title="Bridge vote", verdicts=(Verdict.SUPPORTED, Verdict.CONTRADICTED), *,
                created=None, url="https://news.example/bridge") -> Report:  # fmt: skip
    text = " ".join(f"Claim number {i} is here." for i in range(len(verdicts)))
    claims = []
    for i, verdict in enumerate(verdicts):
        quote = f"Claim number {i} is here."
        start = text.index(quote)
        evidence = Evidence(
            passage_id=f"a{i}:0", article_id=f"a{i}", title="Archive piece", source="Gazette",
            published=dt.date(2023, 5, 1), url="https://gazette.example/a", text="Passage text.",
            score=0.8, stance=Stance.SUPPORTS,
        )  # fmt: skip
        claims.append(
            ClaimCheck(
                id=f"c{i + 1}",
                text=quote,
                quote=quote,
                start=start,
                end=start + len(quote),
                verdict=verdict,
                confidence=0.7,
                reason="Because.",
                evidence=[evidence],
            )  # fmt: skip
        )
    return Report(
        article=ArticleInfo(text=text, title=title, url=url, sha256=f"sha-{title}"),
        claims=claims,
        model="fake-model",
        created=created or dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC),
    )


@pytest.fixture
def history(tmp_path):
    return History(tmp_path / "nested" / "folder" / "history.sqlite3")


def test_round_trip_creates_the_file_and_keeps_the_report(history):
    report = make_report()
    assert not history.path.exists()
    cid = history.save(report, KEY)
    assert cid == KEY and history.path.is_file()
    loaded, reviews = history.load(cid)
    assert loaded == report and reviews == {}
    [summary] = history.list()
    assert (summary.id, summary.title, summary.url) == (cid, "Bridge vote", report.article.url)
    assert summary.created == report.created
    assert (summary.n_claims, summary.n_reviewed, summary.problem) == (2, 0, "")
    assert summary.counts == {Verdict.SUPPORTED: 1, Verdict.CONTRADICTED: 1}


def test_schema_version_and_wal(history):
    history.save(make_report(), KEY)
    assert sql(history.path, "PRAGMA user_version") == (SCHEMA_VERSION,)
    assert sql(history.path, "PRAGMA journal_mode") == ("wal",)


def test_a_file_from_a_newer_version_is_refused_with_a_message(tmp_path):
    path = tmp_path / "h.sqlite3"
    sql(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer version"):
        History(path).list()


def test_reviews_are_kept_when_the_same_check_is_saved_again(history):
    report = make_report()
    history.save(report, KEY)
    accepted = Review.accept(report.claims[0], note="Matches the minutes.")
    overruled = Review.overrule(report.claims[1], Verdict.SUPPORTED, note="Archive is outdated.")
    history.set_review(KEY, accepted)
    history.set_review(KEY, overruled)

    history.save(report.model_copy(update={"cached": True}), KEY)
    _, reviews = history.load(KEY)
    assert reviews == {"c1": accepted, "c2": overruled}
    [summary] = history.list()
    assert (summary.n_reviewed, summary.n_overruled) == (2, 1)


def test_reviews_of_claims_that_changed_are_dropped_on_resave(history):
    report = make_report()
    history.save(report, KEY)
    history.set_review(KEY, Review.accept(report.claims[0]))
    history.set_review(KEY, Review.accept(report.claims[1]))
    # Recomputed: claim 1 got another machine verdict, claim 2 is unchanged.
    changed = make_report(verdicts=(Verdict.MIXED, Verdict.CONTRADICTED))
    history.save(changed, KEY)
    assert list(history.load(KEY)[1]) == ["c2"]


def test_a_review_replaces_the_previous_one_and_can_be_cleared(history):
    report = make_report()
    history.save(report, KEY)
    history.set_review(KEY, Review.accept(report.claims[0]))
    second = Review.overrule(report.claims[0], Verdict.CONTRADICTED, note="Wrong year.")
    history.set_review(KEY, second)
    assert history.load(KEY)[1] == {"c1": second}
    assert history.clear_review(KEY, "c1") is True
    assert history.clear_review(KEY, "c1") is False
    assert history.load(KEY)[1] == {}


@pytest.mark.parametrize(
    "review, message",
    [
        (Review(claim_id="c1", decision=Decision.ACCEPTED, verdict=Verdict.MIXED), "overrule"),
        (Review(claim_id="c1", decision=Decision.OVERRULED, verdict=Verdict.SUPPORTED), "accept"),
        (Review(claim_id="c9", decision=Decision.ACCEPTED, verdict=Verdict.MIXED), "no claim"),
    ],
)
def test_inconsistent_reviews_are_refused(history, review, message):
    history.save(make_report(), KEY)
    with pytest.raises(ReviewError, match=message):
        history.set_review(KEY, review)
    assert history.load(KEY)[1] == {}


def test_review_times_are_utc_and_notes_capped():
    naive = Review(claim_id="c1", decision="ACCEPTED", verdict="MIXED",
                   reviewed_at=dt.datetime(2024, 1, 1, 9, 0))  # fmt: skip
    assert naive.reviewed_at == dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)
    plus2 = dt.timezone(dt.timedelta(hours=2))
    aware = Review(claim_id="c1", decision="ACCEPTED", verdict="MIXED",
                   reviewed_at=dt.datetime(2024, 1, 1, 9, 0, tzinfo=plus2))  # fmt: skip
    assert aware.reviewed_at.utcoffset() == dt.timedelta(0) and aware.reviewed_at.hour == 7
    with pytest.raises(ValueError):
        Review(claim_id="c1", decision="ACCEPTED", verdict="MIXED", note="x" * 5000)
    with pytest.raises(ReviewError):
        Review.overrule(make_report().claims[0], Verdict.SUPPORTED)


def test_missing_checks_give_a_clear_key_error(history):
    history.save(make_report(), KEY)
    with pytest.raises(KeyError) as info:
        history.load("nope")
    assert isinstance(info.value, CheckNotFound)
    assert str(info.value) == "No check 'nope' in the history."
    with pytest.raises(CheckNotFound):
        history.set_review("nope", Review.accept(make_report().claims[0]))


def test_delete_cascades_to_the_reviews(history):
    report = make_report()
    history.save(report, KEY)
    history.set_review(KEY, Review.accept(report.claims[0]))
    assert history.delete(KEY) is True
    assert history.delete(KEY) is False
    with pytest.raises(CheckNotFound):
        history.load(KEY)
    assert sql(history.path, "SELECT count(*) FROM reviews") == (0,)
    history.save(report, KEY)
    assert history.load(KEY)[1] == {}


def test_list_is_newest_first_with_limit_and_search(history):
    for day, title in [(1, "Bridge vote"), (3, "Park opening"), (2, "100% of the budget_x")]:
        created = dt.datetime(2024, 3, day, tzinfo=dt.UTC)
        history.save(make_report(title, created=created), f"key{day}")
    assert [s.title for s in history.list()] == [
        "Park opening", "100% of the budget_x", "Bridge vote",
    ]  # fmt: skip
    assert [s.id for s in history.list(limit=1)] == ["key3"]
    assert [s.title for s in history.list(query="park")] == ["Park opening"]
    assert [s.title for s in history.list(query="0% of")] == ["100% of the budget_x"]
    assert history.list(query="%") == history.list(query="100%")  # % is literal
    assert history.list(query="_") == history.list(query="budget_")  # _ is literal
    assert len(history.list(query="news.example")) == 3  # the URL matches too


def test_untitled_articles_are_listed_by_their_first_words(history):
    report = make_report(title="")
    history.save(report, KEY)
    assert history.list()[0].title.startswith("Claim number 0 is here.")
    assert history.load(KEY)[0].article.title == ""


def test_an_unreadable_row_does_not_break_the_history(history):
    good, bad = make_report("Good"), make_report("Bad")
    history.save(good, "good")
    history.save(bad, "bad")
    history.set_review("bad", Review.accept(bad.claims[0]))
    sql(history.path, "UPDATE checks SET report = '{\"article\": 1}' WHERE id = 'bad'")

    summaries = {s.id: s for s in history.list()}
    assert summaries["good"].problem == "" and summaries["good"].n_claims == 2
    assert "can no longer be read" in summaries["bad"].problem
    assert summaries["bad"].title == "Bad" and summaries["bad"].n_reviewed == 1
    with pytest.raises(UnreadableCheck, match="can no longer be read"):
        history.load("bad")
    assert history.load("good")[0] == good
    history.set_review("good", Review.accept(good.claims[1]))
    # Saving the check again (recomputed) repairs it; then it can be deleted as usual.
    history.save(bad, "bad")
    assert list(history.load("bad")[1]) == ["c1"]
    assert history.delete("bad")
    assert [s.id for s in history.list()] == ["good"]


def test_two_history_objects_share_one_file_across_threads(tmp_path):
    path = tmp_path / "shared.sqlite3"
    verdicts = tuple([Verdict.SUPPORTED] * 12)
    report = make_report(verdicts=verdicts)
    first, second = History(path), History(path)
    barrier = threading.Barrier(2)

    def create(h):  # both initialise the schema at once on a fresh file
        barrier.wait()
        return h.save(report, KEY)

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(create, [first, second])) == [KEY, KEY]

    def review(i):
        h = (first, second)[i % 2]
        h.set_review(KEY, Review.accept(report.claims[i], note=f"note {i}"))
        h.list()
        return h.load(KEY)[0] == report

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(review, range(len(verdicts))))
    reviews = History(path).load(KEY)[1]
    assert sorted(reviews) == sorted(c.id for c in report.claims)
    assert reviews["c5"].note == "note 4"


def test_check_id_is_the_key_or_a_hash():
    assert check_id(KEY) == KEY
    hashed = check_id("a key / with spaces")
    assert len(hashed) == 32 and hashed == check_id("a key / with spaces")
    with pytest.raises(ValueError):
        check_id("")


def test_the_history_file_lives_next_to_the_store_or_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("FACTCHECK_HISTORY_PATH", raising=False)
    local = Settings(store_dir=tmp_path / "data" / "store", cache_dir=tmp_path / "cache")
    assert local.history_file() == tmp_path / "data" / "history.sqlite3"
    server = Settings(store_dir=tmp_path / "data" / "store", cache_dir=tmp_path / "cache",
                      chroma_host="chroma.internal")  # fmt: skip
    assert server.history_file() == tmp_path / "cache" / "history.sqlite3"
    monkeypatch.setenv("FACTCHECK_HISTORY_PATH", str(tmp_path / "elsewhere.db"))
    assert Settings(chroma_host="x").history_file() == tmp_path / "elsewhere.db"
