"""Newsroom cases: an archive, a new article and the expected verdict of each claim sentence.

A case is a folder (the format is documented in ``data/cases/README.md``)::

    <case>/article.md      the new article; front matter: title, published (YYYY-MM-DD)
    <case>/expected.json   [{"sentence", "verdict", "difference", "kind", "note"?}, ...]
    <case>/archive/*.md    prior articles; front matter: title, source, published, url,
                           optional author

Files are read with the project's own loaders (``vectorstore.loaders``), so the text the
expected sentences are located in is the text the pipeline's offsets refer to. Every
problem is a ``CaseError`` that names the file, so a broken case never yields figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chains.models import Verdict
from vectorstore.ingest import IngestError, load_file
from vectorstore.models import Article

ARTICLE_FILE = "article.md"
EXPECTED_FILE = "expected.json"
ARCHIVE_DIR = "archive"
NOT_A_CLAIM = "NOT_A_CLAIM"  # an opinion or prediction: must not be extracted as a claim
VERDICTS = (*(v.value for v in Verdict), NOT_A_CLAIM)
DIFFERENCES = ("number", "date", "name", "negation", "opposite", "status")
ARCHIVE_FIELDS = ("title", "source", "published", "url")
ARTICLE_FIELDS = ("title", "published")
_KEYS = {"sentence", "verdict", "difference", "kind", "note", "archive"}


class CaseError(ValueError):
    """A case folder that cannot be read; the message names the file."""


@dataclass(frozen=True)
class Expected:
    sentence: str  # an exact substring of the article's text, occurring once
    verdict: str  # one of VERDICTS
    difference: str | None  # what differs, for CONTRADICTED (and MIXED when given)
    kind: str  # free label: verbatim, paraphrase, year-less date, forward-looking, ...
    start: int
    end: int  # article.text[start:end] == sentence
    note: str = ""
    archive: tuple[str, ...] = ()  # the archive files that settle it (documentation)

    @property
    def is_claim(self) -> bool:
        return self.verdict != NOT_A_CLAIM


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    article: Article
    archive: tuple[Path, ...]
    expected: tuple[Expected, ...]


def is_case(folder: Path) -> bool:
    return (folder / EXPECTED_FILE).is_file() or (folder / ARTICLE_FILE).is_file()


def find_cases(path: str | Path) -> list[Path]:
    """``path`` itself when it is a case folder, else its sub-folders that are cases."""
    root = Path(path)
    if not root.is_dir():
        raise CaseError(f"{root}: not a folder (give a case folder or a folder of cases)")
    if is_case(root):
        return [root]
    found = sorted(p for p in root.iterdir() if p.is_dir() and is_case(p))
    if not found:
        raise CaseError(f"{root}: no case folders (each needs {ARTICLE_FILE} and {EXPECTED_FILE})")
    return found


def _load_one(path: Path, fields: tuple[str, ...]) -> Article:
    if not path.is_file():
        raise CaseError(f"{path}: missing")
    try:
        articles = load_file(path)
    except IngestError as e:
        raise CaseError(f"{path}: {e}") from e
    if len(articles) != 1:
        raise CaseError(f"{path}: holds {len(articles)} articles, not one")
    article = articles[0]
    missing = [f for f in fields if not getattr(article, f)]
    if missing:
        raise CaseError(f"{path}: front matter lacks {', '.join(missing)}")
    return article


def _archive(folder: Path) -> tuple[Path, ...]:
    archive = folder / ARCHIVE_DIR
    if not archive.is_dir():
        raise CaseError(f"{archive}: missing (the case's archive of prior articles)")
    files = sorted(p for p in archive.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise CaseError(f"{archive}: no articles")
    for path in files:
        if path.suffix.lower() != ".md":
            raise CaseError(f"{path}: archive articles are Markdown files with front matter")
        _load_one(path, ARCHIVE_FIELDS)
    return tuple(files)


def _entry(raw: Any, i: int, text: str, where: Path, archive: set[str]) -> Expected:
    at = f"{where}: entry {i + 1}"
    if not isinstance(raw, dict):
        raise CaseError(f"{at}: not an object")
    if unknown := set(raw) - _KEYS:
        raise CaseError(f"{at}: unknown key(s) {', '.join(sorted(unknown))}")
    sentence, verdict = raw.get("sentence"), raw.get("verdict")
    if not isinstance(sentence, str) or not sentence.strip():
        raise CaseError(f"{at}: 'sentence' must be a non-empty string")
    if verdict not in VERDICTS:
        raise CaseError(f"{at}: 'verdict' {verdict!r} is not one of {', '.join(VERDICTS)}")
    difference = raw.get("difference")
    if difference is not None and difference not in DIFFERENCES:
        raise CaseError(f"{at}: 'difference' {difference!r} is not one of {', '.join(DIFFERENCES)}")
    if verdict == "CONTRADICTED" and difference is None:
        raise CaseError(f"{at}: a CONTRADICTED sentence names its 'difference'")
    if verdict not in ("CONTRADICTED", "MIXED") and difference is not None:
        raise CaseError(f"{at}: only CONTRADICTED or MIXED sentences have a 'difference'")
    kind = raw.get("kind")
    if not isinstance(kind, str) or not kind.strip():
        raise CaseError(f"{at}: 'kind' must be a non-empty string")
    files = raw.get("archive") or []
    if isinstance(files, str):
        files = [files]
    if bad := [f for f in files if f not in archive]:
        raise CaseError(f"{at}: 'archive' names files not in {ARCHIVE_DIR}/: {', '.join(bad)}")
    start = text.find(sentence)
    if start < 0:
        raise CaseError(f"{at}: sentence not found in {ARTICLE_FILE}: {sentence[:60]!r}")
    if text.find(sentence, start + 1) >= 0:
        raise CaseError(f"{at}: sentence occurs more than once in {ARTICLE_FILE}")
    return Expected(sentence, verdict, difference, kind.strip(), start, start + len(sentence),
                    str(raw.get("note") or ""), tuple(files))  # fmt: skip


def read_expected(path: Path, text: str, archive: set[str] | None = None) -> tuple[Expected, ...]:
    """The expected verdicts, each located in ``text``; spans may not overlap."""
    if not path.is_file():
        raise CaseError(f"{path}: missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CaseError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(data, list) or not data:
        raise CaseError(f"{path}: must be a non-empty list of expected sentences")
    entries = [_entry(raw, i, text, path, archive or set()) for i, raw in enumerate(data)]
    ordered = sorted(entries, key=lambda e: e.start)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.start < a.end:
            raise CaseError(f"{path}: sentences overlap: {a.sentence[:40]!r} / {b.sentence[:40]!r}")
    return tuple(entries)


def read_case(folder: str | Path) -> Case:
    folder = Path(folder)
    article = _load_one(folder / ARTICLE_FILE, ARTICLE_FIELDS)
    archive = _archive(folder)
    names = {p.name for p in archive}
    expected = read_expected(folder / EXPECTED_FILE, article.text, names)
    return Case(folder.name, folder, article, archive, expected)


def read_cases(path: str | Path) -> list[Case]:
    return [read_case(folder) for folder in find_cases(path)]
