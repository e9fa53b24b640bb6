"""``cli.py eval cases DIR``: our newsroom cases checked with the real pipeline.

For each case (``eval.cases``) its archive is ingested into a temporary Chroma store with
the project's ingest code and embeddings, the article is checked by
``chains.pipeline.check_article`` with the given chat model, and each expected sentence
is matched to the report's claims by character offsets: a claim whose [start, end)
overlaps the sentence's span belongs to it (the most-overlapping one gives the verdict).

Figures: expected claims found; opinions and predictions wrongly extracted; verdicts
right overall (a claim not found counts as wrong), per expected verdict, per kind of
difference and per kind; the false-contradiction rate (expected SUPPORTED,
NOT_ENOUGH_INFO or NOT_IN_ARCHIVE, found and judged CONTRADICTED), and apart from it
how many of those were judged MIXED; per case; and one row per expected sentence. Reports are cached per case under ``settings.cache_dir/eval``,
keyed by the case's files, the model, the prompts, the settings that change a check
and the source of ``chains`` and ``vectorstore``, so a code change rechecks.
"""

from __future__ import annotations

import pkgutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from chains.llm import model_label
from chains.models import ClaimCheck, Report
from chains.pipeline import Prompts, check_article
from eval.cases import NOT_A_CLAIM, Case, CaseError, Expected, read_cases
from eval.harness import ProgressLine, ResultCache, code_version, header, path_hash, rounded
from settings import Settings
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.ingest import ingest
from vectorstore.store import open_store

NOT_FOUND = "NOT_FOUND"  # no claim overlaps an expected claim sentence
EXTRACTED = "EXTRACTED"  # an opinion or prediction that came out as a claim
FALSE_CONTRADICTION_FROM = ("SUPPORTED", "NOT_ENOUGH_INFO", "NOT_IN_ARCHIVE")
# Settings that change what a check gives: part of the cache key.
CHECK_SETTINGS = ("chunk_chars", "top_k", "min_score", "retrieval", "hybrid_weight",
                  "max_claims", "min_checkworthiness", "n_ctx")  # fmt: skip


def _modules(*packages: str) -> list[str]:
    import importlib

    names = []
    for package in packages:
        path = importlib.import_module(package).__path__
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules(path)]
    return sorted(names)


def check_case(
    case: Case,
    *,
    model: BaseChatModel,
    settings: Settings,
    embeddings: MiniLMEmbeddings,
    prompts: Prompts,
) -> Report:
    """The case's archive in a temporary real Chroma store; the article checked against it."""
    with tempfile.TemporaryDirectory(prefix="factcheck-case-", ignore_cleanup_errors=True) as tmp:
        local = settings.model_copy(update={"store_dir": Path(tmp) / "store", "chroma_host": None})
        store = open_store(local, embeddings)
        loaded = ingest([str(p) for p in case.archive], store, chunk_chars=settings.chunk_chars)
        if loaded.rejected:
            bad = loaded.rejected[0]
            raise CaseError(f"{bad.name}: rejected by ingest: {bad.reason}")
        return check_article(
            case.article, model=model, store=store, settings=local, prompts=prompts
        )


def _overlap(claim: ClaimCheck, e: Expected) -> int:
    return min(claim.end, e.end) - max(claim.start, e.start)


def match(case: Case, report: Report) -> tuple[list[dict[str, Any]], int]:
    """One row per expected sentence, and how many claims overlap no expected sentence."""
    rows, used = [], set()
    for e in case.expected:
        overlapping = [c for c in report.claims if _overlap(c, e) > 0]
        claim = max(overlapping, key=lambda c: _overlap(c, e), default=None)
        used |= {c.id for c in overlapping}
        if not e.is_claim:
            got = EXTRACTED if claim else NOT_A_CLAIM
        else:
            got = claim.verdict.value if claim else NOT_FOUND
        differs = sorted({m.kind for ev in claim.evidence for m in ev.mismatches if m.conflict}) if claim else []  # fmt: skip
        rows.append({
            "case": case.name,
            "expected": e.verdict,
            "got": got,
            "right": got == e.verdict,
            "difference": e.difference,
            "kind": e.kind,
            "sentence": e.sentence,
            "claim": claim.text if claim else None,
            "confidence": claim.confidence if claim else None,
            "differences_found": differs,
            "start": e.start,
            "end": e.end,
        })  # fmt: skip
    extra = sum(1 for c in report.claims if c.id not in used)
    return rows, extra


