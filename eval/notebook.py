"""What the notebooks share: where the project and the data are, how big a slice to run,
and where results go.

* ``FACTCHECK_EVAL_DIR``: the development data (default ``../shared/eval`` from the
  project root). A file missing there falls back to the project's own small fixture
  in ``tests/fixtures/eval`` (said in the output), so a notebook runs on a fresh clone.
* ``FACTCHECK_NB_LIMIT``: items per run (CI sets a tiny slice; 0 means all).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "eval"
RESULTS = ROOT / "notebooks" / "results"


def setup() -> Path:
    """Run from the project root with the project importable; returns the root."""
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return ROOT


def eval_dir() -> Path:
    return Path(os.environ.get("FACTCHECK_EVAL_DIR") or ROOT.parent / "shared" / "eval")


def limit(default: int) -> int | None:
    """The slice size: ``FACTCHECK_NB_LIMIT`` when set (0 = everything), else ``default``."""
    raw = os.environ.get("FACTCHECK_NB_LIMIT", "").strip()
    value = int(raw) if raw else default
    return value or None


def data_path(relative: str, fixture: str) -> Path:
    """``eval_dir() / relative`` when it exists, else the project's fixture (said aloud)."""
    path = eval_dir() / relative
    if path.exists():
        return path
    print(f"{path} not found: using the project's fixture {fixture}")
    return FIXTURES / fixture


def save_results(name: str, payload: dict[str, Any]) -> Path:
    """``notebooks/results/<name>-<UTC timestamp>.json`` (figures, prompts, model, date)."""
    now = dt.datetime.now(dt.UTC)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{now:%Y%m%d-%H%M%S}.json"
    body = {"date": now.isoformat(timespec="seconds"), **payload}
    path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
    return path
