import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from chains.models import ArticleInfo, ClaimCheck, Evidence, Report, Stance, Verdict
from chains.render import md_literal, md_prose, to_markdown, web_url

# CommonMark plus GitHub's tables and strikethrough: what an editor's viewer renders.
_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# Prose with every character that means something to Markdown, often at a line's start.
_PROSE = st.lists(
    st.sampled_from([*"ab1 .,:;()!?'\"-+=#*_`[]<>&~|$\\/\n", "&amp;", "1.", "- ", "http://x.y"]),
    max_size=20,
).map("".join)


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
    assert "\\[click\\](javascript:x)" in memo
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


@settings(max_examples=400, deadline=None)
@given(_PROSE)
@pytest.mark.parametrize("prefix", ["", "> ", "## 1. ", "- "])
def test_md_prose_renders_as_the_text_itself(prefix, text):
    """However the line starts, the viewer shows the words and builds no element."""
    line = md_prose(text)
    assert "\n" not in line
    out = _MARKDOWN.render(prefix + line)
    words = " ".join(text.split())
    if not words:
        return
    wrapper = {"": ("<p>", "</p>"), "> ": ("<blockquote>\n<p>", "</p>\n</blockquote>"),
               "## 1. ": ("<h2>1. ", "</h2>"), "- ": ("<ul>\n<li>", "</li>\n</ul>")}[prefix]  # fmt: skip
    assert (
        out
        == wrapper[0] + html.escape(words, quote=False).replace('"', "&quot;") + wrapper[1] + "\n"
    )


def test_md_prose_leaves_ordinary_punctuation_alone():
    assert md_prose("Approved $42 million on March 14, 2023 (6-1).") == (
        "Approved \\$42 million on March 14, 2023 (6-1)."
    )
    assert md_prose("1. Not a list") == "1\\. Not a list"
    assert md_prose("- not a list") == "\\- not a list"
