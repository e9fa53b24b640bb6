"""A check job's body, run by the worker: the pipeline with its progress written to the
job's record, a cancellation flag read between claims, and the finished report saved in
History as a check of the job's owner."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable

from langchain_core.language_models.chat_models import BaseChatModel

from chains.pipeline import Progress, Prompts, ReportCache, check_article, report_key
from jobs.records import CANCELLED, DONE, FAILED, STOPPED, JobStore
from settings import Settings
from vectorstore.models import Article

log = logging.getLogger("factcheck.jobs")


def run_job(
    job_id: str,
    article: Article,
    settings: Settings,
    *,
    jobs: JobStore,
    history,
    store,
    model_factory: Callable[[Settings], BaseChatModel],
    owner: str,
    user: str | None,
    worker: str,
) -> str:
    """Run one check job to its end; the job's final state."""
    if not jobs.start(job_id, worker):
        return CANCELLED  # cancelled while it waited (huey's revoke may not have caught it)
    last: dict = {"report": None, "stopped": False}

    def progress(p: Progress) -> None:
        if p.report is not None:
            last["report"] = p.report
        jobs.progress(
            job_id, stage=p.stage, done=p.done, total=p.total, message=p.message,
            partial=p.report if p.claim is not None else None,  # a claim was finished
        )  # fmt: skip

    def should_stop() -> bool:
        last["stopped"] = jobs.cancel_requested(job_id)
        return last["stopped"]

    try:
        model = model_factory(settings)
        prompts = Prompts()
        key = report_key(article, model=model, store=store, settings=settings, prompts=prompts)
        report = check_article(
            article,
            model=model,
            store=store,
            settings=settings,
            prompts=prompts,
            progress=progress,
            should_stop=should_stop,
            cache=ReportCache(settings.cache_dir / "reports"),
        )
    except Exception as exc:  # noqa: BLE001 - the job records it; the app says it in words
        log.exception("check job %s failed", job_id)
        jobs.finish(job_id, FAILED, error=portable_error(exc), partial=last["report"])
        return FAILED
    if last["stopped"]:
        jobs.finish(job_id, STOPPED, partial=report, message="stopped on request")
        return STOPPED
    check_id = history.save(
        report.model_copy(update={"cached": False}), owner=owner, user=user, cache_key=key
    )
    jobs.finish(job_id, DONE, check_id=check_id, cached=report.cached)
    return DONE


# --- errors across processes ---------------------------------------------------------------
# The app turns an error into a reporter's sentence by its type and its causes. Pickle keeps
# neither __cause__ nor every exception (openai's need the request), so the chain is kept as
# a list of exceptions that do survive a round trip.


def exception_chain(exc: BaseException):
    """`exc` and its causes, each once."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _portable(exc: BaseException) -> BaseException:
    try:
        copy = pickle.loads(pickle.dumps(exc))
        if type(copy) is type(exc):
            return copy
    except Exception:  # noqa: BLE001, S110 - replaced below
        pass
    try:
        import httpx
        import openai

        connection = (openai.APIConnectionError, httpx.TransportError)
    except ImportError:
        connection = ()
    if connection and isinstance(exc, connection):
        return ConnectionError(str(exc))
    return RuntimeError(f"{type(exc).__name__}: {exc}")


def portable_error(exc: BaseException) -> list[BaseException]:
    return [_portable(e) for e in exception_chain(exc)]


def load_error(blob: bytes) -> BaseException:
    """The exception a job stored, its causes linked again (pickled by our own worker)."""
    chain = pickle.loads(blob)  # noqa: S301 - written only by the worker (JobStore.finish)
    if isinstance(chain, BaseException):
        return chain
    for exc, cause in zip(chain, chain[1:], strict=False):
        exc.__cause__ = cause
    return chain[0] if chain else RuntimeError("unknown error")
