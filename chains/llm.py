"""The only place that builds chat models or reads LLM settings, plus structured output.

`make_chat_model(settings)` gives the embedded local model by default, or any
OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio, a llama.cpp server).
`structured(model, schema)` is a runnable that returns a validated Pydantic object:
it asks for schema-constrained JSON and falls back for servers that reject
`json_schema` (llama.cpp's server honours `json_object` with a `schema`; others only
plain JSON), so any model output is validated before use. A malformed answer is asked
again once with the validation error (instructor's re-ask) before ModelOutputError.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from pydantic import BaseModel, SecretStr, ValidationError

from settings import Settings

T = TypeVar("T", bound=BaseModel)


class ModelOutputError(ValueError):
    """The model's answer was not valid JSON of the expected shape."""

    def __init__(self, message: str, *, answer: str = "", problem: str = "") -> None:
        super().__init__(message)
        self.answer = answer  # the model's text, for a re-ask
        self.problem = problem or message  # what was wrong, short, for the model to fix


class ModelUnavailableError(RuntimeError):
    """The configured chat model cannot be built or reached."""


# One model per process: the loaded models by what decides them (see model_key). The
# embedded model weighs 1.1 GB, so a process keeps one; a client for an endpoint weighs
# nothing, so a few are kept. An evicted model is dropped here and freed once no running
# check still holds it.
_LOADED: OrderedDict[tuple, BaseChatModel] = OrderedDict()
_LOADED_LOCK = threading.Lock()
MAX_EMBEDDED = 1
MAX_CLIENTS = 8


def model_key(settings: Settings) -> tuple:
    """What decides the model a process loads. Fields that do not change the loaded
    model (limits, retrieval, the request timeout of the in-process model) are left out,
    so a session that changes them shares the model already loaded."""
    if settings.provider == "embedded":
        # The packaged model is looked up in cache_dir; an explicit file makes that moot.
        where = str(settings.model_path) if settings.model_path else f"cache:{settings.cache_dir}"
        return ("embedded", where, settings.model, settings.n_ctx, settings.n_threads)
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    return (
        "openai",
        settings.model,
        settings.base_url,
        settings.request_timeout,  # a client's own timeout
        settings.session_endpoint,  # a session's endpoint is guarded on every connection
        hashlib.sha256(key.encode()).hexdigest()[:16],  # a changed key builds a new client
    )


def shared_chat_model(
    settings: Settings, *, loader: Callable[[Settings], BaseChatModel] | None = None
) -> BaseChatModel:
    """The process's model for `settings`: loaded once by `loader` (make_chat_model), then
    shared by every session and job whose settings give the same model_key."""
    key = model_key(settings)
    with _LOADED_LOCK:
        if key in _LOADED:
            _LOADED.move_to_end(key)
            return _LOADED[key]
        model = (loader or make_chat_model)(settings)
        _LOADED[key] = model
        limit = MAX_EMBEDDED if key[0] == "embedded" else MAX_CLIENTS
        same_kind = [k for k in _LOADED if k[0] == key[0]]
        for old in same_kind[: max(0, len(same_kind) - limit)]:
            del _LOADED[old]
        return model


def loaded_models() -> list[tuple]:
    """The keys of the models this process holds (oldest first), for tests and the worker."""
    with _LOADED_LOCK:
        return list(_LOADED)


def forget_models() -> None:
    """Drop every loaded model (tests; a worker that must reload)."""
    with _LOADED_LOCK:
        _LOADED.clear()


def make_chat_model(settings: Settings) -> BaseChatModel:
    """A new model for `settings` (callers that serve sessions use shared_chat_model)."""
    if settings.provider == "embedded":
        from chains.embedded import EmbeddedChatModel
        from chains.model_file import model_path

        return EmbeddedChatModel(
            model_path=model_path(settings),
            model_name=settings.model,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
        )
    from langchain_openai import ChatOpenAI

    from chains.endpoint import http_clients

    if not settings.base_url and settings.api_key is None:
        raise ModelUnavailableError(
            "provider 'openai' needs FACTCHECK_API_KEY (OpenAI) or FACTCHECK_BASE_URL "
            "(a local OpenAI-compatible server)"
        )
    _check_endpoint(settings)
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        # Local servers accept any key; the real one is a SecretStr and never logged. A
        # session's own endpoint never has the server's key (Settings.for_session).
        api_key=settings.api_key or SecretStr("not-needed"),
        temperature=0,
        timeout=settings.request_timeout,
        max_retries=2,
        **http_clients(settings),
    )


