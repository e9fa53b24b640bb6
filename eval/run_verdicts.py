"""Verdicts: the product's own stance logic scored on labelled claim-evidence data.

Two modes:

* ``given`` judges each item's own evidence. Every evidence text becomes a Passage
  whose score is its MiniLM cosine similarity to the claim, as an archive search would
  give it, so the deterministic checks of ``chains.compare`` apply as in the product.
  By default (``--passages 0``) each document is judged whole: SummEdits articles
  (2.8k-5.8k characters, 700-1,400 tokens) fit the judge's context, the judge prompt
  puts the passage before the claim so every summary of the same article reuses the
  model's cached prefix (about 40 new tokens a claim), and a summary draws on the
  whole article (judging the 3 closest 800-character chunks instead: balanced
  accuracy 0.54 on 30 items, against 0.79 whole). ``--passages N`` cuts a document
  longer than ``settings.chunk_chars`` with ``vectorstore.ingest.chunk_article`` and
  judges its N chunks most similar to the claim, as the product's retrieval
  would show a reporter. Claim-level items: ``judge_passages`` then ``aggregate`` (the product's
  rule). Pair-level items (Climate-FEVER ``--view pairs``): the one stance maps
  SUPPORTS->SUPPORTED, CONTRADICTS->CONTRADICTED, NEUTRAL->NOT_ENOUGH_INFO.
* ``end-to-end`` puts the documents of every item in the file (not only the sample,
  so ``--limit`` does not change the archive) and any ``--distractors`` into a Chroma
  archive: a temporary folder, or ``--store DIR``, an archive that is kept (ingest adds
  nothing already there, so a large distractor set is embedded once). Each claim is
  retrieved with ``chains.retrieve`` (``settings.top_k``, ``settings.min_score``),
  judged and aggregated, so NOT_IN_ARCHIVE can be predicted.

Evidence and archive building are in ``eval.verdict_evidence``, scoring in
``eval.verdict_scoring``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from chains.compare import judge_passages
from chains.crossencoder import CrossEncoder
from chains.crossencoder import shipped as shipped_crossencoder
from chains.llm import model_label
from chains.models import Claim, Stance
from chains.pipeline import Prompts
from chains.retrieve import retrieve_with
from chains.stance_classifier import DEFAULT_PATH as CLASSIFIER
from chains.stance_classifier import StanceClassifier, classifier_for, pair_features
from chains.verdict import aggregate
from eval.datasets import VerdictItem, read_verdicts, sample_stratified
from eval.harness import (
    ProgressLine,
    ResultCache,
    code_version,
    earlier_records,
    header,
    path_hash,
    rounded,
)
from eval.verdict_evidence import Similarity, given_passages, maybe_archive, own_articles
from eval.verdict_replay import ProbabilityRecorder, Replay, ask_probabilities, recorded_answers
from eval.verdict_scoring import score_verdicts
from settings import Settings
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.models import Passage

MODES = ("given", "end-to-end")
# The code between the model's answer and the prediction: part of the cache key.
DECIDING_MODULES = (
    "chains.compare",
    "chains.checks",
    "chains.dates",
    "chains.quantities",
    "chains.opposites",
    "chains.retrieve",
    "chains.stance_classifier",
    "chains.verdict",
    "eval.verdict_evidence",
    "eval.verdict_replay",
    "vectorstore.sentences",
)
STANCE_TO_VERDICT = {
    Stance.SUPPORTS: "SUPPORTED",
    Stance.CONTRADICTS: "CONTRADICTED",
    Stance.NEUTRAL: "NOT_ENOUGH_INFO",
}


@dataclass
class VerdictOptions:
    mode: str = "given"  # "given" | "end-to-end"
    view: str = "claims"  # Climate-FEVER: "claims" | "pairs"
    passages: int = 0  # given mode: chunks of a long document judged (0: the whole document)
    distractors: Sequence[str] = ()
    store_dir: Path | None = None  # end-to-end: keep the archive here
    limit: int | None = None
    replay_only: bool = False  # never ask the model: an answer no earlier run recorded fails
    partial: bool = False  # with replay_only: leave such items out of the figures instead
    cv: str | None = None  # "documents": cross-validated figures (eval.verdict_cv)


def judge_item(
    model: BaseChatModel,
    item: VerdictItem,
    passages: list[Passage],
    *,
    prompts: Prompts,
    pairs: bool = False,
    crossencoder: CrossEncoder | None = None,
    classifier: StanceClassifier | None = None,
) -> dict[str, Any]:
    """Judge one item the product's way; the record that the cache keeps."""
    recorder = ProbabilityRecorder(model)
    claim = Claim(id=item.id, text=item.claim, quote=item.claim, start=0, end=len(item.claim))
    started = time.perf_counter()
    evidence = judge_passages(
        recorder,  # type: ignore[arg-type]
        claim,
        passages,
        prompt=prompts.judge,
        crossencoder=crossencoder,
        classifier=classifier,
    )
    verdict, confidence, _ = aggregate(evidence)
    if pairs:
        prediction = STANCE_TO_VERDICT[evidence[0].stance] if evidence else "NOT_ENOUGH_INFO"
    else:
        prediction = verdict.value
    asked = [next((pr for q, pr in recorder.seen if p.text in q), None) for p in passages]
    probs = asked
    if hasattr(model, "label_probabilities"):
        # Passages the checks decided were not asked: ask anyway, so the stance classifier
        # has the model's view of every pair and a replay survives changes to the checks.
        probs = [
            pr or ask_probabilities(recorder, claim.text, p.text, prompts)
            for pr, p in zip(probs, passages, strict=True)
        ]
    support = None
    if evidence and hasattr(model, "label_probabilities"):
        # A passage the checks decided without the model counts as certain of its stance.
        sure = [pr or {e.stance.value: 1.0} for pr, e in zip(asked, evidence, strict=True)]
        support = max(p.get("SUPPORTS", 0.0) for p in sure) - max(
            p.get("CONTRADICTS", 0.0) for p in sure
        )
    return rounded(
        {
            "prediction": prediction,
            "verdict": verdict.value,
            "confidence": confidence,
            "stances": [e.stance.value for e in evidence],
            "probabilities": probs if any(probs) else None,
            "support_score": support,
            "checks_overrides": sum(e.reason.startswith("Checks:") for e in evidence),
            # Which passages the product put to the model (not settled by the checks or
            # spared by the cross-encoder): the classifier's gate can only act on those.
            "asked_model": [pr is not None for pr in asked],
            # What eval.verdict_cv and eval.fit_stance refit on, without the model or store.
            "features": [
                pair_features(item.claim, p.text, pr, p.score)
                for p, pr in zip(passages, probs, strict=True)
            ],
            "passages": [p.model_dump(mode="json", exclude={"author", "url"}) for p in passages],
            "articles": [e.article_id for e in evidence],
            "scores": [e.score for e in evidence],
            "seconds": time.perf_counter() - started,
        }
    )


