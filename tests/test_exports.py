import csv
import datetime as dt
import io
import json
import re

import pytest

import cli
from chains.models import ArticleInfo, ClaimCheck, Evidence, Mismatch, Report, Stance, Verdict
from chains.render import md_prose, to_markdown
from review.exports import (
    CSV_COLUMNS,
    claimreview_jsonld,
    claims_csv,
    memo_markdown,
    report_json,
)
from review.models import Review

HOSTILE = "# Owned <script>alert(1)</script> [click](javascript:alert(1)) ![x](http://e/x.png)"
WHEN = dt.datetime(2024, 4, 2, 15, 30, tzinfo=dt.UTC)


def claim(n: int, text: str, verdict: Verdict, **extra) -> ClaimCheck:
    return ClaimCheck(id=f"c{n}", text=text, quote=text, start=100 * n, end=100 * n + len(text),
                      verdict=verdict, **extra)  # fmt: skip


def passage(title: str, score: float, **extra) -> Evidence:
    return Evidence(passage_id=f"{title}:0", article_id=title, title=title, source="Gazette",
                    published=dt.date(2023, 1, 5), url="https://gazette.example/" + title,
                    text="Archive text.", score=score, stance=Stance.SUPPORTS, **extra)  # fmt: skip


def make_report() -> Report:
    # Listed out of article order on purpose: exports follow the article.
    claims = [
        claim(3, "The park opened in 2021.", Verdict.NOT_IN_ARCHIVE),
        claim(1, "The fund was $58 million.", Verdict.CONTRADICTED, confidence=0.81,
              reason="The archive says $42 million.",
              evidence=[passage("low", 0.41), passage("budget", 0.92, mismatches=[
                  Mismatch(kind="number", claim_value="58", passage_values=["42"], conflict=True)
              ])]),
        claim(2, "The mayor resigned in May.", Verdict.SUPPORTED, confidence=0.6),
        claim(4, "Turnout rose to 61%.", Verdict.MIXED),
    ]  # fmt: skip
    article = ArticleInfo(text="x" * 600, title="Council budget", source="Harbor Gazette",
                          author="A. Writer", published=dt.date(2024, 4, 1),
                          url="https://news.example/budget", sha256="abc")  # fmt: skip
    return Report(article=article, claims=claims, model="fake-model", created=WHEN)


def reviews(report: Report) -> dict[str, Review]:
    by_id = {c.id: c for c in report.claims}
    return {
        "c1": Review.overrule(by_id["c1"], Verdict.SUPPORTED, note="Budget was revised to $58m."),
        "c2": Review.accept(by_id["c2"], note="Confirmed with the clerk."),
        "c3": Review.accept(by_id["c3"]),  # NOT_IN_ARCHIVE: reviewed, but not a rating
        "c9": Review(claim_id="c9", decision="ACCEPTED", verdict="MIXED"),  # no such claim
    }


# -- memo -------------------------------------------------------------------------------


def test_memo_lists_claims_in_article_order_with_reviews():
    report = make_report()
    memo = memo_markdown(report, reviews(report))
    headings = re.findall(r"^## (\d)\. (.*)$", memo, flags=re.M)
    assert [n for n, _ in headings] == ["1", "2", "3", "4"]
    assert "fund was \\$58 million" in headings[0][1] and "Turnout" in headings[3][1]
    assert "**4 claim(s)**: 1 supported, 1 contradicted, 1 mixed, 1 not in archive." in memo
    assert "Reviewed by a person: 3 of 4, 1 overruled." in memo
    assert "Reviewer: overruled \u2192 Supported** \u2014 Budget was revised to \\$58m." in memo
    assert "Reviewer: accepted \u2192 Supported** \u2014 Confirmed with the clerk." in memo
    assert memo.count("_Not reviewed by a person yet._") == 1  # the MIXED claim
    assert "**Machine verdict: Contradicted by the archive** (confidence 0.81)" in memo
    assert "Model's explanation (not evidence): The archive says \\$42 million." in memo
    assert "budget, Gazette, 2023-01-05 <https://gazette.example/budget>" in memo
    assert "Differs (number): the claim says 58, the passage 42" in memo
    assert "- Checked: 2024-04-02 15:30 UTC" in memo and "- Model: fake-model" in memo
    assert "- Link: <https://news.example/budget>" in memo and "- Author: A. Writer" in memo


def test_cli_memo_is_the_same_layout_without_reviews():
    report = make_report()
    memo = to_markdown(report)
    assert "Reviewer" not in memo and "Reviewed by a person" not in memo
    unreviewed = memo_markdown(report, {})
    assert "Reviewed by a person: 0 of 4, 0 overruled." in unreviewed
    assert unreviewed.count("_Not reviewed by a person yet._") == 4
    strip = re.compile(r" Reviewed by a person.*|\n\n_Not reviewed by a person yet\._")
    assert strip.sub("", unreviewed) == memo


