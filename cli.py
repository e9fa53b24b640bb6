"""Command line: ingest, check, eval, stats, worker. Thin: every command calls the packages.

Errors print one line on stderr and exit non-zero; no tracebacks for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from settings import Settings


class CliError(Exception):
    pass


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "store", None):
        overrides["store_dir"] = Path(args.store)
    if getattr(args, "top_k", None):
        overrides["top_k"] = args.top_k
    return Settings(**overrides)


def cmd_ingest(args: argparse.Namespace) -> int:
    from vectorstore.ingest import ingest, parse_date
    from vectorstore.store import open_store

    published = parse_date(args.published)
    if args.published and published is None:
        print(
            f"error: --published {args.published!r} is not a date (use YYYY-MM-DD)", file=sys.stderr
        )
        return 2
    settings = _settings(args)
    store = open_store(settings)
    report = ingest(
        args.paths,
        store,
        chunk_chars=settings.chunk_chars,
        allow_private_urls=settings.allow_private_urls,
        source=args.source or "",
        published=published,
    )
    for name in report.added:
        print(f"added     {name}")
    for name in report.duplicates:
        print(f"duplicate {name}")
    for item in report.rejected:
        print(f"rejected  {item.name}: {item.reason}")
    print(
        f"{len(report.added)} added ({report.chunks_added} chunks), "
        f"{len(report.duplicates)} duplicate(s) skipped, {len(report.rejected)} rejected"
    )
    return 1 if report.rejected and not (report.added or report.duplicates) else 0


def _read_article(path: str, settings: Settings):
    from vectorstore.ingest import article_from_text, load_file, read_bytes_as_text
    from vectorstore.limits import check_limits

    if path == "-":
        return article_from_text(read_bytes_as_text(sys.stdin.buffer.read(), "stdin"))
    file = Path(path)
    if not file.is_file():
        raise CliError(f"{path}: no such file")
    articles = load_file(file, limits=check_limits(settings))
    if len(articles) != 1:
        raise CliError(f"{path}: holds {len(articles)} articles; check one at a time")
    return articles[0]


def cmd_check(args: argparse.Namespace) -> int:
    from chains.pipeline import validate_article
    from chains.render import to_markdown

    settings = _settings(args)
    article = _read_article(args.file, settings)
    validate_article(article, settings)  # before a model is loaded
    if not args.in_process and _worker_running(settings):
        report = _check_by_worker(article, settings, args)
    else:
        report = _check_in_process(article, settings, args)
    if args.format == "markdown":
        sys.stdout.write(to_markdown(report))
    elif args.format == "csv":
        from review.exports import claims_csv

        sys.stdout.write(claims_csv(report, {}))
    else:
        print(report.model_dump_json(indent=2))
    return 0


def _worker_running(settings: Settings) -> bool:
    from jobs.queue import job_store

    try:
        return job_store(settings).workers_alive() > 0
    except Exception:  # noqa: BLE001 - no job file yet, or unreadable: check here instead
        return False


def _check_in_process(article, settings: Settings, args: argparse.Namespace):
    """No worker runs (or --in-process): load the model in this process."""
    from chains.llm import make_chat_model
    from chains.pipeline import ReportCache, check_article
    from vectorstore.store import open_store

    def progress(p) -> None:
        if not args.quiet:
            print(f"[{p.stage}] {p.message}", file=sys.stderr)

    return check_article(
        article,
        model=make_chat_model(settings),
        store=open_store(settings),
        settings=settings,
        progress=progress,
        cache=None if args.no_cache else ReportCache(settings.cache_dir / "reports"),
    )


def _check_by_worker(article, settings: Settings, args: argparse.Namespace):
    """The worker that serves the app runs this check too, in the same queue; Ctrl+C
    cancels the job. The report is also kept in History (owner "cli")."""
    import time

    from jobs import queue
    from jobs.records import DONE, STOPPED
    from jobs.runner import load_error
    from review.history import History

    overrides = {"top_k": settings.top_k} if args.top_k else {}
    if args.store:
        overrides["store_dir"] = settings.store_dir
    if args.no_cache:
        raise CliError("--no-cache needs --in-process (the worker's cache is shared)")
    job_id = queue.submit(article, settings, overrides, owner="cli")
    said = ""
    try:
        while True:
            state = queue.status(settings, job_id)
            job = state.job
            line = (
                f"[waiting] {state.ahead} check(s) ahead" if job.state == "queued"
                else f"[{job.stage or job.state}] {job.message}"
            )  # fmt: skip
            if line != said and not args.quiet:
                print(line, file=sys.stderr)
                said = line
            if job.finished:
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        queue.cancel(settings, job_id)
        raise
    if job.state == DONE and job.check_id:
        return History(settings.history_file()).load(job.check_id)[0]
    if job.state == STOPPED and job.partial is not None:
        return job.partial
    if job.error:
        raise load_error(job.error)
    raise CliError(f"the check ended as {job.state}")


def cmd_worker(args: argparse.Namespace) -> int:
    import logging

    from jobs.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run_worker(_settings(args), workers=args.jobs)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from vectorstore.store import open_store

    stats = open_store(_settings(args)).stats()
    if args.format == "json":
        print(json.dumps(stats, indent=2, default=str))
    else:
        print(f"articles: {stats['articles']}\nchunks:   {stats['chunks']}")
        print(
            f"dates:    {stats.get('first_published') or '-'} to {stats.get('last_published') or '-'}"
        )
        for source, n in sorted(stats.get("sources", {}).items()):
            print(f"source:   {source or '(none)'}: {n}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.command import render_text, run_eval

    if bool(args.data) == bool(args.path):
        raise CliError(f"eval {args.task}: give the data as PATH or as --data PATH (once)")
    result = run_eval(
        args.task,
        data=args.data or args.path,
        limit=args.limit,
        store=args.store,
        mode=args.mode,
        view=args.view,
        distractors=args.distractors or (),
        passages=args.passages,
        method=args.method,
        weight=args.weight,
        claims=args.claims,
        tune=args.tune,
        case=args.case or (),
        use_cache=not args.no_cache,
        progress=not args.quiet,
    )
    if args.format == "json":
        print(json.dumps(result, indent=2, default=str))
    else:
        sys.stdout.write(render_text(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cli.py", description="Fact-check articles against the archive."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add files, folders or URLs to the archive")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--store", metavar="DIR")
    p.add_argument("--source", metavar="NAME", help="replaces the source the files give")
    p.add_argument(
        "--published", metavar="YYYY-MM-DD", help="replaces the publication date the files give"
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("check", help="check an article (a file, or - for stdin)")
    p.add_argument("file", metavar="FILE|-")
    p.add_argument("--store", metavar="DIR")
    p.add_argument("--format", choices=["json", "markdown", "csv"], default="json")
    p.add_argument("--top-k", type=int, metavar="N")
    p.add_argument("--no-cache", action="store_true", help="recompute even if cached")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument(
        "--in-process", action="store_true", help="load the model here even when a worker runs"
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("worker", help="run queued checks (the app's and the CLI's) until stopped")
    p.add_argument("--store", metavar="DIR")
    p.add_argument(
        "--jobs", type=int, default=1, metavar="N",
        help="checks at once (1 for the embedded model; a model server's parallel slots)",
    )  # fmt: skip
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("eval", help="score a stage on labelled data (see eval/)")
    p.add_argument("task", choices=["verdicts", "retrieval", "checkworthiness", "cases"])
    p.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="the data (cases: a case folder or a folder of them)",
    )
    p.add_argument("--data", metavar="PATH", help="a dataset file or folder (same as PATH)")
    p.add_argument("--limit", type=int, metavar="N", help="a seeded sample, stratified by label")
    p.add_argument("--store", metavar="DIR", help="verdicts end-to-end: the archive to use")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--mode", choices=["given", "end-to-end"], help="verdicts (default given)")
    p.add_argument("--view", choices=["claims", "pairs"], default="claims", help="Climate-FEVER")
    p.add_argument("--distractors", action="append", metavar="DIR", help="end-to-end: add these")
    p.add_argument(
        "--passages", type=int, default=0, metavar="N", help="chunks of a long doc (0: whole)"
    )
    p.add_argument("--method", choices=["dense", "bm25", "hybrid"], default="hybrid")
    p.add_argument(
        "--weight", type=float, help="retrieval hybrid: weight of dense scores (default 0.7)"
    )
    p.add_argument("--claims", metavar="PATH", help="CLEF verified_claims.docs.tsv")
    p.add_argument(
        "--tune",
        type=int,
        metavar="N",
        help="checkworthiness: choose the threshold on N other sentences",
    )
    p.add_argument(
        "--case", action="append", metavar="NAME", help="cases: only this case folder (repeatable)"
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("stats", help="what the archive holds")
    p.add_argument("--store", metavar="DIR")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI's contract: one line, no traceback
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
