"""A small cross-encoder's stance on a claim-passage pair, run with onnxruntime.

all-MiniLM-L6-v2 fine-tuned on claim-passage pairs (``eval.train_crossencoder``, its
command, data hash and held-out accuracy in ``crossencoder/card.json``), exported to int8
ONNX as the embeddings are: no torch at run time. It reads a claim against a window of
three sentences, so a passage is read window by window and the most decided window
speaks for it (as MiniCheck reads long documents chunk by chunk). Nothing is loaded at
import time; the session is built on first use and the file verified by its sha256.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from vectorstore.embeddings import default_tokenizer_path, verify_sha256
from vectorstore.sentences import sentence_spans

DEFAULT_DIR = Path(__file__).with_name("crossencoder")


@dataclass(frozen=True)
class CrossScore:
    """Label probabilities of the passage's most decided window, and that window."""

    supports: float
    contradicts: float
    neutral: float
    window: str


def windows(passage: str) -> list[str]:
    """Each sentence with its neighbours, as the training pairs were made
    (``eval.crossencoder_data.window``); a passage of up to three sentences is one window."""
    sentences = [passage[s:e] for s, e in sentence_spans(passage)]
    if len(sentences) <= 3:
        return [" ".join(sentences)] if sentences else [passage]
    return [" ".join(sentences[max(0, i - 1) : i + 2]) for i in range(1, len(sentences) - 1)]


class CrossEncoder:
    """Scores claim-passage pairs; thread-safe, one onnxruntime session per instance."""

    def __init__(self, folder: Path = DEFAULT_DIR, threads: int = 1) -> None:
        self.folder = folder
        self.threads = threads
        self._lock = threading.Lock()

    @cached_property
    def card(self) -> dict:
        return json.loads((self.folder / "card.json").read_text())

    @cached_property
    def _session(self):  # noqa: ANN202 - onnxruntime's type, imported lazily
        import onnxruntime as ort

        path = self.folder / "model.int8.onnx"
        verify_sha256(path, self.card["model_sha256"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self):  # noqa: ANN202
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(default_tokenizer_path()))
        tok.enable_truncation(int(self.card["max_tokens"]), strategy="longest_first")
        tok.enable_padding()
        return tok

    def probabilities(self, claim: str, texts: list[str]) -> np.ndarray:
        """(len(texts), labels) probabilities, columns in ``card["labels"]`` order."""
        with self._lock:
            encs = self._tokenizer.encode_batch([(claim, t) for t in texts])
            feed = {
                "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
            }
            (logits,) = self._session.run(["logits"], feed)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def score(self, claim: str, passage: str) -> CrossScore:
        """The passage's stance on the claim: its most decided window's probabilities."""
        texts = windows(passage)
        probs = self.probabilities(claim, texts)
        column = {label: i for i, label in enumerate(self.card["labels"])}
        s, c, n = (probs[:, column[k]] for k in ("SUPPORTS", "CONTRADICTS", "NEUTRAL"))
        best = int(np.argmax(np.maximum(s, c)))
        return CrossScore(float(s[best]), float(c[best]), float(n[best]), texts[best])


@cache
def shipped() -> CrossEncoder:
    """The shipped cross-encoder, one per process (its session is built on first use)."""
    return CrossEncoder()
