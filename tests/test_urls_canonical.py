"""URL canonicalisation and outlets from the bundled public-suffix snapshot (no network)."""

from __future__ import annotations

import socket

import pytest

from newstrace.urls import canonicalise, outlet_of, registered_domain


@pytest.mark.parametrize(("raw", "canonical"), [
    ("HTTP://www.RT.com:80/news/a?utm_source=x&b=2&a=1#top", "https://rt.com/news/a?a=1&b=2"),
    ("https://rt.com/news/a?a=1&b=2", "https://rt.com/news/a?a=1&b=2"),
    ("https://www.example.com:443", "https://example.com/"),
    ("https://example.com:8080/x", "https://example.com:8080/x"),
    ("https://example.com/x?fbclid=1&gclid=2&mc_cid=3&UTM_Medium=4", "https://example.com/x"),
    ("https://example.com/x/?q=a%20b", "https://example.com/x/?q=a%20b"),
    ("//cdn.example.org/p", "https://cdn.example.org/p"),
    ("https://user:pw@www.example.com/p", "https://example.com/p"),
    ("https://www.com/p", "https://www.com/p"),  # 'www.' only goes when a domain remains
])
def test_urls_canonicalise(raw: str, canonical: str) -> None:
    assert canonicalise(raw) == canonical


@pytest.mark.parametrize("raw", [None, "", "ftp://example.com/x", "mailto:a@b.c", "not a url", "https://", "https://[::1"])
def test_urls_non_http_are_not_canonical(raw: str | None) -> None:
    assert canonicalise(raw) is None


def test_urls_two_forms_of_one_page_meet() -> None:
    a = canonicalise("http://www.sputniknews.com/middleeast/20161017/1046413806.html?utm_campaign=rss#comments")
    b = canonicalise("https://sputniknews.com/middleeast/20161017/1046413806.html")
    assert a == b


@pytest.mark.parametrize(("url", "outlet"), [
    ("https://news.bbc.co.uk/1/hi/world", "bbc.co.uk"),
    ("https://www.rt.com/news/360386", "rt.com"),
    ("https://sputniknews.com/x", "sputniknews.com"),
    ("https://www.theguardian.com.au/x", "theguardian.com.au"),
    ("https://localhost/x", None),
    ("https://192.168.1.1/x", None),
])
def test_urls_outlet_is_registered_domain(url: str, outlet: str | None) -> None:
    assert outlet_of(url) == outlet


def test_urls_registered_domain_never_touches_network(monkeypatch: pytest.MonkeyPatch) -> None:
    registered_domain.cache_clear()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert registered_domain("a.b.example.co.jp") == "example.co.jp"
