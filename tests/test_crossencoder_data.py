"""eval.crossencoder_data: the cross-encoder's training pairs, on a tiny archive of our own."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from eval.crossencoder_data import CONTRADICTS, NEUTRAL, SUPPORTS, edits, synthetic_pairs

SENTENCE = "The council approved a $4.2 million budget in March 2024, the mayor said."


def test_each_edit_changes_one_fact() -> None:
    found = dict(edits(SENTENCE, ["Dana Whitfield"], random.Random(1)))
    assert "2024" not in found["year"] and found["year"] != SENTENCE
    assert "March" not in found["month"]
    assert "negation" not in found  # no auxiliary verb to negate, so none made
    negated = dict(edits("The plant will reopen in June.", [], random.Random(1)))["negation"]
    assert negated == "The plant will not reopen in June."
    assert dict(edits("The plant was not sold.", [], random.Random(1)))["negation"] == (
        "The plant was sold."
    )
    assert dict(edits("Profits rose sharply.", [], random.Random(1)))["opposite"] == (
        "Profits fell sharply."
    )


def write_archive(root: Path) -> Path:
    for topic in ("business", "politics"):
        (root / topic).mkdir(parents=True)
        for i in range(6):
            body = " ".join(
                f"Company {topic.title()} {i} said it will hire {10 + j} workers in Leeds "
                f"in March {2001 + j}. Shares rose after the news was announced by Anna Berg."
                for j in range(8)
            )
            (root / topic / f"{i:03}.txt").write_text(f"Headline {i}\n\n{body}\n")
    (root / "business" / "bad.txt").write_bytes(b"\xff\xfe not utf-8 \xff")
    return root


def test_synthetic_pairs_are_labelled_grounded_and_deterministic(tmp_path: Path) -> None:
    folder = write_archive(tmp_path / "bbc")
    pairs = synthetic_pairs(folder, seed=3, per_article=2)
    assert pairs == synthetic_pairs(folder, seed=3, per_article=2)
    labels = Counter(p["label"] for p in pairs)
    assert labels[SUPPORTS] and labels[CONTRADICTS] and labels[NEUTRAL]
    for p in pairs:
        if p["kind"] == "same":  # a supported claim is a sentence of its passage
            assert p["claim"] in p["passage"]
        if p["label"] == CONTRADICTS:  # an edited claim is not
            assert p["claim"] not in p["passage"]


def test_the_other_climate_fever_claims_leave_out_every_reported_claim(tmp_path: Path) -> None:
    import json

    from eval.climate_fever_split import reported_claim_ids, write_other_claims
    from eval.datasets import read_climate_fever_pairs

    labels = ["SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO"]
    rows = [
        {
            "claim_id": str(c),
            "claim": f"Claim {c}.",
            "claim_label": "SUPPORTS",
            "evidences": [
                {
                    "evidence_id": f"e{c}:{k}",
                    "evidence": f"Evidence {c}/{k}.",
                    "evidence_label": labels[(c + k) % 3],
                }
                for k in range(5)
            ],
        }
        for c in range(200)  # 1,000 pairs: the reported 300 touch some claims, not all
    ]
    source = tmp_path / "climate-fever.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "other.jsonl"
    kept = write_other_claims(source, out)
    reported = reported_claim_ids(read_climate_fever_pairs(source))
    others = {json.loads(line)["claim_id"] for line in out.read_text().splitlines()}
    assert kept == len(others) > 0
    assert not others & reported and others | reported == {r["claim_id"] for r in rows}
