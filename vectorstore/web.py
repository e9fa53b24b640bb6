"""An article from a web address: fetch the page safely, then extract its main text.

A URL comes from a reporter or from a page someone else wrote, so it is untrusted. Only
http and https are fetched; every host, on every redirect hop, is resolved and refused
when it is on the server's own network (loopback, private, link-local, ...), because a
newsroom server must not be made to read its intranet or a cloud metadata endpoint; the
connection then goes to the address that was checked, so a second DNS answer cannot swap
it. The body is capped while it is read. Errors are `UrlError`s a reporter can act on,
and no message ever shows the user:password@ part of an address.

Proxies from the environment are not used: a proxy would resolve the host itself and so
bypass the check.
"""

from __future__ import annotations

import contextlib
import http
import http.client
import ipaddress
import socket
import ssl
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from vectorstore.articles import (
    DEFAULT_LIMITS,
    IngestError,
    article_from_html,
    article_from_text,
    guarded,
    read_bytes_as_text,
)
from vectorstore.documents import load_pdf
from vectorstore.limits import FETCH_DEADLINE, FETCH_TIMEOUT, MAX_FETCH_BYTES, InputLimits
from vectorstore.models import Article
from vectorstore.transfer import Addresses, Deadline, PinnedHTTP, PinnedHTTPS
from vectorstore.urls import public_url

ALLOW_PRIVATE_SETTING = "FACTCHECK_ALLOW_PRIVATE_URLS=true"
MAX_REDIRECTS = 5
USER_AGENT = "factcheck-archive/0.1"
_REDIRECTS = {301, 302, 303, 307, 308}
_HTML = {"text/html", "application/xhtml+xml"}
_READ = 64 * 1024
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[[str, int], Addresses]


class UrlError(IngestError):
    """A web address we could not turn into an article; the message is for the reporter."""


class Page(BaseModel):
    """A fetched page: where it ended up after redirects, its type and its bytes."""

    url: str  # final address, without credentials
    content_type: str  # e.g. "text/html"
    charset: str | None = None
    body: bytes


def address_problem(address: str) -> str | None:
    """Why an IP address is off limits ("loopback", "private", ...), or None if it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4 wrapped in IPv6 reaches the IPv4 host: judge that one.
        if ip.ipv4_mapped or ip.sixtofour:
            ip = ip.ipv4_mapped or ip.sixtofour
        elif ip.teredo:
            ip = ip.teredo[1]
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    checks = [
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),  # e.g. carrier-grade NAT, 100.64.0.0/10
    ]
    return next((kind for kind, hit in checks if hit), None)


def resolve(host: str, port: int) -> Addresses:
    """Every address the host resolves to (IP literals resolve to themselves)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(family, sockaddr) for family, _, _, _, sockaddr in infos]


def _target(parts: urllib.parse.SplitResult) -> str:
    """Path and query as sent on the request line, with unsafe characters quoted."""
    path = urllib.parse.quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = urllib.parse.quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return f"{path}?{query}" if query else path


def _status_text(status: int, reason: str) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} {reason}".strip()