def run_verdicts(
    data: str | Path,
    *,
    model: BaseChatModel,
    settings: Settings,
    options: VerdictOptions | None = None,
    prompts: Prompts | None = None,
    embeddings: MiniLMEmbeddings | None = None,
    use_cache: bool = True,
    progress: bool = True,
    details: bool = False,
    _sink: list[Any] | None = None,
) -> dict[str, Any]:
    """Judge the items of a verdict file (a stratified sample with ``limit``) and score them.

    ``details`` adds ``items``: each item's claim, gold label and prediction (the
    notebooks show where prompt variants disagree).
    """
    options = options or VerdictOptions()
    if options.mode not in MODES:
        raise ValueError(f"unknown mode {options.mode!r}; choose from {', '.join(MODES)}")
    end_to_end = options.mode == "end-to-end"
    if end_to_end and options.view == "pairs":
        raise ValueError("end-to-end mode retrieves evidence for claims: use --view claims")
    prompts = prompts or Prompts()
    embeddings = embeddings or MiniLMEmbeddings()
    started = time.perf_counter()
    all_items = read_verdicts(data, view=options.view)  # type: ignore[arg-type]
    items = all_items
    if options.limit:
        items = sample_stratified(all_items, options.limit, key=lambda i: i.label)
    label = model_label(model)
    classifier = classifier_for(label, settings.stance_classifier)  # fitted on this judge
    config: dict[str, Any] = {
        "data": path_hash(data),
        "view": options.view,
        "mode": options.mode,
        "model": label,
        "judge_prompt": prompts.judge.version,
        "code": code_version(*DECIDING_MODULES),
        # Fitted data, not code: a refit must rescore too.
        "stance_classifier": path_hash(CLASSIFIER) if classifier else None,
        "chunk_chars": settings.chunk_chars,
    }
    crossencoder = shipped_crossencoder() if settings.crossencoder else None
    if crossencoder is not None:
        config["crossencoder"] = crossencoder.card["model_sha256"][:16]
    if end_to_end:
        config |= {
            "top_k": settings.top_k,
            "min_score": settings.min_score,
            "distractors": [path_hash(d) for d in options.distractors],
            "store": str(options.store_dir or ""),
        }
    else:
        config["passages"] = options.passages
    folder = settings.cache_dir / "eval" if use_cache else None
    cache = ResultCache.for_run(folder, "verdicts", config)
    todo = [item for item in items if item.id not in cache]
    earlier = (
        earlier_records(folder, "verdicts", config, ("code", "stance_classifier", "crossencoder"))
        if todo
        else {}
    )
    replayed = 0
    unrecorded: list[str] = []
    # Replaying end to end, the passages an earlier run retrieved are judged again: the
    # archive (25 minutes of embedding for SummEdits with BBC 2005) is built only if an
    # item has no such record.
    retrieved = {
        i.id: [Passage.model_validate(p) for p in earlier[i.id]["passages"]]
        for i in todo
        if end_to_end and options.replay_only and earlier.get(i.id, {}).get("passages")
    }
    with maybe_archive(
        end_to_end and any(i.id not in retrieved for i in todo),
        all_items,
        settings,
        embeddings,
        options.distractors,
        options.store_dir,
        progress,
    ) as (store, archive_info):
        similarity = Similarity(embeddings)
        bar = ProgressLine(len(items), "verdicts", enabled=progress, done=len(items) - len(todo))
        # Items of the same document one after another: the judge reuses its cached prefix.
        for item in sorted(todo, key=lambda i: i.evidence[:1]):
            if item.id in retrieved:
                passages = retrieved[item.id]
            elif store is not None:
                claim = Claim(id=item.id, text=item.claim, quote=item.claim, start=0, end=0)
                passages = retrieve_with(store, claim, settings)
            else:
                passages = given_passages(
                    item, similarity, chunk_chars=settings.chunk_chars, top=options.passages
                )
            replay = Replay(
                model,
                recorded_answers(passages, earlier.get(item.id), item.claim),
                only=options.replay_only,
            )
            try:
                record = judge_item(
                    replay,  # type: ignore[arg-type]
                    item,
                    passages,
                    prompts=prompts,
                    pairs=options.view == "pairs",
                    crossencoder=crossencoder,
                    classifier=classifier,
                )
            except LookupError:
                if not options.partial:
                    raise
                unrecorded.append(item.id)  # figures on the items an earlier run recorded
                continue
            replayed += replay.replayed
            if end_to_end:
                record["evidence_found"] = bool(own_articles(item) & set(record["articles"]))
            cache.put(item.id, record)
            bar.update(note=record["prediction"])
        bar.close()
    result = header(
        "verdicts",
        data,
        model=label,
        prompt_version=prompts.version,
        mode=options.mode,
        limit=options.limit,
    )
    result["view"] = options.view
    if unrecorded:  # replay_only with partial: left out, and said so
        result["unrecorded_left_out"] = len(unrecorded)
        items = [item for item in items if item.id not in set(unrecorded)]
    records = [cache.get(item.id) or {} for item in items]
    if _sink is not None:
        _sink.append((items, records))
    result.update(score_verdicts(items, records))
    if options.cv:
        from eval.verdict_cv import cross_validate

        result["cv"] = cross_validate(items, records, how=options.cv, pairs=options.view == "pairs")
    if archive_info:
        result["archive"] = archive_info
    if details:
        result["items"] = [
            {
                "id": item.id,
                "claim": item.claim,
                "label": item.label,
                "prediction": record.get("prediction"),
                "support_score": record.get("support_score"),
            }
            for item, record in zip(items, records, strict=True)
        ]
    result["cached"] = len(items) - len(todo)
    result["replayed_answers"] = replayed
    result["cache_file"] = str(cache.path) if cache.path else None
    result["seconds"] = round(time.perf_counter() - started, 2)
    return rounded(result)


def verdict_records(
    data: str | Path, *, model: BaseChatModel, settings: Settings, options: VerdictOptions
) -> tuple[list[VerdictItem], list[dict[str, Any]]]:
    """The items and their records (from the cache, replayed, or judged), unscored."""
    sink: list[Any] = []
    run_verdicts(
        data,
        model=model,
        settings=settings,
        options=replace(options, cv=None),
        progress=False,
        _sink=sink,
    )
    return sink[0]
