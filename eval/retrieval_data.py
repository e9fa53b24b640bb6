"""Reader for CLEF 2020 CheckThat! Task 2 (verified-claim retrieval); see eval.datasets.

Layout: ``<split>/tweets.queries.tsv`` (header row, then tweet id TAB text),
``<split>/tweet-vclaim-pairs.qrels`` (TREC qrels: tweet id, 0, verified-claim id,
relevance; tab or space separated, no header) and ``verified_claims.docs.tsv`` one
level up (header whose first column name is empty, then ``vclaim`` and ``title``).
The tsv files are CSV-quoted (a field may hold quotes, tabs or newlines), so they
are read with the csv module, not split on lines.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

Queries = dict[str, str]
VerifiedClaims = dict[str, dict[str, str]]
Qrels = dict[str, set[str]]

QUERIES_FILE = "tweets.queries.tsv"
QRELS_FILE = "tweet-vclaim-pairs.qrels"
CLAIMS_FILE = "verified_claims.docs.tsv"

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.reader(fh, delimiter="\t") if row]


def _is_header(row: list[str]) -> bool:
    return not row[0].strip().lstrip("-").isdigit()


def _body(rows: list[list[str]]) -> list[list[str]]:
    return rows[1:] if rows and _is_header(rows[0]) else rows


def read_queries(path: str | Path) -> Queries:
    """Tweet id -> tweet text."""
    return {row[0].strip(): row[1] for row in _body(_read_tsv(Path(path))) if len(row) >= 2}


def read_verified_claims(path: str | Path) -> VerifiedClaims:
    """Verified-claim id -> {"vclaim": text, "title": title of the fact-check}."""
    rows = _read_tsv(Path(path))
    names = ["vclaim", "title"]
    if rows and _is_header(rows[0]):
        names = [n.strip() or f"col{i}" for i, n in enumerate(rows[0][1:], start=1)]
    claims: VerifiedClaims = {}
    for row in _body(rows):
        fields = dict(zip(names, row[1:], strict=False))
        claims[row[0].strip()] = {
            "vclaim": fields.get("vclaim", ""),
            "title": fields.get("title", ""),
        }
    return claims


def read_qrels(path: str | Path) -> Qrels:
    """Query id -> ids of the documents judged relevant (relevance > 0)."""
    qrels: Qrels = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 4 or not parts[3].lstrip("-").isdigit():
            continue
        qrels.setdefault(parts[0], set())
        if int(parts[3]) > 0:
            qrels[parts[0]].add(parts[2])
    return qrels


def read_clef_retrieval(
    data_dir: str | Path, claims_path: str | Path | None = None
) -> tuple[Queries, VerifiedClaims, Qrels]:
    """(queries, verified claims, qrels) of one split directory (e.g. ``.../dev``).

    ``claims_path`` defaults to ``verified_claims.docs.tsv`` in ``data_dir`` or,
    failing that, one level up.
    """
    split = Path(data_dir)
    if claims_path is None:
        local = split / CLAIMS_FILE
        claims_path = local if local.exists() else split.parent / CLAIMS_FILE
    return (
        read_queries(split / QUERIES_FILE),
        read_verified_claims(claims_path),
        read_qrels(split / QRELS_FILE),
    )
