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
# # Prompt tuning: does a prompt change make the verdicts and the claim finding better?
#
# 1. Put prompt variants as files in `notebooks/variants/` (copy `prompts/judge_stance.md`
#    or `prompts/checkworthy.md`, change it, keep the `## system|user|assistant`
#    sections and the `{{claim}}` / `{{passage}}` / `{{sentence}}` variables).
# 2. Run all cells. Each variant runs on the same stratified slice of the development
#    data with the configured model (the embedded one by default), through the same
#    code as `cli.py eval`, so the figures compare with `docs/EVALUATION.md`.
# 3. Read the table, the confusion matrices and the items where the variants disagree.
#    Results are saved in `notebooks/results/` with each prompt's hash, the model and
#    the date. Runs are cached per prompt version: re-running a cell costs nothing.
#
# `FACTCHECK_NB_LIMIT` sets the slice (CI runs a tiny one); `FACTCHECK_EVAL_DIR` the data.

# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()))
from eval import notebook

ROOT = notebook.setup()

import matplotlib.pyplot as plt
import pandas as pd

from chains.llm import make_chat_model, model_label
from chains.pipeline import Prompts
from eval.run_checkworthiness import run_checkworthiness
from eval.run_verdicts import VerdictOptions, run_verdicts
from prompts.loader import load_prompt
from settings import Settings

LIMIT = notebook.limit(default=60)
settings = Settings()
model = make_chat_model(settings)
print("model:", model_label(model), "| items per run:", LIMIT or "all")

# %% [markdown]
# ## The variants
# The prompt in `prompts/` is the baseline; every `notebooks/variants/judge_stance*.md`,
# `checkworthy*.md` and `resolve_reference*.md` is a variant of it.

# %%
VARIANTS_DIR = ROOT / "notebooks" / "variants"


def variants(name: str) -> dict[str, object]:
    found = {"current": load_prompt(name)}
    for path in sorted(VARIANTS_DIR.glob(f"{name}*.md")):
        found[path.stem] = load_prompt(path.stem, VARIANTS_DIR)
    return found


judge_variants = variants("judge_stance")
# Claim finding scores every sentence with the check-worthiness question: vary it.
finding_variants = {"current": Prompts()}
for name, prompt in variants("checkworthy").items():
    if name != "current":
        finding_variants[name] = Prompts(checkworthy=prompt)
print("judge:", {k: v.version for k, v in judge_variants.items()})
print("claim finding:", {k: v.version for k, v in finding_variants.items()})

# %% [markdown]
# ## Verdicts: SummEdits-news (summary vs its article) and Climate-FEVER evidence pairs

# %%
DATASETS = {
    "summedits": (
        notebook.data_path("verdicts/summedits-news-dev.json", "summedits-sample.json"),
        "claims",
    ),
    "climate-fever pairs": (
        notebook.data_path("verdicts/climate-fever.jsonl", "climate-fever-sample.jsonl"),
        "pairs",
    ),
}

runs = {}
for dataset, (path, view) in DATASETS.items():
    for variant, prompt in judge_variants.items():
        runs[dataset, variant] = run_verdicts(
            path,
            model=model,
            settings=settings,
            options=VerdictOptions(view=view, limit=LIMIT),
            prompts=Prompts(judge=prompt),
            progress=False,
            details=True,
        )

FIGURES = ["n", "balanced_accuracy", "macro_f1", "accuracy", "roc_auc", "seconds"]
table = pd.DataFrame(
    [
        {"data": d, "variant": v, **{k: r.get(k) for k in FIGURES}, "prompt": r["prompt_version"]}
        for (d, v), r in runs.items()
    ]
)
table

# %% [markdown]
# ### Confusion matrices (rows: gold label, columns: prediction)

# %%
fig, axes = plt.subplots(
    len(DATASETS),
    len(judge_variants),
    figsize=(4 * len(judge_variants), 3.6 * len(DATASETS)),
    squeeze=False,
)
for i, dataset in enumerate(DATASETS):
    for j, variant in enumerate(judge_variants):
        ax = axes[i][j]
        confusion = runs[dataset, variant]["confusion"]
        labels = list(confusion)
        cells = [[confusion[g].get(p, 0) for p in labels] for g in labels]
        ax.imshow(cells, cmap="Blues")
        ax.set_xticks(range(len(labels)), [lb[:12] for lb in labels], rotation=30, ha="right")
        ax.set_yticks(range(len(labels)), [lb[:12] for lb in labels])
        for r, line in enumerate(cells):
            for c, value in enumerate(line):
                ax.text(c, r, value, ha="center", va="center")
        ax.set_title(f"{dataset}: {variant}", fontsize=9)
fig.tight_layout()

# %% [markdown]
# ### Where the variants disagree

# %%
disagreements = {}
for dataset in DATASETS:
    by_variant = {v: {i["id"]: i for i in runs[dataset, v]["items"]} for v in judge_variants}
    first = next(iter(by_variant.values()))
    rows = []
    for item_id, item in first.items():
        predictions = {v: by_variant[v][item_id]["prediction"] for v in judge_variants}
        if len(set(predictions.values())) > 1:
            rows.append({"claim": item["claim"][:120], "gold": item["label"], **predictions})
    disagreements[dataset] = rows
    print(f"{dataset}: {len(rows)} of {len(first)} items judged differently")
pd.DataFrame([dict(data=d, **r) for d, rows in disagreements.items() for r in rows])

# %% [markdown]
# ## Claim finding: ClaimBuster sentences (check-worthy or not)

# %%
claimbuster = notebook.data_path(
    "checkworthiness/claimbuster-train.json", "claimbuster-sample.json"
)
extraction = {
    variant: run_checkworthiness(
        claimbuster, model=model, settings=settings, limit=LIMIT, prompts=prompts, progress=False
    )
    for variant, prompts in finding_variants.items()
}
pd.DataFrame(
    [
        {"variant": v, **{k: r.get(k) for k in ("n", "precision", "recall", "f1", "seconds")}}
        for v, r in extraction.items()
    ]
)

# %% [markdown]
# ## Save

# %%
saved = notebook.save_results(
    "prompt-tuning",
    {
        "model": model_label(model),
        "limit": LIMIT,
        "prompts": {
            "judge": {k: v.version for k, v in judge_variants.items()},
            "claim finding": {k: v.version for k, v in finding_variants.items()},
        },
        "verdicts": {f"{d} | {v}": {k: r.get(k) for k in FIGURES} for (d, v), r in runs.items()},
        "checkworthiness": {
            v: {k: r.get(k) for k in ("n", "precision", "recall", "f1")}
            for v, r in extraction.items()
        },
    },
)
print("saved", saved.relative_to(ROOT))
