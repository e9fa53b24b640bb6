"""Typed readers for the public development data (see ../shared/eval/README.md).

The files are read in place, never copied into the project. Three kinds of data:

* verdicts (claim vs evidence) -> ``list[VerdictItem]``: Climate-FEVER (pairs and
  claims views), SummEdits and AVeriTeC; ``read_verdicts`` picks the reader.
* retrieval -> ``read_clef_retrieval``: CLEF 2020 CheckThat! Task 2 queries,
  verified claims and qrels.
* check-worthiness -> ``read_checkworthiness``: CheckThat! 2019 debates (one per
  tsv file) or ClaimBuster json.

Verdict labels are normalised to SUPPORTED / CONTRADICTED / NOT_ENOUGH_INFO, with
DISPUTED (Climate-FEVER) and CONFLICTING (AVeriTeC) kept distinct so callers can
drop or score them separately; SummEdits is binary: SUPPORTED / NOT_SUPPORTED.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

# re-exported: the public API is ``eval.datasets``
from eval.checkworthiness_data import Debate as Debate
from eval.checkworthiness_data import Sentence as Sentence
from eval.checkworthiness_data import read_checkworthiness as read_checkworthiness
from eval.retrieval_data import read_clef_retrieval as read_clef_retrieval

SUPPORTED = "SUPPORTED"
CONTRADICTED = "CONTRADICTED"
NOT_ENOUGH_INFO = "NOT_ENOUGH_INFO"
DISPUTED = "DISPUTED"
CONFLICTING = "CONFLICTING"
NOT_SUPPORTED = "NOT_SUPPORTED"

_LABELS: dict[str, str] = {
    "supports": SUPPORTED,
    "supported": SUPPORTED,
    "refutes": CONTRADICTED,
    "refuted": CONTRADICTED,
    "contradicts": CONTRADICTED,
    "contradicted": CONTRADICTED,
    "not enough info": NOT_ENOUGH_INFO,
    "not enough evidence": NOT_ENOUGH_INFO,
    "nei": NOT_ENOUGH_INFO,
    "disputed": DISPUTED,
    "conflicting": CONFLICTING,
    "conflicting evidence/cherrypicking": CONFLICTING,
    "not supported": NOT_SUPPORTED,
}


class VerdictItem(BaseModel):
    """One claim to judge, its evidence texts and its normalised gold label."""

    id: str
    claim: str
    evidence: list[str] = Field(default_factory=list)
    label: str
    documents: list[dict[str, str]] = Field(default_factory=list)  # title/text for end-to-end
    edit_types: list[str] = Field(default_factory=list)  # SummEdits only
    source: str = ""  # dataset name
    meta: dict[str, Any] = Field(default_factory=dict)


def normalise_label(raw: str) -> str:
    """Map a dataset's label to SUPPORTED / CONTRADICTED / NOT_ENOUGH_INFO / DISPUTED / ..."""
    key = " ".join(str(raw).strip().lower().replace("_", " ").replace("-", " ").split())
    if key in _LABELS:
        return _LABELS[key]
    if key.startswith("conflicting"):
        return CONFLICTING
    raise ValueError(f"unknown verdict label: {raw!r}")


# ------------------------------------------------------------- Climate-FEVER


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _cf_documents(evidences: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"title": str(e.get("article", "")), "text": str(e["evidence"])} for e in evidences]


def read_climate_fever_pairs(path: str | Path) -> list[VerdictItem]:
    """One item per claim-evidence pair, labelled with the evidence's own label."""
    items = []
    for row in _read_jsonl(Path(path)):
        for i, ev in enumerate(row.get("evidences", [])):
            items.append(
                VerdictItem(
                    id=f"{row['claim_id']}/{i}",
                    claim=row["claim"],
                    evidence=[ev["evidence"]],
                    label=normalise_label(ev["evidence_label"]),
                    documents=_cf_documents([ev]),
                    source="climate-fever",
                    meta={"claim_id": str(row["claim_id"]), "evidence_id": ev.get("evidence_id")},
                )
            )
    return items


def read_climate_fever_claims(path: str | Path) -> list[VerdictItem]:
    """One item per claim with all its evidence sentences and the claim label."""
    items = []
    for row in _read_jsonl(Path(path)):
        evidences = row.get("evidences", [])
        items.append(
            VerdictItem(
                id=str(row["claim_id"]),
                claim=row["claim"],
                evidence=[e["evidence"] for e in evidences],
                label=normalise_label(row["claim_label"]),
                documents=_cf_documents(evidences),
                source="climate-fever",
                meta={"evidence_labels": [e.get("evidence_label") for e in evidences]},
            )
        )
    return items


# ----------------------------------------------------------------- SummEdits


def _edit_types(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(x) for x in raw]
    if not raw:
        return []
    try:
        value = ast.literal_eval(str(raw))
    except (ValueError, SyntaxError):
        return [part.strip() for part in str(raw).split(",") if part.strip()]
    return [str(x) for x in value] if isinstance(value, list | tuple) else [str(value)]