def test_hostile_text_stays_inert_in_the_memo():
    markdown_it = pytest.importorskip("markdown_it")
    report = make_report()
    report.article.title = HOSTILE
    report.article.source = "<b>Src</b>"
    report.article.url = "javascript:alert(1)"
    report.warnings = ["[warn](javascript:x)\n# heading"]
    report.claims[1].text = HOSTILE
    report.claims[1].quote = "<img src=x onerror=alert(1)>"
    report.claims[1].reason = "**bold**\n\n# Heading\n\n<iframe src=x>"
    report.claims[1].evidence[0].text = "</p><script>x()</script>"
    report.claims[1].evidence[0].url = "javascript:alert(2)"
    review = Review.overrule(report.claims[1], Verdict.MIXED, note="[a](javascript:y)\n## H2")

    memo = memo_markdown(report, {"c1": review})
    html = markdown_it.MarkdownIt("commonmark").render(memo)
    # No element, link or image formed from the untrusted text: only the memo's own.
    assert set(re.findall(r"<(\w+)", html)) <= {"h1", "h2", "ul", "li", "p", "strong", "em",
                                                 "blockquote", "a"}  # fmt: skip
    assert re.findall(r'href="([^"]*)"', html) == ["https://gazette.example/budget"]
    # The only headings are the memo's own: one title and one per claim.
    assert html.count("<h1>") == 1 and html.count("<h2>") == 4 and "<h3>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not dropped
    assert "[a](javascript:y) ## H2" in html


# -- JSON -------------------------------------------------------------------------------


def test_json_is_the_report_plus_its_reviews_with_stable_keys():
    report = make_report()
    given = reviews(report)
    text = report_json(report, given)
    data = json.loads(text)
    assert Report.model_validate(data) == report  # the report's own contract is intact
    assert {k: Review.model_validate(v) for k, v in data["reviews"].items()} == {
        k: v for k, v in given.items() if k != "c9"
    }
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert report_json(report, given) == text
    assert "api_key" not in text
    assert json.loads(report_json(report, {}))["reviews"] == {}


# -- CSV --------------------------------------------------------------------------------


