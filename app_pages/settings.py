"""The Settings page: the model and the checking thresholds for this browser session.

Changes live in the session state only (never on disk) on top of the FACTCHECK_
environment, and every page builds its Settings from both. The API key is taken in a
password field that is emptied once saved; it is never shown, only whether one is set.
The server's key is only ever sent to the server's own provider and endpoint: a session
that chooses another brings its own key, and its endpoint passes the links' address
guard. FACTCHECK_PIN_MODEL_SETTINGS shows the model settings read-only. With sign-in,
only editors change settings (app_pages.auth); a reporter sees those in force.
"""

from __future__ import annotations

import re

import streamlit as st
from pydantic import SecretStr, ValidationError

from app_pages.auth import may_change
from app_pages.common import (
    OVERRIDES,
    get_model,
    overrides,
    page_settings,
    show_error,
)
from chains.render import md_literal
from settings import MODEL_FIELDS, Settings
from vectorstore.urls import public_url

PROVIDERS = {
    "embedded": "Embedded (runs on this computer)",
    "openai": "OpenAI-compatible endpoint",
}
# Settings field -> widget key, for the fields this page changes (the key is apart).
FIELDS = {
    "provider": "set_provider",
    "model": "set_model",
    "base_url": "set_base_url",
    "top_k": "set_top_k",
    "min_score": "set_min_score",
    "max_claims": "set_max_claims",
    "max_article_chars": "set_max_article_chars",
    "request_timeout": "set_request_timeout",
}
KEY_FIELD = "set_api_key"
MESSAGE = "settings_message"
EDITORS_ONLY = "Only editors change the settings; these are the ones in force."


def _forget_widgets() -> None:
    for key in [*FIELDS.values(), KEY_FIELD]:
        st.session_state.pop(key, None)


def save() -> None:
    """Form callback: keep what differs from the environment, if it makes valid Settings."""
    base = Settings()
    candidate = dict(overrides())
    typed_key = str(st.session_state.get(KEY_FIELD) or "").strip()
    st.session_state[KEY_FIELD] = ""  # the field never holds the key after saving
    pinned = base.pin_model_settings
    values = {
        name: st.session_state.get(key) if not (pinned and name in MODEL_FIELDS) else None
        for name, key in FIELDS.items()
    }
    if pinned:  # the model settings are the server's: not the session's to change
        values.update({name: getattr(base, name) for name in MODEL_FIELDS if name in values})
        typed_key = ""
    values["model"] = str(values["model"] or "").strip()
    values["base_url"] = str(values["base_url"] or "").strip() or None
    if not values["model"]:
        st.session_state[MESSAGE] = ("error", "Not saved: the model name cannot be empty.")
        return
    if values["base_url"] and not re.match(r"https?://[^/\s]+", values["base_url"], re.I):
        st.session_state[MESSAGE] = (
            "error",
            "Not saved: the endpoint base URL must start with http:// or https://.",
        )
        return
    for name, value in values.items():
        if value == getattr(base, name):
            candidate.pop(name, None)
        else:
            candidate[name] = value
    if typed_key:
        candidate["api_key"] = SecretStr(typed_key)
    try:
        session = Settings.for_session(candidate)
    except ValidationError as exc:  # names the fields only: the messages never echo input
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        st.session_state[MESSAGE] = ("error", f"Not saved: {problems}")
        return
    from chains.endpoint import EndpointRefused, check_endpoint

    try:
        check_endpoint(session)  # a server-side request a visitor aims: the links' guard
    except EndpointRefused as exc:
        st.session_state[MESSAGE] = ("error", f"Not saved: {exc}.")
        return
    st.session_state[OVERRIDES] = candidate
    st.session_state[MESSAGE] = ("success", "Saved for this session.")


def reset() -> None:
    st.session_state[OVERRIDES] = {}
    _forget_widgets()
    st.session_state[MESSAGE] = ("success", "Back to the defaults from the environment.")


def forget_key() -> None:
    overrides().pop("api_key", None)
    st.session_state[MESSAGE] = ("success", "The session's API key is forgotten.")


def key_status(settings: Settings) -> str:
    if settings.api_key is None and settings.session_endpoint:
        return (
            "No API key for this endpoint: the server's key, if any, is only sent to the "
            "server's own endpoint. Type this endpoint's key if it needs one."
        )
    if settings.api_key is None:
        return "No API key is set."
    if "api_key" in overrides():
        return "An API key is set for this session."
    return "An API key is set (from the environment)."


