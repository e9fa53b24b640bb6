"""Per-format loaders (files and records), each producing normalised `Article`s.

The shared pieces (IngestError, normalisation, building an Article from text, HTML or a
record) live in `vectorstore.articles`, PDF and Word in `vectorstore.documents`; their
names are re-exported here. Web pages are fetched by `vectorstore.web`, which builds on
those modules, never on this one.

Everything a reporter hands us is untrusted: each loader either returns normalised
articles or raises `IngestError` with a reason a person can act on, and works within the
bounds of `vectorstore.limits`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vectorstore.articles import (
    DEFAULT_LIMITS,
    IngestError,
    article_from_html,
    article_from_record,
    article_from_text,
    byline,
    guarded,
    normalize_text,
    parse_date,
    read_bytes_as_text,
    too_long,
)
from vectorstore.documents import load_docx, load_pdf
from vectorstore.limits import InputLimits
from vectorstore.models import Article

__all__ = [
    "LOADERS",
    "IngestError",
    "article_from_html",
    "article_from_record",
    "article_from_text",
    "byline",
    "guarded",
    "load_file",
    "normalize_text",
    "parse_date",
    "read_bytes_as_text",
]

Loader = Callable[[bytes, str, Path, InputLimits], list[Article]]


def _load_txt(data: bytes, name: str, path: Path, limits: InputLimits) -> list[Article]:
    text = read_bytes_as_text(data, name)
    if len(text) > limits.max_extracted_chars:  # refused before normalising it all
        raise too_long(name, limits.max_article_chars, len(text))
    text = normalize_text(text)
    first, _, rest = text.partition("\n")
    # BBC style: a short headline line, a blank line, then the body.
    if rest.startswith("\n") and rest.strip() and len(first) <= 150:
        return [article_from_text(rest, first, path.parent.name, origin=name, limits=limits)]
    return [article_from_text(text, "", path.parent.name, origin=name, limits=limits)]


class _AliasRefused(Exception):
    """A YAML alias (*name) in front matter: expanding them is how a few hundred bytes
    become a title of millions of characters, and no article needs one."""


def _safe_yaml_handler(limits: InputLimits):
    """python-frontmatter's YAML handler on a SafeLoader that refuses aliases and a front
    matter block over its size limit."""
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise _AliasRefused(self.peek_event().anchor)
            return super().compose_node(parent, index)

    class Handler(YAMLHandler):
        def load(self, fm: str, **kwargs: object) -> Any:
            if len(fm) > limits.max_front_matter_chars:
                raise IngestError(f"front matter of {len(fm):,} characters; limit "
                                  f"{limits.max_front_matter_chars:,}")  # fmt: skip
            return yaml.load(fm, Loader=NoAliasLoader)  # noqa: S506 (a SafeLoader)

    return Handler()


def _load_md(data: bytes, name: str, path: Path, limits: InputLimits) -> list[Article]:
    import frontmatter
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    text = read_bytes_as_text(data, name)
    handler = frontmatter.detect_format(text, frontmatter.handlers)
    if isinstance(handler, YAMLHandler):
        handler = _safe_yaml_handler(limits)
    try:
        metadata, content = frontmatter.parse(text, handler=handler)
    except _AliasRefused as e:
        raise IngestError(f"{name}: the front matter uses a YAML alias (*{e}); aliases are "
                          "not accepted, write each value out") from e  # fmt: skip
    except IngestError as e:
        raise IngestError(f"{name}: {e}") from e
    except yaml.YAMLError as e:
        raise IngestError(f"{name}: the front matter is not valid YAML") from e
    meta = {str(k).lower(): v for k, v in metadata.items()}
    title = meta.get("title") or ""
    if not title and (m := re.match(r"\s*#\s+(.+)", content)):
        title = m.group(1).strip()
    published = meta.get("published", meta.get("date"))
    author = next((meta[k] for k in ("author", "byline", "authors") if meta.get(k)), "")
    return [article_from_text(content, title, meta.get("source", ""), published,
                              meta.get("url"), author=author, origin=name,
                              limits=limits)]  # fmt: skip


def _load_html(data: bytes, name: str, path: Path, limits: InputLimits) -> list[Article]:
    return [article_from_html(read_bytes_as_text(data, name), name, limits=limits)]


def _records(records: list[Any], name: str, limits: InputLimits) -> list[Article]:
    if not records:
        raise IngestError(f"{name}: holds no records")
    return [article_from_record(r, f"{name}#{i}", limits=limits) for i, r in enumerate(records, 1)]


def _load_json(data: bytes, name: str, path: Path, limits: InputLimits) -> list[Article]:
    try:
        value = json.loads(read_bytes_as_text(data, name))
    except json.JSONDecodeError as e:
        raise IngestError(f"{name}: not valid JSON ({e})") from e
    return _records(value if isinstance(value, list) else [value], name, limits)


def _load_jsonl(data: bytes, name: str, path: Path, limits: InputLimits) -> list[Article]:
    records = []
    for n, line in enumerate(read_bytes_as_text(data, name).splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise IngestError(f"{name}: line {n} is not valid JSON ({e.msg})") from e
    return _records(records, name, limits)


def _load_csv(data: bytes, name: str, path: Path, limits: InputLimits) -> list[Article]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # article bodies exceed the 128 KiB default
    try:
        records = list(csv.DictReader(io.StringIO(read_bytes_as_text(data, name), newline="")))
    except csv.Error as e:
        raise IngestError(f"{name}: not a readable CSV file ({e})") from e
    return _records(records, name, limits)


LOADERS: dict[str, Loader] = {
    ".txt": _load_txt, ".md": _load_md, ".markdown": _load_md, ".html": _load_html,
    ".htm": _load_html, ".json": _load_json, ".jsonl": _load_jsonl, ".csv": _load_csv,
    ".pdf": load_pdf, ".docx": load_docx,
}  # fmt: skip


def load_file(
    path: Path, *, max_bytes: int | None = None, limits: InputLimits = DEFAULT_LIMITS
) -> list[Article]:
    """Articles in a file, by its extension; IngestError when it cannot be read as such or
    passes one of `limits` (`max_bytes`, when given, replaces its file size limit)."""
    path = Path(path)
    name = str(path)
    max_bytes = limits.max_file_bytes if max_bytes is None else max_bytes
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
    return guarded(name, lambda: loader(data, name, path, limits))
