"""One shared async HTTP client: User-Agent, timeouts, conditional GET, size cap, redirects, politeness.

``Fetcher.get`` returns a :class:`FetchResult` (a 304 is ``not_modified=True``, a value, not an
exception) or raises :class:`monitor.errors.FetchError` with a message an admin can act on.

Requests go out on aiohttp's connection pool (:mod:`monitor.fetch.aio`, the fast path a cycle of 1,000
mostly-304 requests needs); given an httpx transport (tests, special set-ups), or without aiohttp, they
go through ``httpx.AsyncClient`` instead. Both paths behave and fail alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.config.http import HttpSettings
from monitor.errors import FetchError
from monitor.fetch.aio import Response, direct_get
from monitor.fetch.politeness import AddressPolicy, Politeness, RobotsCache

REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(slots=True)
class FetchResult:
    """A response: the final URL after redirects, its status and (unless 304) its body."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str | None:
        raw = self.headers.get("content-type")
        return raw.split(";", 1)[0].strip().lower() if raw else None

    def validators(self) -> dict[str, str]:
        """The server's validators, to be sent back verbatim next time."""
        out = {}
        if self.etag:
            out["etag"] = self.etag
        if self.last_modified:
            out["last_modified"] = self.last_modified
        return out


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


class Fetcher:
    """The process's one HTTP client. Use ``async with Fetcher(settings) as f: await f.get(url)``.

    :param settings: the ``http:`` config section.
    :param transport: an httpx transport to use instead of the default (tests, fast paths).
    """

    def __init__(self, settings: HttpSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.direct = None if transport is not None else direct_get(
            user_agent=settings.user_agent, max_connections=settings.concurrency, timeout=settings.timeout)
        self.client: httpx.AsyncClient | None = None
        if self.direct is None:
            limits = httpx.Limits(max_connections=settings.concurrency,
                                  max_keepalive_connections=settings.concurrency)
            self.client = httpx.AsyncClient(
                headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
                timeout=httpx.Timeout(settings.timeout),
                follow_redirects=False,
                limits=limits,
                transport=transport,
                trust_env=False,
            )
        self.politeness = Politeness(settings)
        self.robots = RobotsCache(self._fetch_robots, settings.user_agent)
        self.addresses = AddressPolicy()
        self.requests = 0
        self.shared = SharedResponses()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self.direct is not None:
            await self.direct.aclose()
        if self.client is not None:
            await self.client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        robots: bool | None = None,
        origin: str | None = None,
        shared: bool = False,
    ) -> FetchResult:
        """GET ``url`` politely, following redirects.

        :param etag: / :param last_modified: the validators from the last response, sent back verbatim.
        :param max_bytes: body cap (default ``http.max_bytes``), counted after decompression.
        :param robots: obey robots.txt (default ``http.robots``).
        :param origin: the page this link was found on; a link from a public address to a private,
            loopback or link-local one is refused.
        :param shared: for documents: an unconditional GET of a URL another source is fetching (or
            fetched in the last two minutes) shares that response, so a paper linked from two listing
            pages is downloaded once. Listing pages never share (they must be fresh). Documents also go
            ahead of the other requests waiting for a slot (``Politeness``: their extraction can start early).
        """
        if etag or last_modified or not shared:
            return await self._get(url, etag, last_modified, max_bytes, robots, origin, urgent=shared)
        # An unconditional GET of a URL another source is fetching (or just fetched) is shared:
        # a document linked from two listing pages is downloaded once.
        return await self.shared.get(url, lambda: self._get(url, None, None, max_bytes, robots, origin, urgent=True))

    async def _get(self, url: str, etag: str | None, last_modified: str | None, max_bytes: int | None,
                   robots: bool | None, origin: str | None, *, urgent: bool = False) -> FetchResult:
        obey = self.settings.robots if robots is None else robots
        cap = max_bytes or self.settings.max_bytes
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, previous = url, origin
        for _ in range(self.settings.max_redirects + 1):
            self._check_scheme(current)
            if previous:
                await self.addresses.check(previous, current)
            if obey and not await self.robots.allowed(current):
                raise FetchError(f"robots.txt of {_host(current)} disallows {current} (set robots: false to override)")
            result = await self._request(current, headers, cap, urgent=urgent)
            if result.status not in REDIRECTS:
                return self._finish(result)
            location = result.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {result.status} redirect without a Location header from {current}")
            previous, current = current, urljoin(current, location)
        raise FetchError(f"too many redirects (more than {self.settings.max_redirects}) starting at {url}")

    def _finish(self, result: FetchResult) -> FetchResult:
        if result.status >= 400:
            retry = retry_after_seconds(result.headers.get("retry-after"))
            if retry is not None:
                retry = min(retry, self.settings.retry_after_cap)
            raise FetchError(f"HTTP {result.status} from {result.url}", status=result.status, retry_after=retry)
        return result

    @staticmethod
    def _check_scheme(url: str) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(f"only http and https URLs can be fetched, not {url}")

    async def _request(self, url: str, headers: dict[str, str], cap: int, *, urgent: bool = False) -> FetchResult:
        """One GET (no redirects followed); ``urgent``: ahead of other waiting requests (see Politeness)."""
        host = _host(url)
        async with self.politeness.slot(host, urgent):
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.settings.timeout):
                    return await self._stream(url, headers, cap, started)
            except TimeoutError:
                raise FetchError(f"timed out after {self.settings.timeout:g}s fetching {url}") from None
            except httpx.ConnectError as e:
                raise FetchError(f"could not connect to {host}: {_reason(e)}") from None
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {self.settings.timeout:g}s fetching {url}") from None
            except (httpx.RemoteProtocolError, httpx.ReadError) as e:
                raise FetchError(f"connection to {host} broke mid-response: {_reason(e)}") from None
            except httpx.DecodingError as e:
                raise FetchError(f"could not decode the response body from {url}: {_reason(e)}") from None
            except httpx.HTTPError as e:
                raise FetchError(f"HTTP error fetching {url}: {_reason(e)}") from None

    async def _stream(self, url: str, headers: dict[str, str], cap: int, started: float) -> FetchResult:
        self.requests += 1
        opened = self.direct.open(url, headers) if self.direct is not None else self._httpx(url, headers)
        async with opened as resp:
            hdrs = resp.headers
            if resp.status != 200:
                return FetchResult(resp.url, resp.status, hdrs, b"", time.monotonic() - started)
            if "," in hdrs.get("content-encoding", ""):  # each layer multiplies: 2 KB of gzip-in-gzip made 2 GB
                raise FetchError(f"{url} is compressed more than once (Content-Encoding: "
                                 f"{hdrs['content-encoding'][:60]}); refused")
            declared = hdrs.get("content-length", "")
            if declared.isdigit() and int(declared) > cap and "content-encoding" not in hdrs:
                raise FetchError(f"{url} is {int(declared):,} bytes, over the {cap:,}-byte limit (http.max_bytes)")
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.chunks:
                size += len(chunk)
                if size > cap:
                    raise FetchError(f"{url} is larger than the {cap:,}-byte limit (http.max_bytes)")
                chunks.append(chunk)
            return FetchResult(resp.url, 200, hdrs, b"".join(chunks), time.monotonic() - started)

    @asynccontextmanager
    async def _httpx(self, url: str, headers: dict[str, str]) -> AsyncIterator[Response]:
        assert self.client is not None
        async with self.client.stream("GET", url, headers=headers) as resp:
            yield Response(str(resp.url), resp.status_code, {k.lower(): v for k, v in resp.headers.items()},
                           resp.aiter_bytes())

    async def _fetch_robots(self, robots_url: str) -> tuple[int, str]:
        try:
            result = await self._request(robots_url, {}, 512_000, urgent=True)
        except FetchError:
            return 0, ""
        return result.status, result.content.decode("utf-8", "replace")


