"""harness.runtime.httpxfast: httpx answers exactly as without it, and is restored after."""

from __future__ import annotations

import httpx
import pytest
from httpx import _models as httpx_models
from httpx import _urlparse as httpx_urlparse
from httpx import _urls as httpx_urls

from harness.runtime.httpxfast import fast_httpx

URLS = [
    "https://acme.myshopify.com/admin/api/2025-10/webhooks.json?limit=50",
    "https://acme.myshopify.com/admin/api/2025-10/webhooks/1.json",
    "HTTPS://Acme.MyShopify.com:443/a%20b/../c?x=1#frag",
    "http://user:pw@[::1]:8080/p?q",
    "/relative/path?x",
    "",
]


def _parts(url: httpx.URL) -> tuple[object, ...]:
    return (url.scheme, url.userinfo, url.host, url.port, url.raw_path, url.fragment, str(url))


@pytest.mark.parametrize("url", URLS)
def test_urls_parse_the_same(url: str) -> None:
    plain = _parts(httpx.URL(url))
    with_params = _parts(httpx.URL(url, params={"a": "1"}))
    with fast_httpx():
        assert _parts(httpx.URL(url)) == plain
        assert _parts(httpx.URL(url)) == plain  # from the cache
        assert _parts(httpx.URL(url, params={"a": "1"})) == with_params


def test_invalid_urls_still_raise() -> None:
    with fast_httpx():
        for _ in range(2):
            with pytest.raises(httpx.InvalidURL):
                httpx.URL("https://acme.example/\x00")


def test_cookies_still_set_and_sent() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        if request.url.path == "/login":
            return httpx.Response(200, headers={"Set-Cookie": "session=abc; Path=/"})
        return httpx.Response(200, headers={"Content-Type": "text/plain; charset=latin-1"})

    with fast_httpx(), httpx.Client(transport=httpx.MockTransport(handler)) as client:
        client.get("https://shop.example/before")
        client.get("https://shop.example/login")
        response = client.get("https://shop.example/after")
        assert client.cookies.get("session") == "abc"
        assert response.encoding == "latin-1"
    assert seen == [None, None, "session=abc"]


def test_restored_after_the_outermost_block() -> None:
    originals = (
        httpx_urlparse.urlparse,
        httpx_urls.urlparse,
        httpx.Cookies.extract_cookies,
        httpx.Cookies.set_cookie_header,
        httpx_models._parse_content_type_charset,
    )
    with fast_httpx():
        patched = httpx_urls.urlparse
        assert patched is not originals[1]
        assert httpx_urlparse.urlparse is patched
        with fast_httpx():
            assert httpx_urls.urlparse is patched
        assert httpx_urls.urlparse is patched
    assert (
        httpx_urlparse.urlparse,
        httpx_urls.urlparse,
        httpx.Cookies.extract_cookies,
        httpx.Cookies.set_cookie_header,
        httpx_models._parse_content_type_charset,
    ) == originals
