"""The one helper that hides credentials in web addresses."""

from __future__ import annotations

import pytest

from vectorstore.urls import public_url


@pytest.mark.parametrize(
    ("url", "shown", "origin"),
    [
        ("https://user:pw@example.org/a?b=1", "https://example.org/a?b=1", "https://example.org"),
        (
            "http://a@b:p@ss@example.org:8080/",
            "http://example.org:8080/",
            "http://example.org:8080",
        ),
        ("https://example.org/@handle", "https://example.org/@handle", "https://example.org"),
        ("  https://example.org/x  ", "https://example.org/x", "https://example.org"),
        ("http://k:s3cret@[::1]:11434/v1", "http://[::1]:11434/v1", "http://[::1]:11434"),
        ("//user:pw@host/p", "//host/p", "(unreadable address)"),
        ("http://user:pw@host:notaport/", "http://host:notaport/", "(unreadable address)"),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_public_url(url: str | None, shown: str, origin: str) -> None:
    assert public_url(url) == shown
    assert public_url(url, origin_only=True) == origin
    for hidden in ("pw", "p@ss", "s3cret"):
        assert hidden not in public_url(url, origin_only=True)


def test_web_uses_the_same_helper() -> None:
    from vectorstore import urls, web

    assert web.public_url is urls.public_url


def test_the_app_and_the_connection_test_show_endpoints_the_same_way() -> None:
    """An IPv6 endpoint keeps its brackets and loses its password, wherever it is named."""
    import socket

    from app_pages.common import service_name
    from chains.llm import ModelUnavailableError, check_connection
    from settings import Settings

    with socket.socket(socket.AF_INET6) as s:  # a port nobody listens on
        s.bind(("::1", 0))
        port = s.getsockname()[1]
    settings = Settings(
        provider="openai",
        model="m",
        base_url=f"http://k:s3cret@[::1]:{port}/v1",
        allow_private_urls=True,
        request_timeout=2,
    )
    assert service_name(settings) == f"the model server at http://[::1]:{port}"
    with pytest.raises(ModelUnavailableError) as caught:
        check_connection(settings)
    assert f"http://[::1]:{port}" in str(caught.value)
    assert "s3cret" not in str(caught.value)
