"""Fake chat models for unit tests of chain logic (never for integration tests)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class QueuedChatModel(BaseChatModel):
    """Answers from a queue (a callable may compute the answer); records every call.

    `reject` lists response_format types that raise, like a server without json_schema.
    """

    responses: list[Any] = Field(default_factory=list)
    reject: set[str] = Field(default_factory=set)
    calls: list[dict] = Field(default_factory=list)
    model_name: str = "queued-fake"

    @property
    def _llm_type(self) -> str:
        return "queued-fake"

    def _generate(
        self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs
    ) -> ChatResult:
        fmt = (kwargs.get("response_format") or {}).get("type")
        self.calls.append({"messages": messages, "kwargs": kwargs})
        if fmt in self.reject:
            raise ValueError(f"response_format {fmt} is not supported")
        answer = self.responses.pop(0)
        text = answer(messages) if callable(answer) else answer
        message = AIMessage(
            content=text,
            usage_metadata={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


class LabelModel(QueuedChatModel):
    """Also gives label probabilities, like the embedded model."""

    probabilities: list[dict[str, float]] = Field(default_factory=list)

    def label_probabilities(self, messages: list[BaseMessage], labels: list[str]):
        self.calls.append({"messages": messages, "labels": labels})
        return self.probabilities.pop(0), 42
