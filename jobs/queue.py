"""What the app and the CLI call: submit a check, read its state, cancel it.

huey is the queue (SqliteHuey: a file, no server; one consumer process takes the jobs in
order). Chosen over rq and dramatiq, which need Redis or RabbitMQ running, and over
Celery, which needs a broker too and far more setup: a newsroom's single host gets a
queue with nothing more to run, and huey's RedisHuey is the same API when several hosts
share one queue (docs/DEPLOYMENT.md). A job's record (jobs.records) carries what the
reporter sees; huey carries the work.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from jobs.records import QUEUED, RUNNING, Job, JobStore
from settings import Settings
from vectorstore.models import Article

TASK = "check"
_HUEYS: dict[str, Any] = {}
_TASKS: dict[int, Any] = {}
_LOCK = threading.Lock()


class JobRefused(ValueError):
    """The check cannot be sent to the worker as asked."""


def jobs_folder(settings: Settings) -> Path:
    """The queue and the job records live beside the History file, which every app
    process of an installation already shares."""
    return settings.history_file().parent


def job_store(settings: Settings) -> JobStore:
    return JobStore(jobs_folder(settings) / "jobs.sqlite3")


def make_huey(settings: Settings, *, immediate: bool = False):
    """The queue for this installation, with the check task registered (once per file
    and process: the app and the worker look the task up by its name)."""
    from huey import SqliteHuey

    path = jobs_folder(settings) / "queue.sqlite3"
    key = f"{path}|{immediate}"
    with _LOCK:
        if key not in _HUEYS:
            path.parent.mkdir(parents=True, exist_ok=True)
            # results=False: a job's outcome is its record (and History), not huey's store.
            huey = SqliteHuey("factcheck", filename=str(path), results=False, immediate=immediate)
            _TASKS[id(huey)] = huey.task(name=TASK)(run_check_task)
            _HUEYS[key] = huey
        return _HUEYS[key]


def _task(huey):
    """The check task's wrapper on `huey` (calling it enqueues a job)."""
    return _TASKS[id(huey)]


def session_payload(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A session's changed settings as the job carries them. A key typed in the browser
    stays in that session: it is never written to the shared queue."""
    if "api_key" in overrides:
        raise JobRefused(
            "This session uses an API key typed on the Settings page. It stays in this "
            "browser and is never written to the shared queue, so the check cannot run: "
            "ask whoever runs the tool to set the key on the server (FACTCHECK_API_KEY), "
            "or remove the key on the Settings page."
        )
    return dict(overrides)


def submit(
    article: Article,
    settings: Settings,
    overrides: Mapping[str, Any],
    *,
    owner: str,
    user: str | None = None,
    huey=None,
) -> str:
    """Queue a check of `article` with the session's `overrides`; the job's id."""
    payload = {
        "article": article.model_dump_json(),
        "overrides": session_payload(overrides),
        "owner": owner,
        "user": user,
        "job_id": uuid.uuid4().hex,
    }
    jobs = job_store(settings)
    from chains.pipeline import article_info

    jobs.create(
        payload["job_id"], owner=owner, user=user,
        title=article_info(article).display_title(80), url=article.url,
    )  # fmt: skip
    huey = huey or make_huey(settings)
    task = _task(huey).s(payload)
    jobs.set_task(payload["job_id"], task.id)  # before a worker can take it
    huey.enqueue(task)
    return payload["job_id"]


class JobStatus(BaseModel):
    job: Job
    ahead: int = 0  # checks to run before this one (queued: the running one counts)
    workers: int = 0  # workers seen in the last 30 s


def status(settings: Settings, job_id: str, *, huey=None) -> JobStatus | None:
    jobs = job_store(settings)
    job = jobs.get(job_id)
    if job is None:
        return None
    ahead = 0
    if job.state == QUEUED:
        huey = huey or make_huey(settings)
        # The queue's own order, of the jobs still waiting: cancelled (revoked) tasks stay
        # in it until a worker skips them, and a running one has left it.
        waiting = {j.task_id for j in jobs.list(states=(QUEUED,), limit=10_000)}
        order = [t.id for t in huey.pending() if t.id in waiting]
        ahead = (order.index(job.task_id) if job.task_id in order else len(order)) + (
            jobs.count_running()
        )
    return JobStatus(job=job, ahead=ahead, workers=jobs.workers_alive())


def cancel(settings: Settings, job_id: str, *, huey=None) -> str | None:
    """Stop a job: a waiting one never starts (its record is cancelled and huey revokes
    its task); a running one stops after the claim it is on, keeping the claims checked.
    The job's state after the request."""
    jobs = job_store(settings)
    state = jobs.request_cancel(job_id)
    job = jobs.get(job_id)
    if job is not None and job.task_id and state != RUNNING:
        (huey or make_huey(settings)).revoke_by_id(job.task_id, revoke_once=True)
    return state


# --- the task (runs in the worker) --------------------------------------------------------------

_STORES: dict[tuple, Any] = {}


def _store(settings: Settings):
    """The worker's archive, opened once per location."""
    from vectorstore.store import open_store

    key = (str(settings.store_dir), settings.chroma_host, settings.chroma_port, settings.collection)
    with _LOCK:
        if key not in _STORES:
            _STORES[key] = open_store(settings)
        return _STORES[key]


def run_check_task(payload: dict[str, Any]) -> str:
    """huey's task: rebuild the session's settings on the worker's own environment (its
    key, its pinned fields and limits) and run the job."""
    from chains.llm import shared_chat_model
    from jobs.records import worker_id
    from jobs.runner import run_job
    from review.history import History

    settings = Settings.for_session(payload["overrides"])
    return run_job(
        payload["job_id"],
        Article.model_validate_json(payload["article"]),
        settings,
        jobs=job_store(settings),
        history=History(settings.history_file()),
        store=_store(settings),
        model_factory=shared_chat_model,
        owner=payload["owner"],
        user=payload["user"],
        worker=worker_id(),
    )
