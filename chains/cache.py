"""The report cache: a key that covers everything that changes a report, and atomic
JSON files under it. A repeat check with the same key is answered at once."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import tempfile
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.language_models.chat_models import BaseChatModel

from chains.llm import model_label
from chains.models import Report
from settings import PROJECT_ROOT, Settings
from vectorstore.models import Article

if TYPE_CHECKING:
    from chains.pipeline import Prompts


class ReportCache:
    """Reports as JSON files, keyed by everything that changes a report (`cache_key`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Report | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return Report.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError:
            return None  # an old or damaged entry is recomputed, not an error

    def put(self, key: str, report: Report) -> None:
        """Write atomically: a temporary file of its own (two writers of one key never
        share one), then a rename over the entry, so a reader sees all of it or none."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=self.folder, prefix=f".{key}.", suffix=".tmp", delete=False
        ) as tmp:
            try:
                tmp.write(report.model_dump_json())
            except BaseException:
                os.unlink(tmp.name)
                raise
        try:
            os.replace(tmp.name, self._path(key))
        except BaseException:
            os.unlink(tmp.name)
            raise


# The sources whose change can change a report: the stages, the prompts, and the archive
# code that ranks passages.
_CODE = (("chains", ("*.py", "*.json")), ("prompts", ("*.py", "*.md")), ("vectorstore", ("*.py",)))


@functools.cache
def code_version(root: Path = PROJECT_ROOT) -> str:
    """A hash of the code that makes a report (no git needed); computed once a process."""
    digest = hashlib.sha256()
    for folder, patterns in _CODE:
        files = {p for pattern in patterns for p in (root / folder).rglob(pattern)}
        for path in sorted(files):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def archive_fingerprint(store) -> str:
    """What the archive holds: the store's own fingerprint (changes on any add or
    delete) when it has one, else its passage count."""
    fingerprint = getattr(store, "fingerprint", None)
    if callable(fingerprint):
        return f"fingerprint:{fingerprint()}"
    return f"count:{store.count()}"


def _endpoint(base_url: str | None) -> str:
    # Scheme, host, port and path: never a user:password part in a file name's hash input.
    if not base_url:
        return ""
    try:
        parts = urllib.parse.urlsplit(base_url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port}{parts.path}"
    except ValueError:
        return "(unreadable)"


def cache_key(
    article: Article,
    model: str,
    prompts: Prompts,
    settings: Settings,
    archive: str,
    claim_date: dt.date | None = None,
) -> str:
    """Everything that changes a report: article, model, prompts, code, archive
    (`archive_fingerprint`) and every setting the stages read."""
    parts = {
        "article": article.sha256,
        "claim_date": str(claim_date),  # year-less dates of an undated article read against it
        "model": model,
        "provider": settings.provider,
        "endpoint": _endpoint(settings.base_url),
        "model_path": str(settings.model_path or ""),
        "n_ctx": settings.n_ctx,
        "prompts": prompts.version,
        "code": code_version(),
        "top_k": settings.top_k,
        "min_score": settings.min_score,
        "retrieval": settings.retrieval,
        "hybrid_weight": settings.hybrid_weight,
        "chunk_chars": settings.chunk_chars,
        "max_claims": settings.max_claims,
        "min_checkworthiness": settings.min_checkworthiness,
        "crossencoder": settings.crossencoder,
        "stance_classifier": settings.stance_classifier,
        "store": [str(settings.store_dir), settings.chroma_host, settings.collection],
        "archive": archive,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def claim_date_for(article: Article) -> dt.date:
    """An undated article's year-less and relative dates are read against the check's day."""
    return article.published or dt.datetime.now(dt.UTC).date()


def report_key(
    article: Article, *, model: BaseChatModel, store, settings: Settings, prompts: Prompts
) -> str:
    """The cache key `check_article` uses for this article, model, archive and settings."""
    return cache_key(
        article,
        model_label(model),
        prompts,
        settings,
        archive_fingerprint(store),
        claim_date_for(article),
    )