def parse_csv(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == CSV_COLUMNS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_csv_has_a_row_per_claim_with_review_and_top_passage():
    report = make_report()
    rows = parse_csv(claims_csv(report, reviews(report)))
    assert [r["n"] for r in rows] == ["1", "2", "3", "4"]
    first = rows[0]
    assert first["claim"] == "The fund was $58 million." and first["start"] == "100"
    assert (first["verdict"], first["confidence"]) == ("CONTRADICTED", "0.810")
    assert (first["review_decision"], first["review_verdict"]) == ("OVERRULED", "SUPPORTED")
    assert first["review_note"] == "Budget was revised to $58m."
    assert first["reviewed_at"].endswith("+00:00")
    assert (first["top_title"], first["top_score"]) == ("budget", "0.920")  # the best, not first
    assert first["top_published"] == "2023-01-05"
    assert first["top_url"] == "https://gazette.example/budget"
    last = rows[3]
    assert last["review_decision"] == last["top_title"] == last["confidence"] == ""


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_cannot_start_a_formula(start):
    report = make_report()
    payload = start + 'HYPERLINK("http://evil.example","x")'
    report.claims[1].text = payload
    report.claims[1].reason = payload + '\nsecond line, with "quotes"'
    report.claims[1].evidence[1].title = payload
    note = Review.overrule(report.claims[1], Verdict.MIXED, note=payload)
    row = parse_csv(claims_csv(report, {"c1": note}))[0]
    for column in ("claim", "reason", "review_note", "top_title"):
        assert row[column].startswith("'" + start)
    assert row["reason"] == "'" + payload + '\nsecond line, with "quotes"'
    assert row["quote"] == "The fund was $58 million."  # ordinary text is left alone


# -- ClaimReview JSON-LD ------------------------------------------------------------------


def test_jsonld_only_for_confirmed_rated_claims():
    report = make_report()
    data = json.loads(claimreview_jsonld(report, reviews(report), publisher="Harbor Desk"))
    # c1 overruled to SUPPORTED, c2 accepted SUPPORTED; c3 is NOT_IN_ARCHIVE (no rating),
    # c4 (MIXED) was never reviewed, c9 is not a claim of this report.
    assert [d["claimReviewed"] for d in data] == [
        "The fund was $58 million.", "The mayor resigned in May.",
    ]  # fmt: skip
    first = data[0]
    assert first["@context"] == "https://schema.org" and first["@type"] == "ClaimReview"
    assert first["reviewRating"] == {
        "@type": "Rating", "ratingValue": 5, "bestRating": 5, "worstRating": 1,
        "alternateName": "Supported by our archive",
    }  # fmt: skip
    assert first["datePublished"] == reviews(report)["c1"].reviewed_at.date().isoformat()
    assert first["url"] == "https://news.example/budget"
    assert first["author"] == first["publisher"] == {"@type": "Organization", "name": "Harbor Desk"}
    item = first["itemReviewed"]
    assert item["@type"] == "Claim" and item["datePublished"] == "2024-04-01"
    assert item["appearance"] == [{
        "@type": "CreativeWork", "url": "https://news.example/budget", "headline": "Council budget",
        "datePublished": "2024-04-01", "author": {"@type": "Person", "name": "A. Writer"},
        "publisher": {"@type": "Organization", "name": "Harbor Gazette"},
    }]  # fmt: skip
    assert "Budget was revised" not in json.dumps(data)  # notes are internal


def test_jsonld_ratings_urls_and_script_safety():
    report = make_report()
    by_id = {c.id: c for c in report.claims}
    by_id["c4"].text = "Turnout </script><script>alert(1)</script> & more"
    given = {
        "c1": Review.accept(by_id["c1"]),
        "c4": Review.accept(by_id["c4"]),
        "c2": Review.overrule(by_id["c2"], Verdict.NOT_ENOUGH_INFO),
    }
    text = claimreview_jsonld(report, given, article_url="javascript:alert(1)")
    assert "<" not in text and ">" not in text and "&" not in text
    data = json.loads(text)
    assert [d["reviewRating"]["alternateName"] for d in data] == [
        "Contradicted by our archive", "Mixed",
    ]  # fmt: skip
    assert [d["reviewRating"]["ratingValue"] for d in data] == [1, 3]
    assert data[1]["claimReviewed"].startswith("Turnout </script>")
    # A non-web URL is dropped everywhere; without a publisher there is no author.
    assert all("url" not in d and "url" not in d["itemReviewed"]["appearance"][0] for d in data)
    assert all("author" not in d for d in data)
    other = json.loads(claimreview_jsonld(report, given, article_url="https://x.example/p"))
    assert {d["url"] for d in other} == {"https://x.example/p"}
    assert json.loads(claimreview_jsonld(report, {})) == []


# -- CLI ----------------------------------------------------------------------------------


def test_cli_check_writes_csv(tmp_path, monkeypatch, capsys):
    import chains.llm
    import chains.pipeline
    import vectorstore.store

    article = tmp_path / "article.txt"
    article.write_text("The fund was $58 million.", encoding="utf-8")
    monkeypatch.setattr(chains.llm, "make_chat_model", lambda settings: object())
    monkeypatch.setattr(vectorstore.store, "open_store", lambda settings: object())
    monkeypatch.setattr(chains.pipeline, "check_article", lambda *a, **k: make_report())
    code = cli.main(["check", str(article), "--format", "csv", "--quiet", "--no-cache",
                     "--store", str(tmp_path / "store")])  # fmt: skip
    assert code == 0
    rows = parse_csv(capsys.readouterr().out)
    assert [r["verdict"] for r in rows] == ["CONTRADICTED", "SUPPORTED", "NOT_IN_ARCHIVE", "MIXED"]


def test_a_claim_that_could_not_be_checked_shows_in_every_export_and_is_never_rated():
    reason = "Could not be checked: the model's answer was malformed twice (label: Field required)."
    report = make_report()
    report.claims.append(claim(5, "Rents rose 9%.", Verdict.NOT_CHECKED, reason=reason))
    done = {"c5": Review.accept(report.claims[-1], note="Asked the housing desk.")}
    memo = memo_markdown(report, done)
    assert "**Machine verdict: Could not be checked (the model's answer was unusable)**" in memo
    assert f"Model's explanation (not evidence): {reason}" not in memo  # ours, not the model's
    assert f"Why it was not checked: {md_prose(reason)}" in memo
    assert "1 not checked" in memo
    last = list(csv.DictReader(io.StringIO(claims_csv(report, done))))[-1]
    assert (last["verdict"], last["reason"]) == ("NOT_CHECKED", reason)
    data = json.loads(report_json(report, done))
    assert data["claims"][-1]["verdict"] == "NOT_CHECKED"
    # Not a rating of the claim: never published as ClaimReview, even when a person accepted it.
    assert json.loads(claimreview_jsonld(report, done)) == []
