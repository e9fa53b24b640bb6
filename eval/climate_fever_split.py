"""The Climate-FEVER claims that the reported pair sample does not touch, as a file.

The verdict figures report ``cli.py eval verdicts --data climate-fever.jsonl --view pairs
--limit 300``; whatever is trained or chosen on Climate-FEVER (the cross-encoder's pairs,
the stance classifier and its gate) uses the other claims only:

    python -m eval.climate_fever_split ../shared/eval/verdicts/climate-fever.jsonl \\
        /tmp/climate-fever-other.jsonl
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from eval.datasets import VerdictItem, read_climate_fever_pairs, sample_stratified

REPORTED_CF_SAMPLE = 300  # `cli.py eval verdicts --view pairs --limit 300`: kept out


def reported_claim_ids(items: Sequence[VerdictItem]) -> set[str]:
    """The claims of the reported sample of ``read_climate_fever_pairs`` items."""
    reported = sample_stratified(items, REPORTED_CF_SAMPLE, key=lambda i: i.label)
    return {i.meta["claim_id"] for i in reported}


def write_other_claims(source: Path, out: Path) -> int:
    """Copy the source's lines of every claim outside the reported sample; their count."""
    held_out = reported_claim_ids(read_climate_fever_pairs(source))
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [
        line for line in lines if line.strip() and str(json.loads(line)["claim_id"]) not in held_out
    ]
    out.write_text("".join(kept), encoding="utf-8")
    return len(kept)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    n = write_other_claims(Path(args[0]), Path(args[1]))
    print(f"{n} claims written to {args[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
