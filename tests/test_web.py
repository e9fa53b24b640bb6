"""Fetching articles from URLs: pages from a local server, and the private-address guard."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.test_loaders import minimal_pdf
from vectorstore.ingest import ingest
from vectorstore.loaders import IngestError
from vectorstore.models import Article
from vectorstore.web import (
    Page,
    UrlError,
    address_problem,
    article_from_page,
    fetch_article,
    fetch_page,
    load_url,
    public_url,
)

PARAGRAPH = (
    "The Port Avalon City Council approved $42 million for the Harbour Bridge repairs on "
    "Tuesday, after a debate that ran past midnight and drew a crowd of residents. "
)
ARTICLE = (
    "<html><head><title>Council approves bridge repair funds</title>"
    "<meta name='author' content='Dana Ortiz'>"
    "<meta property='article:published_time' content='2023-03-15T09:30:00Z'>"
    "<meta property='og:site_name' content='Harbor Gazette'>"
    "</head><body><nav>Home | Sport | Weather</nav><article>"
    "<h1>Council approves bridge repair funds</h1>"
    + "".join(f"<p>{PARAGRAPH}Paragraph {n} of the report.</p>" for n in range(8))
    + "</article><footer>Contact us</footer></body></html>"
)
NO_META = (
    "<html><head><title>Ferry timetable changes</title></head><body><article>"
    "<p>The Bayline ferry will run every 30 minutes from Monday, the transit office said, "
    "and the last boat from Gull Island will leave at 11 p.m. instead of 10 p.m.</p>"
    "<p>Riders asked for later boats at two public meetings in the spring.</p>"
    "</article></body></html>"
)


class _Site(BaseHTTPRequestHandler):
    """Each path is one case: (status, headers, body)."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = {
        "/article": (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE.encode()),
        "/plain-meta": (200, {"Content-Type": "text/html"}, NO_META.encode()),
        "/empty": (200, {"Content-Type": "text/html"}, b"<html><body></body></html>"),
        "/moved": (301, {"Location": "/article"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/nowhere": (302, {}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-ftp": (302, {"Location": "ftp://files.example/a.txt"}, b""),
        "/big": (200, {"Content-Type": "text/html"}, b"<p>" + b"x" * 200_000 + b"</p>"),
        "/image": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        "/notes": (200, {"Content-Type": "text/plain; charset=utf-8"}, PARAGRAPH.encode()),
        "/report.pdf": (
            200,
            {"Content-Type": "application/pdf"},
            minimal_pdf(["Bridge repairs cost 42 million dollars."]),
        ),
        "/untyped": (200, {}, NO_META.encode()),
        "/teapot": (418, {"Content-Type": "text/plain"}, b"short and stout"),
    }

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status, headers, body = self.routes.get(
            self.path, (404, {"Content-Type": "text/html"}, b"<h1>missing</h1>")
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if self.path == "/big":  # no Content-Length: the cap must hold while reading
            self.send_header("Connection", "close")
            self.end_headers()
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _tls_server(handler: type, folder: Path) -> tuple[ThreadingHTTPServer, Path]:
    """A local https server with a self-signed certificate for localhost."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, cert


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The same site over https, with a self-signed certificate for localhost."""
    server, cert = _tls_server(_Site, tmp_path_factory.mktemp("tls"))
    yield f"https://localhost:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def fetch(url: str, **kw) -> Article:
    """The local test server is on loopback, so the guard is lifted for it."""
    return fetch_article(url, allow_private=True, timeout=5, **kw)


# --- articles --------------------------------------------------------------------------------


def test_article_with_headline_byline_date_and_site(web: str) -> None:
    article = fetch(f"{web}/article")
    assert article.title == "Council approves bridge repair funds"
    assert article.author == "Dana Ortiz"
    assert article.published == dt.date(2023, 3, 15)
    assert article.source == "Harbor Gazette"
    assert article.url == f"{web}/article"
    assert "$42 million for the Harbour Bridge" in article.text
    assert "Paragraph 7 of the report." in article.text
    assert "Contact us" not in article.text and "Sport | Weather" not in article.text


def test_without_site_name_the_host_is_the_source(web: str) -> None:
    article = fetch(f"{web}/plain-meta")
    assert article.title == "Ferry timetable changes"
    assert article.author == "" and article.published is None
    assert article.source == "127.0.0.1"
    assert "every 30 minutes" in article.text


def test_a_redirect_is_followed_and_the_final_address_kept(web: str) -> None:
    article = fetch(f"{web}/moved")
    assert article.url == f"{web}/article"
    assert article.origin == f"{web}/moved"
    assert article.author == "Dana Ortiz"


def test_plain_text_pdf_and_untyped_pages(web: str) -> None:
    assert fetch(f"{web}/notes").text == PARAGRAPH.strip()
    pdf = fetch(f"{web}/report.pdf")
    assert "42 million dollars" in pdf.text and pdf.url == f"{web}/report.pdf"
    assert "every 30 minutes" in fetch(f"{web}/untyped").text  # HTML without a Content-Type


# --- errors a reporter can act on ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", r"the page answered 404 Not Found$"),
        ("/teapot", r"the page answered 418 I'm a Teapot"),
        ("/empty", r"no article text found on the page"),
        ("/image", r"not a web page \(the address gives image/png\)"),
        ("/loop", r"too many redirects \(more than 5\)"),
        ("/nowhere", r"answered 302 Found without saying where to"),
        ("/to-ftp", r"redirected to ftp://files\.example/a\.txt\): only http:// and https://"),
    ],
)
def test_page_errors(web: str, path: str, message: str) -> None:
    with pytest.raises(UrlError, match=message) as err:
        fetch(f"{web}{path}")
    assert str(err.value).startswith(f"{web}{path}")


