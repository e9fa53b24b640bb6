"""Article -> Report: the stages in order, with progress, stop, usage counts and a cache."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.language_models.chat_models import BaseChatModel

from chains.cache import (  # noqa: F401 - ReportCache and cache_key are used from here too
    ReportCache,
    archive_fingerprint,
    cache_key,
    claim_date_for,
    report_key,
)
from chains.compare import judge_claims
from chains.crossencoder import CrossEncoder
from chains.crossencoder import shipped as shipped_crossencoder
from chains.extract import extract_claims
from chains.llm import ModelOutputError, UsageCounter, model_label
from chains.models import ArticleInfo, Claim, ClaimCheck, Report, StageStats, Verdict
from chains.retrieve import retrieve_with
from chains.stance_classifier import StanceClassifier, classifier_for
from chains.verdict import check_claim
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


def warm_prompts(model: BaseChatModel, prompts: Prompts | None = None) -> int:
    """Keep the fixed part (instructions, worked examples) of every prompt a check asks
    with, in a model that can keep them (the embedded one): then no check reads them
    again. The worker does it when it starts; a check does it too (nothing to do once
    kept). Returns the tokens the model evaluated."""
    keep = getattr(model, "cache_prefix", None)
    if keep is None:
        return 0
    prompts = prompts or Prompts()
    asked = (prompts.checkworthy, prompts.judge, prompts.resolve)
    return sum(keep(p.render(**dict.fromkeys(p.variables, ""))) for p in asked)


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
    crossencoder: CrossEncoder | None = None,
    classifier: StanceClassifier | None = None,
) -> Report:
    """Check every claim of `article` against the archive in `store`. The shipped
    cross-encoder and stance classifier (when fitted on this model) are used unless
    `crossencoder` or `classifier` give others or settings turn them off."""
    validate_article(article, settings)
    prompts = prompts or Prompts()
    notify = progress or (lambda _p: None)
    label = model_label(model)
    claim_date = claim_date_for(article)
    if not settings.crossencoder:
        crossencoder = None
    elif crossencoder is None:
        crossencoder = shipped_crossencoder()
    if not settings.stance_classifier:
        classifier = None
    elif classifier is None:
        classifier = classifier_for(label)
    fingerprint = archive_fingerprint(store) if cache else ""
    key = cache_key(article, label, prompts, settings, fingerprint, claim_date) if cache else ""
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
    usage.add(tokens_in=warm_prompts(model, prompts))
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

    if should_stop and should_stop():
        report.warnings.append(f"Stopped after 0 of {len(claims)} claims.")
        return report
    found = []  # every claim's passages first: the model then reads them passage by passage
    for i, claim in enumerate(claims, 1):
        notify(
            Progress(
                "retrieve",
                0,
                len(claims),
                f"claim {i} of {len(claims)}: searching the archive",
                report=report,
            )
        )
        started = time.perf_counter()
        found.append(retrieve_with(store, claim, settings, exclude_article=article.id))
        report.stages["retrieve"].seconds += time.perf_counter() - started

    notify(Progress("compare", 0, len(claims), "comparing claims with the archive", report=report))
    started, usage = time.perf_counter(), UsageCounter()
    judged = judge_claims(
        model,
        claims,
        found,
        prompt=prompts.judge,
        usage=usage,
        config={"callbacks": [usage]},
        claim_date=claim_date,
        crossencoder=crossencoder,
        classifier=classifier,
        should_stop=should_stop,
    )
    for i, evidence in judged:
        if isinstance(evidence, Exception):  # that claim's bad answer costs that claim only
            report.claims.append(not_checked(claims[i], evidence))
        else:
            report.claims.append(check_claim(claims[i], evidence))
        n = len(report.claims)
        notify(
            Progress(
                "compare",
                n,
                len(claims),
                f"claim {n} of {len(claims)} checked",
                claim=report.claims[-1],
                report=report,
            )
        )
    _record(report.stages["compare"], started, usage)
    if len(report.claims) < len(claims):
        report.warnings.append(f"Stopped after {len(report.claims)} of {len(claims)} claims.")
        return report

    if cache and not any(c.verdict is Verdict.NOT_CHECKED for c in report.claims):
        cache.put(key, report)  # a claim that could not be checked is tried again next time
    notify(
        Progress("done", len(claims), len(claims), f"{len(claims)} claim(s) checked", report=report)
    )
    return report


def not_checked(claim: Claim, exc: Exception) -> ClaimCheck:
    """The claim marked "could not be checked", with what went wrong in a reporter's words."""
    if isinstance(exc, ModelOutputError):
        why = f"the model's answer was malformed twice ({exc.problem})"
    else:
        why = f"the claim and a passage were too long for the model ({exc})"
    reason = f"Could not be checked: {why}. Check it by hand, or run the check again."
    return ClaimCheck(**claim.model_dump(), verdict=Verdict.NOT_CHECKED, reason=reason[:600])


def _record(stats: StageStats, started: float, usage: UsageCounter) -> None:
    stats.seconds += time.perf_counter() - started
    stats.model_calls += usage.calls
    stats.tokens_in += usage.tokens_in
    stats.tokens_out += usage.tokens_out
