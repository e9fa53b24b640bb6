"""Plumbing shared by the evaluation runners: a resumable result cache, a progress line,
hashing of data files, and the header every result carries.

* ``ResultCache``: the predictions of one run configuration (task, data file hash,
  model, prompt version, mode, options and ``code_version`` of the modules that make
  the prediction) as a JSONL file under
  ``settings.cache_dir / "eval"``, one line per finished item, appended (and flushed)
  as each item finishes. An interrupted run resumes from it: the items it holds are
  not asked of the model again. A damaged last line (a run killed mid-write) is
  ignored. ``ResultCache(None)`` keeps results in memory only (``--no-cache``).
* ``ProgressLine``: one line on stderr rewritten in place on a terminal, and a line
  every 10% (or 30 s) otherwise; no dependency.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import statistics
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

SCHEMA = 1  # bump when the shape of cached values changes


def stable_hash(value: Any, length: int = 16) -> str:
    """Short sha256 of a JSON-serialisable value (keys sorted)."""
    data = json.dumps(value, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:length]


def path_hash(path: str | Path, length: int = 16) -> str:
    """Short sha256 of a file's bytes, or of a folder's visible files (names and bytes)."""
    p = Path(path)
    digest = hashlib.sha256()
    files = (
        sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        if p.is_dir()
        else [p]
    )
    for f in files:
        digest.update(str(f.relative_to(p) if p.is_dir() else f.name).encode("utf-8") + b"\0")
        with f.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:length]


def code_version(*modules: str, length: int = 12) -> str:
    """Short hash of the named modules' source files: the code that turns model output
    into a prediction is part of a cache key, so a change to it recomputes the items."""
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            raise ValueError(f"no module named {name!r}")
        digest.update(name.encode("utf-8") + b"\0" + Path(spec.origin).read_bytes())
    return digest.hexdigest()[:length]


class ResultCache:
    """Item id -> cached prediction (a JSON object), stored as JSONL at ``path``."""

    def __init__(self, path: Path | None, config: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self.config = dict(config or {})
        self.records: dict[str, dict[str, Any]] = {}
        if path is not None and path.is_file():
            self._load(path)

    @classmethod
    def for_run(cls, folder: Path | None, task: str, config: Mapping[str, Any]) -> ResultCache:
        """The cache of one run configuration; ``folder=None`` keeps it in memory."""
        if folder is None:
            return cls(None, config)
        key = stable_hash({"schema": SCHEMA, "task": task, **config})
        return cls(Path(folder) / f"{task}-{key}.jsonl", config)

    def _load(self, path: Path) -> None:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interrupted write
                if isinstance(row, dict) and "key" in row and isinstance(row.get("value"), dict):
                    self.records[str(row["key"])] = row["value"]

    def __contains__(self, key: object) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.records.get(key)

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.records[key] = value
        if self.path is None:
            return
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            if new:  # a header line for whoever opens the file; ignored when loading
                fh.write(json.dumps({"config": self.config}, default=str) + "\n")
            fh.write(json.dumps({"key": key, "value": value}, default=str) + "\n")
            fh.flush()


def earlier_records(
    folder: Path | None,
    task: str,
    config: Mapping[str, Any],
    differing: str | tuple[str, ...] = "code",
) -> dict[str, dict[str, Any]]:
    """Records of earlier runs whose configuration equals ``config`` except ``differing``
    (the code, or fitted files, that turn the model's answers into predictions; one key
    or a tuple), newest file winning:
    their recorded model answers can be replayed instead of asking the model again."""
    if folder is None or not Path(folder).is_dir():
        return {}
    skip = {differing} if isinstance(differing, str) else set(differing)
    wanted = {k: v for k, v in config.items() if k not in skip}
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(folder).glob(f"{task}-*.jsonl"), key=lambda f: f.stat().st_mtime):
        with path.open(encoding="utf-8") as fh:
            try:
                head = json.loads(fh.readline()).get("config", {})
            except (json.JSONDecodeError, AttributeError):
                continue
        if {k: v for k, v in head.items() if k not in skip} == wanted:
            found |= ResultCache(path).records
    return found


class ProgressLine:
    """``label done/total elapsed eta`` on stderr; in place on a terminal."""

    def __init__(
        self,
        total: int,
        label: str,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        done: int = 0,
    ) -> None:
        self.total = total
        self.label = label
        self.enabled = enabled and total > 0
        self.stream = stream or sys.stderr
        self.done = done
        self.started = time.monotonic()
        self._skipped = done  # items already cached do not count towards the rate
        self._last_print = 0.0
        self._last_decile = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def _line(self, note: str) -> str:
        elapsed = time.monotonic() - self.started
        fresh = self.done - self._skipped
        left = self.total - self.done
        eta = f", eta {_clock(elapsed / fresh * left)}" if fresh and left else ""
        text = f"{self.label} {self.done}/{self.total} [{_clock(elapsed)}{eta}]"
        return f"{text} {note}".rstrip()

    def update(self, n: int = 1, note: str = "") -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if self._tty:
            self.stream.write("\r\033[K" + self._line(note)[:160])
            self.stream.flush()
            return
        decile = math.floor(10 * self.done / self.total)
        if decile != self._last_decile or now - self._last_print >= 30 or self.done == self.total:
            self._last_decile, self._last_print = decile, now
            print(self._line(note), file=self.stream, flush=True)

    def close(self) -> None:
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h"


def median_seconds(records: Iterable[Mapping[str, Any]]) -> float | None:
    """Median of the ``seconds`` recorded per item (cached items included)."""
    values = [float(r["seconds"]) for r in records if r.get("seconds") is not None]
    return round(statistics.median(values), 3) if values else None


def header(
    task: str,
    data: str | Path,
    *,
    model: str | None,
    prompt_version: str | None,
    mode: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """The fields every result starts with: what was run on what."""
    return {
        "task": task,
        "data": str(data),
        "mode": mode,
        "model": model,
        "prompt_version": prompt_version,
        "limit": limit,
    }


def rounded(value: Any, digits: int = 4) -> Any:
    """Floats rounded (NaN becomes None, which JSON can hold), recursively."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    if isinstance(value, Mapping):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value
