"""A Report as Markdown for an editor (CLI output, exports)."""

from __future__ import annotations

from chains.models import Report, Verdict

VERDICT_WORDS = {
    Verdict.SUPPORTED: "Supported by the archive",
    Verdict.CONTRADICTED: "Contradicted by the archive",
    Verdict.MIXED: "The archive disagrees with itself",
    Verdict.NOT_ENOUGH_INFO: "Related coverage, not enough to settle it",
    Verdict.NOT_IN_ARCHIVE: 'Not in the archive (this is not "false")',
}


def _md(text: str) -> str:
    """Neutralise Markdown and HTML in untrusted text."""
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", " ")


def to_markdown(report: Report) -> str:
    title = report.article.title or "Untitled article"
    lines = [f"# Fact-check memo: {_md(title)}", ""]
    counts: dict[str, int] = {}
    for c in report.claims:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    summary = (
        ", ".join(f"{n} {v.lower().replace('_', ' ')}" for v, n in counts.items()) or "no claims"
    )
    lines += [f"{len(report.claims)} claim(s): {summary}. Model: {_md(report.model)}.", ""]
    for w in report.warnings:
        lines.append(f"> Warning: {_md(w)}")
    for c in report.claims:
        conf = f" (confidence {c.confidence:.2f})" if c.confidence is not None else ""
        lines += [
            "",
            f"## {c.id}. {_md(c.text)}",
            "",
            f"**{VERDICT_WORDS[c.verdict]}**{conf}. {_md(c.reason)}",
            "",
        ]
        lines.append(f'Article, characters {c.start}-{c.end}: "{_md(c.quote)}"')
        for e in c.evidence:
            date = e.published.isoformat() if e.published else "undated"
            link = f" <{e.url}>" if e.url and e.url.startswith(("http://", "https://")) else ""
            lines += [
                "",
                f"- {e.stance.value.lower()} (score {e.score:.2f}): {_md(e.title)}, {_md(e.source)}, {date}{link}",
                f"  > {_md(e.text)}",
            ]
    return "\n".join(lines) + "\n"
