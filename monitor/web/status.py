"""The status endpoint (contract section 6): ``/healthz``, ``/metrics``, ``/alerts.json``, ``/alerts.atom``.

A small HTTP/1.1 server on plain asyncio streams, in the daemon's own loop: GET (and HEAD) only,
one request per connection, bounded request size and read time. Every store read runs in a thread
with a timeout, so a slow store never blocks the scheduler. :func:`probe` is the container
HEALTHCHECK (``nhs-monitor healthcheck``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from monitor.config.models import Config
from monitor.errors import MonitorError
from monitor.web.atom import atom_feed
from monitor.web.metrics import render_metrics

log = logging.getLogger("monitor.status")
T = TypeVar("T")

MAX_REQUEST = 8192            # request line + headers, bytes
READ_TIMEOUT = 5.0            # seconds to send the request
STORE_TIMEOUT = 3.0           # seconds a store read may take before the endpoint answers 503
MAX_CONNECTIONS = 32
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
CORS = {"Access-Control-Allow-Origin": "*"}   # campaign websites may fetch the alerts from a browser
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, data: Any, **headers: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    return Response(status, body, "application/json; charset=utf-8", dict(headers))


def _text(status: int, text: str, **headers: str) -> Response:
    return Response(status, text.encode("utf-8"), "text/plain; charset=utf-8", dict(headers))


async def in_thread(fn: Callable[[], T], timeout: float = STORE_TIMEOUT) -> T:
    """Run a blocking store call in a thread; TimeoutError after ``timeout`` seconds."""
    return await asyncio.wait_for(asyncio.to_thread(fn), timeout)


# --------------------------------------------------------------------------- the server


class StatusServer:
    """The listening server; ``await stop()`` closes it and drops open connections."""

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self.routes: dict[str, Callable[[dict[str, list[str]], str], Awaitable[Response]]] = {
            "/healthz": self.healthz, "/metrics": self.metrics,
            "/alerts.json": self.alerts_json, "/alerts.atom": self.alerts_atom,
        }

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self, host: str, port: int) -> None:
        try:
            self.server = await asyncio.start_server(self._connection, host, port, limit=MAX_REQUEST)
        except OSError as e:
            raise MonitorError(f"the status endpoint cannot listen on {host}:{port} (status.listen): "
                               f"{e.strerror or e}") from None
        log.info("status endpoint listening on http://%s:%d/ (healthz, metrics, alerts.json, alerts.atom)",
                 host, self.port)

    async def stop(self) -> None:
        if self.server is None:
            return
        self.server.close()
        for t in list(self.tasks):
            t.cancel()
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=1.0)
        self.server = None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            if len(self.tasks) > MAX_CONNECTIONS:
                await _write(writer, _text(503, "too many connections\n"), head=False)
                return
            await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if task is not None:
                self.tasks.discard(task)
            writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            await _write(writer, _text(431, "request header too large\n"), head=False)
            return
        except (TimeoutError, asyncio.IncompleteReadError):
            return
        method, target, headers = _parse_head(raw)
        if method is None:
            await _write(writer, _text(400, "bad request\n"), head=False)
            return
        if method not in ("GET", "HEAD"):
            await _write(writer, _text(405, "only GET is supported\n", Allow="GET, HEAD"), head=False)
            return
        await _write(writer, await self.dispatch(target, headers.get("host", "")), head=method == "HEAD")

    async def dispatch(self, target: str, host: str) -> Response:
        parts = urlsplit(target)
        route = self.routes.get(parts.path)
        if route is None:
            return _text(404, f"not found: try {', '.join(self.routes)}\n")
        try:
            return await route(parse_qs(parts.query), host)
        except Exception as e:  # one bad request must not take the endpoint down
            log.exception("status endpoint: %s failed", parts.path)
            return _text(503, f"unavailable: {type(e).__name__}\n")

    # ----------------------------------------------------------------------- endpoints

    async def healthz(self, query: dict[str, list[str]], host: str) -> Response:
        ok, reason = await health(self.daemon)
        d = self.daemon
        body = {"status": "ok" if ok else "unavailable", "uptime_seconds": round(time.time() - d.counters.started, 1),
                "sources": len(d.config.sources), "checks_in_flight": len(d.inflight),
                "last_tick": _iso(d.counters.last_tick)}
        if not ok:
            body["reason"] = reason
        return _json(200 if ok else 503, body)

    async def metrics(self, query: dict[str, list[str]], host: str) -> Response:
        snap = await store_snapshot(self.daemon)
        text = render_metrics(self.daemon, snap)
        return Response(200, text.encode("utf-8"), "text/plain; version=0.0.4; charset=utf-8")

    async def alerts_json(self, query: dict[str, list[str]], host: str) -> Response:
        records = await self._alerts(query)
        return records if isinstance(records, Response) else _json(200, records, **CORS)

    async def alerts_atom(self, query: dict[str, list[str]], host: str) -> Response:
        records = await self._alerts(query)
        if isinstance(records, Response):
            return records
        listen = self.daemon.config.status.listen if self.daemon.config.status else "127.0.0.1"
        base = f"http://{host if _HOST.match(host or '') else listen}"
        feed = atom_feed(records, self_url=f"{base}/alerts.atom", fallback_updated=self.daemon.counters.started)
        return Response(200, feed, "application/atom+xml; charset=utf-8", dict(CORS))

    async def _alerts(self, query: dict[str, list[str]]) -> list[dict[str, Any]] | Response:
        """The newest ``?limit=`` alerts (contract records), or the 400 for a bad limit."""
        raw = (query.get("limit") or [str(DEFAULT_LIMIT)])[-1]
        if not raw.isdigit() or int(raw) < 1:
            return _text(400, f"limit must be a whole number from 1 to {MAX_LIMIT}\n")
        store = _store(self.daemon)
        if store is None:
            raise MonitorError("the store is not open")
        records: list[dict[str, Any]] = await in_thread(lambda: store.repo.alerts(limit=min(int(raw), MAX_LIMIT)))
        return records


def _parse_head(raw: bytes) -> tuple[str | None, str, dict[str, str]]:
    """(method, target, lower-cased headers) of a request head; method None when malformed."""
    try:
        lines = raw.decode("iso-8859-1").split("\r\n")
        method, target, version = lines[0].split(" ")
    except ValueError:
        return None, "", {}
    if not version.startswith("HTTP/1.") or not target.startswith("/"):
        return None, "", {}
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


async def _write(writer: asyncio.StreamWriter, resp: Response, *, head: bool) -> None:
    reason = HTTPStatus(resp.status).phrase
    lines = [f"HTTP/1.1 {resp.status} {reason}", f"Content-Type: {resp.content_type}",
             f"Content-Length: {len(resp.body)}", "Connection: close", "Cache-Control: no-store",
             "X-Content-Type-Options: nosniff", *(f"{k}: {v}" for k, v in resp.headers.items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head else resp.body))
    try:
        async with asyncio.timeout(READ_TIMEOUT):
            await writer.drain()
    except TimeoutError:
        pass


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


def _store(daemon: Any) -> Any:
    monitor = getattr(daemon, "monitor", None)
    return monitor.store if monitor is not None else getattr(daemon, "store", None)


async def start_status_server(daemon: Any) -> StatusServer:
    """Serve the status endpoint on ``daemon.config.status`` (127.0.0.1:8080 unless configured)."""
    settings = daemon.config.status
    server = StatusServer(daemon)
    await server.start(settings.host if settings else "127.0.0.1", settings.port if settings else 8080)
    return server


# --------------------------------------------------------------------------- health and metrics data


async def health(daemon: Any) -> tuple[bool, str]:
    """(healthy, reason): the scheduler runs and the store answers ``SELECT 1`` quickly."""
    if not daemon.running:
        return False, "the scheduler is not running (starting, reloading or stopping)"
    store = _store(daemon)
    if store is None:
        return False, "the store is not open"
    from monitor.store.db import ping

    try:
        await in_thread(lambda: ping(store.engine))
    except TimeoutError:
        return False, f"the store did not answer within {STORE_TIMEOUT:g}s"
    except Exception as e:
        return False, str(e)[:300] or type(e).__name__
    return True, "ok"


@dataclass(slots=True)
class StoreSnapshot:
    up: bool = False
    alerts: int = 0
    deliveries: dict[str, int] = field(default_factory=dict)
    queue_depth: int = 0
    sources: dict[str, tuple[float | None, int]] = field(default_factory=dict)  # id -> (last success, failures)


async def store_snapshot(daemon: Any) -> StoreSnapshot:
    """What /metrics reads from the store (shared by every worker); ``up=False`` when it does not answer."""
    store = _store(daemon)
    if store is None:
        return StoreSnapshot()

    def read() -> StoreSnapshot:
        counts = store.repo.counts()
        rows = store.repo.sources()
        return StoreSnapshot(True, int(counts["alerts"]), {str(k): int(v) for k, v in counts["deliveries"].items()},
                             store.deliveries.queue_depth(),
                             {r.id: (r.last_success.timestamp() if r.last_success else None, r.consecutive_failures)
                              for r in rows})

    try:
        return await in_thread(read)
    except Exception as e:
        log.warning("metrics: the store did not answer: %s", e)
        return StoreSnapshot()


# --------------------------------------------------------------------------- container probe


def probe(config: Config) -> tuple[bool, str]:
    """The container HEALTHCHECK: ``/healthz`` when ``status`` is configured, else the store answers."""
    if config.status is not None:
        host = config.status.host
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        url = f"http://{f'[{host}]' if ':' in host else host}:{config.status.port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (a fixed http URL)
                return (True, "ok") if resp.status == 200 else (False, f"{url} answered HTTP {resp.status}")
        except urllib.error.HTTPError as e:
            return False, f"unhealthy: {_reason(e.read())}"
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            return False, f"the status endpoint {url} does not answer: {reason}"
    from monitor.app import Store

    try:
        store = Store.open(config, migrate=False)
    except MonitorError as e:
        return False, str(e)
    store.close()
    return True, "store ok"


def _reason(body: bytes) -> str:
    try:
        data = json.loads(body)
        return str(data.get("reason") or data.get("status"))
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace")[:200] or "no reason given"
