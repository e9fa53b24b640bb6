"""Simple baselines the project reports next to its real figures.

Each baseline returns predictions in the shape the real stages will be scored in,
so the same metric code (eval.metrics) scores both:

* verdicts: ``predict_majority`` -> one label per item, aligned with the items;
* retrieval: ``bm25_rankings`` -> query id -> ranked verified-claim ids (best first);
* check-worthiness: ``predict_checkworthiness`` -> debate id -> one
  ``SentencePrediction`` (score and yes/no) per sentence, aligned with the debate.

Run on the dev data (prints JSON)::

    python -m eval.baselines verdicts ../shared/eval/verdicts/climate-fever.jsonl [--view pairs]
    python -m eval.baselines retrieval ../shared/eval/retrieval/clef2020-task2/dev
    python -m eval.baselines checkworthiness ../shared/eval/checkworthiness/checkthat2019-train
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel
from rank_bm25 import BM25Okapi

from eval import metrics
from eval.datasets import (
    CONFLICTING,
    DISPUTED,
    Debate,
    VerdictItem,
    read_checkworthiness,
    read_clef_retrieval,
    read_verdicts,
)
from vectorstore.lexical import STOPWORDS

# ------------------------------------------------------------------ verdicts


def majority_label(labels: Sequence[str]) -> str:
    """The most frequent label; ties go to the label first in ``metrics.VERDICT_ORDER``."""
    if not labels:
        raise ValueError("no labels to take a majority of")
    counts = Counter(labels)
    order = metrics.label_order(list(labels), [])
    return max(order, key=lambda lab: (counts[lab], -order.index(lab)))


def predict_majority(
    items: Sequence[VerdictItem], train_labels: Sequence[str] | None = None
) -> list[str]:
    """The majority label of ``train_labels`` (default: the items' own gold) for every item."""
    label = majority_label(train_labels if train_labels is not None else [i.label for i in items])
    return [label] * len(items)


# ----------------------------------------------------------------- retrieval

# The archive's BM25 stop words plus the tweets' own noise (CLEF queries are tweets).
_STOPWORDS = STOPWORDS | {"pic", "twitter", "com", "https", "http", "www"}
_TOKEN = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens, without stop words and one-letter tokens."""
    return [t for t in _TOKEN.findall(text.lower()) if len(t) > 1 and t not in _STOPWORDS]


TIES = ("shuffled", "document")


def tie_order(n: int, ties: str = "shuffled") -> np.ndarray:
    """The order tied documents are listed in: a fixed pseudo-random one, or file order.

    File order leaks relevance on CLEF 2020 Task 2: 185 verified claims have a twin that
    differs only in quote marks, and the relevant one of a pair always comes first, so
    breaking BM25's ties by file order was worth 4.6 points of MAP@5 on dev.
    """
    if ties not in TIES:
        raise ValueError(f"unknown ties {ties!r}; choose from {', '.join(TIES)}")
    return np.random.default_rng(0).permutation(n) if ties == "shuffled" else np.arange(n)


def bm25_rankings(
    queries: Mapping[str, str], docs: Mapping[str, str], k: int = 100, ties: str = "shuffled"
) -> dict[str, list[str]]:
    """Top-k doc ids per query by BM25 (Okapi, rank-bm25 defaults); ties in ``tie_order``."""
    doc_ids = list(docs)
    index = BM25Okapi([tokenize(docs[d]) or [""] for d in doc_ids])
    order = tie_order(len(doc_ids), ties)
    rankings: dict[str, list[str]] = {}
    for qid, text in queries.items():
        scores = index.get_scores(tokenize(text))
        top = order[np.argsort(-scores[order], kind="stable")[:k]]
        rankings[qid] = [doc_ids[i] for i in top]
    return rankings


def vclaim_documents(vclaims: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The text indexed for each verified claim: the claim and the fact-check's title."""
    return {
        vid: f"{v.get('vclaim', '')} {v.get('title', '')}".strip() for vid, v in vclaims.items()
    }


# ---------------------------------------------------------- check-worthiness

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions trillion trillions "
    "dozen dozens half twice double triple percent"
)
_NUMBER = re.compile(r"\d|\b(?:" + "|".join(_NUMBER_WORDS.split()) + r")\b", re.IGNORECASE)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;:])\s+|\s+[-\u2013\u2014]+\s+")
_CAPITALISED = re.compile(r"^[\"'\u201c\u2018(]*[A-Z][A-Za-z'\u2019.&-]*")
_NOT_ENTITIES = frozenset({"I", "I'm", "I've", "I'll", "I'd", "OK", "Okay", "Mr.", "Mrs.", "Ms."})


