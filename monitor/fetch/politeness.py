"""Being a good citizen: concurrency limits, per-host spacing, robots.txt, and the address policy."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from monitor.config.http import HttpSettings
from monitor.errors import FetchError


class Politeness:
    """A global semaphore, one semaphore per host, and a minimum spacing between request starts per host."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.total = asyncio.Semaphore(settings.concurrency)
        self.hosts: dict[str, asyncio.Semaphore] = {}
        self.next_start: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        sem = self.hosts.get(host)
        if sem is None:
            sem = self.hosts[host] = asyncio.Semaphore(self.settings.per_host_concurrency)
        async with sem:
            delay = self.settings.per_host_delay
            if delay > 0:
                now = time.monotonic()
                start = max(now, self.next_start.get(host, 0.0))
                self.next_start[host] = start + delay
                if start > now:
                    await asyncio.sleep(start - now)
            async with self.total:
                yield


class RobotsCache:
    """robots.txt per host, fetched once per process lifetime (a day at most)."""

    TTL = 86400.0

    def __init__(self, fetch: Callable[[str], Awaitable[tuple[int, str]]], user_agent: str) -> None:
        self.fetch = fetch
        self.agent = user_agent.split("/", 1)[0]
        self.cache: dict[str, tuple[float, RobotFileParser | None]] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return True
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self.locks.setdefault(origin, asyncio.Lock())
        async with lock:
            entry = self.cache.get(origin)
            if entry is None or time.monotonic() - entry[0] > self.TTL:
                entry = (time.monotonic(), await self._load(origin))
                self.cache[origin] = entry
        parser = entry[1]
        return True if parser is None else parser.can_fetch(self.agent, url)

    async def _load(self, origin: str) -> RobotFileParser | None:
        status, text = await self.fetch(origin + "/robots.txt")
        if status != 200:
            return None  # no robots.txt (or an error reading it): everything is allowed
        parser = RobotFileParser()
        parser.parse(text.splitlines())
        return parser


def _is_private(addr: str) -> bool:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast


class AddressPolicy:
    """Refuses a link or redirect that leads from a public address to a private, loopback or link-local one."""

    def __init__(self) -> None:
        self.cache: dict[str, bool] = {}

    async def private(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        if host in self.cache:
            return self.cache[host]
        try:
            result = _is_private(host)
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except OSError:
                return False  # unresolvable: the request itself will fail with a clear DNS error
            result = any(_is_private(str(info[4][0])) for info in infos)
        self.cache[host] = result
        return result

    async def check(self, origin: str, target: str) -> None:
        if urlsplit(origin).hostname == urlsplit(target).hostname:
            return
        if await self.private(target) and not await self.private(origin):
            raise FetchError(f"refused: {target} is a private or local address, linked from public {origin}")