def _check_endpoint(settings: Settings) -> None:
    """A session's endpoint passes the links' address guard, or ModelUnavailableError."""
    from chains.endpoint import EndpointRefused, check_endpoint

    try:
        check_endpoint(settings)
    except EndpointRefused as exc:
        raise ModelUnavailableError(str(exc)) from None


def model_label(model: BaseChatModel) -> str:
    """A short name for reports and cache keys (never includes a key or URL secret)."""
    return str(
        getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__
    )


def parse_json_answer(text: str, schema: type[T]) -> T:
    """Validate a model's answer; tolerate code fences and text around one JSON object."""
    cleaned = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end < start:
        raise ModelOutputError(
            f"no JSON object in the model's answer: {text[:200]!r}",
            answer=text,
            problem="the answer holds no JSON object",
        )
    try:
        try:
            data = json.loads(cleaned[start:])
        except json.JSONDecodeError:
            data = json.loads(close_truncated_json(cleaned[start:]))
        return schema.model_validate(data)
    except json.JSONDecodeError as exc:
        raise ModelOutputError(
            f"the model's answer did not fit {schema.__name__}: {exc}",
            answer=text,
            problem=f"the answer is not valid JSON ({exc.msg})",
        ) from exc
    except ValidationError as exc:
        raise ModelOutputError(
            f"the model's answer did not fit {schema.__name__}: {exc}",
            answer=text,
            problem=_problems(exc),
        ) from exc


def _problems(exc: ValidationError) -> str:
    """A validation error in a few words per field, as the model is told it."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()[:5]
    )


def close_truncated_json(text: str) -> str:
    """Keep what was complete in an answer cut off by the token limit, and close it.

    A long claim list that hit max_tokens keeps its finished items instead of failing.
    """
    stack: list[str] = []
    in_string = escaped = False
    last_good, last_stack = 0, []
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
            last_good, last_stack = i + 1, list(stack)
            if not stack:
                return text[: i + 1]
    closers = "".join(reversed(last_stack))
    return text[:last_good] + closers


def _response_formats(model: BaseChatModel, schema: type[BaseModel]) -> list[dict | None]:
    json_schema = schema.model_json_schema()
    if getattr(model, "_llm_type", "") == "embedded-llama-cpp":
        return [{"type": "json_object", "schema": json_schema}]
    return [
        {"type": "json_schema", "json_schema": {"name": schema.__name__, "schema": json_schema}},
        {"type": "json_object", "schema": json_schema},
        None,  # plain text: the prompt itself asks for JSON
    ]


# Instructor's re-ask, in a user turn after the model's own answer. A fixed sentence in
# code, not a prompt file: it carries no task, only what to mend.
REASK = (
    "Your answer above could not be used: {problem}. Answer again with only the JSON "
    "object the instructions ask for, with the allowed values only."
)


def structured(
    model: BaseChatModel, schema: type[T], *, max_tokens: int | None = None, reask: int = 1
) -> Runnable[list[BaseMessage], T]:
    """messages -> validated `schema`, with fallbacks for servers without json_schema.

    The fallbacks answer a server that refuses a response format; a malformed answer
    (not JSON, a missing field, a label outside the allowed set) is asked again `reask`
    times with the validation error after the answer, as instructor does: the prompt
    then differs, so even greedy decoding under a grammar can answer otherwise. A last
    failure raises ModelOutputError, which says it was asked again.
    """
    limits = {"max_tokens": max_tokens} if max_tokens else {}
    primary, *fallbacks = [
        model.bind(**({"response_format": fmt} if fmt else {}), **limits)
        for fmt in _response_formats(model, schema)
    ]
    ask = (
        primary.with_fallbacks(fallbacks, exceptions_to_handle=(Exception,))
        if fallbacks
        else primary
    )

    def answer(messages: list[BaseMessage], config: RunnableConfig) -> T:
        turns = list(messages)
        for _ in range(reask):
            text = str(ask.invoke(turns, config=config).content)
            try:
                return parse_json_answer(text, schema)
            except ModelOutputError as exc:
                mend = HumanMessage(content=REASK.format(problem=exc.problem))
                turns += [AIMessage(content=text), mend]
        try:
            return parse_json_answer(str(ask.invoke(turns, config=config).content), schema)
        except ModelOutputError as exc:
            if not reask:
                raise
            raise ModelOutputError(
                f"still malformed when asked again: {exc}", answer=exc.answer, problem=exc.problem
            ) from exc

    return RunnableLambda(answer, name=f"structured[{schema.__name__}]")


class UsageCounter(BaseCallbackHandler):
    """Counts model calls and tokens in/out, for the report and the benchmarks."""

    def __init__(self) -> None:
        self.calls = 0
        self.tokens_in = 0
        self.tokens_out = 0

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.calls += 1
        for generations in response.generations:
            for generation in generations:
                usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
                if usage:
                    self.tokens_in += usage.get("input_tokens", 0)
                    self.tokens_out += usage.get("output_tokens", 0)

    def add(self, calls: int = 0, tokens_in: int = 0, tokens_out: int = 0) -> None:
        """For work done outside LangChain's callbacks (label probabilities)."""
        self.calls += calls
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out


