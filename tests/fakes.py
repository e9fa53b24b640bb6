"""Fake chat models for unit tests of chain logic (never for integration tests)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


def asks_checkworthiness(messages: list[BaseMessage]) -> bool:
    return bool(messages) and '"checkable"' in str(messages[0].content)


def _sentence(messages: list[BaseMessage]) -> str:
    asked = [m for m in messages if m.type == "human"]
    return str(asked[-1].content) if asked else ""


class QueuedChatModel(BaseChatModel):
    """Answers from a queue (a callable may compute the answer); records every call.

    `reject` lists response_format types that raise, like a server without json_schema.
    The check-worthiness question is answered without the queue: YES, unless the
    sentence contains one of `not_checkable`, so tests of other stages need not queue it.
    """

    responses: list[Any] = Field(default_factory=list)
    reject: set[str] = Field(default_factory=set)
    calls: list[dict] = Field(default_factory=list)
    not_checkable: list[str] = Field(default_factory=list)
    raises: Any = None  # when set, every call raises it (a model that is down or broken)
    model_name: str = "queued-fake"

    def _checkable(self, messages: list[BaseMessage]) -> bool:
        sentence = _sentence(messages)
        return not any(word in sentence for word in self.not_checkable)

    @property
    def _llm_type(self) -> str:
        return "queued-fake"

    def _generate(
        self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs
    ) -> ChatResult:
        fmt = (kwargs.get("response_format") or {}).get("type")
        self.calls.append({"messages": messages, "kwargs": kwargs})
        if self.raises is not None:
            raise self.raises
        if fmt in self.reject:
            raise ValueError(f"response_format {fmt} is not supported")
        if asks_checkworthiness(messages):
            answer = '{"checkable": "%s"}' % ("YES" if self._checkable(messages) else "NO")
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer))])
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
        if asks_checkworthiness(messages):
            yes = 0.9 if self._checkable(messages) else 0.1
            return {"YES": yes, "NO": 1 - yes}, 42
        return self.probabilities.pop(0), 42
