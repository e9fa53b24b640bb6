"""Per-format loaders (files and records), each producing normalised `Article`s.

Web pages are fetched by `vectorstore.web`; `load_url` here is the old name for it.

Everything a reporter hands us is untrusted: each loader either returns normalised
articles or raises `IngestError` with a reason a person can act on.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import io
import json
import logging
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vectorstore.models import Article


class IngestError(ValueError):
    """An input we cannot turn into an article; the message says which and why."""


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
    if not isinstance(value, str) or not value.strip():
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


def article_from_text(
    text: str,
    title: str = "",
    source: str = "",
    published: Any = None,
    url: str | None = None,
    *,
    author: Any = "",
    origin: str = "",
) -> Article:
    """The one way every loader builds an Article, so all share the same normalisation."""
    body = normalize_text(text or "")
    if not body:
        raise IngestError(f"{origin or 'the text'} is empty")
    return Article(
        text=body,
        title=" ".join(str(title or "").split()),
        author=byline(author),
        source=" ".join(str(source or "").split()),
        published=parse_date(published),
        url=(str(url).strip() or None) if url else None,
        origin=origin,
    )


# --- file formats ----------------------------------------------------------------------------


def _load_txt(data: bytes, name: str, path: Path) -> list[Article]:
    text = normalize_text(read_bytes_as_text(data, name))
    first, _, rest = text.partition("\n")
    # BBC style: a short headline line, a blank line, then the body.
    if rest.startswith("\n") and rest.strip() and len(first) <= 150:
        return [article_from_text(rest, first, path.parent.name, origin=name)]
    return [article_from_text(text, "", path.parent.name, origin=name)]


def _load_md(data: bytes, name: str, path: Path) -> list[Article]:
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(read_bytes_as_text(data, name))
    except yaml.YAMLError as e:
        raise IngestError(f"{name}: the front matter is not valid YAML") from e
    meta = {str(k).lower(): v for k, v in post.metadata.items()}
    title = meta.get("title") or ""
    if not title and (m := re.match(r"\s*#\s+(.+)", post.content)):
        title = m.group(1).strip()
    published = meta.get("published", meta.get("date"))
    author = next((meta[k] for k in ("author", "byline", "authors") if meta.get(k)), "")
    return [article_from_text(post.content, title, meta.get("source", ""), published,
                              meta.get("url"), author=author, origin=name)]  # fmt: skip


def article_from_html(html: str | bytes, name: str, url: str | None = None) -> Article:
    """The main text of a page, with its headline, byline, date and site name (trafilatura)."""
    import trafilatura

    found = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    doc = found.as_dict() if hasattr(found, "as_dict") else found
    if not doc or not (doc.get("text") or "").strip():
        raise IngestError(f"{name}: no article text found on the page")
    return article_from_text(doc["text"], doc.get("title") or "", doc.get("sitename") or "",
                             doc.get("date"), doc.get("url") or url, author=doc.get("author") or "",
                             origin=name)  # fmt: skip


def _load_html(data: bytes, name: str, path: Path) -> list[Article]:
    return [article_from_html(read_bytes_as_text(data, name), name)]


_FIELDS = {
    "text": ("text", "body", "content", "article"),
    "title": ("title", "headline"),
    "author": ("author", "byline", "authors", "by"),
    "source": ("source", "publisher", "sitename"),
    "published": ("published", "date", "published_at"),
    "url": ("url", "link"),
}


def article_from_record(record: Any, origin: str) -> Article:
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
                             origin=origin)  # fmt: skip


def _records(records: list[Any], name: str) -> list[Article]:
    if not records:
        raise IngestError(f"{name}: holds no records")
    return [article_from_record(r, f"{name}#{i}") for i, r in enumerate(records, 1)]


def _load_json(data: bytes, name: str, path: Path) -> list[Article]:
    try:
        value = json.loads(read_bytes_as_text(data, name))
    except json.JSONDecodeError as e:
        raise IngestError(f"{name}: not valid JSON ({e})") from e
    return _records(value if isinstance(value, list) else [value], name)


def _load_jsonl(data: bytes, name: str, path: Path) -> list[Article]:
    records = []
    for n, line in enumerate(read_bytes_as_text(data, name).splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise IngestError(f"{name}: line {n} is not valid JSON ({e.msg})") from e
    return _records(records, name)


def _load_csv(data: bytes, name: str, path: Path) -> list[Article]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # article bodies exceed the 128 KiB default
    try:
        records = list(csv.DictReader(io.StringIO(read_bytes_as_text(data, name), newline="")))
    except csv.Error as e:
        raise IngestError(f"{name}: not a readable CSV file ({e})") from e
    return _records(records, name)


def _load_pdf(data: bytes, name: str, path: Path) -> list[Article]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs each repair it attempts; a damaged file gets one clear error instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(f"{name}: the PDF is encrypted (password protected)")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise IngestError(f"{name}: not a readable PDF (damaged or not a PDF: {e})") from e
    if not "".join(pages).strip():
        raise IngestError(f"{name}: the PDF has no extractable text (scanned images?)")
    return [article_from_text("\n\n".join(pages), str(title), origin=name)]


def _load_docx(data: bytes, name: str, path: Path) -> list[Article]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise IngestError(f"{name}: not a readable Word (.docx) file") from e
    paragraphs = [p.text for p in document.paragraphs if p.text.strip()]
    title = document.core_properties.title or ""
    return [article_from_text("\n\n".join(paragraphs), title, origin=name)]


LOADERS: dict[str, Callable[[bytes, str, Path], list[Article]]] = {
    ".txt": _load_txt, ".md": _load_md, ".markdown": _load_md, ".html": _load_html,
    ".htm": _load_html, ".json": _load_json, ".jsonl": _load_jsonl, ".csv": _load_csv,
    ".pdf": _load_pdf, ".docx": _load_docx,
}  # fmt: skip


def load_file(path: Path, *, max_bytes: int = 50_000_000) -> list[Article]:
    """Articles in a file, by its extension; IngestError when it cannot be read as such."""
    path = Path(path)
    name = str(path)
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise IngestError(f"{name}: unsupported file type {path.suffix or '(none)'}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(f"{name}: file too large ({size:,} bytes; limit {max_bytes:,})")
        data = path.read_bytes()
    except OSError as e:
        raise IngestError(f"{name}: cannot be read ({e.strerror or e})") from e
    if not data.strip():
        raise IngestError(f"{name} is empty")
    return guarded(name, lambda: loader(data, name, path))


def guarded(name: str, load: Callable[[], list[Article]]) -> list[Article]:
    try:
        return load()
    except IngestError:
        raise
    except Exception as e:  # a parser choking on hostile input must not stop the run
        raise IngestError(f"{name}: could not be read ({type(e).__name__}: {e})") from e


def load_url(
    url: str, *, allow_private: bool = False, timeout: float = 15, max_bytes: int = 5_000_000
) -> Article:
    """The old name of `vectorstore.web.fetch_article`, kept for callers outside the project."""
    from vectorstore.web import fetch_article  # imported here: web builds on this module

    return fetch_article(url, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes)