def check_connection(settings: Settings, *, model: BaseChatModel | None = None) -> str:
    """Try the configured model once; a short success sentence, or ModelUnavailableError
    (ModelFileError for a missing embedded model file) whose message says what is wrong.

    Embedded: the model file must be there, and the model must load and generate a couple
    of tokens (pass `model` to test an already loaded one instead of loading another).
    OpenAI-compatible: list the endpoint's models with a short timeout, then make a
    one-token call when the model is not listed. No message ever includes the API key,
    nor a user:password part of the endpoint address.
    """
    import time

    if settings.provider == "embedded":
        from chains.embedded import EmbeddedChatModel
        from chains.model_file import model_path

        path = model_path(settings)  # ModelFileError: says what is missing and what to do
        llm = model or EmbeddedChatModel(
            model_path=path, model_name=settings.model, n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
        )  # fmt: skip
        started = time.perf_counter()
        try:
            llm.invoke([("human", "Say OK.")], max_tokens=2)
        except Exception as exc:
            raise ModelUnavailableError(
                f"the model file {path.name} is there but the model could not run "
                f"({type(exc).__name__})"
            ) from exc
        return (
            f"The built-in model ({path.name}) loaded and answered in "
            f"{time.perf_counter() - started:.1f} s."
        )

    import openai

    from vectorstore.urls import UNREADABLE, public_url

    host = public_url(settings.base_url, origin_only=True)  # never its user:password part
    if host == UNREADABLE:
        raise ModelUnavailableError("the endpoint base URL is not a valid address")
    if settings.base_url and not host.startswith(("http://", "https://")):
        raise ModelUnavailableError("the endpoint base URL must be an http:// or https:// address")
    service = f"the model server at {host}" if settings.base_url else "the OpenAI service"
    if not settings.base_url and settings.api_key is None:
        raise ModelUnavailableError(
            "the OpenAI service needs an API key; for a local server set the endpoint base URL"
        )
    from chains.endpoint import http_clients

    _check_endpoint(settings)  # before any request: this too is a server-side fetch
    timeout = min(settings.request_timeout, 15.0)
    client = openai.OpenAI(
        base_url=settings.base_url,
        api_key=(settings.api_key or SecretStr("not-needed")).get_secret_value(),
        timeout=timeout,
        max_retries=0,
        http_client=http_clients(settings).get("http_client"),
    )
    listed: list[str] | None = None
    try:
        try:
            listed = [m.id for m in client.models.list()]
        except openai.NotFoundError:
            listed = None  # no /models on this server: the test call below decides
        if listed and settings.model in listed:
            return f"Connected to {service}; it offers the model \u201c{settings.model}\u201d."
        client.chat.completions.create(
            model=settings.model,
            messages=[{"role": "user", "content": "Say OK."}],
            max_tokens=1,
        )
        return f"Connected to {service}; the model \u201c{settings.model}\u201d answered."
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        raise ModelUnavailableError(
            f"{service} refused the API key (HTTP {exc.status_code}): check the key"
        ) from None
    except (openai.NotFoundError, openai.BadRequestError) as exc:
        offered = f"; it offers: {', '.join(listed[:10])}" if listed else ""
        if isinstance(exc, openai.NotFoundError) or listed:
            raise ModelUnavailableError(
                f"{service} does not offer the model \u201c{settings.model}\u201d{offered}"
            ) from None
        raise ModelUnavailableError(
            f"{service} refused a one-token test call (HTTP {exc.status_code})"
        ) from None
    except openai.RateLimitError:
        raise ModelUnavailableError(f"{service} is busy or over its quota (HTTP 429)") from None
    except openai.APITimeoutError:
        raise ModelUnavailableError(f"{service} did not answer within {timeout:g} s") from None
    except openai.APIConnectionError:
        raise ModelUnavailableError(
            f"could not reach {service}: check the address and that the server is running"
        ) from None
    except openai.APIStatusError as exc:
        raise ModelUnavailableError(f"{service} answered HTTP {exc.status_code}") from None
