"""A Report as Markdown for an editor (CLI output, exports)."""

from __future__ import annotations

import re
import urllib.parse

from chains.models import Report, Verdict

VERDICT_WORDS = {
    Verdict.SUPPORTED: "Supported by the archive",
    Verdict.CONTRADICTED: "Contradicted by the archive",
    Verdict.MIXED: "The archive disagrees with itself",
    Verdict.NOT_ENOUGH_INFO: "Related coverage, not enough to settle it",
    Verdict.NOT_IN_ARCHIVE: 'Not in the archive (this is not "false")',
}


_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def md_literal(text: object) -> str:
    """Untrusted text as one line of Markdown that shows literally.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows that for
    all of them), so no emphasis, link, autolink, HTML, LaTeX ($), emoji or colour
    directive (:red[..]) can form. Whitespace, including newlines, becomes single spaces.
    """
    return _MD_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def web_url(url: str | None) -> str | None:
    """The URL made safe for a Markdown link target if it is http(s) with a host, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Percent-encode what could end or break a Markdown link target.
    return urllib.parse.quote(url, safe=":/?#@!$&'*+,;=%~-._")


def to_markdown(report: Report) -> str:
    title = report.article.title or "Untitled article"
    lines = [f"# Fact-check memo: {md_literal(title)}", ""]
    counts: dict[str, int] = {}
    for c in report.claims:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    summary = (
        ", ".join(f"{n} {v.lower().replace('_', ' ')}" for v, n in counts.items()) or "no claims"
    )
    lines += [f"{len(report.claims)} claim(s): {summary}. Model: {md_literal(report.model)}.", ""]
    for w in report.warnings:
        lines.append(f"> Warning: {md_literal(w)}")
    for c in report.claims:
        conf = f" (confidence {c.confidence:.2f})" if c.confidence is not None else ""
        lines += [
            "",
            f"## {c.id}. {md_literal(c.text)}",
            "",
            f"**{VERDICT_WORDS[c.verdict]}**{conf}. {md_literal(c.reason)}",
            "",
        ]
        lines.append(f'Article, characters {c.start}-{c.end}: "{md_literal(c.quote)}"')
        for e in c.evidence:
            date = e.published.isoformat() if e.published else "undated"
            url = web_url(e.url)
            link = f" <{url}>" if url else ""
            lines += [
                "",
                f"- {e.stance.value.lower()} (score {e.score:.2f}): {md_literal(e.title)}, {md_literal(e.source)}, {date}{link}",
                f"  > {md_literal(e.text)}",
            ]
    return "\n".join(lines) + "\n"
