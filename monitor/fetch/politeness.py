"""Being a good citizen: concurrency limits, per-host spacing, robots.txt, and the address policy."""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from monitor.config.http import HttpSettings
from monitor.errors import FetchError


class PrioritySemaphore:
    """A semaphore whose urgent waiters go before the others (each kind first come, first served)."""

    def __init__(self, value: int) -> None:
        self._value = value
        self._waiters: tuple[collections.deque[asyncio.Future[None]], ...] = (collections.deque(), collections.deque())

    async def acquire(self, urgent: bool = False) -> None:
        if self._value > 0 and not any(self._waiters):
            self._value -= 1
            return
        queue = self._waiters[0 if urgent else 1]
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the slot was handed to us as we were cancelled: pass it on
            elif future in queue:
                queue.remove(future)
            raise

    def release(self) -> None:
        for queue in self._waiters:
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)  # the slot passes straight to the waiter
                    return
        self._value += 1

    def waiting(self) -> int:
        return sum(len(queue) for queue in self._waiters)


class Politeness:
    """A global limit, one limit per host, and a minimum spacing between request starts per host.

    An ``urgent`` request (a document a check has just found, a robots.txt) goes before the sources' first
    requests still waiting: a cycle starts every source at once, so without this a board pack found early
    would wait behind every feed and listing page of the cycle, and its extraction would start last.
    """

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.total = PrioritySemaphore(settings.concurrency)
        self.hosts: dict[str, PrioritySemaphore] = {}
        self.next_start: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, host: str, urgent: bool = False) -> AsyncIterator[None]:
        sem = self.hosts.get(host)
        if sem is None:
            sem = self.hosts[host] = PrioritySemaphore(self.settings.per_host_concurrency)
        await sem.acquire(urgent)
        try:
            delay = self.settings.per_host_delay
            if delay > 0:
                now = time.monotonic()
                start = max(now, self.next_start.get(host, 0.0))
                self.next_start[host] = start + delay
                if start > now:
                    await asyncio.sleep(start - now)
            await self.total.acquire(urgent)
            try:
                yield
            finally:
                self.total.release()
        finally:
            sem.release()


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
        entry = self.cache.get(origin)
        if entry is None or time.monotonic() - entry[0] > self.TTL:
            # Only a load takes the lock: were every request to, a cycle's thousand requests to one host would
            # pass it one per turn of the event loop, behind whatever else that turn runs (seconds, in all).
            async with self.locks.setdefault(origin, asyncio.Lock()):
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