class SharedResponses:
    """Single-flight plus a short memory of unconditional GETs (bounded in age, count and bytes)."""

    def __init__(self, ttl: float = 120.0, max_bytes: int = 64_000_000, max_items: int = 32) -> None:
        self.ttl, self.max_bytes, self.max_items = ttl, max_bytes, max_items
        self.inflight: dict[str, asyncio.Future[FetchResult]] = {}
        self.recent: dict[str, tuple[float, FetchResult]] = {}

    async def get(self, url: str, fetch: Callable[[], Awaitable[FetchResult]]) -> FetchResult:
        hit = self.recent.get(url)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        if url in self.inflight:
            return await asyncio.shield(self.inflight[url])
        future: asyncio.Future[FetchResult] = asyncio.get_running_loop().create_future()
        self.inflight[url] = future
        try:
            result = await fetch()
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            self.inflight.pop(url, None)
        future.set_result(result)
        self._remember(url, result)
        return result

    def _remember(self, url: str, result: FetchResult) -> None:
        if len(result.content) > self.max_bytes // 4:
            return
        now = time.monotonic()
        self.recent = {u: v for u, v in self.recent.items() if now - v[0] < self.ttl}
        self.recent[url] = (now, result)
        while len(self.recent) > self.max_items or sum(len(r.content) for _, r in self.recent.values()) > \
                self.max_bytes:
            self.recent.pop(next(iter(self.recent)))


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.lower()


def _reason(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return text.splitlines()[0][:200]


def request_headers_for(state: dict[str, Any]) -> dict[str, str | None]:
    """The conditional-request arguments stored in a source's or item's state."""
    return {"etag": state.get("etag"), "last_modified": state.get("last_modified")}
