# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Retrieval: dense, BM25 and hybrid
#
# 1. **CLEF 2020 CheckThat! Task 2** (tweets vs 10,375 verified claims; MAP@5 is the
#    official figure): the three methods of `cli.py eval retrieval`, a sweep of the
#    hybrid's dense weight and recall at 1..20, all through `eval.run_retrieval`.
# 2. **Chunk size**: temporary Chroma archives of the SummEdits-news articles (plus BBC
#    2005 articles as distractors) cut at 400, 800 and 1200 characters; does each
#    summary find its own article in the top k, with each method?
#
# `FACTCHECK_NB_LIMIT` sets the slice (CLEF queries, SummEdits summaries and BBC
# distractors; 0 or unset: everything, but at most `FACTCHECK_NB_DISTRACTORS`, default
# 500, BBC distractors), `FACTCHECK_EVAL_DIR` the data folder. Without the
# data the notebook runs on the project's own small fixtures and says so. Results go to
# `notebooks/results/retrieval-<date>.json` with the settings used.

# %%
import datetime as dt
import json
import os
import sys
from pathlib import Path

ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "settings.py").is_file())
sys.path.insert(0, str(ROOT))

import matplotlib.pyplot as plt
import pandas as pd

from eval import metrics
from eval import run_retrieval as rr
from eval.datasets import read_summedits, sample_stratified
from eval.verdict_evidence import archive_for, own_articles
from settings import Settings
from vectorstore import lexical
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.ingest import load_file

LIMIT = int(os.environ.get("FACTCHECK_NB_LIMIT", "0")) or None
# BBC distractors in each chunk-size archive (embedding all 2,225 three times is slow).
DISTRACTORS = int(os.environ.get("FACTCHECK_NB_DISTRACTORS", "500"))
HEADLINES = 200  # BBC headlines asked (each archive holds their articles)
EVAL_DIR = Path(os.environ.get("FACTCHECK_EVAL_DIR", ROOT.parent / "shared" / "eval"))
FIXTURES = ROOT / "tests" / "fixtures" / "eval"
settings = Settings()
embeddings = MiniLMEmbeddings()
print("project:", ROOT, "| data:", EVAL_DIR, "| limit:", LIMIT or "none")


def data_or_fixture(relative: str, fixture: str) -> Path:
    path = EVAL_DIR / relative
    if path.exists():
        return path
    print(f"{path} is missing: using the project's small fixture {fixture} instead")
    return FIXTURES / fixture


CLEF = {
    split: data_or_fixture(f"retrieval/clef2020-task2/{split}", "clef2020-task2/dev")
    for split in ("dev", "train")
}
if CLEF["train"] == CLEF["dev"]:
    del CLEF["train"]  # the fixture has one split
SUMMEDITS = data_or_fixture("verdicts/summedits-news-dev.json", "summedits-sample.json")
BBC = EVAL_DIR / "archive" / "bbc-2005"

# %% [markdown]
# ## CLEF 2020 Task 2: dense vs BM25 vs hybrid
#
# `prepare` scores every query against every verified claim once (document vectors are
# cached under `FACTCHECK_CACHE_DIR/eval`); `evaluate` ranks and scores a method.

# %%
prepared = {
    split: rr.prepare(path, settings=settings, limit=LIMIT, embeddings=embeddings)
    for split, path in CLEF.items()
}
SHOWN = {
    "map_at_5": "MAP@5",
    "mrr": "MRR",
    "recall_at_1": "R@1",
    "recall_at_5": "R@5",
    "recall_at_10": "R@10",
}
rows = []
for split, p in prepared.items():
    for method in rr.METHODS:
        figures = rr.evaluate(p, method)
        rows.append(
            {"split": split, "method": method, "n": len(p.query_ids)}
            | {name: round(figures[key], 4) for key, name in SHOWN.items()}
        )
methods_table = pd.DataFrame(rows)
methods_table

# %% [markdown]
# Ties broken by file order instead (the old behaviour) flatter BM25: on CLEF the
# relevant claim of a near-duplicate pair always comes first in the file.

# %%
ties_table = pd.DataFrame(
    [
        {
            "split": split,
            "method": method,
            "MAP@5 ties shuffled": round(rr.evaluate(p, method)["map_at_5"], 4),
            "MAP@5 ties in file order": round(
                rr.evaluate(p, method, ties="document")["map_at_5"], 4
            ),
        }
        for split, p in prepared.items()
        for method in rr.METHODS
    ]
)
ties_table

# %% [markdown]
# ## Fusion weight: the dense share of the hybrid score (0 = BM25 only, 1 = dense only)

# %%
WEIGHTS = [round(0.05 * i, 2) for i in range(21)]
sweep = {
    split: [rr.evaluate(p, "hybrid", w)["map_at_5"] for w in WEIGHTS]
    for split, p in prepared.items()
}
fig, ax = plt.subplots(figsize=(6, 3.5))
for split, values in sweep.items():
    ax.plot(WEIGHTS, values, marker="o", markersize=3, label=split)
ax.axvline(lexical.DEFAULT_WEIGHT, color="grey", linestyle="--", label="default")
ax.set_xlabel("dense weight")
ax.set_ylabel("MAP@5")
ax.set_title("Hybrid: dense weight sweep (CLEF 2020 Task 2)")
ax.legend()
plt.show()
pd.DataFrame(sweep, index=WEIGHTS).T.round(4)

# %% [markdown]
# ## Recall at k: how deep does the relevant claim sit?

