"""Shared helpers for the benchmarks: project imports, timing, machine facts, JSON output.

The benchmarks are scripts (`python bench/bench_ingest.py`), so this module puts the project
root on `sys.path` before anything from the project is imported.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_STARTED = time.perf_counter()


def log(message: str) -> None:
    """Progress on stderr (stdout holds only the JSON result)."""
    print(f"[{time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def load_avg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not available on this platform
        return None


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "load_avg_1_5_15_at_start": load_avg(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def rate(count: int, seconds: float) -> float | None:
    return round(count / seconds, 2) if seconds > 0 else None


def median(values: list[float]) -> float:
    return statistics.median(values)


def run_with_timeout(fn: Callable[[], Any], seconds: float) -> Any:
    """fn() in a daemon thread; TimeoutError if it has not returned in time (it is abandoned)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def rounded(value: Any, digits: int = 4) -> Any:
    """Floats to `digits` significant digits for reading, recursively."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value


def emit(result: dict[str, Any]) -> None:
    result.setdefault("machine", {})["load_avg_1_5_15_at_end"] = load_avg()
    print(json.dumps(rounded(result), indent=2, default=str))


def first_sentences(path: Path, n: int):
    """The article in the file, cut to its first n sentences (a short article)."""
    from vectorstore.ingest import article_from_text, load_file
    from vectorstore.sentences import sentence_spans

    article = load_file(path)[0]
    spans = sentence_spans(article.text)[:n]
    text = " ".join(article.text[a:b] for a, b in spans)
    return article_from_text(text, article.title, article.source, article.published)
