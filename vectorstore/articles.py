"""Text, HTML and records into normalised `Article`s: the piece every loader shares.

File loaders (`vectorstore.loaders`, `vectorstore.documents`) and the web fetcher
(`vectorstore.web`) all build their articles here, so they normalise alike and the same
bounds (`vectorstore.limits`) hold for each. Untrusted input either becomes an article or
raises `IngestError` with a reason a person can act on.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from vectorstore.limits import InputLimits
from vectorstore.models import Article

DEFAULT_LIMITS = InputLimits()


class IngestError(ValueError):
    """An input we cannot turn into an article; the message says which and why."""


def guarded(name: str, load: Callable[[], list[Article]]) -> list[Article]:
    """Run a loader; a parser's own exception becomes an IngestError naming the input."""
    try:
        return load()
    except IngestError:
        raise
    except Exception as e:  # a parser choking on hostile input must not stop the run
        raise IngestError(f"{name}: could not be read ({type(e).__name__}: {e})") from e


def too_long(name: str, limit: int, length: int | None = None) -> IngestError:
    size = f"{length:,} characters" if length is not None else f"over {limit:,} characters"
    return IngestError(f"{name}: article too long ({size}; limit {limit:,})")


# --- text ------------------------------------------------------------------------------------

_WHITESPACE_CONTROLS = set("\n\r\t\f\v")


def read_bytes_as_text(data: bytes, name: str) -> str:
    """Decode utf-8 (with or without BOM), else cp1252, else latin-1; refuse binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM: its NUL bytes are not binary
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise IngestError(f"{name}: not a text file (broken UTF-16)") from e
    elif b"\x00" in data:
        raise IngestError(f"{name}: not a text file (it contains binary data)")
    else:
        text = _decode_8bit(data)
    sample = text[:20_000]
    controls = sum(
        1 for c in sample if unicodedata.category(c) == "Cc" and c not in _WHITESPACE_CONTROLS
    )
    if sample and controls / len(sample) > 0.02:  # real text has next to none
        raise IngestError(f"{name}: not a text file (too many non-printable characters)")
    return text


def _decode_8bit(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # older newsroom files: Windows "smart quotes", £, €
    except UnicodeDecodeError:
        return data.decode("latin-1")  # never fails: every byte is a character


def normalize_text(text: str) -> str:
    """NFC, \\n line ends, no trailing spaces, at most two blank lines in a row, trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t\f\v]+\n", "\n", text)
    return re.sub(r"\n{4,}", "\n\n\n", text).strip()


def parse_date(value: Any) -> dt.date | None:
    """Lenient: ISO dates/datetimes, 'March 5, 2024', '5 March 2024', RFC 2822; else None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    s = value.strip()
    candidates: list[Callable[[], dt.date]] = [
        lambda: dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date(),
        lambda: dt.date.fromisoformat(s[:10]),
        lambda: email.utils.parsedate_to_datetime(s).date(),
    ]
    fmts = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%B %d %Y", "%b. %d, %Y")
    candidates += [lambda f=f: dt.datetime.strptime(s, f).date() for f in fmts]
    for candidate in candidates:
        try:
            date = candidate()
        except (ValueError, TypeError, IndexError):
            continue
        if 1800 <= date.year <= 2200:
            return date
    return None


_BY = re.compile(r"^by\s+", re.IGNORECASE)


def byline(value: Any) -> str:
    """An author field as one line: a list of names joined by commas, a leading "By" dropped."""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value if v not in (None, ""))
    return _BY.sub("", " ".join(str(value or "").split()))


def _capped(value: str, field: str, limit: int, origin: str) -> str:
    if len(value) > limit:
        raise IngestError(
            f"{origin or 'the text'}: the {field} is too long ({len(value):,} characters; "
            f"limit {limit:,})"
        )
    return value


def article_from_text(
    text: str,
    title: Any = "",
    source: Any = "",
    published: Any = None,
    url: Any = None,
    *,
    author: Any = "",
    origin: str = "",
    limits: InputLimits = DEFAULT_LIMITS,
) -> Article:
    """The one way every loader builds an Article, so all share the same normalisation
    and the same bounds on the text and on each metadata field."""
    name = origin or "the text"
    if len(text or "") > limits.max_extracted_chars:  # not worth normalising to find out
        raise too_long(name, limits.max_article_chars, len(text))
    body = normalize_text(text or "")
    if not body:
        raise IngestError(f"{name} is empty")
    if len(body) > limits.max_article_chars:
        raise too_long(name, limits.max_article_chars, len(body))
    link = (str(url).strip() or None) if url else None
    return Article(
        text=body,
        title=_capped(" ".join(str(title or "").split()), "title", limits.max_title_chars, origin),
        author=_capped(byline(author), "author", limits.max_author_chars, origin),
        source=_capped(" ".join(str(source or "").split()), "source", limits.max_source_chars,
                       origin),
        published=parse_date(published),
        url=_capped(link, "url", limits.max_url_chars, origin) if link else None,
        origin=origin,
    )  # fmt: skip


def article_from_html(
    html: str | bytes, name: str, url: str | None = None, *, limits: InputLimits = DEFAULT_LIMITS
) -> Article:
    """The main text of a page, with its headline, byline, date and site name (trafilatura)."""
    import trafilatura

    found = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    doc = found.as_dict() if hasattr(found, "as_dict") else found
    if not doc or not (doc.get("text") or "").strip():
        raise IngestError(f"{name}: no article text found on the page")
    return article_from_text(doc["text"], doc.get("title") or "", doc.get("sitename") or "",
                             doc.get("date"), doc.get("url") or url, author=doc.get("author") or "",
                             origin=name, limits=limits)  # fmt: skip


_FIELDS = {
    "text": ("text", "body", "content", "article"),
    "title": ("title", "headline"),
    "author": ("author", "byline", "authors", "by"),
    "source": ("source", "publisher", "sitename"),
    "published": ("published", "date", "published_at"),
    "url": ("url", "link"),
}


def article_from_record(
    record: Any, origin: str, *, limits: InputLimits = DEFAULT_LIMITS
) -> Article:
    """One JSON/CSV record -> Article, by the first field name present for each role."""
    if not isinstance(record, dict):
        raise IngestError(f"{origin}: expected an object with a text field")
    lowered = {str(k).strip().lower(): v for k, v in record.items()}
    picked = {
        role: next((lowered[k] for k in keys if lowered.get(k) not in (None, "")), None)
        for role, keys in _FIELDS.items()
    }
    if not isinstance(picked["text"], str):
        raise IngestError(f"{origin}: no text field (text, body, content or article)")
    return article_from_text(picked["text"], picked["title"] or "", picked["source"] or "",
                             picked["published"], picked["url"], author=picked["author"] or "",
                             origin=origin, limits=limits)  # fmt: skip