def test_size_is_capped_while_reading(web: str) -> None:
    with pytest.raises(UrlError, match=r"too large \(over 100,000 bytes\)"):
        fetch(f"{web}/big", max_bytes=100_000)
    with pytest.raises(UrlError, match="too large"):  # announced by Content-Length
        fetch(f"{web}/article", max_bytes=100)
    assert fetch(f"{web}/article", max_bytes=len(ARTICLE.encode())).author == "Dana Ortiz"


def test_only_http_and_https() -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/a", "javascript:alert(1)", "example.org"):
        with pytest.raises(UrlError, match="only http:// and https://"):
            fetch_article(url)


def test_unknown_host_is_named() -> None:
    with pytest.raises(UrlError, match=r"the site no-such-newsroom\.invalid was not found"):
        fetch_article("https://no-such-newsroom.invalid/story", timeout=5)


def test_refused_connection() -> None:
    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        with pytest.raises(UrlError, match=r"the site 127\.0\.0\.1 refused the connection"):
            fetch_article(f"http://127.0.0.1:{port}/", allow_private=True, timeout=5)


def test_credentials_never_appear_in_messages_or_provenance(web: str) -> None:
    secret = "s3cr@t-pw"
    port = web.rsplit(":", 1)[1]
    with pytest.raises(UrlError) as err:
        fetch_article(f"http://editor:{secret}@127.0.0.1:{port}/article")
    assert secret not in str(err.value) and "editor" not in str(err.value)
    article = fetch(f"http://editor:{secret}@127.0.0.1:{port}/article")
    assert secret not in article.origin + (article.url or "")
    assert article.origin == f"{web}/article"