def fetch_page(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_FETCH_BYTES,
    deadline: float = FETCH_DEADLINE,
    max_redirects: int = MAX_REDIRECTS,
    resolver: Resolver = resolve,
    check_address: Callable[[str], str | None] = address_problem,
) -> Page:
    """GET a page, following redirects, with every hop checked; UrlError on any failure.

    `timeout` bounds connecting and each read; `deadline` (seconds) bounds the whole fetch,
    redirects included, however slowly the site sends its bytes.
    """
    first = public_url(url)
    clock = Deadline(deadline)
    current = url.strip()
    for hop in range(max_redirects + 1):
        where = first if hop == 0 else f"{first} (redirected to {public_url(current)})"
        if clock.remaining() <= 0:
            raise _too_slow(where, deadline)
        parts = urllib.parse.urlsplit(current)
        if parts.scheme.lower() not in ("http", "https"):
            raise UrlError(f"{where}: only http:// and https:// addresses can be fetched")
        host, port = _host_port(parts, where)
        addresses = _checked_addresses(host, port, where, allow_private, resolver, check_address)
        tls = parts.scheme.lower() == "https"
        try:
            conn = (PinnedHTTPS if tls else PinnedHTTP)(host, port, addresses, timeout, clock)
        except http.client.InvalidURL as e:
            raise UrlError(f"{where}: not a valid web address") from e
        clock.watch()
        try:
            response = _request(conn, _target(parts), host, where, timeout)
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    status = _status_text(response.status, response.reason)
                    raise UrlError(f"{where}: the page answered {status} without saying where to")
                current = urllib.parse.urljoin(current, location.strip())
                continue
            if not 200 <= response.status < 300:
                status = _status_text(response.status, response.reason)
                raise UrlError(f"{where}: the page answered {status}")
            body = _read_capped(response, where, max_bytes)
            if clock.expired:  # the cut connection may look like a page that just ended
                raise _too_slow(where, deadline)
            # get_content_type() says text/plain when the header is missing: sniff instead.
            declared = response.getheader("Content-Type")
            return Page(
                url=public_url(current),
                content_type=response.headers.get_content_type() if declared else _sniff(body),
                charset=response.headers.get_content_charset(),
                body=body,
            )
        except UrlError as e:
            if clock.expired:  # whatever broke, it broke because the time was up
                raise _too_slow(where, deadline) from e
            raise
        finally:
            clock.release()
            conn.close()
    raise UrlError(f"{first}: too many redirects (more than {max_redirects})")


def _too_slow(where: str, seconds: float) -> UrlError:
    return UrlError(f"{where}: the page took too long to download (over {seconds:g} seconds)")


def _host_port(parts: urllib.parse.SplitResult, where: str) -> tuple[str, int]:
    try:
        host, port = parts.hostname, parts.port
        if not host:
            raise ValueError("no host")
        # Non-ASCII (IDN) hosts go on the wire in their ASCII form.
        host = host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as e:
        raise UrlError(f"{where}: not a valid web address") from e
    return host, port or (443 if parts.scheme.lower() == "https" else 80)


def _checked_addresses(
    host: str,
    port: int,
    where: str,
    allow_private: bool,
    resolver: Resolver,
    check_address: Callable[[str], str | None],
) -> Addresses:
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as e:  # socket.gaierror is an OSError
        raise UrlError(f"{where}: the site {host} was not found (check the address)") from e
    if not addresses:
        raise UrlError(f"{where}: the site {host} was not found (check the address)")
    if allow_private:
        return addresses
    # Every answer must be public: a host may list a public address next to a private one.
    for _, sockaddr in addresses:
        ip = sockaddr[0]
        if problem := check_address(ip):
            at = host if host == ip else f"{host} ({ip})"
            raise UrlError(
                f"{where}: not fetched: {at} is a {problem} address, on the server's own "
                f"network. To allow such addresses, set {ALLOW_PRIVATE_SETTING}."
            )
    return addresses


def _request(
    conn: http.client.HTTPConnection, target: str, host: str, where: str, timeout: float
) -> http.client.HTTPResponse:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8",
        "Accept-Encoding": "identity",  # the size cap counts the bytes as they arrive
    }
    try:
        conn.request("GET", target, headers=headers)
        return conn.getresponse()
    except ConnectionRefusedError as e:
        raise UrlError(f"{where}: the site {host} refused the connection") from e
    except TimeoutError as e:
        raise UrlError(f"{where}: the site {host} did not answer within {timeout:g} seconds") from e
    except ssl.SSLCertVerificationError as e:
        detail = e.verify_message or e.reason
        raise UrlError(f"{where}: the site's security certificate is not valid ({detail})") from e
    except http.client.InvalidURL as e:
        raise UrlError(f"{where}: not a valid web address") from e
    except (OSError, http.client.HTTPException) as e:
        reason = getattr(e, "strerror", None) or type(e).__name__
        raise UrlError(f"{where}: could not connect to {host} ({reason})") from e


