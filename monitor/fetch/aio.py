"""The fast HTTP path: aiohttp's connection pool, under httpx's interface or called directly.

Profiling a quiet cycle (1,000 conditional GETs answered 304) showed the HTTP client as most of its
cost: httpx's own pool about 1.6 ms of CPU per request; httpx on aiohttp (:class:`AiohttpTransport`)
about 0.25 ms, of which more than half is httpx's client layer (URL parsing, header models, the cookie
jar's ``email.Message`` per response). :class:`DirectGet` does the same GET straight on aiohttp, with
the same headers, cookie persistence, gzip/deflate decoding and error types, for about 0.15 ms.
:class:`monitor.fetch.client.Fetcher` uses it unless it is given an httpx transport (or aiohttp is
missing); errors come out as httpx exceptions either way, so the Fetcher's messages are the same.
"""

from __future__ import annotations

import ssl
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

ACCEPT_ENCODING = "gzip, deflate"


def _aiohttp() -> Any:
    import aiohttp  # imported when the first Fetcher is built, not with this module

    return aiohttp


class _Pool:
    """One aiohttp ClientSession, created on first use inside the running loop."""

    def __init__(self, *, max_connections: int, keepalive_expiry: float, cookies: bool) -> None:
        self.aiohttp = _aiohttp()
        self.limit, self.keepalive, self.cookies = max_connections, keepalive_expiry, cookies
        self.session: Any = None
        self._ssl: ssl.SSLContext | None = None

    def client(self) -> Any:
        if self.session is None:
            aiohttp = self.aiohttp
            jar = aiohttp.CookieJar(unsafe=True) if self.cookies else aiohttp.DummyCookieJar()
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.limit, keepalive_timeout=self.keepalive),
                auto_decompress=False, trust_env=False, cookie_jar=jar, skip_auto_headers=("User-Agent",))
        return self.session

    def ssl_for(self, url: str) -> ssl.SSLContext | bool:
        if not url[:6].lower().startswith("https:"):
            return True
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()  # the same CA bundle httpx would use
        return self._ssl

    def timeout(self, connect: float | None, read: float | None) -> Any:
        return self.aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport on aiohttp's pool (HTTP/1.1, keep-alive; cookies stay with httpx's client).

    :param max_connections: connections open at once (all hosts).
    :param keepalive_expiry: seconds an idle connection is kept.
    """

    CHUNK = 64 * 1024

    def __init__(self, *, max_connections: int, keepalive_expiry: float = 5.0) -> None:
        self.pool = _Pool(max_connections=max_connections, keepalive_expiry=keepalive_expiry, cookies=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        url = str(request.url)
        try:
            resp = await self.pool.client().request(
                request.method, url, headers=request.headers.multi_items(), data=request.content or None,
                allow_redirects=False, compress=None, ssl=self.pool.ssl_for(url),
                timeout=self.pool.timeout(timeout.get("connect"), timeout.get("read")))
        except Exception as e:
            raise transport_error(self.pool.aiohttp, e) from e
        return httpx.Response(resp.status, headers=resp.raw_headers, stream=_Body(self.pool.aiohttp, resp),
                              request=request, extensions={"http_version": b"HTTP/1.1",
                                                           "reason_phrase": (resp.reason or "").encode()})

    async def aclose(self) -> None:
        await self.pool.aclose()


class _Body(httpx.AsyncByteStream):
    def __init__(self, aiohttp: Any, resp: Any) -> None:
        self.aiohttp, self.resp = aiohttp, resp

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.resp.content.iter_chunked(AiohttpTransport.CHUNK):
                yield chunk
        except Exception as e:
            raise transport_error(self.aiohttp, e) from e

    async def aclose(self) -> None:
        self.resp.release()


def transport_error(aiohttp: Any, e: Exception) -> httpx.TransportError:
    """The httpx exception that says what happened (connect, timeout, broken response...)."""
    message = str(e) or type(e).__name__
    if isinstance(e, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)
    if isinstance(e, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(e, TimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(e, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message)
    if isinstance(e, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return httpx.ReadError(message)
    if isinstance(e, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message)
    if isinstance(e, aiohttp.ClientError | OSError):
        return httpx.TransportError(message)
    raise e


@dataclass(slots=True)
class Response:
    """What the Fetcher reads of a response, from either path: lower-case headers (repeats joined by ", ")."""

    url: str
    status: int
    headers: dict[str, str]
    chunks: AsyncIterator[bytes]


class DirectGet:
    """GET on aiohttp without httpx's client layer: the Fetcher's fast path.

    Sends what the httpx client sends (User-Agent, ``Accept: */*``, ``Accept-Encoding: gzip, deflate``),
    keeps cookies between requests, decodes gzip and deflate as httpx does (unknown codings pass through
    as-is) and raises httpx's exception types.

    :param user_agent: the User-Agent header.
    :param max_connections: connections open at once (all hosts).
    :param timeout: seconds for connecting and for each read.
    """

    def __init__(self, *, user_agent: str, max_connections: int, timeout: float) -> None:
        self.pool = _Pool(max_connections=max_connections, keepalive_expiry=5.0, cookies=True)
        self.headers = {"User-Agent": user_agent, "Accept": "*/*", "Accept-Encoding": ACCEPT_ENCODING}
        self.timeout = self.pool.timeout(timeout, timeout)

    @asynccontextmanager
    async def open(self, url: str, headers: dict[str, str]) -> AsyncIterator[Response]:
        aiohttp = self.pool.aiohttp
        try:
            resp = await self.pool.client().get(url, headers={**self.headers, **headers}, allow_redirects=False,
                                                ssl=self.pool.ssl_for(url), timeout=self.timeout)
        except Exception as e:
            raise transport_error(aiohttp, e) from e
        hdrs: dict[str, str] = {}
        for key, value in resp.headers.items():
            key = key.lower()
            hdrs[key] = f"{hdrs[key]}, {value}" if key in hdrs else value
        body = self._body(resp, hdrs.get("content-encoding", ""))
        try:
            yield Response(url, resp.status, hdrs, body)
        finally:
            await body.aclose()
            resp.release()

    async def _body(self, resp: Any, encoding: str) -> AsyncIterator[bytes]:
        decoders = [_Decoder(c) for c in reversed(encoding.lower().split(",")) if c.strip() in _CODINGS]
        try:
            async for chunk in resp.content.iter_chunked(AiohttpTransport.CHUNK):
                for decoder in decoders:
                    chunk = decoder.decode(chunk)
                if chunk:
                    yield chunk
        except httpx.DecodingError:
            raise
        except Exception as e:
            raise transport_error(self.pool.aiohttp, e) from e
        tail = b""
        for decoder in decoders:
            tail = decoder.decode(tail) + decoder.flush()
        if tail:
            yield tail

    async def aclose(self) -> None:
        await self.pool.aclose()


_CODINGS = ("gzip", "x-gzip", "deflate")


class _Decoder:
    """gzip / deflate, as httpx decodes them (deflate: zlib-wrapped, else raw)."""

    def __init__(self, coding: str) -> None:
        self.deflate = coding.strip() == "deflate"
        self.first = True
        self.z = zlib.decompressobj() if self.deflate else zlib.decompressobj(zlib.MAX_WBITS | 16)

    def decode(self, data: bytes) -> bytes:
        was_first, self.first = self.first, False
        try:
            return self.z.decompress(data)
        except zlib.error as e:
            if self.deflate and was_first:  # a raw deflate stream without the zlib header
                self.z = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decode(data)
            raise httpx.DecodingError(str(e)) from None

    def flush(self) -> bytes:
        try:
            return self.z.flush()
        except zlib.error as e:
            raise httpx.DecodingError(str(e)) from None


def direct_get(*, user_agent: str, max_connections: int, timeout: float) -> DirectGet | None:
    """:class:`DirectGet` when aiohttp is installed, else None."""
    try:
        return DirectGet(user_agent=user_agent, max_connections=max_connections, timeout=timeout)
    except ImportError:
        return None
