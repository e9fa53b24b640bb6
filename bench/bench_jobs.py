"""Two checks queued at the same moment against each checked alone, through the real
worker process (`cli.py worker`, the embedded model) and the real queue, in one run.

Prints JSON: each article's seconds alone (queued into an idle worker) and together (both
queued at once; each one's time from its submit to its end), the wall time of the pair,
and `together_over_sum` = wall time of the pair / sum of the times alone (issue 11's
target: at most 1.15). The worker is warmed up first (model loaded), and each phase has a
report cache of its own, so nothing is answered from the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _util import ROOT, first_sentences, load_avg, log, machine

DEFAULT_ARTICLES = [ROOT / "data/cases/city-hall/article.md", ROOT / "data/cases/courts/article.md"]


def wait_job(settings, job_id: str, timeout: float) -> dict[str, Any]:
    from jobs import queue

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = queue.status(settings, job_id).job
        if job.finished:
            return {"state": job.state, "total": job.total}
        time.sleep(0.25)
    raise TimeoutError(f"job {job_id} did not finish within {timeout} s")


def run_jobs(settings, articles, phase: Path, timeout: float) -> list[dict[str, Any]]:
    """Queue every article at once (threads, as separate app sessions would); each one's
    seconds from its submit to its end."""
    from jobs import queue

    results: list[dict[str, Any]] = [{} for _ in articles]

    def one(i: int) -> None:
        started = time.perf_counter()
        job_id = queue.submit(articles[i], settings, {"cache_dir": phase}, owner=f"bench-{i}")
        outcome = wait_job(settings, job_id, timeout)
        results[i] = {**outcome, "seconds": round(time.perf_counter() - started, 2)}

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(articles))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--article", action="append", type=Path, help="two article files")
    parser.add_argument("--sentences", type=int, default=7, help="first N sentences of each")
    parser.add_argument(
        "--archive", action="append", type=Path,
        help="archive folders (default: the archive folder beside each article)",
    )  # fmt: skip
    parser.add_argument("--top-k", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    paths = args.article or DEFAULT_ARTICLES
    if len(paths) != 2:
        parser.error("give two --article files (or none for the defaults)")

    from chains.model_file import model_path
    from settings import Settings
    from vectorstore.ingest import ingest
    from vectorstore.store import open_store

    model = model_path(Settings())
    facts = machine()  # the load average at the start
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp_name:
        tmp = Path(tmp_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
        env.update(
            FACTCHECK_STORE_DIR=str(tmp / "store"),
            FACTCHECK_CACHE_DIR=str(tmp / "cache"),
            FACTCHECK_HISTORY_PATH=str(tmp / "shared" / "history.sqlite3"),
            FACTCHECK_MODEL_PATH=str(model),
            FACTCHECK_TOP_K=str(args.top_k),
        )
        os.environ.update({k: v for k, v in env.items() if k.startswith("FACTCHECK_")})
        settings = Settings()
        archives = args.archive or [p.parent / "archive" for p in paths]
        log(f"ingesting {', '.join(map(str, archives))}")
        ingest([str(a) for a in archives], open_store(settings), chunk_chars=settings.chunk_chars)
        articles = [first_sentences(p, args.sentences) for p in paths]

        log("starting the worker")
        worker = subprocess.Popen(
            [sys.executable, "cli.py", "worker"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=(tmp / "worker.log").open("wb"),
        )  # fmt: skip
        try:
            from jobs.queue import job_store

            while not job_store(settings).workers_alive():
                time.sleep(0.5)
            log("warming up (the worker loads the model)")
            warm = first_sentences(paths[0], 1)
            run_jobs(settings, [warm], tmp / "warm", args.timeout)
            alone = []
            for i, article in enumerate(articles):
                log(f"article {i + 1} alone")
                alone += run_jobs(settings, [article], tmp / f"alone-{i}", args.timeout)
            log("both at once")
            started = time.perf_counter()
            together = run_jobs(settings, articles, tmp / "together", args.timeout)
            wall = time.perf_counter() - started
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
    total_alone = sum(r["seconds"] for r in alone)
    print(
        json.dumps(
            {
                "articles": [
                    {"path": str(p), "sentences": args.sentences, "chars": len(a.text)}
                    for p, a in zip(paths, articles, strict=True)
                ],
                "top_k": args.top_k,
                "alone": alone,
                "alone_sum_seconds": round(total_alone, 2),
                "together": together,
                "together_wall_seconds": round(wall, 2),
                "together_over_sum": round(wall / total_alone, 3) if total_alone else None,
                "machine": facts,
                "load_avg_at_end": load_avg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
