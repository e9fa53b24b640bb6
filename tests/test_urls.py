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
