"""The one settings class: environment variables prefixed FACTCHECK_, optional .env."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent
# The chat model's settings: what FACTCHECK_PIN_MODEL_SETTINGS keeps a session from changing.
MODEL_FIELDS = ("provider", "model", "base_url", "api_key", "request_timeout")
# Limits a browser session may lower but never raise past the server's: each claim and
# each character is model time the whole desk shares.
SESSION_CAPPED = ("max_claims", "max_article_chars")


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "factcheck"


class Settings(BaseSettings):
    """Everything configurable. Collaborators receive a Settings; nothing reads env vars itself."""

    model_config = SettingsConfigDict(env_prefix="FACTCHECK_", env_file=".env", extra="ignore")

    # Archive
    store_dir: Path = PROJECT_ROOT / "data" / "store"
    chroma_host: str | None = None  # set to use a Chroma server (HttpClient) instead of a folder
    chroma_port: int = 8000
    # The lexical (BM25) index's folder, shared by the app processes of one host; unset:
    # store_dir/lexical, or cache_dir/lexical/HOST-PORT with a Chroma server.
    lexical_dir: Path | None = None
    collection: str = "archive"
    chunk_chars: int = Field(800, ge=200, le=4000)
    # URLs on the server's own network (intranet, cloud metadata) are refused unless set.
    allow_private_urls: bool = False

    # Chat model
    provider: Literal["embedded", "openai"] = "embedded"
    model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    base_url: str | None = (
        None  # any OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, llama.cpp)
    )
    api_key: SecretStr | None = None
    model_path: Path | None = None  # a GGUF file to use instead of the packaged model
    n_ctx: int = 4096
    n_threads: int | None = None
    request_timeout: float = 120.0
    # Set by whoever runs the server: sessions cannot change the MODEL_FIELDS.
    pin_model_settings: bool = False
    # With sign-in (an OIDC provider in Streamlit's secrets), who may change the archive
    # and the settings: comma-separated e-mail addresses, and/or the name of a group the
    # provider lists in the person's "groups" claim. Everyone else is a reporter.
    editors: str = ""
    editor_group: str = ""
    # True when a session chose the provider or endpoint (see for_session).
    _session_endpoint: bool = PrivateAttr(default=False)

    # Checking
    top_k: int = Field(4, ge=1, le=20)
    min_score: float = Field(0.4, ge=0.0, le=1.0)  # below this a passage is unrelated
    # How passages are ranked: dense + BM25 fused (hybrid), or either alone; score and
    # min_score stay the dense similarity. hybrid_weight: the dense share of the fusion.
    retrieval: Literal["dense", "bm25", "hybrid"] = "hybrid"
    hybrid_weight: float = Field(0.7, ge=0.0, le=1.0)
    max_article_chars: int = 60_000
    max_claims: int = 25
    # Sentences scoring below this as check-worthy are not checked (0 keeps all). Chosen
    # on ClaimBuster sentences apart from those reported (docs/EVALUATION.md).
    min_checkworthiness: float = Field(0.5, ge=0.0, le=1.0)
    # The shipped cross-encoder spares the model passages it reads as unrelated.
    crossencoder: bool = True
    # The shipped stance classifier may confirm a "contradicts" of the model that the
    # checks name no difference for (chains.compare.settle).
    stance_classifier: bool = True
    cache_dir: Path = Field(default_factory=default_cache_dir)

    # Review history (SQLite); unset: see history_file()
    history_path: Path | None = None

    def history_file(self) -> Path:
        """The history file: history_path, else next to the store folder, or in cache_dir
        when the archive is on a Chroma server (there is no local store folder then)."""
        if self.history_path is not None:
            return self.history_path
        if self.chroma_host:
            return self.cache_dir / "history.sqlite3"
        return self.store_dir.parent / "history.sqlite3"

    @classmethod
    def for_session(cls, overrides: Mapping[str, Any]) -> Settings:
        """The server's settings (environment) with a browser session's changes.

        The server's API key belongs to the server's provider and endpoint: a session
        that changes either gets no key but the one it typed itself. Pinned model
        settings ignore the session's changes to them, and the limits in SESSION_CAPPED
        never exceed the server's.
        """
        server = cls()
        changes = dict(overrides)
        if server.pin_model_settings:
            for name in MODEL_FIELDS:
                changes.pop(name, None)
        session = cls(**changes)
        over = [n for n in SESSION_CAPPED if getattr(session, n) > getattr(server, n)]
        if over:  # a session's limit above the server's is the server's
            session = session.model_copy(update={n: getattr(server, n) for n in over})
        moved = (session.provider, session.base_url) != (server.provider, server.base_url)
        if moved and "api_key" not in changes:
            session = session.model_copy(update={"api_key": None})
        session._session_endpoint = moved
        return session

    @property
    def session_endpoint(self) -> bool:
        """The session chose this provider or endpoint: not the server's own, so it goes
        through the address guard and never gets the server's key."""
        return self._session_endpoint

    def public_dict(self) -> dict:
        """Settings safe to show or export: the key is never included."""
        data = self.model_dump(mode="json", exclude={"api_key"})
        data["api_key_set"] = self.api_key is not None
        return data
