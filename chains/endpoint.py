"""The address guard for a model endpoint that a browser session chose.

A visitor who types an endpoint on the Settings page makes the server send requests
where they say, as a link does: the same guard as links (`vectorstore.web`) refuses
loopback, private, link-local and other non-public addresses unless the server allows
them (FACTCHECK_ALLOW_PRIVATE_URLS). It runs when the model is built, for a clear
message, and again on every connection against the address actually connected to, so a
second DNS answer cannot swap in a private one. The server's own endpoint is trusted.
"""

from __future__ import annotations

import urllib.parse

import httpcore
import httpx

from settings import Settings


class EndpointRefused(ValueError):
    """A session's endpoint is not allowed; the message names the host, never credentials."""


def guarded(settings: Settings) -> bool:
    """Whether this endpoint goes through the address guard."""
    return (
        settings.provider == "openai"
        and settings.session_endpoint
        and bool(settings.base_url)  # none: OpenAI's own service, a public address
        and not settings.allow_private_urls
    )


def _host_port(base_url: str) -> tuple[str, int]:
    try:
        parts = urllib.parse.urlsplit(base_url)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or parts.scheme.lower() not in ("http", "https"):
        raise EndpointRefused("the endpoint base URL must be an http:// or https:// address")
    return host, port or (443 if parts.scheme.lower() == "https" else 80)


def checked_addresses(host: str, port: int) -> list[tuple[int, tuple]]:
    """Every address `host` resolves to, all public; EndpointRefused otherwise."""
    from vectorstore.web import address_problem, resolve

    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise EndpointRefused(f"the endpoint's host {host} was not found")
    for _, sockaddr in addresses:
        if problem := address_problem(sockaddr[0]):
            at = host if host == sockaddr[0] else f"{host} ({sockaddr[0]})"
            raise EndpointRefused(
                f"the endpoint {at} is a {problem} address, on the server's own network; "
                "a session may choose it only when whoever runs the server sets "
                "FACTCHECK_ALLOW_PRIVATE_URLS=true"
            )
    return addresses


def check_endpoint(settings: Settings) -> None:
    """EndpointRefused when a session's endpoint is not allowed; nothing otherwise."""
    if guarded(settings):
        checked_addresses(*_host_port(str(settings.base_url)))


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to checked addresses (TLS still verifies the name in the URL)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            family_addr = checked_addresses(host, port)[0]
        except EndpointRefused as exc:
            raise httpcore.ConnectError(str(exc)) from None
        return super().connect_tcp(family_addr[1][0], port, timeout, local_address, socket_options)


class _GuardedAsyncBackend(httpcore.AnyIOBackend):
    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            family_addr = checked_addresses(host, port)[0]
        except EndpointRefused as exc:
            raise httpcore.ConnectError(str(exc)) from None
        return await super().connect_tcp(
            family_addr[1][0], port, timeout, local_address, socket_options
        )


def http_clients(settings: Settings) -> dict[str, httpx.Client | httpx.AsyncClient]:
    """OpenAI client arguments for a guarded endpoint ({} for the server's own).

    No proxies from the environment: a proxy would resolve the host itself.
    """
    if not guarded(settings):
        return {}
    sync = httpx.HTTPTransport(trust_env=False)
    asyn = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx has no argument for the network backend; its pool does (pinned versions).
    for transport, backend in ((sync, _GuardedBackend()), (asyn, _GuardedAsyncBackend())):
        if not hasattr(getattr(transport, "_pool", None), "_network_backend"):
            raise RuntimeError("this httpx version cannot guard a model endpoint")
        transport._pool._network_backend = backend
    timeout = httpx.Timeout(settings.request_timeout)
    return {
        "http_client": httpx.Client(transport=sync, trust_env=False, timeout=timeout),
        "http_async_client": httpx.AsyncClient(transport=asyn, trust_env=False, timeout=timeout),
    }
