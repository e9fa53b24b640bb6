from chains.models import ArticleInfo, ClaimCheck, Evidence, Report, Stance, Verdict
from chains.render import md_literal, to_markdown, web_url


def report(url: str) -> Report:
    text = "The fund was $58 million. <script>alert(1)</script>"
    evidence = Evidence(
        passage_id="a:0", article_id="a", title="**Bold** title", source="Gazette", url=url,
        text="It was $42 million, [click](javascript:x)", score=0.9, stance=Stance.CONTRADICTS,
    )  # fmt: skip
    claim = ClaimCheck(
        id="c1", text="The fund was $58 million.", quote="The fund was $58 million.", start=0, end=25,
        verdict=Verdict.CONTRADICTED, reason="Contradicted.", evidence=[evidence],
    )  # fmt: skip
    return Report(article=ArticleInfo(text=text, title="<b>T</b>", sha256="x"), claims=[claim])


def test_memo_shows_untrusted_text_literally():
    memo = to_markdown(report("https://gazette.example/a"))
    assert "<script>" not in memo and "<b>" not in memo
    assert "\\*\\*Bold\\*\\*" in memo
    assert "\\$58 million" in memo
    assert "\\[click\\]\\(javascript:x\\)" in memo or "\\[click\\]\\(javascript\\:x\\)" in memo
    assert "<https://gazette.example/a>" in memo
    assert "Contradicted by the archive" in memo


def test_only_web_links_become_links():
    assert (
        "javascript"
        not in to_markdown(report("javascript:alert(1)")).split("Gazette")[1].split("\n")[0]
    )
    assert web_url("javascript:alert(1)") is None
    assert web_url("https://x.example/a b>") == "https://x.example/a%20b%3E"


def test_md_literal_escapes_every_markdown_trigger():
    assert (
        md_literal("a *b* `c` $d$ :red[e] <f>") == "a \\*b\\* \\`c\\` \\$d\\$ \\:red\\[e\\] \\<f\\>"
    )