# %%
KS = list(range(1, 21))
recall_curves = {}
for split, p in prepared.items():
    for method in rr.METHODS:
        rankings = rr.rank(rr.method_scores(p, method), p.query_ids, p.doc_ids, max(KS))
        recall_curves[f"{split} {method}"] = [metrics.recall_at_k(rankings, p.qrels, k) for k in KS]
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, values in recall_curves.items():
    ax.plot(KS, values, label=name, linestyle="-" if name.startswith("dev") else ":")
ax.set_xlabel("k")
ax.set_ylabel("recall@k")
ax.set_xticks(KS[::2] + [KS[-1]])
ax.set_title("Recall at k (CLEF 2020 Task 2)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Chunk size: does a claim find its own article?
#
# Each archive holds the SummEdits-news articles and BBC 2005 articles, cut at
# `chunk_chars`. Two query sets: each SummEdits summary (relevant: its article; only four
# articles, from 2023, so an easy test), and each BBC headline (relevant: its article,
# whose indexed text leaves the headline out; harder: hundreds of articles on the same
# five topics). Passages are turned into a ranking of articles (the first passage of
# each), scored like CLEF.

# %%
items = read_summedits(SUMMEDITS)
if LIMIT:
    items = sample_stratified(items, LIMIT, key=lambda i: i.label)
bbc_files = sorted(BBC.rglob("*.txt")) if BBC.is_dir() else []
if not bbc_files:
    print(f"{BBC} is missing: the archives hold the SummEdits articles only")
n_distractors = min(LIMIT or DISTRACTORS, len(bbc_files))
if n_distractors < len(bbc_files):
    step = len(bbc_files) // n_distractors if n_distractors else 1
    bbc_files = bbc_files[::step][:n_distractors]  # spread over the five topics
QUERY_SETS = {
    "summedits": (
        {item.id: item.claim for item in items},
        {item.id: own_articles(item) for item in items},
    ),
    "bbc headlines": ({}, {}),
}
n_headlines = min(LIMIT or HEADLINES, len(bbc_files))
for path in bbc_files[:: max(1, len(bbc_files) // max(n_headlines, 1))][:n_headlines]:
    for article in load_file(path):
        QUERY_SETS["bbc headlines"][0][str(path)] = article.title
        QUERY_SETS["bbc headlines"][1][str(path)] = {article.id}
CHUNK_SIZES = (400, 800, 1200)
chunk_rows = []
for chunk_chars in CHUNK_SIZES:
    sized = settings.model_copy(update={"chunk_chars": chunk_chars})
    with archive_for(
        items, sized, embeddings, distractors=[str(f) for f in bbc_files], progress=False
    ) as (store, info):
        for query_set, (queries, relevant) in QUERY_SETS.items():
            for method in rr.METHODS if queries else ():
                figures = rr.archive_retrieval(store, queries, relevant, method=method)
                chunk_rows.append(
                    {
                        "queries": query_set,
                        "n": len(queries),
                        "chunk_chars": chunk_chars,
                        "method": method,
                        "chunks": info["chunks"],
                    }
                    | {name: round(figures[key], 4) for key, name in SHOWN.items()}
                )
chunk_table = pd.DataFrame(chunk_rows)
print(f"{len(items)} summaries, {len(bbc_files)} BBC articles in each archive")
chunk_table

# %%
shown_sets = list(chunk_table["queries"].unique())
fig, axes = plt.subplots(1, len(shown_sets), figsize=(5 * len(shown_sets), 3.5), squeeze=False)
for ax, query_set in zip(axes[0], shown_sets, strict=True):
    for method in rr.METHODS:
        part = chunk_table[
            (chunk_table["method"] == method) & (chunk_table["queries"] == query_set)
        ]
        ax.plot(part["chunk_chars"], part["R@1"], marker="o", label=f"{method} R@1")
        ax.plot(part["chunk_chars"], part["R@5"], marker="s", linestyle=":", label=f"{method} R@5")
    ax.set_xlabel("chunk_chars")
    ax.set_xticks(CHUNK_SIZES)
    ax.set_title(f"{query_set} -> its article")
    ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Results

# %%
RESULTS = ROOT / "notebooks" / "results"
RESULTS.mkdir(parents=True, exist_ok=True)
today = dt.date.today().isoformat()
out = RESULTS / f"retrieval-{today}.json"
payload = {
    "date": today,
    "limit": LIMIT,
    "data": {"clef": {k: str(v) for k, v in CLEF.items()}, "summedits": str(SUMMEDITS)},
    "bbc_articles": len(bbc_files),
    "bbc_headlines_asked": len(QUERY_SETS["bbc headlines"][0]),
    "settings": {
        "retrieval": settings.retrieval,
        "hybrid_weight": settings.hybrid_weight,
        "top_k": settings.top_k,
        "min_score": settings.min_score,
        "pool": lexical.POOL,
        "bm25": {"k1": lexical.K1, "b": lexical.B},
        "embedding_model": embeddings.name(),
        "clef_config": rr.CONFIG,
    },
    "clef_methods": methods_table.to_dict(orient="records"),
    "clef_ties": ties_table.to_dict(orient="records"),
    "clef_weight_sweep": {"weights": WEIGHTS, **sweep},
    "clef_recall_at_k": {"k": KS, **recall_curves},
    "chunk_sizes": chunk_table.to_dict(orient="records"),
}
out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
print("saved", out.relative_to(ROOT))
