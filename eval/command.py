"""``cli.py eval verdicts|retrieval|checkworthiness|cases``: dispatch and a readable table.

``run_eval`` takes the command's options as keywords, builds what the task needs (the
chat model only for verdicts, check-worthiness and cases) and returns the result dict that
``--format json`` prints; ``render_text`` is the default table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from settings import Settings

TASKS = ("verdicts", "retrieval", "checkworthiness", "cases")


def run_eval(
    task: str,
    *,
    data: str | Path,
    settings: Settings | None = None,
    model: Any = None,
    limit: int | None = None,
    store: str | Path | None = None,
    mode: str | None = None,
    view: str = "claims",
    distractors: Sequence[str] = (),
    passages: int = 0,
    method: str = "hybrid",
    weight: float | None = None,  # retrieval hybrid: None = the runner's default
    claims: str | Path | None = None,
    tune: int | None = None,
    cv: str | None = None,  # verdicts: "documents" adds cross-validated figures
    replay_only: bool = False,  # verdicts: never ask the model, only recorded answers
    case: Sequence[str] = (),  # cases: only the case folders with these names
    use_cache: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Run one evaluation task on ``data`` and return its figures.

    ``mode`` (verdicts) defaults to ``end-to-end`` when ``store`` or ``distractors`` is
    given, else ``given``. ``store`` is only used by end-to-end verdicts.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    if not Path(data).exists():
        raise FileNotFoundError(f"{data}: no such file or folder")
    if limit is not None and limit < 1:
        raise ValueError("--limit must be at least 1")
    settings = settings or Settings()
    notes: list[str] = []
    if store and not (task == "verdicts" and mode != "given"):
        notes.append(f"--store is not used by {task}" + (" in given mode" if mode else ""))
    if task == "retrieval":
        from eval.run_retrieval import run_retrieval

        result = run_retrieval(
            data,
            settings=settings,
            method=method,
            weight=weight,
            claims=claims,
            limit=limit,
            use_cache=use_cache,
        )
    else:
        if task == "cases":
            from eval.cases import read_cases

            read_cases(data)  # a broken case fails before any model is built
        if model is None:
            from chains.llm import make_chat_model

            model = make_chat_model(settings)
        if task == "cases":
            from eval.run_cases import run_cases

            result = run_cases(
                data,
                model=model,
                settings=settings,
                only=case,
                use_cache=use_cache,
                progress=progress,
            )
        elif task == "checkworthiness":
            from eval.run_checkworthiness import run_checkworthiness

            result = run_checkworthiness(
                data,
                model=model,
                settings=settings,
                tune=tune,
                limit=limit,
                use_cache=use_cache,
                progress=progress,
            )
        else:
            from eval.run_verdicts import VerdictOptions, run_verdicts

            mode = mode or ("end-to-end" if store or distractors else "given")
            options = VerdictOptions(
                mode=mode,
                view=view,
                passages=passages,
                distractors=tuple(distractors),
                store_dir=Path(store) if store and mode == "end-to-end" else None,
                limit=limit,
                cv=cv,
                replay_only=replay_only,
            )
            result = run_verdicts(
                data,
                model=model,
                settings=settings,
                options=options,
                use_cache=use_cache,
                progress=progress,
            )
    if notes:
        result["notes"] = notes
    return result


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return "-" if value is None else str(value)


def _matrix(rows: Mapping[str, Mapping[str, Any]], corner: str) -> list[str]:
    columns = list(next(iter(rows.values())).keys()) if rows else []
    width = max([len(corner), *(len(r) for r in rows)]) + 2
    cell = max([8, *(len(c) + 2 for c in columns)])
    lines = [corner.ljust(width) + "".join(c.rjust(cell) for c in columns)]
    for name, row in rows.items():
        lines.append(name.ljust(width) + "".join(_fmt(row.get(c)).rjust(cell) for c in columns))
    return lines


def render_text(result: Mapping[str, Any]) -> str:
    """Scalars as ``key: value`` lines, then the tables (per class, confusion, ...)."""
    scalars = {k: v for k, v in result.items() if not isinstance(v, Mapping | list)}
    width = max((len(k) for k in scalars), default=0) + 1
    lines = [f"{(k + ':').ljust(width)} {_fmt(v)}" for k, v in scalars.items()]
    for key, value in result.items():
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            # rows (cases: one per expected sentence): the values, tab-separated
            lines += ["", f"{key}:", "\t".join(value[0])]
            lines += ["\t".join(_fmt(v) for v in row.values()) for row in value]
        elif isinstance(value, list):
            lines += ["", f"{key}:", *(f"  {_fmt(v)}" for v in value)]
        elif isinstance(value, Mapping) and value:
            lines.append("")
            first = next(iter(value.values()))
            if key == "confusion":
                lines += _matrix(value, "gold \\ predicted")
            elif isinstance(first, Mapping):
                lines += _matrix(value, key)
            else:
                lines.append(f"{key}:")
                lines += [f"  {k}: {_fmt(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"