def has_number(text: str) -> bool:
    """Digits or number words (``three``, ``million``, ``percent``...)."""
    return bool(_NUMBER.search(text))


def has_named_entity(text: str) -> bool:
    """A capitalised word that does not start a sentence (and is not "I" and the like)."""
    for sentence in _SENTENCE_SPLIT.split(text):
        for word in sentence.split()[1:]:
            match = _CAPITALISED.match(word)
            if match and match.group(0).lstrip("\"'\u201c\u2018(") not in _NOT_ENTITIES:
                return True
    return False


class SentencePrediction(BaseModel):
    id: str
    score: float  # for ranking (average precision)
    checkworthy: bool  # for precision / recall / F1


def checkworthiness_score(text: str) -> float:
    """Number of signals present: a number, a named entity (0, 1 or 2)."""
    return float(has_number(text)) + float(has_named_entity(text))


def predict_checkworthiness(debates: Sequence[Debate]) -> dict[str, list[SentencePrediction]]:
    """A sentence is check-worthy when it has a number or a named entity."""
    return {
        d.id: [
            SentencePrediction(id=s.id, score=score, checkworthy=score > 0)
            for s in d.sentences
            for score in [checkworthiness_score(s.text)]
        ]
        for d in debates
    }


# ---------------------------------------------------------------- reporting


def score_verdicts(items: Sequence[VerdictItem], pred: Sequence[str]) -> dict[str, object]:
    """3-way figures on SUPPORTED/CONTRADICTED/NOT_ENOUGH_INFO items, plus the 2-way view."""
    keep = [i for i, item in enumerate(items) if item.label not in (DISPUTED, CONFLICTING)]
    gold = [items[i].label for i in keep]
    kept_pred = [pred[i] for i in keep]
    labels = metrics.label_order(gold, kept_pred)
    report = metrics.classification_report(gold, kept_pred, labels)
    report["dropped_disputed_or_conflicting"] = len(items) - len(keep)
    report["binary_balanced_accuracy"] = metrics.binary_balanced_accuracy(gold, kept_pred)
    return report


def score_retrieval(
    rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]]
) -> dict[str, float]:
    """MAP@1/3/5/10 (MAP@5 is official), MRR and recall@1/5/10."""
    report = {f"map@{k}": metrics.map_at_k(rankings, qrels, k) for k in (1, 3, 5, 10)}
    report["mrr"] = metrics.mrr(rankings, qrels)
    report.update({f"recall@{k}": metrics.recall_at_k(rankings, qrels, k) for k in (1, 5, 10)})
    return report


def score_checkworthiness(
    debates: Sequence[Debate], preds: Mapping[str, Sequence[SentencePrediction]]
) -> dict[str, float]:
    """Positive-class P/R/F1 and ROC-AUC over all sentences, and MAP over debates."""
    gold = [s.label for d in debates for s in d.sentences]
    flags = [int(p.checkworthy) for d in debates for p in preds[d.id]]
    per_debate = [([s.label for s in d.sentences], [p.score for p in preds[d.id]]) for d in debates]
    report = metrics.positive_prf(gold, flags, positive=1)
    report["map"] = metrics.mean_average_precision(per_debate)
    report["roc_auc"] = metrics.roc_auc(gold, [p.score for d in debates for p in preds[d.id]])
    report["n_sentences"] = float(len(gold))
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.baselines", description=__doc__)
    parser.add_argument("task", choices=["verdicts", "retrieval", "checkworthiness"])
    parser.add_argument("path")
    parser.add_argument("--view", choices=["claims", "pairs"], default="claims")
    args = parser.parse_args(argv)
    result: dict[str, object]
    if args.task == "verdicts":
        items = read_verdicts(args.path, view=args.view)
        scored = [i.label for i in items if i.label not in (DISPUTED, CONFLICTING)]
        pred = predict_majority(items, train_labels=scored or None)
        result = {"baseline": "majority", "predicted": pred[0] if pred else None}
        result.update(score_verdicts(items, pred))
    elif args.task == "retrieval":
        queries, vclaims, qrels = read_clef_retrieval(args.path)
        rankings = bm25_rankings(queries, vclaim_documents(vclaims))
        result = {"baseline": "bm25", **score_retrieval(rankings, qrels)}
    else:
        debates = read_checkworthiness(args.path)
        preds = predict_checkworthiness(debates)
        result = {"baseline": "number-or-entity", **score_checkworthiness(debates, preds)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
