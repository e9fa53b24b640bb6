"""The evaluation runners (eval.run_*) on the small fixtures.

Chain logic runs on fake chat models (tests.fakes); embeddings and Chroma are real
(the fixtures are tiny). Checks: figures and JSON keys, resumption from the result
cache, stratified --limit, end-to-end through a temporary archive, and one CLI run.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chains.models import Stance
from eval import harness
from eval.command import render_text, run_eval
from eval.datasets import read_verdicts
from eval.run_verdicts import STANCE_TO_VERDICT, VerdictOptions, run_verdicts
from eval.verdict_evidence import Similarity, given_passages
from settings import Settings
from tests.fakes import LabelModel, QueuedChatModel
from vectorstore.embeddings import MiniLMEmbeddings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "eval"
SUMMEDITS = FIXTURES / "summedits-sample.json"
CLIMATE = FIXTURES / "climate-fever-sample.jsonl"
CLEF = FIXTURES / "clef2020-task2" / "dev"
VERDICT_KEYS = {"n", "accuracy", "macro_f1", "balanced_accuracy", "confusion", "per_class"}


def approx(value: float):
    return pytest.approx(value, abs=1e-4)  # results are rounded to 4 places


HEADER_KEYS = {"seconds", "model", "prompt_version", "mode", "task", "data"}


@pytest.fixture(scope="module")
def embeddings() -> MiniLMEmbeddings:
    return MiniLMEmbeddings()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", store_dir=tmp_path / "unused-store")


class RuleJudge(LabelModel):
    """Label probabilities from ``labels`` (claim -> stance, default NEUTRAL); any reason."""

    labels: dict[str, str] = {}
    fail_on: str | None = None  # a claim whose judgement is interrupted

    def label_probabilities(self, messages, labels):
        user = str(messages[-2].content)
        claim = user.split("CLAIM:", 1)[1].split("\nPASSAGE:", 1)[0].strip()
        if claim == self.fail_on:
            raise KeyboardInterrupt
        self.calls.append({"claim": claim, "labels": labels})
        chosen = self.labels.get(claim, "NEUTRAL")
        return {lab: 0.8 if lab == chosen else 0.1 for lab in labels}, 42


def judge(**labels_by_claim: str) -> RuleJudge:
    return RuleJudge(labels=labels_by_claim, responses=[lambda m: "a reason"] * 50)


SUMMEDITS_JUDGE = {
    "Riverside council approved a 12 million pound bridge that will open in 2027.": "SUPPORTS",
    "Riverside council rejected a 20 million pound bridge.": "CONTRADICTS",
    "A Northfield bakery will raise prices after winning a prize.": "SUPPORTS",
}


def summedits(model, settings, embeddings, **options) -> dict[str, Any]:
    return run_verdicts(
        SUMMEDITS,
        model=model,
        settings=settings,
        options=VerdictOptions(**options),
        embeddings=embeddings,
        progress=False,
    )


# ------------------------------------------------------------------ verdicts


def test_given_evidence_figures_and_keys(settings, embeddings) -> None:
    model = judge(**SUMMEDITS_JUDGE)
    result = summedits(model, settings, embeddings)
    assert result.keys() >= VERDICT_KEYS | HEADER_KEYS
    assert result["n"] == 3 and result["mode"] == "given" and result["model"] == "queued-fake"
    assert result["predicted"] == {"SUPPORTED": 2, "CONTRADICTED": 1}
    assert result["accuracy"] == approx(2 / 3)
    assert result["balanced_accuracy"] == approx(0.75)  # (1 + 1/2) / 2
    assert result["roc_auc"] == approx(0.75)  # support scores 0.7 vs -0.7 and 0.7
    assert result["confusion"]["NOT_SUPPORTED"] == {"SUPPORTED": 1, "NOT_SUPPORTED": 1}
    assert result["by_edit_type"]["antonym_swap"] == {"n": 1, "caught": 1.0}
    assert result["cached"] == 0 and len(model.calls) == 3  # labels only: no reasons
    json.dumps(result)  # the CLI prints it as is


def test_second_run_comes_from_the_cache(settings, embeddings) -> None:
    first = summedits(judge(**SUMMEDITS_JUDGE), settings, embeddings)
    silent = RuleJudge()  # no answers queued: any call would fail
    second = summedits(silent, settings, embeddings)
    assert silent.calls == []
    assert second["cached"] == 3
    for key in ("accuracy", "balanced_accuracy", "confusion", "roc_auc"):
        assert second[key] == first[key]


def test_an_interrupted_run_resumes_where_it_stopped(settings, embeddings) -> None:
    model = judge(**SUMMEDITS_JUDGE)
    model.fail_on = "Riverside council rejected a 20 million pound bridge."
    with pytest.raises(KeyboardInterrupt):
        summedits(model, settings, embeddings)
    cache_files = list((settings.cache_dir / "eval").glob("verdicts-*.jsonl"))
    assert len(cache_files) == 1
    with cache_files[0].open("a") as fh:
        fh.write('{"key": "half a line')  # as if killed mid-write
    resumed_model = judge(**SUMMEDITS_JUDGE)
    resumed = summedits(resumed_model, settings, embeddings)
    # Whatever finished before the interruption is kept; only the rest is asked again.
    assert 1 <= resumed["cached"] < 3 and resumed["n"] == 3
    assert len([c for c in resumed_model.calls if "claim" in c]) == 3 - resumed["cached"]


def test_a_change_to_the_deciding_code_replays_the_recorded_answers(
    settings, embeddings, monkeypatch
) -> None:
    first = summedits(judge(**SUMMEDITS_JUDGE), settings, embeddings)
    monkeypatch.setattr("eval.run_verdicts.code_version", lambda *modules: "changed")
    silent = RuleJudge(responses=[lambda m: "a reason"] * 10)  # no labels: asking fails
    again = summedits(silent, settings, embeddings)
    assert again["cached"] == 0 and again["replayed_answers"] >= 1
    assert not [c for c in silent.calls if "labels" in c]
    assert again["balanced_accuracy"] == first["balanced_accuracy"]


def test_cache_key_changes_with_the_mode_and_options(settings, embeddings) -> None:
    summedits(judge(**SUMMEDITS_JUDGE), settings, embeddings)
    again = summedits(judge(**SUMMEDITS_JUDGE), settings, embeddings, passages=1)
    assert again["cached"] == 0


def test_limit_is_stratified_and_seeded(settings, embeddings) -> None:
    items = read_verdicts(CLIMATE, view="pairs")
    runs = [
        run_verdicts(
            CLIMATE,
            model=judge(),
            settings=settings,
            options=VerdictOptions(view="pairs", limit=4),
            embeddings=embeddings,
            use_cache=False,
            progress=False,
        )
        for _ in range(2)
    ]
    assert runs[0]["n"] == 4 and runs[0]["limit"] == 4
    assert sum(r["support"] for r in runs[0]["per_class"].values()) == 4
    supports = sum(i.label == "SUPPORTED" for i in items)
    assert runs[0]["per_class"]["SUPPORTED"]["support"] == round(4 * supports / len(items))
    assert runs[0]["confusion"] == runs[1]["confusion"]


def test_pairs_map_stances_to_verdicts(settings, embeddings) -> None:
    assert STANCE_TO_VERDICT == {
        Stance.SUPPORTS: "SUPPORTED",
        Stance.CONTRADICTS: "CONTRADICTED",
        Stance.NEUTRAL: "NOT_ENOUGH_INFO",
    }
    result = run_verdicts(
        CLIMATE,
        model=judge(),  # NEUTRAL for everything
        settings=settings,
        options=VerdictOptions(view="pairs"),
        embeddings=embeddings,
        progress=False,
    )
    assert result["n"] == 10 and result["predicted"] == {"NOT_ENOUGH_INFO": 10}
    assert "dropped" not in result  # a pair carries its evidence's label, never DISPUTED


def test_claims_view_aggregates_and_reports_dropped(settings, embeddings) -> None:
    result = run_verdicts(
        CLIMATE,
        model=judge(),
        settings=settings,
        embeddings=embeddings,
        progress=False,
    )
    assert result["n"] == 3 and result["dropped"] == 1
    assert result["dropped_predicted"] == {"NOT_ENOUGH_INFO": 1}
    assert {"balanced_accuracy", "binary_balanced_accuracy"} <= result.keys()
    assert result["passages_judged"] == 5 + 2 + 1


def test_structured_answers_without_probabilities(settings, embeddings) -> None:
    answer = json.dumps({"label": "SUPPORTS", "reason": "same"})
    model = QueuedChatModel(responses=[answer] * 3)
    result = summedits(model, settings, embeddings)
    assert result["n"] == 3 and "roc_auc" not in result


def test_long_documents_are_judged_as_their_best_chunks(embeddings) -> None:
    item = read_verdicts(SUMMEDITS)[0]
    filler = " ".join(f"Sentence number {i} is about the weather in town." for i in range(40))
    item.evidence = [filler + " " + item.evidence[0]]
    passages = given_passages(item, Similarity(embeddings), chunk_chars=200, top=2)
    assert len(passages) == 2
    assert passages[0].score >= passages[1].score
    assert "bridge" in passages[0].text
    whole = given_passages(item, Similarity(embeddings), chunk_chars=200, top=0)
    assert [p.text for p in whole] == item.evidence


def test_end_to_end_retrieves_from_a_temporary_archive(settings, embeddings, tmp_path) -> None:
    distractors = tmp_path / "distractors"
    distractors.mkdir()
    (distractors / "fair.txt").write_text("County fair\n\nThe county fair opened on Friday.\n")
    result = summedits(
        judge(**SUMMEDITS_JUDGE),
        settings,
        embeddings,
        mode="end-to-end",
        distractors=[str(distractors)],
    )
    assert result["mode"] == "end-to-end"
    assert result["archive"]["documents"] == 2 and result["archive"]["distractors_added"] == 1
    assert result["archive"]["store"] == "temporary"
    assert result["evidence_found"] == 1.0
    assert result["n"] == 3


def test_end_to_end_keeps_a_named_store(settings, embeddings, tmp_path) -> None:
    store = tmp_path / "eval-store"
    result = summedits(
        judge(**SUMMEDITS_JUDGE), settings, embeddings, mode="end-to-end", store_dir=store
    )
    assert result["archive"]["store"] == str(store) and (store / "chroma.sqlite3").exists()


def test_end_to_end_refuses_pairs(settings, embeddings) -> None:
    with pytest.raises(ValueError, match="--view claims"):
        summedits(judge(), settings, embeddings, mode="end-to-end", view="pairs")


# ----------------------------------------------------------------- retrieval


# The retrieval runner's own tests are in tests/test_run_retrieval.py.


# ---------------------------------------------------------- harness and CLI


def test_progress_line_without_a_terminal() -> None:
    out = io.StringIO()
    bar = harness.ProgressLine(4, "items", stream=out)
    for _ in range(4):
        bar.update(note="ok")
    bar.close()
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("items 4/4") and len(lines) == 4


def test_render_text_and_run_eval(settings, embeddings) -> None:
    result = run_eval("verdicts", data=SUMMEDITS, settings=settings, model=judge(**SUMMEDITS_JUDGE))
    text = render_text(result)
    assert "balanced_accuracy:" in text and "gold \\ predicted" in text
    with pytest.raises(ValueError, match="unknown task"):
        run_eval("nope", data=SUMMEDITS, settings=settings)
    noted = run_eval("retrieval", data=CLEF, settings=settings, store="x", method="bm25")
    assert noted["notes"] == ["--store is not used by retrieval"]


def test_cli_eval_retrieval_json(tmp_path) -> None:
    env = {**os.environ, "FACTCHECK_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "cli.py", "eval", "retrieval", "--data", str(CLEF), "--format", "json"],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert {"n", "map_at_5", "mrr", "recall_at_1", "recall_at_5", "recall_at_10"} <= result.keys()
    assert result.keys() >= HEADER_KEYS and result["method"] == "hybrid"
    bad = subprocess.run(
        [sys.executable, "cli.py", "eval", "retrieval", "--data", str(tmp_path / "missing")],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error:")


def test_code_version_follows_the_source(tmp_path, monkeypatch) -> None:
    module = tmp_path / "deciding_rule.py"
    module.write_text("RULE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = harness.code_version("deciding_rule")
    assert first == harness.code_version("deciding_rule")
    module.write_text("RULE = 2\n")
    assert harness.code_version("deciding_rule") != first
    with pytest.raises(ValueError):
        harness.code_version("no_such_module_here")


# ------------------------------------------------------------------ cross-validation


def test_records_hold_every_pairs_probabilities_and_features(settings, embeddings) -> None:
    from chains.stance_classifier import FEATURES

    result = summedits(judge(**SUMMEDITS_JUDGE), settings, embeddings, cv="documents")
    cache = harness.ResultCache(Path(result["cache_file"]))
    for record in cache.records.values():
        # Every passage has the model's answer, even one the checks decided alone.
        assert record["probabilities"] and all(record["probabilities"])
        assert len(record["features"]) == len(record["passages"]) == len(record["stances"])
        assert set(record["features"][0]) == set(FEATURES)


def test_cv_holds_out_whole_documents_and_reports_both_rules(settings, embeddings) -> None:
    from eval.verdict_cv import WEIGHTS, group_keys, make_folds

    items = read_verdicts(SUMMEDITS)
    keys = group_keys(items)
    folds = make_folds(keys)
    assert len(folds) == len(set(keys)) == 2  # two articles: leave one out, twice
    for test in folds:  # a document is never on both sides
        assert {keys[i] for i in test}.isdisjoint(
            {keys[i] for i in range(len(items)) if i not in test}
        )
    cv = summedits(judge(**SUMMEDITS_JUDGE), settings, embeddings, cv="documents")["cv"]
    assert cv["folds"] == 2 and cv["documents"] == 2
    assert set(cv["product_rule"]["weights_per_fold"]) <= set(WEIGHTS)
    for part in ("product_rule", "classifier"):
        assert cv[part]["n"] == 3 and 0.0 <= cv[part]["balanced_accuracy"] <= 1.0
        assert "false_contradiction_rate" in cv[part]
    assert set(cv["ablations"]) == {"model_only", "checks_only", "all_features"}


def test_many_documents_make_five_grouped_folds() -> None:
    from eval.verdict_cv import make_folds

    keys = [f"claim{k // 3}" for k in range(60)]  # 20 claims, 3 pairs each
    folds = make_folds(keys)
    assert len(folds) == 5 and sorted(i for f in folds for i in f) == list(range(60))
    assert all(len({keys[i] for i in f}) == 4 for f in folds)  # whole claims per fold


def test_replay_only_never_asks_the_model(settings, embeddings, monkeypatch) -> None:
    with pytest.raises(LookupError):  # nothing recorded yet
        summedits(RuleJudge(), settings, embeddings, replay_only=True)
    first = summedits(judge(**SUMMEDITS_JUDGE), settings, embeddings)
    monkeypatch.setattr("eval.run_verdicts.code_version", lambda *modules: "changed")
    silent = RuleJudge()
    again = summedits(silent, settings, embeddings, replay_only=True)
    assert silent.calls == [] and again["balanced_accuracy"] == first["balanced_accuracy"]


class UnsureJudge(LabelModel):
    """Leans to CONTRADICTS for every pair: only a weight on SUPPORTS turns it."""

    def label_probabilities(self, messages, labels):
        return {"SUPPORTS": 0.3, "CONTRADICTS": 0.5, "NEUTRAL": 0.2}, 1


def test_weight_on_supports_changes_the_replayed_verdicts(settings, embeddings) -> None:
    from chains import compare
    from eval.verdict_rules import product_records

    summedits(UnsureJudge(responses=[]), settings, embeddings)
    items = read_verdicts(SUMMEDITS)
    cache_file = next((settings.cache_dir / "eval").glob("verdicts-*.jsonl"))
    records = [harness.ResultCache(cache_file).records[i.id] for i in items]
    low = product_records(items, records, 1.0, pairs=False)
    high = product_records(items, records, 4.0, pairs=False)
    assert compare.LABEL_WEIGHTS["SUPPORTS"] == 3.0  # restored afterwards
    assert "SUPPORTED" not in [r["verdict"] for r in low if not r["checks_overrides"]]
    assert [r["verdict"] for r in high].count("SUPPORTED") > [r["verdict"] for r in low].count(
        "SUPPORTED"
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ((0.9, 0.1), "SUPPORTS"),  # the classifier alone, thresholds 0.6 / 0.7
        ((0.65, 0.8), "CONTRADICTS"),  # both pass: the likelier
        ((0.5, 0.5), "NEUTRAL"),
        # hybrid: the rule's stance stands unless the classifier gates it
        ((0.1, 0.9, "NEUTRAL", "CONTRADICTS"), "CONTRADICTS"),  # overruled, but calibrated
        ((0.1, 0.6, "NEUTRAL", "CONTRADICTS"), "NEUTRAL"),  # overruled and unsure
        ((0.1, 0.9, "NEUTRAL", "NEUTRAL"), "NEUTRAL"),  # the model never said contradicts
        ((0.5, 0.1, "SUPPORTS", "SUPPORTS"), "NEUTRAL"),  # the model's support vetoed
        ((0.5, 0.1, "SUPPORTS", "CONTRADICTS"), "SUPPORTS"),  # the checks' support stays
        ((0.9, 0.1, "CONTRADICTS", "SUPPORTS"), "CONTRADICTS"),  # a named difference stays
    ],
)
def test_classifier_alone_and_as_a_gate(entry, expected) -> None:
    from eval.verdict_rules import pair_stance, verdict_of

    assert pair_stance(entry, 0.6, 0.7) == expected
    assert verdict_of(["SUPPORTS", "CONTRADICTS"], pairs=False) == "MIXED"
    assert verdict_of([], pairs=False) == "NOT_IN_ARCHIVE"


def test_partial_replay_scores_only_what_was_recorded(settings, embeddings) -> None:
    summedits(judge(**SUMMEDITS_JUDGE), settings, embeddings, limit=2)
    silent = RuleJudge()
    result = summedits(silent, settings, embeddings, replay_only=True, partial=True)
    assert silent.calls == []
    assert result["n"] == 2 and result["unrecorded_left_out"] == 1


def test_earlier_records_ignore_each_differing_key(tmp_path: Path) -> None:
    cache = harness.ResultCache.for_run(tmp_path, "verdicts", {"data": "d", "code": "a"})
    cache.put("x", {"p": 1})
    newer = {"data": "d", "code": "b", "stance_classifier": "refit"}
    found = harness.earlier_records(tmp_path, "verdicts", newer, ("code", "stance_classifier"))
    assert found == {"x": {"p": 1}}
    assert harness.earlier_records(tmp_path, "verdicts", newer) == {}  # a refit is not code
    assert harness.earlier_records(tmp_path, "verdicts", {"data": "e", "code": "b"}) == {}


def test_a_replay_knows_the_claim_as_the_product_words_it_for_a_passage():
    from eval.verdict_replay import same_claim

    question = "PASSAGE: 97% of the scientists agreed.\nCLAIM: Over 97% of scientists agree."
    assert same_claim("Over 97 percent of scientists agree.", question)  # values rewritten
    assert same_claim("Over 97% of scientists agree.", question)
    assert not same_claim("Most scientists agree.", question)  # "over" is a word of its own
    restated = "PASSAGE: p\nCLAIM: Nearly all scientists agree, a survey found."
    assert not same_claim("Over 97 percent of scientists agree.", restated)
