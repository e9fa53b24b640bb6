"""Lexical search: the product's query processing and the fusion of BM25 with dense scores.

Used by the archive's hybrid search (``vectorstore.hybrid``, over the index of
``vectorstore.lexical_index``) and by the retrieval evaluation (``eval.run_retrieval``),
so the product ranks the way it was measured.

* ``tokenize``: lower-cased alphanumeric tokens without stop words and one-letter
  tokens, each cut by a tiny suffix stripper (``stem``: plural, -ing, -ed, final e),
  so "flooded", "floods" and "flooding" meet. On CLEF 2020 CheckThat! Task 2 it beat
  the unstemmed tokens for BM25 alone (MAP@5 dev 0.763 -> 0.799, train 0.819 -> 0.835).
  The lexical index holds these terms, so it matches exactly what this function makes.
* BM25 itself is tantivy's (``K1``, ``B``: its fixed parameters; Lucene's idf).
* ``fuse``: the hybrid score of a candidate pool (the dense and the BM25 best, joined):
  each score z-normalised over the pool, then ``weight * dense + (1 - weight) * bm25``.
  Normalising over the pool rather than over the whole collection lets the archive
  fuse without scoring every chunk densely, and measured the same.
"""

from __future__ import annotations

import re

import numpy as np

K1 = 1.2  # tantivy's BM25 parameters (fixed by the engine; shown in figures' configs)
B = 0.75
DEFAULT_WEIGHT = 0.7  # weight of the dense score in the fusion
POOL = 100  # candidates taken from each side before fusing

# Words too common to rank by. Source-specific noise (tweets' "pic twitter com") is the
# evaluation's to remove, not the product's.
STOPWORDS = frozenset(
    (
        "a an and are as at be by for from has have he her his i in is it its of on or our she "
        "that the their they this to was we were will with you your"
    ).split()
)
_TOKEN = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """A light suffix stripper: plural endings, then -ing / -ed, then a final e."""
    if len(word) > 4 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("us", "ss")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


_TERMS: dict[str, str] = {}  # word -> its term ("" for a stop word): one lookup per token
_TERMS_MAX = 1 << 20


def _term(word: str) -> str:
    term = "" if len(word) < 2 or word in STOPWORDS else stem(word)
    if len(_TERMS) < _TERMS_MAX:
        _TERMS[word] = term
    return term


def tokenize(text: str) -> list[str]:
    """Stemmed lower-case tokens, without stop words and one-letter tokens."""
    get = _TERMS.get
    # A known word costs one lookup ("" for a stop word); an unknown one goes to _term.
    return [
        t for w in _TOKEN.findall(text.lower()) if (t := get(w)) or (t is None and (t := _term(w)))
    ]


def zscore(values: np.ndarray) -> np.ndarray:
    """(x - mean) / std over the array; all zeros when it is constant."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    std = values.std()
    return (values - values.mean()) / std if std > 0 else np.zeros_like(values)


def fuse(dense: np.ndarray, sparse: np.ndarray, weight: float = DEFAULT_WEIGHT) -> np.ndarray:
    """Hybrid scores of a candidate pool: z-normalised dense and BM25, linearly mixed."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError("the dense weight must be between 0 and 1")
    return weight * zscore(dense) + (1.0 - weight) * zscore(sparse)


def pool(dense: np.ndarray, sparse: np.ndarray, n: int = POOL) -> np.ndarray:
    """Indices of the candidate pool: the ``n`` best by each score, joined (sorted)."""
    n_dense = min(n, len(dense))
    best_dense = np.argpartition(-dense, n_dense - 1)[:n_dense] if n_dense else []
    n_sparse = min(n, int((sparse > 0).sum()))
    best_sparse = np.argpartition(-sparse, n_sparse - 1)[:n_sparse] if n_sparse else []
    return np.union1d(best_dense, best_sparse).astype(np.int64)