def test_https_checks_the_certificate_for_the_host_name(
    tls_site: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = tls_site
    with pytest.raises(UrlError, match=r"security certificate is not valid \(self.signed"):
        fetch(f"{url}/article")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now trusted: read at each fetch
    assert fetch(f"{url}/article").author == "Dana Ortiz"
    with pytest.raises(UrlError, match="certificate is not valid"):  # issued to another name
        fetch(url.replace("localhost", "127.0.0.1") + "/article")


class _RecordingStore:
    def __init__(self) -> None:
        self.added: list[Article] = []

    def add_article(self, article: Article, passages: list) -> bool:
        self.added.append(article)
        return True

    @contextlib.contextmanager
    def batch(self):  # ingest writes inside one batch (ArchiveStore.batch)
        yield self


def test_ingest_passes_the_setting_on(web: str) -> None:
    store = _RecordingStore()
    refused = ingest([f"{web}/article"], store, chunk_chars=800)
    assert refused.added == [] and store.added == []
    assert "FACTCHECK_ALLOW_PRIVATE_URLS" in refused.rejected[0].reason
    allowed = ingest([f"{web}/article"], store, chunk_chars=800, allow_private_urls=True)
    assert allowed.added == [f"{web}/article"]
    assert [a.author for a in store.added] == ["Dana Ortiz"]


def test_load_url_is_the_old_name(web: str) -> None:
    assert load_url(f"{web}/article", allow_private=True).author == "Dana Ortiz"
    with pytest.raises(IngestError, match="FACTCHECK_ALLOW_PRIVATE_URLS"):
        load_url(f"{web}/article")


# --- the private-address guard ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata endpoints
        ("fe80::1%eth0", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("fd00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_problem(address: str, problem: str | None) -> None:
    assert address_problem(address) == problem


def test_loopback_is_refused_with_the_setting_to_allow_it(web: str) -> None:
    with pytest.raises(UrlError) as err:
        fetch_article(f"{web}/article")
    message = str(err.value)
    assert "127.0.0.1 is a loopback address" in message
    assert "FACTCHECK_ALLOW_PRIVATE_URLS=true" in message


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    """The resolved address is judged, not the name: no connection is attempted."""
    calls: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[tuple[int, tuple]]:
        calls.append((host, port))
        return [(socket.AF_INET, ("93.184.216.34", port)), (socket.AF_INET, ("10.0.0.7", port))]

    with pytest.raises(UrlError, match=r"intranet\.example \(10\.0\.0\.7\) is a private address"):
        fetch_page("https://intranet.example/wiki", resolver=resolver)
    assert calls == [("intranet.example", 443)]


def test_every_redirect_hop_is_checked(web: str) -> None:
    def only_the_test_server(ip: str) -> str | None:
        return None if ip == "127.0.0.1" else address_problem(ip)

    with pytest.raises(UrlError) as err:
        fetch_page(f"{web}/to-metadata", timeout=5, check_address=only_the_test_server)
    message = str(err.value)
    assert message.startswith(f"{web}/to-metadata (redirected to http://169.254.169.254/")
    assert "169.254.169.254 is a link-local address" in message
    # The same check lets the test server through when there is no redirect.
    page = fetch_page(f"{web}/article", timeout=5, check_address=only_the_test_server)
    assert page.content_type == "text/html" and page.charset == "utf-8"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@example.org/a?b=1", "https://example.org/a?b=1"),
        ("http://a@b:p@ss@example.org:8080/", "http://example.org:8080/"),
        ("https://example.org/@handle", "https://example.org/@handle"),
        ("  https://example.org/x  ", "https://example.org/x"),
    ],
)
def test_public_url(url: str, shown: str) -> None:
    assert public_url(url) == shown


def test_article_from_page_names_the_failure() -> None:
    page = Page(url="https://example.org/a", content_type="text/html", body=b"<html></html>")
    with pytest.raises(UrlError, match=r"^https://example\.org/a: no article text found"):
        article_from_page(page, "https://example.org/a")


# --- the deadline holds for the whole transfer -----------------------------------------------


class _Drip(BaseHTTPRequestHandler):
    """Sends a byte every 50 ms, well inside any read timeout, for as long as it is read."""

    def _drip(self, data: bytes) -> None:
        for n in range(len(data)):
            self.wfile.write(data[n : n + 1])
            self.wfile.flush()
            time.sleep(0.05)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        try:
            if self.path == "/headers":  # the status line and headers themselves drip
                self._drip(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"s" * 600 + b"\r\n\r\n")
            else:
                self.wfile.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 600\r\n\r\n"
                )
                self._drip(b"w" * 600)
        except OSError:  # the client cut the connection: what the test wants
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def drip() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/body", "/headers"])
def test_a_site_that_drips_cannot_hold_a_fetch_past_its_deadline(drip: str, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(UrlError, match=r"took too long to download \(over 1\.5 seconds\)") as err:
        fetch_page(f"{drip}{path}", allow_private=True, timeout=1, deadline=1.5)
    # The whole drip would take 30 s; each byte comes well inside the 1 s read timeout.
    assert time.monotonic() - started < 1.5 + 2.0
    assert str(err.value).startswith(f"{drip}{path}")


def test_a_dripping_link_is_rejected_and_the_rest_of_the_ingest_goes_on(
    drip: str, tmp_path: Path
) -> None:
    from settings import Settings
    from tests.files import write
    from vectorstore.limits import InputLimits

    settings = Settings(allow_private_urls=True)
    good = write(tmp_path / "a.txt", "Bridge reopens\n\n" + PARAGRAPH)
    store = _RecordingStore()
    report = ingest(
        [f"{drip}/body", str(good)],
        store,
        chunk_chars=settings.chunk_chars,
        allow_private_urls=settings.allow_private_urls,
        limits=InputLimits(fetch_timeout=1, fetch_deadline=1.5),
    )
    assert [r.name for r in report.rejected] == [f"{drip}/body"]
    assert "took too long" in report.rejected[0].reason
    assert report.added == [str(good)] and [a.title for a in store.added] == ["Bridge reopens"]


def test_the_deadline_holds_over_https(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server, cert = _tls_server(_Drip, tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    url = f"https://localhost:{server.server_address[1]}/body"
    started = time.monotonic()
    try:
        with pytest.raises(UrlError, match=r"took too long to download \(over 1\.5 seconds\)"):
            fetch_page(url, allow_private=True, timeout=1, deadline=1.5)
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < 1.5 + 2.0
