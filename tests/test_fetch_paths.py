"""The Fetcher's fast path (aiohttp, :mod:`monitor.fetch.aio`), its httpx path, and httpx on the aiohttp
transport give the same results: bodies, decoding, redirects, errors, headers sent, cookies kept."""

from __future__ import annotations

import gzip
import zlib

import httpx
import pytest

from monitor.config.http import HttpSettings
from monitor.errors import FetchError
from monitor.fetch.aio import AiohttpTransport
from monitor.fetch.client import Fetcher

TEXT = "Board papers: the minor injuries unit will close. " * 200


def serve(site) -> None:
    site.set("/plain", "text/html; charset=utf-8", TEXT)
    site.set("/gzip", "text/html", gzip.compress(TEXT.encode()), headers={"Content-Encoding": "gzip"})
    site.set("/deflate", "text/html", zlib.compress(TEXT.encode()), headers={"Content-Encoding": "deflate"})
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    site.set("/raw-deflate", "text/html", raw.compress(TEXT.encode()) + raw.flush(),
             headers={"Content-Encoding": "deflate"})
    site.set("/unknown-coding", "text/plain", b"as-is", headers={"Content-Encoding": "zstd-ish"})
    site.set("/corrupt-gzip", "text/html", gzip.compress(b"x")[:10] + b"\xff" * 8, headers={"Content-Encoding": "gzip"})
    site.set("/moved", "text/plain", "", status=301, headers={"Location": "/plain"})
    site.set("/gone", "text/plain", "gone", status=410)
    site.set("/login", "text/plain", "hello", headers={"Set-Cookie": "session=abc; Path=/"})
    site.set_dynamic("/whoami", lambda query, headers: (200, "text/plain", headers.get("cookie", "no cookie")))
    site.set_dynamic("/echo", lambda query, headers: (200, "text/plain", "|".join(
        f"{k}={headers.get(k, '')}" for k in ("user-agent", "accept", "accept-encoding", "if-none-match"))))


async def fetch_all(site, fetcher: Fetcher) -> dict:
    out = {}
    for path in ("/plain", "/gzip", "/deflate", "/raw-deflate", "/unknown-coding", "/moved", "/login", "/whoami",
                 "/echo", "/gone", "/corrupt-gzip"):
        try:
            r = await fetcher.get(site.url(path), etag='"v1"' if path == "/echo" else None)
        except FetchError as e:
            out[path] = ("error", str(e).split(": ")[0], e.status)
            continue
        out[path] = (r.url, r.status, r.content, r.content_type, r.etag is not None, r.last_modified is not None)
    return out


@pytest.mark.parametrize("robots", [True, False])
async def test_fast_path_and_httpx_path_agree(site, robots):
    serve(site)
    settings = HttpSettings(per_host_delay="0s", timeout="5s", user_agent="paths-test/1", robots=robots)
    async with Fetcher(settings) as fast:
        assert fast.direct is not None and fast.client is None
        got_fast = await fetch_all(site, fast)
    async with Fetcher(settings, transport=httpx.AsyncHTTPTransport()) as plain:
        assert plain.direct is None
        got_httpx = await fetch_all(site, plain)
    async with Fetcher(settings, transport=AiohttpTransport(max_connections=4)) as bridged:
        got_bridged = await fetch_all(site, bridged)                   # aiohttp under httpx's client
    assert got_fast == got_httpx == got_bridged
    assert got_fast["/gzip"][2] == got_fast["/raw-deflate"][2] == TEXT.encode()
    assert got_fast["/whoami"][2] == b"session=abc"                     # cookies kept between requests
    assert got_fast["/echo"][2] == b'user-agent=paths-test/1|accept=*/*|accept-encoding=gzip, deflate|if-none-match="v1"'
    assert got_fast["/corrupt-gzip"][:2] == ("error", "could not decode the response body from " + site.url("/corrupt-gzip"))
    assert got_fast["/gone"] == ("error", "HTTP 410 from " + site.url("/gone"), 410)
