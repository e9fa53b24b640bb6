"""Readers for check-worthiness data (CheckThat! 2019 tsv, ClaimBuster json); see eval.datasets.

* CheckThat! 2019 Task 1: one debate or speech per tsv file, one sentence a line:
  line number TAB speaker TAB sentence TAB label (1 = check-worthy). Not CSV-quoted:
  quotes are literal text. The debate id is the file name without ``.tsv``.
* ClaimBuster: a json list of ``{sentence_id, label, text}``, with no debate,
  speaker or position field. The file is ordered by label (all 1s, then all 0s), so
  keeping file order would leak the labels to any scorer that breaks ties by input
  order. The choice made here: one pseudo-debate ``claimbuster`` whose sentences are
  sorted by ``sentence_id`` (which follows transcript order); a ``debate`` /
  ``debate_id`` / ``file`` field, if a future file has one, groups by it instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

CLAIMBUSTER_DEBATE = "claimbuster"
_GROUP_FIELDS = ("debate", "debate_id", "file")


class Sentence(BaseModel):
    id: str
    speaker: str = ""
    text: str
    label: int  # 1 = check-worthy, 0 = not


class Debate(BaseModel):
    id: str
    sentences: list[Sentence] = Field(default_factory=list)


def read_checkthat2019_file(path: str | Path) -> Debate:
    """One CheckThat! 2019 tsv file as a debate."""
    p = Path(path)
    sentences = []
    for line in p.read_text(encoding="utf-8-sig").splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or not parts[-1].strip().isdigit():
            continue
        sentences.append(
            Sentence(
                id=parts[0].strip(),
                speaker=parts[1].strip(),
                text="\t".join(parts[2:-1]).strip(),
                label=int(parts[-1]),
            )
        )
    return Debate(id=p.stem, sentences=sentences)


def _sort_key(row: dict[str, Any]) -> tuple[int, str]:
    sid = str(row.get("sentence_id", ""))
    return (int(sid), "") if sid.lstrip("-").isdigit() else (0, sid)


def _claimbuster_sentence(row: dict[str, Any], pos: int) -> Sentence:
    return Sentence(
        id=str(row.get("sentence_id", pos)),
        speaker=str(row.get("speaker") or ""),
        text=str(row["text"]),
        label=int(row["label"]),
    )


def read_claimbuster(path: str | Path) -> list[Debate]:
    """ClaimBuster json grouped into debates (see the module docstring for the choice)."""
    rows: list[dict[str, Any]] = json.loads(Path(path).read_text(encoding="utf-8"))
    field = next((f for f in _GROUP_FIELDS if rows and f in rows[0]), None)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row[field]) if field else CLAIMBUSTER_DEBATE, []).append(row)
    return [
        Debate(
            id=debate_id,
            sentences=[
                _claimbuster_sentence(r, i) for i, r in enumerate(sorted(group, key=_sort_key))
            ],
        )
        for debate_id, group in groups.items()
    ]


def _tsv_files(folder: Path) -> Iterable[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".tsv")


def read_checkworthiness(path: str | Path) -> list[Debate]:
    """Debates from a ClaimBuster ``.json``, a CheckThat! ``.tsv`` or a folder of them."""
    p = Path(path)
    if p.is_dir():
        return [read_checkthat2019_file(f) for f in _tsv_files(p)]
    if p.suffix == ".json":
        return read_claimbuster(p)
    return [read_checkthat2019_file(p)]
