"""The Settings page (AppTest) and `chains.llm.check_connection` against a local fake
OpenAI-compatible server (no network, no model)."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from chains.llm import ModelUnavailableError, check_connection
from settings import Settings
from tests import test_app
from tests.test_app import (
    assert_no_traceback,
    by_label,
    click,
    errors,
    everything,
    new_app,
    shown,
)

app_env = test_app.app_env  # a fixture, shared

ENV_KEY = "sk-env-secret-0001"
TYPED_KEY = "sk-typed-secret-0002"
GOOD_KEY = "good-key-0003"


def settings_page():
    at = new_app().run()
    return at.switch_page("app_pages/settings.py").run()


def successes(at) -> list[str]:
    return [shown(s.value) for s in at.success]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a fake OpenAI-compatible server ---------------------------------------------------------------


class FakeOpenAI(BaseHTTPRequestHandler):
    """GET /v1/models (401 without the good key) and POST /v1/chat/completions."""

    models: list[str] | None = ["known-model"]  # None: the server has no /models

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {GOOD_KEY}":
            return True
        self._send(401, {"error": {"message": "Incorrect API key", "type": "invalid_request"}})
        return False

    def do_GET(self):  # noqa: N802
        if not self._authorised():
            return
        if self.path != "/v1/models" or self.models is None:
            self._send(404, {"error": {"message": "not found"}})
            return
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "me"} for m in self.models]
        self._send(200, {"object": "list", "data": data})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        if not self._authorised():
            return
        if request.get("model") not in ("known-model", "unlisted-model"):
            self._send(404, {"error": {"message": f"model {request.get('model')} not found"}})
            return
        self._send(
            200,
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": request["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "OK"},
                        "finish_reason": "length",
                    }
                ],
            },
        )

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    FakeOpenAI.models = ["known-model"]


def openai_settings(base_url: str | None, model: str, key: str | None) -> Settings:
    return Settings(
        provider="openai",
        base_url=base_url,
        model=model,
        api_key=SecretStr(key) if key else None,
        request_timeout=5,
    )


# --- check_connection ----------------------------------------------------------------------


def test_a_listed_model_connects(server):
    message = check_connection(openai_settings(f"{server}/v1", "known-model", GOOD_KEY))
    assert "offers the model \u201cknown-model\u201d" in message


def test_an_unlisted_model_that_answers_connects(server):
    message = check_connection(openai_settings(f"{server}/v1", "unlisted-model", GOOD_KEY))
    assert "answered" in message


def test_a_server_without_a_model_list_is_tried_with_one_token(server):
    FakeOpenAI.models = None
    message = check_connection(openai_settings(f"{server}/v1", "known-model", GOOD_KEY))
    assert "answered" in message


def test_a_bad_key_is_named_but_never_shown(server):
    with pytest.raises(ModelUnavailableError) as caught:
        check_connection(openai_settings(f"{server}/v1", "known-model", "sk-wrong-key-99"))
    message = str(caught.value)
    assert "refused the API key (HTTP 401)" in message
    assert "sk-wrong" not in message and "sk-wrong" not in repr(caught.value.__cause__)


def test_an_unknown_model_is_named_with_what_the_server_offers(server):
    with pytest.raises(
        ModelUnavailableError, match="does not offer the model .no-such-model."
    ) as e:
        check_connection(openai_settings(f"{server}/v1", "no-such-model", GOOD_KEY))
    assert "it offers: known-model" in str(e.value)


def test_an_unreachable_host_is_named_without_credentials():
    url = f"http://user:pa55word@127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelUnavailableError, match="could not reach the model server") as e:
        check_connection(openai_settings(url, "m", GOOD_KEY))
    assert f"http://127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}" in str(e.value)
    assert "pa55word" not in str(e.value) and GOOD_KEY not in str(e.value)


def test_openai_without_a_key_or_endpoint_says_what_is_missing():
    with pytest.raises(ModelUnavailableError, match="needs an API key"):
        check_connection(openai_settings(None, "gpt-4o-mini", None))


def test_a_missing_embedded_model_file_is_named(tmp_path):
    from chains.model_file import ModelFileError

    settings = Settings(model_path=tmp_path / "missing.gguf", cache_dir=tmp_path)
    with pytest.raises(ModelFileError, match="FACTCHECK_MODEL_PATH"):
        check_connection(settings)


# --- the Settings page -----------------------------------------------------------------------


@pytest.fixture
def private_ok(app_env, monkeypatch):
    """A server that allows private addresses, so a session may choose 127.0.0.1."""
    monkeypatch.setenv("FACTCHECK_ALLOW_PRIVATE_URLS", "true")
    return app_env


def test_the_key_from_the_environment_is_never_shown(app_env, monkeypatch):
    monkeypatch.setenv("FACTCHECK_API_KEY", ENV_KEY)
    at = settings_page()
    assert_no_traceback(at)
    key_box = by_label(at.text_input, "API key")
    assert key_box.proto.type == key_box.proto.PASSWORD and key_box.value == ""
    assert any("An API key is set (from the environment)" in c.value for c in at.caption)
    assert ENV_KEY not in everything(at)


def test_a_typed_key_is_kept_for_the_session_only_and_never_shown_back(app_env):
    at = settings_page()
    by_label(at.text_input, "API key").input(TYPED_KEY)
    click(at, "Save settings")
    assert_no_traceback(at)
    assert "Saved for this session." in successes(at)
    assert at.session_state["settings_overrides"]["api_key"].get_secret_value() == TYPED_KEY
    assert by_label(at.text_input, "API key").value == ""  # emptied once saved
    assert any("An API key is set for this session." in c.value for c in at.caption)
    assert TYPED_KEY not in everything(at)
    for path in app_env.rglob("*"):  # nothing written to disk holds it
        if path.is_file():
            assert TYPED_KEY.encode() not in path.read_bytes(), path
    click(at, "Forget the API key")
    assert "api_key" not in at.session_state["settings_overrides"]
    assert any("No API key is set." in c.value for c in at.caption)


def test_changed_settings_apply_to_every_page_of_the_session(app_env, monkeypatch):
    monkeypatch.setenv("FACTCHECK_ALLOW_PRIVATE_URLS", "true")  # localhost: a private address
    at = settings_page()
    by_label(at.selectbox, "Provider").set_value("openai")
    by_label(at.text_input, "Model").input("my-model")
    by_label(at.text_input, "Endpoint base URL").input("http://localhost:11434/v1")
    by_label(at.slider, "Archive chunks per claim (top-k)").set_value(7)
    click(at, "Save settings")
    assert_no_traceback(at)
    assert at.session_state["settings_overrides"] == {
        "provider": "openai",
        "model": "my-model",
        "base_url": "http://localhost:11434/v1",
        "top_k": 7,
    }
    assert any("Changed for this session" in shown(c.value) for c in at.caption)
    at.switch_page("app_pages/check.py").run()
    assert any("openai: my-model at http://localhost:11434" in t.value for t in at.sidebar.text)

    at.switch_page("app_pages/settings.py").run()
    assert by_label(at.text_input, "Model").value == "my-model"
    click(at, "Reset to the defaults")
    assert at.session_state["settings_overrides"] == {}
    assert by_label(at.text_input, "Model").value == Settings().model


def test_a_session_cannot_raise_the_servers_limits(app_env, monkeypatch):
    monkeypatch.setenv("FACTCHECK_MAX_CLAIMS", "10")
    monkeypatch.setenv("FACTCHECK_MAX_ARTICLE_CHARS", "20000")
    # Whatever a session holds, the settings every page builds stay within the server's.
    raised = Settings.for_session({"max_claims": 200, "max_article_chars": 2_000_000})
    assert (raised.max_claims, raised.max_article_chars) == (10, 20_000)
    lowered = Settings.for_session({"max_claims": 3, "max_article_chars": 5_000})
    assert (lowered.max_claims, lowered.max_article_chars) == (3, 5_000)

    at = settings_page()
    claims = by_label(at.number_input, "Most claims per article")
    length = by_label(at.number_input, "Longest article (characters)")
    assert (claims.max, length.max) == (10, 20_000)
    # A value past the form's maximum is not saved.
    at.session_state["set_max_claims"] = 200
    click(at, "Save settings")
    assert at.session_state["settings_overrides"] == {}
    # An override saved when the server allowed more is held to today's limit.
    at.session_state["settings_overrides"] = {"max_claims": 200}
    at.run()
    assert by_label(at.number_input, "Most claims per article").value == 10
    by_label(at.number_input, "Most claims per article").set_value(4)
    click(at, "Save settings")
    assert at.session_state["settings_overrides"] == {"max_claims": 4}


def test_invalid_settings_are_not_saved(app_env):
    at = settings_page()
    by_label(at.text_input, "Endpoint base URL").input("ftp://example.org")
    click(at, "Save settings")
    assert any("must start with http:// or https://" in m for m in errors(at))
    assert at.session_state["settings_overrides"] == {}
    by_label(at.text_input, "Endpoint base URL").input("")
    by_label(at.text_input, "Model").input("  ")
    click(at, "Save settings")
    assert any("model name cannot be empty" in m for m in errors(at))


def test_test_connection_reports_an_unreachable_endpoint(private_ok):
    at = settings_page()
    by_label(at.selectbox, "Provider").set_value("openai")
    by_label(at.text_input, "Endpoint base URL").input(f"http://127.0.0.1:{free_port()}/v1")
    by_label(at.text_input, "API key").input(TYPED_KEY)
    click(at, "Save settings")
    click(at, "Test connection")
    assert_no_traceback(at)
    assert any("Connection failed: could not reach the model server" in m for m in errors(at))
    assert TYPED_KEY not in everything(at)


def test_test_connection_works_with_the_fake_server(private_ok, server):
    at = settings_page()
    by_label(at.selectbox, "Provider").set_value("openai")
    by_label(at.text_input, "Model").input("known-model")
    by_label(at.text_input, "Endpoint base URL").input(f"{server}/v1")
    by_label(at.text_input, "API key").input(GOOD_KEY)
    click(at, "Save settings")
    click(at, "Test connection")
    assert_no_traceback(at)
    assert any("offers the model \u201cknown-model\u201d" in s for s in successes(at)), at.success


def test_test_connection_names_a_missing_model_file(app_env, monkeypatch):
    monkeypatch.setenv("FACTCHECK_MODEL_PATH", str(app_env / "missing.gguf"))
    at = click(settings_page(), "Test connection")
    assert_no_traceback(at)
    assert any(
        "built-in language model is not ready" in m and "FACTCHECK_MODEL_PATH" in m
        for m in errors(at)
    ), errors(at)
