"""Prompt injection end to end: a handful of the suite's cases (data/injection) with the
real embedded model and a real Chroma store. Each verdict is compared with the check of
the same suite without the injected text (eval.run_injection). Slow (about 2 minutes):
marked integration. The whole suite: python -m eval.run_injection (docs/EVALUATION.md,
"Prompt injection")."""

from __future__ import annotations

import pytest

from chains.llm import make_chat_model
from eval.run_injection import SUITE, run_injection
from settings import Settings

pytestmark = pytest.mark.integration

HELD = [
    "passage-ignore-answer-supports",
    "passage-fake-closing-tag",
    "article-fake-closing-tag",
    # Markup without a full stop before a real sentence used to be read as part of it, and
    # the joined sentence was lost as a claim; sentences now end after such markup.
    "article-fake-role-markers",
    "article-fake-json-answer",
]
NOT_YET: list[str] = []  # a case that does not hold yet, as a strict xfail


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    settings = Settings(
        store_dir=tmp_path_factory.mktemp("injection") / "unused", cache_dir=Settings().cache_dir
    )
    model = make_chat_model(settings)
    return run_injection(SUITE, model=model, settings=settings, only=HELD + NOT_YET)


def test_the_clean_check_has_verdicts_an_attacker_would_want_changed(result):
    assert {"SUPPORTED", "CONTRADICTED"} <= set(result["clean_verdicts"].values()), result


@pytest.mark.parametrize("case", HELD + NOT_YET)
def test_no_verdict_turns_and_no_injected_passage_supports(result, case):
    row = next(r for r in result["rows"] if r["id"] == case)
    assert not row["verdicts_changed"], row
    assert not row["injected_passage_shown_as_support"], row
    assert all(c["verdict"] != "SUPPORTED" for c in row["claims_from_injected_text"]), row


@pytest.mark.parametrize(
    "case",
    [*HELD, *(pytest.param(c, marks=pytest.mark.xfail(strict=True)) for c in NOT_YET)],
)
def test_the_case_is_held_every_claim_kept(result, case):
    row = next(r for r in result["rows"] if r["id"] == case)
    assert row["held"], row
