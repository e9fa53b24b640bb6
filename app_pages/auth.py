"""Who is using the app: Streamlit's OIDC sign-in when the newsroom configures a provider
(an [auth] section in Streamlit's secrets), and the two roles.

Reporters check articles and review them; editors also change the archive (add, delete)
and the settings. Editors are named by configuration (FACTCHECK_EDITORS, e-mail addresses;
FACTCHECK_EDITOR_GROUP, a group in the provider's "groups" claim). Without a provider the
app is a one-person tool on this computer, and that person may do everything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import streamlit as st
from pydantic import BaseModel

from chains.render import md_literal
from settings import Settings

ONE_PERSON = (
    "No sign-in: a one-person tool, served only on this computer. A newsroom server needs "
    "an identity provider (see the README, Sign-in)."
)
EXPOSED = (
    "No sign-in, yet this app is served on {address}: anyone who reaches it may change the "
    "archive and the settings. Configure an identity provider or serve it on 127.0.0.1."
)


class Person(BaseModel):
    """The person in this browser session. ``email`` is None without sign-in."""

    email: str | None = None
    editor: bool = False
    signed_in: bool = False

    @property
    def role(self) -> str:
        return "editor" if self.editor else "reporter"


def sign_in_configured() -> bool:
    """True when Streamlit's secrets hold an [auth] section, as ``st.login`` needs."""
    try:
        return "redirect_uri" in (st.secrets.get("auth") or {})
    except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one: no sign-in
        return False


def is_editor(claims: Mapping[str, Any], settings: Settings) -> bool:
    """Whether the signed-in person with these ID-token claims is one of the editors."""
    emails = {e.strip().lower() for e in settings.editors.split(",") if e.strip()}
    email = str(claims.get("email") or "").strip().lower()
    if email and email in emails and claims.get("email_verified", True) is not False:
        return True
    groups = claims.get("groups") or []
    group = settings.editor_group.strip()
    return bool(group) and isinstance(groups, list | tuple) and group in groups


def current_person(settings: Settings) -> Person:
    """Who this is: with sign-in, from ``st.user``; without, the one person (an editor)."""
    if not sign_in_configured():
        return Person(editor=True)
    user = st.user
    if not user.is_logged_in:
        return Person()
    claims = user.to_dict()
    email = str(claims.get("email") or claims.get("sub") or "") or None
    return Person(email=email, editor=is_editor(claims, settings), signed_in=True)


def may_change(settings: Settings) -> bool:
    """Archive changes and settings: editors only (everyone, without sign-in)."""
    return current_person(settings).editor


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def render_sign_in() -> None:
    """The page a visitor sees before signing in."""
    st.title("Fact-check against the archive")
    st.write("Sign in with your newsroom account to check articles against the archive.")
    if st.button("Sign in", type="primary"):
        st.login()


def render_person(settings: Settings) -> None:
    """In the sidebar: who is signed in and as what, or that there is no sign-in."""
    sb = st.sidebar
    if not sign_in_configured():
        address = str(st.get_option("server.address") or "")
        if address and _loopback(address):
            sb.caption(ONE_PERSON)
        else:
            sb.warning(EXPOSED.format(address=address or "every network address"))
        return
    person = current_person(settings)
    sb.caption(md_literal(f"Signed in as {person.email} ({person.role})"))
    if sb.button("Sign out"):
        st.logout()