def render_form(settings: Settings, server: Settings) -> None:
    pinned = settings.pin_model_settings
    with st.form("settings_form"):
        st.markdown("**Language model**")
        if pinned:
            st.caption("Set for everyone by whoever runs this tool; not changeable here.")
        st.selectbox(
            "Provider",
            list(PROVIDERS),
            index=list(PROVIDERS).index(settings.provider),
            format_func=PROVIDERS.get,
            key=FIELDS["provider"],
            disabled=pinned,
        )
        st.text_input("Model", value=settings.model, key=FIELDS["model"], disabled=pinned)
        st.text_input(
            "Endpoint base URL",
            value=settings.base_url or "",
            placeholder="Empty: OpenAI's own service",
            help="An OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama. "
            "Another endpoint than the server's needs its own API key.",
            key=FIELDS["base_url"],
            disabled=pinned,
        )
        st.text_input(
            "API key",
            type="password",
            value="",
            placeholder="Type a new key to replace it" if settings.api_key else "Not set",
            help="Kept in this browser session only; never shown, saved or exported.",
            key=KEY_FIELD,
            disabled=pinned,
        )
        st.caption(key_status(settings))
        st.markdown("**Checking**")
        st.slider(
            "Archive chunks per claim (top-k)",
            1,
            20,
            settings.top_k,
            key=FIELDS["top_k"],
            help="The chunks found of one article are read together, as one passage.",
        )
        st.slider(
            "Minimum similarity score",
            0.0,
            1.0,
            float(settings.min_score),
            step=0.05,
            help="Passages less similar than this to a claim count as unrelated.",
            key=FIELDS["min_score"],
        )
        # A session may lower these, never raise them past the server's (Settings.for_session).
        st.number_input(
            "Most claims per article",
            1,
            server.max_claims,
            settings.max_claims,
            help=f"At most {server.max_claims:,} on this server.",
            key=FIELDS["max_claims"],
        )
        st.number_input(
            "Longest article (characters)",
            min(1000, server.max_article_chars),
            server.max_article_chars,
            settings.max_article_chars,
            step=1000,
            help=f"At most {server.max_article_chars:,} on this server.",
            key=FIELDS["max_article_chars"],
        )
        st.number_input(
            "Request timeout (seconds)",
            1.0,
            3600.0,
            float(settings.request_timeout),
            step=5.0,
            key=FIELDS["request_timeout"],
            disabled=pinned,
        )
        st.form_submit_button("Save settings", type="primary", on_click=save)


def render_current(settings: Settings) -> None:
    """The settings in force, for a reporter, who may not change them."""
    where = public_url(settings.base_url, origin_only=True)
    st.text(
        "\n".join(
            [
                f"Model: {settings.provider}: {settings.model}" + (f" at {where}" if where else ""),
                f"Archive chunks per claim: {settings.top_k}",
                f"Most claims per article: {settings.max_claims}",
                f"Longest article: {settings.max_article_chars:,} characters",
            ]
        )
    )


def render_test(settings: Settings) -> None:
    from chains.llm import ModelUnavailableError, check_connection

    st.subheader("Connection")
    where = public_url(settings.base_url, origin_only=True) or "OpenAI's service"
    target = (
        "the built-in model" if settings.provider == "embedded" else f"{settings.model} at {where}"
    )
    st.caption(md_literal(f"Tries the saved settings: {target}."))
    if not st.button("Test connection"):
        return
    try:
        with st.spinner("Testing the connection\u2026"):
            model = get_model(settings) if settings.provider == "embedded" else None
            message = check_connection(settings, model=model)
    except ModelUnavailableError as exc:
        st.error(md_literal(f"Connection failed: {exc}"), icon="\u26a0\ufe0f")
    except Exception as exc:  # noqa: BLE001
        show_error(exc, settings, unexpected="The connection test failed.")
    else:
        st.success(md_literal(message))


def main() -> None:
    settings = page_settings()
    st.title("Settings")
    st.caption(
        "Changes apply to this browser session only and are not saved to disk; the defaults "
        "come from the FACTCHECK_ environment variables."
    )
    if message := st.session_state.pop(MESSAGE, None):
        kind, text = message
        (st.success if kind == "success" else st.error)(md_literal(text))
    if may_change(settings):
        changed = sorted(overrides())
        if changed:
            st.caption(md_literal("Changed for this session: " + ", ".join(changed)))
        render_form(settings, Settings())
        a, b = st.columns(2)
        a.button("Reset to the defaults", on_click=reset, disabled=not changed)
        if "api_key" in overrides():
            b.button("Forget the API key", on_click=forget_key)
    else:
        st.info(EDITORS_ONLY)
        render_current(settings)
    render_test(settings)
    with st.expander("Set by whoever runs this tool (environment)"):
        st.text(
            "\n".join(
                [
                    f"Archive: {settings.chroma_host or settings.store_dir}",
                    f"Collection: {settings.collection}",
                    f"History file: {settings.history_file()}",
                    f"Cache folder: {settings.cache_dir}",
                    "Links to private network addresses: "
                    + ("allowed" if settings.allow_private_urls else "refused"),
                ]
            )
        )


main()
