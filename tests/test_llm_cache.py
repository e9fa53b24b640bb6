"""One model per process: settings that do not change the loaded model share it."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from pydantic import SecretStr

from chains import llm
from settings import Settings
from tests.fakes import QueuedChatModel


@pytest.fixture(autouse=True)
def no_models():
    llm.forget_models()
    yield
    llm.forget_models()


class Loader:
    """A fake model loader that records what it built (weakly: it must not keep them)."""

    def __init__(self) -> None:
        self.refs: list[weakref.ref] = []

    @property
    def built(self) -> list[QueuedChatModel | None]:
        return [ref() for ref in self.refs]

    def __call__(self, settings: Settings) -> QueuedChatModel:
        model = QueuedChatModel(model_name=settings.model)
        self.refs.append(weakref.ref(model))
        return model


def embedded(**changes) -> Settings:
    fields = {"provider": "embedded", "model_path": Path("/models/a.gguf")}
    return Settings(**(fields | changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"request_timeout": 5.0},
        {"max_claims": 3, "max_article_chars": 1000},
        {"top_k": 9, "min_score": 0.1, "retrieval": "dense"},
        {"api_key": SecretStr("sk-unused-by-the-embedded-model")},
    ],
)
def test_settings_that_do_not_change_the_embedded_model_share_it(changes):
    load = Loader()
    first = llm.shared_chat_model(embedded(), loader=load)
    second = llm.shared_chat_model(embedded(**changes), loader=load)
    assert second is first
    assert len(load.built) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"model_path": Path("/models/b.gguf")},
        {"n_ctx": 8192},
        {"n_threads": 1},
        {"model": "another-name"},
    ],
)
def test_a_different_embedded_model_replaces_the_loaded_one(changes):
    load = Loader()
    first = llm.shared_chat_model(embedded(), loader=load)
    gone = load.refs[0]
    second = llm.shared_chat_model(embedded(**changes), loader=load)
    assert second is not first and len(load.built) == 2
    # A process keeps one embedded model: the first copy is dropped and freed.
    assert len([k for k in llm.loaded_models() if k[0] == "embedded"]) == 1
    del first
    gc.collect()
    assert gone() is None
    # Asking for the current one again loads nothing.
    assert llm.shared_chat_model(embedded(**changes), loader=load) is second
    assert len(load.built) == 2


def test_endpoint_clients_are_per_timeout_and_key_but_bounded():
    load = Loader()

    def endpoint(**changes) -> Settings:
        return Settings(provider="openai", base_url="http://127.0.0.1:9/v1", **changes)

    a = llm.shared_chat_model(endpoint(request_timeout=10.0), loader=load)
    assert llm.shared_chat_model(endpoint(request_timeout=10.0, top_k=2), loader=load) is a
    # A client's timeout and key are its own: another client (no weights behind it).
    assert llm.shared_chat_model(endpoint(request_timeout=20.0), loader=load) is not a
    assert llm.shared_chat_model(endpoint(api_key=SecretStr("k2")), loader=load) is not a
    for t in range(30):
        llm.shared_chat_model(endpoint(request_timeout=100.0 + t), loader=load)
    assert len(llm.loaded_models()) == llm.MAX_CLIENTS


def test_the_key_never_holds_the_api_key_itself():
    key = llm.model_key(Settings(provider="openai", api_key=SecretStr("sk-secret-123")))
    assert "sk-secret-123" not in repr(key)


def test_the_default_loader_is_make_chat_model(monkeypatch):
    load = Loader()
    monkeypatch.setattr("chains.llm.make_chat_model", load)
    model = llm.shared_chat_model(embedded())
    assert load.built == [model]
