"""The embedded local chat model: a GGUF run in-process by llama-cpp-python.

A LangChain chat model, so chains treat it like any other. It formats turns in the
model's own ChatML rather than executing a template found inside the file, and it
tokenizes message text with special tokens disabled, so an article that contains
"<|im_end|>" cannot break out of its turn. Two extras beyond plain chat:
- a trailing AI message is a prefill: the answer continues from it;
- `label_probabilities` reads the next-token distribution after a prefill, giving a
  label and a confidence without generating.
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

_ROLE = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}
_END = "<|im_end|>"
# Fixed prompt parts (instructions and worked examples) of at least this many tokens are
# saved (llama.cpp state, about 28 KB a token for this model) and loaded back instead of
# read again.
MIN_SAVED_PREFIX = 64
MAX_SAVED_PREFIXES = 6


class ContextTooLongError(ValueError):
    """The prompt does not fit the model's context window."""


class EmbeddedChatModel(BaseChatModel):
    model_path: Path
    model_name: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 512
    temperature: float = 0.0

    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _grammars: dict[str, Any] = PrivateAttr(default_factory=dict)
    _prefixes: dict[tuple[int, ...], bytes] = PrivateAttr(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "embedded-llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "n_ctx": self.n_ctx}

    # -- loading and prompt building -------------------------------------------------

    def _load(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama  # imported late: nothing loads at import time

            self._llama = Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                # llama-cpp's default is half the cores: one thread on a 2-core machine.
                n_threads=self.n_threads or os.cpu_count() or 1,
                n_batch=512,
                verbose=False,
            )
        return self._llama

    @cached_property
    def _markers(self) -> dict[str, list[int]]:
        llm = self._load()
        special = ["<|im_start|>", _END]
        return {s: llm.tokenize(s.encode(), add_bos=False, special=True) for s in special}

    def _turn(self, message: BaseMessage, *, close: bool = True) -> list[int]:
        llm = self._load()
        start, end = self._markers["<|im_start|>"], self._markers[_END]
        role = next(r for cls, r in _ROLE.items() if isinstance(message, cls))
        text = message.content if isinstance(message.content, str) else str(message.content)
        tokens = start + llm.tokenize(f"{role}\n{text}".encode(), add_bos=False, special=False)
        return tokens + end + llm.tokenize(b"\n", add_bos=False, special=False) if close else tokens

    def prompt_tokens(self, messages: list[BaseMessage]) -> list[int]:
        """ChatML tokens; message text never becomes a special token."""
        return self._prompt(messages)[0]

    def _prompt(self, messages: list[BaseMessage]) -> tuple[list[int], int]:
        """The prompt's tokens, and how many of them are its fixed part: the turns before
        the last user message (a prompt's instructions and worked examples, the same for
        every question asked with it)."""
        prefill = isinstance(messages[-1], AIMessage)  # the answer continues this turn
        tokens: list[int] = []
        fixed = 0
        for i, message in enumerate(messages):
            if isinstance(message, HumanMessage):
                fixed = len(tokens)
            tokens += self._turn(message, close=not (prefill and i == len(messages) - 1))
        if not prefill:
            llm = self._load()
            tokens += self._markers["<|im_start|>"] + llm.tokenize(b"assistant\n", add_bos=False)
        return tokens, fixed

    # -- saved prompt prefixes -------------------------------------------------------

    def cache_prefix(self, messages: list[BaseMessage]) -> int:
        """Evaluate and keep the fixed part of a prompt (instructions, worked examples) so
        that no later question asked with it reads that part again, whatever was asked
        in between. Returns the tokens evaluated (0 when it was already kept)."""
        with self._lock:
            _, evaluated = self._reuse_prefix(*self._prompt(messages))
        return evaluated

    def _reuse_prefix(self, tokens: list[int], fixed: int) -> tuple[int, int]:
        """How many leading `tokens` are in the model's context now, and how many it
        evaluated to get there. The context's own prefix is used as far as it matches;
        when that stops short of the fixed part, the fixed part's saved state is loaded
        (or evaluated once and saved)."""
        llm = self._load()
        cached = 0
        for a, b in zip(llm.input_ids[: llm.n_tokens].tolist(), tokens, strict=False):
            if a != b:
                break
            cached += 1
        if cached >= fixed or fixed < MIN_SAVED_PREFIX:
            return cached, 0
        key = tuple(tokens[:fixed])
        state = self._prefixes.pop(key, None)
        evaluated = 0
        if state is None:
            llm.n_tokens = cached
            llm.eval(tokens[cached:fixed])
            evaluated = fixed - cached
            state = self._save_sequence(llm)
        else:
            self._load_sequence(llm, key, state)
        self._prefixes[key] = state  # the most recently used last
        while len(self._prefixes) > MAX_SAVED_PREFIXES:
            self._prefixes.pop(next(iter(self._prefixes)))
        return fixed, evaluated

    @staticmethod
    def _save_sequence(llm: Any) -> bytes:
        from llama_cpp import llama_cpp as api

        size = api.llama_state_seq_get_size(llm._ctx.ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = api.llama_state_seq_get_data(llm._ctx.ctx, buffer, size, 0)
        return bytes(buffer[:written])

    @staticmethod
    def _load_sequence(llm: Any, tokens: tuple[int, ...], state: bytes) -> None:
        from llama_cpp import llama_cpp as api

        llm._ctx.kv_cache_seq_rm(0, -1, -1)
        buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
        if not api.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(state), 0):
            raise RuntimeError("llama.cpp could not load a saved prompt prefix")
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)

    def _grammar(self, response_format: dict | None) -> Any:
        schema = _schema_of(response_format)
        if schema is None:
            return None
        key = json.dumps(schema)  # key order matters: properties are generated in this order
        if key not in self._grammars:
            from llama_cpp import LlamaGrammar

            self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return self._grammars[key]

    def _check_fits(self, n_prompt: int, max_tokens: int) -> None:
        if n_prompt + max_tokens > self.n_ctx:
            raise ContextTooLongError(
                f"the prompt has {n_prompt} tokens; with {max_tokens} to generate it does not "
                f"fit the model's context of {self.n_ctx} tokens"
            )

    # -- LangChain interface ---------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        max_tokens = int(kwargs.get("max_tokens") or self.max_tokens)
        with self._lock:
            llm = self._load()
            tokens, fixed = self._prompt(messages)
            self._check_fits(len(tokens), max_tokens)
            self._reuse_prefix(tokens, fixed)
            out = llm.create_completion(
                tokens,
                max_tokens=max_tokens,
                temperature=self.temperature,
                stop=[_END, *(stop or [])],
                grammar=self._grammar(kwargs.get("response_format")),
            )
        usage = out["usage"]
        message = AIMessage(
            content=out["choices"][0]["text"],
            usage_metadata={
                "input_tokens": usage["prompt_tokens"],
                "output_tokens": usage["completion_tokens"],
                "total_tokens": usage["total_tokens"],
            },
            response_metadata={
                "model_name": self.model_name,
                "finish_reason": out["choices"][0]["finish_reason"],
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    # -- label probabilities ---------------------------------------------------------

    def label_probabilities(
        self, messages: list[BaseMessage], labels: list[str]
    ) -> tuple[dict[str, float], int]:
        """Probabilities of `labels` as the next words after the prefill that ends `messages`.

        Returns the probabilities renormalised over the labels, and the number of
        prompt tokens evaluated. Labels must differ in their first token.
        """
        with self._lock:
            llm = self._load()
            tokens, fixed = self._prompt(messages)
            self._check_fits(len(tokens), 1)
            first = [
                llm.tokenize(label.encode(), add_bos=False, special=False)[0] for label in labels
            ]
            if len(set(first)) != len(first):
                raise ValueError(f"labels {labels} share a first token")
            # Reuse the cached prefix (system prompt, worked examples, passage): only the
            # rest is evaluated, as llama-cpp's own generate() does.
            keep, evaluated = self._reuse_prefix(tokens, fixed)
            keep = min(keep, len(tokens) - 1)  # evaluate at least one token for fresh logits
            llm.n_tokens = keep
            llm.eval(tokens[keep:])
            logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))
            chosen = logits[first].astype(np.float64)
        weights = np.exp(chosen - chosen.max())
        probs = weights / weights.sum()
        return {label: float(p) for label, p in zip(labels, probs, strict=True)}, (
            evaluated + len(tokens) - keep
        )


def _schema_of(response_format: dict | None) -> dict | None:
    """The JSON schema in an OpenAI-style response_format, in either of its two shapes."""
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        return response_format["json_schema"]["schema"]
    if response_format.get("type") == "json_object":
        return response_format.get("schema") or {"type": "object"}
    return None
