"""The worker process: it owns the model and runs the queued checks one at a time.

`python cli.py worker` (started by scripts/run_app.sh beside the app). One consumer
thread: the embedded model answers one call at a time, and a job that keeps the model to
itself keeps llama.cpp's cached prompt prefix (two checks in turns cost far more than one
after the other). With a model server that has parallel slots, `--jobs N` runs N checks
at once, each its own thread.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from jobs.queue import job_store, make_huey
from jobs.records import FAILED, worker_id
from settings import Settings

log = logging.getLogger("factcheck.jobs")
HEARTBEAT_SECONDS = 5.0
JOB_DAYS = 7.0  # finished job records kept this long (the checks themselves are in History)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphans(settings: Settings) -> list[str]:
    """Jobs left 'running' by a worker of this host that died (killed, machine restart):
    marked failed so their reporters are told instead of waiting for ever."""
    jobs = job_store(settings)
    failed = []
    for job_id, pid in jobs.orphans(socket.gethostname()):
        if pid == os.getpid() or not _alive(pid):
            jobs.finish(
                job_id,
                FAILED,
                error=[RuntimeError("The worker stopped during this check. Check it again.")],
            )
            failed.append(job_id)
    return failed


def _heartbeat(settings: Settings, me: str, stop: threading.Event) -> None:
    jobs = job_store(settings)
    while True:
        try:
            jobs.heartbeat(me)
        except Exception:  # noqa: BLE001 - a busy file now and then; the next beat retries
            log.warning("worker heartbeat failed", exc_info=True)
        if stop.wait(HEARTBEAT_SECONDS):
            return


def _warm(settings: Settings) -> None:
    """Load the worker's model and keep its prompts' fixed parts, before the first check
    asks for them (a failure here is the first check's to report)."""
    from chains.llm import shared_chat_model
    from chains.pipeline import warm_prompts

    try:
        tokens = warm_prompts(shared_chat_model(settings))
        log.info("model ready; %d prompt tokens kept for every check", tokens)
    except Exception:  # noqa: BLE001 - the first check says what is wrong, in words
        log.warning("could not load the model ahead of the first check", exc_info=True)


def make_consumer(settings: Settings, *, workers: int = 1):
    huey = make_huey(settings)
    # Polls at most a second apart: a reporter waits at most that long for a start.
    return huey.create_consumer(
        workers=workers, worker_type="thread", periodic=False, max_delay=1.0
    )


def run_worker(settings: Settings, *, workers: int = 1) -> None:
    """Run checks until SIGINT/SIGTERM (huey's consumer handles both: the running check
    ends first on SIGINT; SIGTERM interrupts it, and the next worker marks it failed)."""
    me = worker_id()
    for job_id in fail_orphans(settings):
        log.warning("job %s was left running by a dead worker: marked failed", job_id)
    if pruned := job_store(settings).prune(JOB_DAYS):
        log.info("forgot %d finished job(s) older than %g days", pruned, JOB_DAYS)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(settings, me, stop), daemon=True)
    beat.start()
    threading.Thread(target=_warm, args=(settings,), daemon=True).start()
    try:
        make_consumer(settings, workers=workers).run()
    finally:
        stop.set()
        # A check this worker was running when it was stopped will not finish: say so.
        for job_id in fail_orphans(settings):
            log.warning("job %s was running when the worker stopped: marked failed", job_id)
        job_store(settings).retire(me)