def read_summedits(path: str | Path) -> list[VerdictItem]:
    """Each summary is a claim, its ``doc`` the evidence; "1" SUPPORTED, "0" NOT_SUPPORTED."""
    items = []
    for row in json.loads(Path(path).read_text(encoding="utf-8")):
        doc = str(row["doc"])
        doc_id = hashlib.sha1(doc.encode("utf-8")).hexdigest()[:12]
        items.append(
            VerdictItem(
                id=str(row["id"]),
                claim=row["summary"],
                evidence=[doc],
                label=SUPPORTED if str(row["label"]).strip() == "1" else NOT_SUPPORTED,
                documents=[{"title": "", "text": doc, "doc_id": doc_id}],
                edit_types=_edit_types(row.get("edit_types")),
                source="summedits",
                meta={"doc_id": doc_id, "original_summary": row.get("original_summary", "")},
            )
        )
    return items


# ------------------------------------------------------------------ AVeriTeC


def _averitec_evidence(claim: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    texts: list[str] = []
    documents: list[dict[str, str]] = []
    for question in claim.get("questions") or []:
        for answer in question.get("answers") or []:
            text = str(answer.get("answer") or "").strip()
            explanation = str(answer.get("boolean_explanation") or "").strip()
            if explanation:
                text = f"{text}. {explanation}" if text else explanation
            if not text:
                continue
            texts.append(text)
            documents.append(
                {
                    "title": str(question.get("question") or ""),
                    "text": text,
                    "url": str(answer.get("source_url") or ""),
                }
            )
    return texts, documents


def read_averitec(path: str | Path) -> list[VerdictItem]:
    """AVeriTeC claims; evidence from ``questions[].answers[].answer``.

    Lenient: ``questions``/``answers`` may be missing, the id is ``id`` or
    ``claim_id`` or the list position; claims without a label (a test split) are
    skipped, since they cannot be scored.
    """
    items = []
    for pos, claim in enumerate(json.loads(Path(path).read_text(encoding="utf-8"))):
        if not claim.get("label"):
            continue
        texts, documents = _averitec_evidence(claim)
        items.append(
            VerdictItem(
                id=str(claim.get("id", claim.get("claim_id", pos))),
                claim=claim["claim"],
                evidence=texts,
                label=normalise_label(claim["label"]),
                documents=documents,
                source="averitec",
                meta={k: claim[k] for k in ("speaker", "claim_date") if claim.get(k)},
            )
        )
    return items


# ------------------------------------------------------------- auto-detect


def _sniff_json(path: Path) -> str:
    head = path.read_text(encoding="utf-8").lstrip()[:1]
    if head == "{":  # jsonl: one object a line
        return "climate-fever"
    first = (json.loads(path.read_text(encoding="utf-8")) or [{}])[0]
    if "summary" in first and "doc" in first:
        return "summedits"
    if "claim" in first and ("questions" in first or "label" in first):
        return "averitec"
    raise ValueError(f"cannot tell the verdict format of {path}")


def read_verdicts(
    path: str | Path, view: Literal["claims", "pairs"] = "claims"
) -> list[VerdictItem]:
    """Read any verdict file, detecting the format by name, then by content.

    ``view`` chooses the Climate-FEVER reader (claims or claim-evidence pairs).
    """
    p = Path(path)
    name = p.name.lower()
    kind = next((k for k in ("climate-fever", "summedits", "averitec") if k in name), None)
    kind = kind or _sniff_json(p)
    if kind == "climate-fever":
        return read_climate_fever_pairs(p) if view == "pairs" else read_climate_fever_claims(p)
    return read_summedits(p) if kind == "summedits" else read_averitec(p)


# ------------------------------------------------------------------ sampling

T = TypeVar("T")


def sample_stratified(
    items: Sequence[T], limit: int, key: Callable[[T], Hashable], seed: int = 13
) -> list[T]:
    """A deterministic sample of ``limit`` items, stratified by ``key`` (e.g. the label).

    Each stratum gets floor(limit * share), the remainder going to the largest
    fractional parts (ties by stratum order); within a stratum the pick is a
    ``random.Random`` seeded with ``seed`` and the stratum, so it does not depend
    on other strata. The sample keeps the input order.
    """
    if limit >= len(items):
        return list(items)
    if limit <= 0:
        return []
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[key(item)].append(i)
    strata = sorted(groups, key=str)
    quotas = {s: limit * len(groups[s]) / len(items) for s in strata}
    counts = {s: math.floor(q) for s, q in quotas.items()}
    by_remainder = sorted(strata, key=lambda s: -(quotas[s] - counts[s]))
    for s in by_remainder[: limit - sum(counts.values())]:
        counts[s] += 1
    chosen: list[int] = []
    for s in strata:
        rng = random.Random(f"{seed}:{s}")
        chosen.extend(rng.sample(groups[s], counts[s]))
    return [items[i] for i in sorted(chosen)]
