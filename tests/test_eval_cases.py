"""Newsroom cases (eval.cases, eval.run_cases, ``cli.py eval cases``) on small cases the
tests write themselves: the reader's errors, the matcher and the figures on hand-built
reports, and one run through the real ingest, Chroma store and pipeline with a fake
chat model. The real model on data/cases/ is in tests/test_integration.py."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

import cli
from chains.models import ArticleInfo, ClaimCheck, Evidence, Mismatch, Report, Stance, Verdict
from eval.cases import CaseError, find_cases, read_case, read_cases
from eval.command import render_text, run_eval
from eval.run_cases import NOT_FOUND, match, run_cases, score
from settings import PROJECT_ROOT, Settings
from tests.fakes import LabelModel
from tests.files import write
from vectorstore.embeddings import MiniLMEmbeddings

BUDGET = "The Millbrook council approved a $4.2 million budget for the Elm Street library."
BAKERY = "The Quay Road bakery sold 900 loaves of rye bread in its first week of trading."
OPINION = "The new library is a wonderful gift to the neighbourhood."
OTHER = "Councillors debated the plan for three hours before the vote."  # no expected entry
ARTICLE = f"""---
title: Library budget passes
published: 2024-04-02
---
{BUDGET} {BAKERY}

{OPINION} {OTHER}
"""
LIBRARY = f"""---
title: Council backs library
source: Millbrook Ledger
published: 2024-03-12
url: https://ledger.example/2024/03/12/library
---
{BUDGET} The vote on Monday, March 11, was 7-2.
"""
ROWING = """---
title: Hawks take rowing title
source: Millbrook Ledger
published: 2023-06-05
url: https://ledger.example/2023/06/05/rowing
---
The Millbrook Hawks won the regional rowing championship, beating Ashford by two lengths.
"""
EXPECTED = [
    {"sentence": BUDGET, "verdict": "SUPPORTED", "difference": None, "kind": "verbatim"},
    {"sentence": BAKERY, "verdict": "NOT_IN_ARCHIVE", "difference": None, "kind": "not covered"},
    {"sentence": OPINION, "verdict": "NOT_A_CLAIM", "difference": None, "kind": "opinion"},
]


def make_case(folder: Path, expected: list[dict] | str | None = None, **files: str) -> Path:
    """A case folder; ``files`` maps a relative path (``__`` for ``/``) to its text."""
    write(folder / "article.md", ARTICLE)
    write(folder / "archive" / "library.md", LIBRARY)
    write(folder / "archive" / "rowing.md", ROWING)
    body = expected if isinstance(expected, str) else json.dumps(expected or EXPECTED)
    write(folder / "expected.json", body)
    for name, text in files.items():
        write(folder / name.replace("__", "/"), text)
    return folder


# ------------------------------------------------------------------ the reader


def test_a_case_is_read_with_each_sentence_located(tmp_path) -> None:
    case = read_case(make_case(tmp_path / "library"))
    assert case.name == "library" and len(case.archive) == 2
    assert str(case.article.published) == "2024-04-02"
    for e in case.expected:
        assert case.article.text[e.start : e.end] == e.sentence
    assert [e.is_claim for e in case.expected] == [True, True, False]


def test_a_folder_of_cases_or_one_case(tmp_path) -> None:
    make_case(tmp_path / "b-health")
    make_case(tmp_path / "a-city")
    (tmp_path / "notes").mkdir()  # not a case: ignored
    assert [p.name for p in find_cases(tmp_path)] == ["a-city", "b-health"]
    assert find_cases(tmp_path / "a-city") == [tmp_path / "a-city"]
    with pytest.raises(CaseError, match="no case folders"):
        find_cases(tmp_path / "notes")
    with pytest.raises(CaseError, match="not a folder"):
        find_cases(tmp_path / "missing")


def entry(**changes) -> list[dict]:
    return [{**EXPECTED[0], **changes}, *EXPECTED[1:]]


@pytest.mark.parametrize(
    ("expected", "files", "message"),
    [
        (entry(sentence="The council rejected the budget."), {}, "not found in article.md"),
        (entry(verdict="TRUE"), {}, "'verdict' 'TRUE' is not one of"),
        (entry(verdict="CONTRADICTED"), {}, "names its 'difference'"),
        (entry(difference="number"), {}, "only CONTRADICTED or MIXED"),
        (entry(difference="colour", verdict="CONTRADICTED"), {}, "'difference' 'colour'"),
        (entry(kind=""), {}, "'kind' must be"),
        (entry(archive=["nope.md"]), {}, "names files not in archive/: nope.md"),
        (entry(colour="red"), {}, "unknown key(s) colour"),
        (entry(sentence="The Millbrook council"), {}, None),  # fine on its own ...
        ("[{not json", {}, "expected.json: not valid JSON"),
        ("[]", {}, "non-empty list"),
        (None, {"archive__notes.txt": "a note"}, "notes.txt: archive articles are Markdown"),
        (None, {"archive__bad.md": "---\ntitle: [oops\n---\nText here."}, "bad.md: "),
        (None, {"archive__nosource.md": ROWING.replace("source:", "x:")}, "lacks source"),
        (None, {"article.md": "---\ntitle: Undated\n---\nText."}, "article.md: front matter lacks"),
    ],
)
def test_a_broken_case_names_the_file(tmp_path, expected, files, message) -> None:
    folder = make_case(tmp_path / "case", expected, **files)
    if message is None:
        read_case(folder)
        return
    with pytest.raises(CaseError) as caught:
        read_case(folder)
    assert message in str(caught.value)
    assert str(folder) in str(caught.value)


def test_overlapping_or_repeated_sentences_are_errors(tmp_path) -> None:
    overlapping = [*EXPECTED, {**EXPECTED[0], "sentence": "$4.2 million budget"}]
    with pytest.raises(CaseError, match="sentences overlap"):
        read_case(make_case(tmp_path / "a", overlapping))
    repeated = ARTICLE.replace(OPINION, f"{OPINION} {BUDGET}")
    with pytest.raises(CaseError, match="more than once"):
        read_case(make_case(tmp_path / "b", EXPECTED, **{"article.md": repeated}))


def test_missing_files_are_named(tmp_path) -> None:
    folder = make_case(tmp_path / "case")
    (folder / "expected.json").unlink()
    with pytest.raises(CaseError, match=r"expected\.json: missing"):
        read_case(folder)
    make_case(folder)
    for f in (folder / "archive").iterdir():
        f.unlink()
    with pytest.raises(CaseError, match="archive: no articles"):
        read_case(folder)


# ------------------------------------------------------------------ matcher and figures


def claim(text: str, sub: str, verdict: Verdict, n: int, differs: str | None = None):
    start = text.index(sub)
    mismatch = [Mismatch(kind=differs, claim_value="x", conflict=True)] if differs else []
    evidence = [
        Evidence(
            passage_id="p",
            article_id="a",
            text="t",
            score=0.9,
            stance=Stance.NEUTRAL,
            mismatches=mismatch,
        )  # fmt: skip
    ]
    return ClaimCheck(id=f"c{n}", text=sub, quote=sub, start=start, end=start + len(sub),
                      verdict=verdict, evidence=evidence)  # fmt: skip


def report_for(case, *claims: tuple[str, Verdict] | tuple[str, Verdict, str]) -> Report:
    text = case.article.text
    info = ArticleInfo(text=text, sha256="x")
    return Report(
        article=info, claims=[claim(text, *c[:2], i, *c[2:]) for i, c in enumerate(claims)]
    )


def test_claims_are_matched_by_overlapping_offsets(tmp_path) -> None:
    case = read_case(make_case(tmp_path / "c"))
    report = report_for(
        case,
        ("$4.2 million budget", Verdict.SUPPORTED),  # a clause of the sentence: still it
        (BUDGET[:10], Verdict.CONTRADICTED, "number"),  # smaller overlap: not the verdict
        ("wonderful gift", Verdict.NOT_IN_ARCHIVE),  # the opinion came out as a claim
    )
    rows, extra = match(case, report)
    assert [r["got"] for r in rows] == ["SUPPORTED", NOT_FOUND, "EXTRACTED"]
    assert [r["right"] for r in rows] == [True, False, False]
    assert rows[0]["claim"] == "$4.2 million budget"
    assert extra == 0
    lone = report_for(case, ("three hours", Verdict.SUPPORTED))  # in no expected sentence
    rows, extra = match(case, lone)
    assert rows[0]["got"] == NOT_FOUND and extra == 1


def test_the_figures(tmp_path) -> None:
    case = read_case(make_case(tmp_path / "c"))
    wrong = report_for(
        case, (BUDGET, Verdict.CONTRADICTED, "number"), (BAKERY, Verdict.NOT_IN_ARCHIVE)
    )
    rows, _ = match(case, wrong)
    assert rows[0]["differences_found"] == ["number"]
    figures = score(rows)
    assert figures["expected_claims"] == 2 and figures["claims_found"] == 2
    assert figures["verdicts_right"] == 1 and figures["verdict_accuracy"] == 0.5
    assert figures["opinions"] == 1 and figures["opinions_extracted"] == 0
    assert figures["false_contradictions"] == 1
    assert figures["false_contradiction_rate"] == 0.5  # 1 of 2 found claims at risk
    assert figures["false_contradictions_on_supported"] == 1
    assert figures["per_verdict"]["SUPPORTED"] == {"n": 1, "found": 1, "right": 0, "accuracy": 0}
    assert figures["per_kind"]["not covered"]["right"] == 1
    assert figures["confusion"]["SUPPORTED"] == {
        "CONTRADICTED": 1, "NOT_IN_ARCHIVE": 0, "SUPPORTED": 0,
    }  # fmt: skip

    missing = report_for(case, (BAKERY, Verdict.CONTRADICTED, "number"))
    figures = score(match(case, missing)[0])
    # Not found counts as wrong, and is no false contradiction: nothing was judged.
    assert figures["claims_found"] == 1 and figures["verdicts_right"] == 0
    assert figures["false_contradictions"] == 1 and figures["false_contradiction_rate"] == 1
    assert figures["false_contradictions_on_supported"] == 0 and figures["false_mixed"] == 0
    mixed = report_for(case, (BUDGET, Verdict.MIXED, "date"), (BAKERY, Verdict.NOT_IN_ARCHIVE))
    figures = score(match(case, mixed)[0])
    assert figures["false_mixed"] == 1 and figures["false_contradictions"] == 0


def test_figures_per_kind_of_difference(tmp_path) -> None:
    planted = entry(verdict="CONTRADICTED", difference="date", kind="year-less date")
    case = read_case(make_case(tmp_path / "c", planted))
    rows, _ = match(case, report_for(case, (BUDGET, Verdict.CONTRADICTED, "date")))
    figures = score(rows)
    assert figures["per_difference"] == {"date": {"n": 1, "found": 1, "right": 1, "accuracy": 1}}
    assert figures["false_contradictions"] == 0 and figures["false_contradiction_rate"] is None


# ------------------------------------------------------------------ end to end, fake model


class RuleJudge(LabelModel):
    """SUPPORTS for a claim naming the library budget, NEUTRAL otherwise; opinions not
    check-worthy."""

    def label_probabilities(self, messages, labels):
        if "checkable" in str(messages[0].content):
            return super().label_probabilities(messages, labels)
        self.calls.append({"labels": labels})
        claim = str(messages[-2].content).split("CLAIM:", 1)[-1]
        chosen = "SUPPORTS" if "$4.2 million" in claim else "NEUTRAL"
        return {lab: 0.9 if lab == chosen else 0.05 for lab in labels}, 42


def fake_model() -> RuleJudge:
    return RuleJudge(not_checkable=["wonderful"], responses=[lambda m: "a reason"] * 20)


@pytest.fixture(scope="module")
def embeddings() -> MiniLMEmbeddings:
    return MiniLMEmbeddings()


def test_run_cases_through_the_real_store_and_pipeline(tmp_path, embeddings) -> None:
    make_case(tmp_path / "cases" / "library")
    settings = Settings(cache_dir=tmp_path / "cache", store_dir=tmp_path / "unused")
    result = run_cases(
        tmp_path / "cases", model=fake_model(), settings=settings, embeddings=embeddings,
        progress=False,
    )  # fmt: skip
    got = {r["sentence"]: r["got"] for r in result["claims"]}
    assert got == {BUDGET: "SUPPORTED", BAKERY: "NOT_IN_ARCHIVE", OPINION: "NOT_A_CLAIM"}
    assert result["verdicts_right"] == 2 and result["claims_found"] == 2
    assert result["per_case"]["library"]["found"] == 2
    assert result["per_case"]["library"]["other_claims"] == 1  # the debate sentence
    assert not (tmp_path / "unused").exists()  # the archive went to a temporary store
    again = run_cases(tmp_path / "cases", model=RuleJudge(), settings=settings,
                      embeddings=embeddings, progress=False)  # fmt: skip
    assert again["cached"] == 1 and again["claims"] == result["claims"]  # no model call
    with pytest.raises(CaseError, match="no case named nope"):
        run_cases(tmp_path / "cases", model=RuleJudge(), settings=settings, only=["nope"])


def test_cli_eval_cases_prints_figures_and_rows(tmp_path, monkeypatch) -> None:
    make_case(tmp_path / "library")
    monkeypatch.setenv("FACTCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("chains.llm.make_chat_model", lambda settings: fake_model())
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(["eval", "cases", str(tmp_path / "library"), "--format", "json", "--quiet"])
    assert code == 0
    result = json.loads(out.getvalue())
    assert result["task"] == "cases" and result["expected_claims"] == 2
    assert [r["right"] for r in result["claims"]] == [True, True, True]
    text = render_text(result)
    assert re.search(r"^verdict_accuracy:\s+1$", text, re.MULTILINE)
    assert "library\tSUPPORTED\tSUPPORTED\tTrue" in text  # a row per expected sentence
    # --data works as for the other tasks; a run with no change comes from the cache
    again = run_eval("cases", data=tmp_path / "library", settings=Settings(), progress=False)
    assert again["cached"] == 1


def test_cli_eval_cases_errors_are_one_line(tmp_path) -> None:
    folder = str(make_case(tmp_path / "library", entry(sentence="Not in the article at all.")))
    env = {**os.environ, "FACTCHECK_CACHE_DIR": str(tmp_path / "cache")}
    for args, message in [
        (["cases", folder], "expected.json: entry 1: sentence not found in article.md"),
        (["cases"], "give the data as PATH or as --data PATH"),
        (["cases", folder, "--data", folder], "give the data as PATH or as --data PATH"),
    ]:
        out = subprocess.run([sys.executable, "cli.py", "eval", *args], cwd=PROJECT_ROOT, env=env,
                             text=True, capture_output=True, timeout=300)  # fmt: skip
        assert out.returncode == 2 and out.stdout == ""
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_the_projects_cases_are_readable() -> None:
    cases = read_cases(PROJECT_ROOT / "data" / "cases")
    assert len(cases) >= 4
    claims = [e for c in cases for e in c.expected if e.is_claim]
    assert len(claims) >= 40
    assert sum(not e.is_claim for c in cases for e in c.expected) >= 4
    verdicts = {e.verdict for e in claims}
    assert verdicts == {"SUPPORTED", "CONTRADICTED", "MIXED", "NOT_ENOUGH_INFO", "NOT_IN_ARCHIVE"}
    differences = {e.difference for e in claims if e.verdict == "CONTRADICTED"}
    assert differences == {"number", "date", "name", "negation", "opposite", "status"}
    kinds = {e.kind for e in claims}
    assert {
        "verbatim",
        "paraphrase",
        "year-less date",
        "forward-looking",
        "written number",
    } <= kinds
    for c in cases:  # every archive holds articles no expected sentence relies on
        cited = {f for e in c.expected for f in e.archive}
        assert len({p.name for p in c.archive} - cited) >= 2, c.name
