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
)
from review.models import Decision, Review, ReviewError
from settings import Settings

KEY = "0123456789abcdef0123456789abcdef"  # the shape chains.pipeline.cache_key gives
ME, YOU = "session-me", "session-you"  # two browser sessions


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
    cid = history.save(report, owner=ME, user="dana@news.example", cache_key=KEY)
    assert len(cid) == 32 and cid != KEY and history.path.is_file()
    loaded, reviews = history.load(cid)
    assert loaded == report and reviews == {}
    [summary] = history.list()
    assert (summary.id, summary.title, summary.url) == (cid, "Bridge vote", report.article.url)
    assert (summary.owner, summary.user, summary.cache_key) == (ME, "dana@news.example", KEY)
    assert summary.created == report.created
    assert (summary.n_claims, summary.n_reviewed, summary.problem) == (2, 0, "")
    assert summary.counts == {Verdict.SUPPORTED: 1, Verdict.CONTRADICTED: 1}


def test_schema_version_and_wal(history):
    history.save(make_report(), owner=ME)
    assert sql(history.path, "PRAGMA user_version") == (SCHEMA_VERSION,)
    assert sql(history.path, "PRAGMA journal_mode") == ("wal",)


def test_a_file_from_a_newer_version_is_refused_with_a_message(tmp_path):
    path = tmp_path / "h.sqlite3"
    sql(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer version"):
        History(path).list()


def test_the_same_article_checked_twice_is_two_checks_with_their_own_reviews(history):
    """Two reporters, same article, same settings (same cache key): two records, and a
    review of one is never a review of the other."""
    report = make_report()
    mine = history.save(report, owner=ME, cache_key=KEY)
    yours = history.save(report.model_copy(update={"cached": True}), owner=YOU, cache_key=KEY)
    assert mine != yours
    accepted = Review.accept(report.claims[0], note="Matches the minutes.")
    history.set_review(mine, accepted)
    assert history.load(mine)[1] == {"c1": accepted}
    assert history.load(yours)[1] == {}
    overruled = Review.overrule(report.claims[0], Verdict.CONTRADICTED, note="Wrong year.")
    history.set_review(yours, overruled)
    assert history.load(mine)[1] == {"c1": accepted}
    assert history.load(yours)[1] == {"c1": overruled}
    by_id = {s.id: s for s in history.list()}
    assert {s.cache_key for s in by_id.values()} == {KEY}
    assert (by_id[mine].owner, by_id[yours].owner) == (ME, YOU)
    assert (by_id[mine].n_overruled, by_id[yours].n_overruled) == (0, 1)
    assert [s.id for s in history.list(owner=YOU)] == [yours]
    # A repeat by the same session is a new record too, with no reviews.
    again = history.save(report, owner=ME, cache_key=KEY)
    assert again not in (mine, yours) and history.load(again)[1] == {}
    assert len(history.list(owner=ME)) == 2


def test_a_check_needs_an_owner(history):
    with pytest.raises(ValueError, match="owner"):
        history.save(make_report(), owner="")
    assert not history.path.exists() or history.list() == []


def test_list_by_signed_in_user(history):
    dana = history.save(make_report("A"), owner=ME, user="dana@news.example")
    history.save(make_report("B"), owner=YOU, user="lee@news.example")
    history.save(make_report("C"), owner=YOU)
    assert [s.id for s in history.list(user="dana@news.example")] == [dana]
    assert len(history.list()) == 3


def test_a_review_replaces_the_previous_one_and_can_be_cleared(history):
    report = make_report()
    cid = history.save(report, owner=ME)
    history.set_review(cid, Review.accept(report.claims[0]))
    second = Review.overrule(report.claims[0], Verdict.CONTRADICTED, note="Wrong year.")
    history.set_review(cid, second)
    assert history.load(cid)[1] == {"c1": second}
    assert history.clear_review(cid, "c1") is True
    assert history.clear_review(cid, "c1") is False
    assert history.load(cid)[1] == {}


@pytest.mark.parametrize(
    "review, message",
    [
        (Review(claim_id="c1", decision=Decision.ACCEPTED, verdict=Verdict.MIXED), "overrule"),
        (Review(claim_id="c1", decision=Decision.OVERRULED, verdict=Verdict.SUPPORTED), "accept"),
        (Review(claim_id="c9", decision=Decision.ACCEPTED, verdict=Verdict.MIXED), "no claim"),
    ],
)
def test_inconsistent_reviews_are_refused(history, review, message):
    cid = history.save(make_report(), owner=ME)
    with pytest.raises(ReviewError, match=message):
        history.set_review(cid, review)
    assert history.load(cid)[1] == {}


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
    history.save(make_report(), owner=ME)
    with pytest.raises(KeyError) as info:
        history.load("nope")
    assert isinstance(info.value, CheckNotFound)
    assert str(info.value) == "No check 'nope' in the history."
    with pytest.raises(CheckNotFound):
        history.set_review("nope", Review.accept(make_report().claims[0]))


def test_delete_cascades_to_the_reviews(history):
    report = make_report()
    cid = history.save(report, owner=ME)
    history.set_review(cid, Review.accept(report.claims[0]))
    assert history.delete(cid) is True
    assert history.delete(cid) is False
    with pytest.raises(CheckNotFound):
        history.load(cid)
    assert sql(history.path, "SELECT count(*) FROM reviews") == (0,)


def test_list_is_newest_first_with_limit_and_search(history):
    ids = {}
    for day, title in [(1, "Bridge vote"), (3, "Park opening"), (2, "100% of the budget_x")]:
        created = dt.datetime(2024, 3, day, tzinfo=dt.UTC)
        ids[day] = history.save(make_report(title, created=created), owner=ME)
    assert [s.title for s in history.list()] == [
        "Park opening", "100% of the budget_x", "Bridge vote",
    ]  # fmt: skip
    assert [s.id for s in history.list(limit=1)] == [ids[3]]
    assert [s.title for s in history.list(query="park")] == ["Park opening"]
    assert [s.title for s in history.list(query="0% of")] == ["100% of the budget_x"]
    assert history.list(query="%") == history.list(query="100%")  # % is literal
    assert history.list(query="_") == history.list(query="budget_")  # _ is literal
    assert len(history.list(query="news.example")) == 3  # the URL matches too


def test_untitled_articles_are_listed_by_their_first_words(history):
    report = make_report(title="")
    cid = history.save(report, owner=ME)
    assert history.list()[0].title.startswith("Claim number 0 is here.")
    assert history.load(cid)[0].article.title == ""


def test_an_unreadable_row_does_not_break_the_history(history):
    good, bad = make_report("Good"), make_report("Bad")
    good_id = history.save(good, owner=ME)
    bad_id = history.save(bad, owner=ME)
    history.set_review(bad_id, Review.accept(bad.claims[0]))
    sql(history.path, f"UPDATE checks SET report = '{{\"article\": 1}}' WHERE id = '{bad_id}'")

    summaries = {s.id: s for s in history.list()}
    assert summaries[good_id].problem == "" and summaries[good_id].n_claims == 2
    assert "can no longer be read" in summaries[bad_id].problem
    assert summaries[bad_id].title == "Bad" and summaries[bad_id].n_reviewed == 1
    with pytest.raises(UnreadableCheck, match="can no longer be read"):
        history.load(bad_id)
    assert history.load(good_id)[0] == good
    history.set_review(good_id, Review.accept(good.claims[1]))
    assert history.delete(bad_id)
    assert [s.id for s in history.list()] == [good_id]


def test_two_history_objects_share_one_file_across_threads(tmp_path):
    path = tmp_path / "shared.sqlite3"
    verdicts = tuple([Verdict.SUPPORTED] * 12)
    report = make_report(verdicts=verdicts)
    first, second = History(path), History(path)
    barrier = threading.Barrier(2)

    def create(h):  # both initialise the schema at once on a fresh file
        barrier.wait()
        return h.save(report, owner=ME, cache_key=KEY)

    with ThreadPoolExecutor(2) as pool:
        cid, other = pool.map(create, [first, second])
    assert other != cid and len(History(path).list()) == 2

    def review(i):
        h = (first, second)[i % 2]
        h.set_review(cid, Review.accept(report.claims[i], note=f"note {i}"))
        h.list()
        return h.load(cid)[0] == report

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(review, range(len(verdicts))))
    reviews = History(path).load(cid)[1]
    assert sorted(reviews) == sorted(c.id for c in report.claims)
    assert reviews["c5"].note == "note 4"


def test_the_history_file_lives_next_to_the_store_or_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("FACTCHECK_HISTORY_PATH", raising=False)
    local = Settings(store_dir=tmp_path / "data" / "store", cache_dir=tmp_path / "cache")
    assert local.history_file() == tmp_path / "data" / "history.sqlite3"
    server = Settings(store_dir=tmp_path / "data" / "store", cache_dir=tmp_path / "cache",
                      chroma_host="chroma.internal")  # fmt: skip
    assert server.history_file() == tmp_path / "cache" / "history.sqlite3"
    monkeypatch.setenv("FACTCHECK_HISTORY_PATH", str(tmp_path / "elsewhere.db"))
    assert Settings(chroma_host="x").history_file() == tmp_path / "elsewhere.db"