def _read_capped(response: http.client.HTTPResponse, where: str, max_bytes: int) -> bytes:
    too_large = f"{where}: the page is too large (over {max_bytes:,} bytes)"
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise UrlError(too_large)
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := response.read(_READ):
            size += len(chunk)
            if size > max_bytes:
                raise UrlError(too_large)
            chunks.append(chunk)
    except TimeoutError as e:
        raise UrlError(f"{where}: the site stopped sending the page (timed out)") from e
    except (OSError, http.client.HTTPException) as e:
        raise UrlError(f"{where}: the download broke off ({type(e).__name__})") from e
    return b"".join(chunks)


def _sniff(body: bytes) -> str:
    head = body[:2048].lstrip().lower()
    if head.startswith(b"%pdf-"):
        return "application/pdf"
    return "text/html" if head.startswith(b"<") else "text/plain"


def _extract(page: Page, name: str, limits: InputLimits) -> Article:
    if page.content_type in _HTML:
        html: str | bytes = page.body
        if page.charset:
            # An unknown charset name: trafilatura guesses from the bytes instead.
            with contextlib.suppress(LookupError):
                html = page.body.decode(page.charset, errors="replace")
        return guarded(name, lambda: [article_from_html(html, name, page.url, limits=limits)])[0]
    if page.content_type == "text/plain":
        text = read_bytes_as_text(page.body, name)
        if not text.strip():
            raise UrlError(f"{name}: no article text found on the page")
        return article_from_text(text, url=page.url, origin=name, limits=limits)
    if page.content_type == "application/pdf":
        pdf = guarded(name, lambda: load_pdf(page.body, name, Path("page.pdf"), limits))[0]
        return pdf.model_copy(update={"url": page.url})
    raise UrlError(f"{name}: not a web page (the address gives {page.content_type})")


def article_from_page(page: Page, name: str, *, limits: InputLimits = DEFAULT_LIMITS) -> Article:
    """The article in a fetched page: HTML via trafilatura, plain text as is, PDF by its loader.

    The source is the site's own name, else its host; `name` labels messages and `origin`.
    """
    try:
        article = _extract(page, name, limits)
    except UrlError:
        raise
    except IngestError as e:  # the loaders' own messages, as a UrlError like every other
        raise UrlError(str(e)) from e
    parts = urllib.parse.urlsplit(page.url)
    host = (parts.hostname or "").removeprefix("www.")
    source = article.source
    # trafilatura names a site without a name by its host:port; the host alone reads better.
    if not source or source.lower() == parts.netloc.lower().removeprefix("www."):
        source = host
    return article.model_copy(update={"source": source, "origin": name})


def fetch_article(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float | None = None,
    max_bytes: int | None = None,
    limits: InputLimits = DEFAULT_LIMITS,
) -> Article:
    """Fetch a page and return its article: headline, byline, date, site and main text.

    Raises UrlError (an IngestError) with a message for the reporter when the address is
    not http(s), not found, on a private network (unless `allow_private`), unreachable,
    answers with an error status, is too large or too slow, is not a web page or holds no
    article. `timeout` and `max_bytes`, when given, replace those of `limits`.
    """
    page = fetch_page(
        url,
        allow_private=allow_private,
        timeout=limits.fetch_timeout if timeout is None else timeout,
        max_bytes=limits.max_fetch_bytes if max_bytes is None else max_bytes,
        deadline=limits.fetch_deadline,
    )
    return article_from_page(page, public_url(url), limits=limits)


def load_url(url: str, **kwargs: object) -> Article:
    """The old name of `fetch_article`, kept for callers outside the project."""
    return fetch_article(url, **kwargs)  # type: ignore[arg-type]
