"""The shared HTTP client against a real loopback server."""

from __future__ import annotations

import asyncio
import gzip
import time

import pytest

from monitor.config.http import HttpSettings
from monitor.errors import FetchError
from monitor.fetch.client import Fetcher, retry_after_seconds


def settings(**kw):
    return HttpSettings(**{"per_host_delay": "0s", "timeout": "5s", **kw})


async def test_conditional_get_sends_validators_verbatim(site):
    site.set("/feed", "application/rss+xml", "<rss/>", last_modified=1_700_000_000)
    async with Fetcher(settings(user_agent="test-agent/1")) as f:
        first = await f.get(site.url("/feed"))
        second = await f.get(site.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert first.status == 200 and first.content == b"<rss/>"
    assert second.not_modified
    hit = site.hits_for("/feed")[-1]
    assert hit.if_none_match == first.etag and hit.if_modified_since == first.last_modified
    assert hit.user_agent == "test-agent/1"


async def test_size_cap_streams_and_refuses(site):
    site.set("/big", "application/pdf", b"x" * 200_000)
    async with Fetcher(settings(max_bytes="100KB")) as f:
        with pytest.raises(FetchError, match="limit"):
            await f.get(site.url("/big"))


async def test_size_cap_counts_decompressed_bytes(site):
    bomb = gzip.compress(b"\0" * 5_000_000)
    site.set("/bomb", "text/html", bomb, headers={"Content-Encoding": "gzip"})
    async with Fetcher(settings(max_bytes="1MB")) as f:
        with pytest.raises(FetchError, match="limit"):
            await f.get(site.url("/bomb"))


async def test_redirects_followed_and_loops_stopped(site):
    site.set("/a", "text/plain", "", status=302, headers={"Location": "/b"})
    site.set("/b", "text/plain", "here")
    site.set("/loop1", "text/plain", "", status=302, headers={"Location": "/loop2"})
    site.set("/loop2", "text/plain", "", status=302, headers={"Location": "/loop1"})
    async with Fetcher(settings()) as f:
        r = await f.get(site.url("/a"))
        assert r.url.endswith("/b") and r.content == b"here"
        with pytest.raises(FetchError, match="too many redirects"):
            await f.get(site.url("/loop1"))


async def test_robots_txt_is_obeyed_unless_disabled(site):
    site.set("/robots.txt", "text/plain", "User-agent: *\nDisallow: /private/\n")
    site.set("/private/x", "text/plain", "secret")
    async with Fetcher(settings()) as f:
        with pytest.raises(FetchError, match="robots.txt"):
            await f.get(site.url("/private/x"))
        assert (await f.get(site.url("/private/x"), robots=False)).content == b"secret"


async def test_http_error_and_retry_after(site):
    site.set("/busy", "text/plain", "busy", status=503, headers={"Retry-After": "120"})
    async with Fetcher(settings()) as f:
        with pytest.raises(FetchError) as exc:
            await f.get(site.url("/busy"))
    assert exc.value.status == 503 and exc.value.retry_after == 120
    assert "HTTP 503" in str(exc.value)


async def test_slow_server_times_out_with_clear_message(site):
    site.set("/slow", "text/plain", "late", delay=3)
    async with Fetcher(settings(timeout="1s")) as f:
        t0 = time.monotonic()
        with pytest.raises(FetchError, match="timed out after 1s"):
            await f.get(site.url("/slow"))
    assert time.monotonic() - t0 < 2.5


async def test_connection_refused_is_clear():
    async with Fetcher(settings()) as f:
        with pytest.raises(FetchError, match="could not connect"):
            await f.get("http://127.0.0.1:9/nothing")


async def test_link_from_public_to_private_address_is_refused(site):
    site.set("/doc.pdf", "application/pdf", b"%PDF-1.4")
    async with Fetcher(settings()) as f:
        with pytest.raises(FetchError, match="private or local address"):
            await f.get(site.url("/doc.pdf"), origin="http://93.184.215.14/board/")
        assert (await f.get(site.url("/doc.pdf"), origin=site.url("/board/"))).status == 200
    assert len(site.hits_for("/doc.pdf")) == 1


async def test_per_host_delay_spaces_requests(site):
    site.set("/x", "text/plain", "x")
    async with Fetcher(settings(per_host_delay="0.3s", robots=False)) as f:
        t0 = time.monotonic()
        await asyncio.gather(*(f.get(site.url(f"/x?n={i}")) for i in range(4)))
    assert time.monotonic() - t0 >= 0.85


async def test_concurrent_unconditional_gets_of_one_url_are_shared(site):
    site.set("/pack.pdf", "application/pdf", b"%PDF-1.4 pack", delay=0.3)
    async with Fetcher(settings()) as f:
        results = await asyncio.gather(*(f.get(site.url("/pack.pdf"), shared=True) for _ in range(3)))
        again = await f.get(site.url("/pack.pdf"), shared=True)
        conditional = await f.get(site.url("/pack.pdf"), etag=again.etag)
    assert {r.content for r in results} == {b"%PDF-1.4 pack"} and again.content == b"%PDF-1.4 pack"
    assert conditional.not_modified
    assert len(site.hits_for("/pack.pdf")) == 2       # one shared download, one conditional re-check


def test_retry_after_parses_dates():
    assert retry_after_seconds("30") == 30
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert retry_after_seconds("soon") is None
