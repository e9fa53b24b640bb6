"""The server's API key stays with the server's endpoint, and a session's endpoint passes
the links' address guard. Real HTTP servers on 127.0.0.1 record the Authorization header
they receive: one plays the server's configured endpoint, one the visitor's."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chains.endpoint import EndpointRefused, check_endpoint, http_clients
from chains.llm import ModelUnavailableError, check_connection, make_chat_model
from settings import Settings
from tests import test_app
from tests.test_app import assert_no_traceback, by_label, click, errors, everything, new_app

app_env = test_app.app_env  # a fixture, shared

SERVER_KEY = "sk-server-secret-7777"
VISITOR_KEY = "sk-visitor-own-8888"


class Recorder(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that answers anyone and records what it was sent."""

    def _answer(self, body: dict) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        self._answer({"object": "list", "data": [{"id": "m", "object": "model",
                                                  "created": 0, "owned_by": "x"}]})  # fmt: skip

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        message = {"role": "assistant", "content": "OK"}
        self._answer({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                      "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})  # fmt: skip

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoints():
    """Two recording endpoints: (server's base URL, its log), (visitor's base URL, its log)."""
    servers = []
    for _ in range(2):
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        httpd.seen = []
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
    yield [(f"http://127.0.0.1:{s.server_address[1]}/v1", s.seen) for s in servers]
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.fixture
def server_env(app_env, endpoints, monkeypatch):
    """The app configured for the first endpoint with the server's key (environment)."""
    (mine, _), _ = endpoints
    monkeypatch.setenv("FACTCHECK_PROVIDER", "openai")
    monkeypatch.setenv("FACTCHECK_MODEL", "m")
    monkeypatch.setenv("FACTCHECK_BASE_URL", mine)
    monkeypatch.setenv("FACTCHECK_API_KEY", SERVER_KEY)
    monkeypatch.setenv("FACTCHECK_REQUEST_TIMEOUT", "5")
    return endpoints


def keys(seen) -> set[str | None]:
    return {auth for _, auth in seen}


def test_the_visitors_endpoint_never_sees_the_servers_key(server_env, monkeypatch):
    (mine, at_server), (theirs, at_visitor) = server_env
    monkeypatch.setenv("FACTCHECK_ALLOW_PRIVATE_URLS", "true")  # 127.0.0.1 plays a visitor's host
    # The server's own endpoint gets the server's key: the recorder sees what is sent.
    make_chat_model(Settings.for_session({})).invoke("hi")
    assert keys(at_server) == {f"Bearer {SERVER_KEY}"}

    # A visitor changes the endpoint on the Settings page, saves, tests the connection.
    at = new_app().run()
    at.switch_page("app_pages/settings.py").run()
    by_label(at.text_input, "Endpoint base URL").input(theirs)
    click(at, "Save settings")
    assert at.session_state["settings_overrides"] == {"base_url": theirs}
    assert any("server's own endpoint" in c.value for c in at.caption)
    click(at, "Test connection")
    assert_no_traceback(at)
    assert at.success, errors(at)
    # ... and the session's model, as every page builds it, answers a check.
    session = Settings.for_session(at.session_state["settings_overrides"])
    make_chat_model(session).invoke("hi")
    check_connection(session)
    assert at_visitor and all(SERVER_KEY not in (auth or "") for auth in keys(at_visitor))
    assert SERVER_KEY not in everything(at)

    # With a key of its own, the visitor's endpoint gets that key.
    by_label(at.text_input, "API key").input(VISITOR_KEY)
    click(at, "Save settings")
    click(at, "Test connection")
    make_chat_model(Settings.for_session(at.session_state["settings_overrides"])).invoke("hi")
    assert f"Bearer {VISITOR_KEY}" in keys(at_visitor)
    assert all(SERVER_KEY not in (auth or "") for auth in keys(at_visitor))


@pytest.mark.parametrize("change", [{"provider": "embedded"}, {"base_url": None}])
def test_any_other_provider_or_endpoint_drops_the_servers_key(server_env, change):
    session = Settings.for_session(change)
    assert session.api_key is None and session.session_endpoint
    kept = Settings.for_session({"model": "other", "top_k": 3})
    assert kept.api_key.get_secret_value() == SERVER_KEY and not kept.session_endpoint


def test_a_private_endpoint_is_refused_before_any_request(server_env):
    _, (theirs, at_visitor) = server_env  # 127.0.0.1: loopback, not allowed by default
    session = Settings.for_session({"base_url": theirs, "api_key": VISITOR_KEY})
    with pytest.raises(ModelUnavailableError, match="loopback address"):
        make_chat_model(session)
    with pytest.raises(ModelUnavailableError, match="FACTCHECK_ALLOW_PRIVATE_URLS=true"):
        check_connection(session)
    assert at_visitor == []

    at = new_app().run()
    at.switch_page("app_pages/settings.py").run()
    by_label(at.text_input, "Endpoint base URL").input(theirs)
    click(at, "Save settings")
    assert any("Not saved" in m and "loopback address" in m for m in errors(at)), errors(at)
    assert at.session_state["settings_overrides"] == {}
    # The server's own endpoint is the operator's choice: never refused.
    check_endpoint(Settings.for_session({}))


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5/v1", "http://169.254.169.254/v1", "http://[::ffff:127.0.0.1]:9/v1"]
)
def test_the_links_guard_judges_the_endpoint(app_env, url):
    with pytest.raises(EndpointRefused, match="private|link-local|loopback"):
        check_endpoint(Settings.for_session({"provider": "openai", "base_url": url}))


def test_a_second_dns_answer_cannot_swap_in_a_private_address(server_env, monkeypatch):
    """model.example resolves to a public address when the model is built, then to
    127.0.0.1 (where the recorder listens): the connection is refused, nothing arrives."""
    import socket

    _, (theirs, at_visitor) = server_env
    port = int(theirs.rsplit(":", 1)[1].split("/")[0])
    real = socket.getaddrinfo
    calls = []

    def rebinding(host, *args, **kwargs):
        if host != "model.example":
            return real(host, *args, **kwargs)
        calls.append(host)
        ip = "93.184.216.34" if len(calls) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://model.example:{port}/v1"
    model = make_chat_model(Settings.for_session({"base_url": url, "api_key": VISITOR_KEY}))
    with pytest.raises(Exception) as caught:
        model.invoke("hi")
    chain, e = [], caught.value
    while e is not None:
        chain.append(str(e))
        e = e.__cause__ or e.__context__
    assert any("loopback address" in m for m in chain), chain
    assert len(calls) >= 2 and at_visitor == []


def test_the_servers_own_endpoint_uses_the_default_clients(server_env):
    assert http_clients(Settings.for_session({})) == {}
    assert set(http_clients(Settings.for_session({"base_url": "https://api.example/v1"}))) == {
        "http_client",
        "http_async_client",
    }


def test_pinned_model_settings_are_read_only_and_ignore_the_session(server_env, monkeypatch):
    _, (theirs, _) = server_env
    monkeypatch.setenv("FACTCHECK_PIN_MODEL_SETTINGS", "1")
    session = Settings.for_session({"base_url": theirs, "model": "x", "top_k": 3})
    assert (session.base_url, session.model, session.top_k) == (Settings().base_url, "m", 3)
    at = new_app().run()
    at.switch_page("app_pages/settings.py").run()
    for label in ("Model", "Endpoint base URL", "API key"):
        assert by_label(at.text_input, label).disabled
    assert by_label(at.selectbox, "Provider").disabled
    assert not by_label(at.slider, "Archive chunks per claim (top-k)").disabled
    by_label(at.slider, "Archive chunks per claim (top-k)").set_value(7)
    click(at, "Save settings")
    assert at.session_state["settings_overrides"] == {"top_k": 7}
    # Overrides that got into the session anyway are ignored by every page.
    at.session_state["settings_overrides"] = {"base_url": theirs, "api_key": VISITOR_KEY}
    at.switch_page("app_pages/check.py").run()
    assert not any(theirs.split("/v1")[0] in t.value for t in at.sidebar.text)
