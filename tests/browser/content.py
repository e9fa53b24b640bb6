"""What the browser tests serve and paste: the project root and a test web page."""

from __future__ import annotations

import html
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ARTICLE_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{headline} | Harbor Gazette</title>
<meta name="author" content="{author}">
<meta property="og:title" content="{headline}">
<meta property="og:site_name" content="Harbor Gazette">
<meta property="article:published_time" content="{published}T09:30:00Z">
</head>
<body>
<header><nav><a href="/">Home</a> | <a href="/local">Local</a> | <a href="/business">Business</a></nav></header>
<main>
<article>
<h1>{headline}</h1>
<p class="byline">By <span class="author">{author}</span> |
<time datetime="{published}T09:30:00Z">{published_words}</time></p>
{paragraphs}
</article>
</main>
<footer><p>Harbor Gazette, Port Avalon. All rights reserved.</p></footer>
</body>
</html>
"""

URL_ARTICLE = {
    "headline": "Ferry riders stay on board as Harbour Bridge reopens",
    "author": "Tamsin Okafor",
    "published": "2024-11-20",
    "published_words": "November 20, 2024",
    "paragraphs": [
        "The Bayline ferry carried 186,000 passengers in its first year of service, "
        "far more than Port Avalon Transit had expected.",
        "The Harbour Bridge reopened to traffic on November 15, 2024, after 14 months of repairs.",
    ],
}


def article_page(article: dict) -> str:
    """The HTML of a news page for `article` (headline, author, published, paragraphs)."""
    fields = {k: html.escape(v) for k, v in article.items() if k != "paragraphs"}
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in article["paragraphs"])
    return ARTICLE_PAGE.format(paragraphs=paragraphs, **fields)
