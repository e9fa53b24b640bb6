"""Article -> Report: the stages in order, with progress, stop, usage counts and a cache."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel

from chains.compare import check_claim, judge_passages
from chains.extract import extract_claims
from chains.llm import UsageCounter, model_label
from chains.models import ArticleInfo, ClaimCheck, Report, StageStats
from chains.retrieve import retrieve_with
from prompts.loader import Prompt, load_prompt
from settings import Settings
from vectorstore.models import Article

STAGES = ("extract", "retrieve", "compare")


class ArticleError(ValueError):
    """The article cannot be checked as given (empty, too long)."""


@dataclass
class Progress:
    stage: str
    done: int
    total: int
    message: str
    claim: ClaimCheck | None = None  # set when a claim's check is complete
    # The report being built: its claims so far, so a caller that is interrupted (the
    # app's Stop button) can keep and show the partial result.
    report: Report | None = None


@dataclass
class Prompts:
    checkworthy: Prompt = field(default_factory=lambda: load_prompt("checkworthy"))
    resolve: Prompt = field(default_factory=lambda: load_prompt("resolve_reference"))
    judge: Prompt = field(default_factory=lambda: load_prompt("judge_stance"))

    @property
    def version(self) -> str:
        return (
            f"checkworthy:{self.checkworthy.version},resolve:{self.resolve.version},"
            f"judge:{self.judge.version}"
        )


class ReportCache:
    """Reports as JSON files, keyed by article, prompts, model, settings and archive size."""

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
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._path(key).with_suffix(".tmp")
        tmp.write_text(report.model_dump_json(), encoding="utf-8")
        tmp.replace(self._path(key))


def cache_key(
    article: Article,
    model: str,
    prompts: Prompts,
    settings: Settings,
    archive_size: int,
    claim_date: dt.date | None = None,
) -> str:
    parts = {
        "article": article.sha256,
        "claim_date": str(claim_date),  # year-less dates of an undated article read against it
        "model": model,
        "prompts": prompts.version,
        "top_k": settings.top_k,
        "min_score": settings.min_score,
        "max_claims": settings.max_claims,
        "min_checkworthiness": settings.min_checkworthiness,
        "archive": archive_size,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def validate_article(article: Article, settings: Settings) -> None:
    if not article.text.strip():
        raise ArticleError("The article is empty: paste or upload some text to check.")
    if len(article.text) > settings.max_article_chars:
        raise ArticleError(
            f"The article has {len(article.text):,} characters; the limit is "
            f"{settings.max_article_chars:,}. Check it in parts."
        )


def article_info(article: Article) -> ArticleInfo:
    """What a report keeps of the article: the text the offsets refer to, and its provenance."""
    return ArticleInfo(
        text=article.text,
        title=article.title,
        author=article.author,
        source=article.source,
        published=article.published,
        url=article.url,
        sha256=article.sha256,
    )


def check_article(
    article: Article,
    *,
    model: BaseChatModel,
    store,
    settings: Settings,
    prompts: Prompts | None = None,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    cache: ReportCache | None = None,
) -> Report:
    """Check every claim of `article` against the archive in `store`."""
    validate_article(article, settings)
    prompts = prompts or Prompts()
    notify = progress or (lambda _p: None)
    label = model_label(model)
    # An undated article's year-less and relative dates are read against the check's day.
    claim_date = article.published or dt.datetime.now(dt.UTC).date()
    key = cache_key(article, label, prompts, settings, store.count(), claim_date) if cache else ""
    if cache and (hit := cache.get(key)):
        notify(Progress("done", 1, 1, "from the cache"))
        return hit.model_copy(update={"cached": True})

    report = Report(
        article=article_info(article),
        model=label,
        prompt_version=prompts.version,
        stages={stage: StageStats() for stage in STAGES},
    )

    usage = UsageCounter()
    started = time.perf_counter()
    notify(Progress("extract", 0, 1, "finding checkable claims", report=report))
    claims, warnings = extract_claims(
        article.text,
        model,
        threshold=settings.min_checkworthiness,
        max_claims=settings.max_claims,
        checkworthy_prompt=prompts.checkworthy,
        resolve_prompt=prompts.resolve,
        usage=usage,
        config={"callbacks": [usage]},
    )
    report.warnings += warnings
    _record(report.stages["extract"], started, usage)

    for i, claim in enumerate(claims, 1):
        if should_stop and should_stop():
            report.warnings.append(f"Stopped after {i - 1} of {len(claims)} claims.")
            return report
        notify(
            Progress(
                "retrieve",
                i - 1,
                len(claims),
                f"claim {i} of {len(claims)}: searching the archive",
                report=report,
            )
        )
        started = time.perf_counter()
        passages = retrieve_with(store, claim, settings, exclude_article=article.id)
        report.stages["retrieve"].seconds += time.perf_counter() - started

        notify(
            Progress(
                "compare",
                i - 1,
                len(claims),
                f"claim {i} of {len(claims)}: comparing {len(passages)} passage(s)",
                report=report,
            )
        )
        started, usage = time.perf_counter(), UsageCounter()
        evidence = judge_passages(
            model,
            claim,
            passages,
            prompt=prompts.judge,
            usage=usage,
            config={"callbacks": [usage]},
            claim_date=claim_date,
        )
        _record(report.stages["compare"], started, usage)
        checked = check_claim(claim, evidence)
        report.claims.append(checked)
        notify(
            Progress(
                "compare",
                i,
                len(claims),
                f"claim {i} of {len(claims)} checked",
                claim=checked,
                report=report,
            )
        )

    if cache:
        cache.put(key, report)
    notify(
        Progress("done", len(claims), len(claims), f"{len(claims)} claim(s) checked", report=report)
    )
    return report


def _record(stats: StageStats, started: float, usage: UsageCounter) -> None:
    stats.seconds += time.perf_counter() - started
    stats.model_calls += usage.calls
    stats.tokens_in += usage.tokens_in
    stats.tokens_out += usage.tokens_out