def _tally(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    found = sum(r["got"] != NOT_FOUND for r in rows)
    right = sum(r["right"] for r in rows)
    return {"n": n, "found": found, "right": right, "accuracy": right / n if n else None}


def _grouped(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[str(r[key]) if r[key] is not None else "none"].append(r)
    return {name: _tally(groups[name]) for name in sorted(groups)}


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures over rows of ``match`` (any number of cases)."""
    claims = [r for r in rows if r["expected"] != NOT_A_CLAIM]
    opinions = [r for r in rows if r["expected"] == NOT_A_CLAIM]
    found = [r for r in claims if r["got"] != NOT_FOUND]
    at_risk = [r for r in found if r["expected"] in FALSE_CONTRADICTION_FROM]
    false = [r for r in at_risk if r["got"] == "CONTRADICTED"]
    right = sum(r["right"] for r in claims)
    columns = sorted({r["got"] for r in claims} | {r["expected"] for r in claims})
    confusion: dict[str, Counter] = defaultdict(Counter)
    for r in claims:
        confusion[r["expected"]][r["got"]] += 1
    return {
        "expected_claims": len(claims),
        "claims_found": len(found),
        "found_rate": len(found) / len(claims) if claims else None,
        "verdicts_right": right,
        "verdict_accuracy": right / len(claims) if claims else None,
        "accuracy_of_found": sum(r["right"] for r in found) / len(found) if found else None,
        "opinions": len(opinions),
        "opinions_extracted": sum(r["got"] == EXTRACTED for r in opinions),
        "false_contradictions": len(false),
        "false_contradiction_rate": len(false) / len(at_risk) if at_risk else None,
        "false_contradictions_on_supported": sum(r["expected"] == "SUPPORTED" for r in false),
        # MIXED shows a reporter a contradicting passage too: counted apart, same claims
        "false_mixed": sum(r["got"] == "MIXED" for r in at_risk),
        "per_verdict": _grouped(claims, "expected"),
        "per_difference": _grouped([r for r in claims if r["difference"]], "difference"),
        "per_kind": _grouped(claims, "kind"),
        "confusion": {e: {g: confusion[e][g] for g in columns} for e in sorted(confusion)},
    }


def _per_case(rows: list[dict[str, Any]], seconds: dict[str, float], extra: dict[str, int]):
    table = {}
    for name in seconds:
        mine = [r for r in rows if r["case"] == name]
        figures = score(mine)
        table[name] = {
            "expected": figures["expected_claims"],
            "found": figures["claims_found"],
            "right": figures["verdicts_right"],
            "opinions_extracted": figures["opinions_extracted"],
            "false_contradictions": figures["false_contradictions"],
            "other_claims": extra[name],
            "seconds": seconds[name],
        }
    return table


def run_cases(
    data: str | Path,
    *,
    model: BaseChatModel,
    settings: Settings,
    embeddings: MiniLMEmbeddings | None = None,
    prompts: Prompts | None = None,
    only: Iterable[str] = (),
    use_cache: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Check every case under ``data`` (or those named in ``only``) and score them."""
    cases = read_cases(data)  # all read first: a broken case fails before the model runs
    if only := set(only):
        if unknown := only - {c.name for c in cases}:
            raise CaseError(f"{data}: no case named {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c.name in only]
    prompts = prompts or Prompts()
    embeddings = embeddings or MiniLMEmbeddings()
    label = model_label(model)
    config = {
        "model": label,
        "prompts": prompts.version,
        "code": code_version(*_modules("chains", "vectorstore")),
        "settings": {k: getattr(settings, k) for k in CHECK_SETTINGS},
    }
    folder = settings.cache_dir / "eval" if use_cache else None
    cache = ResultCache.for_run(folder, "cases", config)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    extra: dict[str, int] = {}
    cached = 0
    bar = ProgressLine(len(cases), "cases", enabled=progress)
    for case in cases:
        key = f"{case.name}:{path_hash(case.folder)}"
        if record := cache.get(key):
            report, cached = Report.model_validate(record["report"]), cached + 1
            seconds[case.name] = record["seconds"]
        else:
            t0 = time.perf_counter()
            report = check_case(
                case, model=model, settings=settings, embeddings=embeddings, prompts=prompts
            )
            seconds[case.name] = round(time.perf_counter() - t0, 1)
            cache.put(key, {"report": report.model_dump(mode="json"), "seconds": seconds[case.name]})  # fmt: skip
        case_rows, extra[case.name] = match(case, report)
        rows += case_rows
        bar.update(note=case.name)
    bar.close()
    result = header("cases", data, model=label, prompt_version=prompts.version)
    result |= {"cases": len(cases), "cached": cached,
               "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    result |= score(rows)
    result["per_case"] = _per_case(rows, seconds, extra)
    result["claims"] = rows
    return rounded(result)
