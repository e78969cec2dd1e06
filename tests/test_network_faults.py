"""A hostile network, through `nhs-monitor run --once`: each fault is that source's clear error in `status --json`,
the source backs off (honouring Retry-After up to http.retry_after_cap), and the other sources still alert.

The faults come from a raw-socket server written here (tests.peers.Site is too well-behaved): a server that
sends one byte per second, one that declares a 10 GB body, one that resets the connection mid-body, 429 and
503 with Retry-After, a redirect loop; plus a name under .invalid for DNS failure.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.config.http import HttpSettings
from monitor.errors import FetchError
from monitor.fetch.client import Fetcher
from monitor.sources.base import CheckContext
from monitor.sources.feed import FeedConfig, FeedSource

DATA = Path(__file__).parent / "data"
TIMEOUT = 2.0
FEED_BODY = (DATA / "feeds" / "trust-news.rss.xml").read_bytes()


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


class RawServer:
    """A bare TCP server on 127.0.0.1: each request path gets a scripted behaviour; counts body bytes sent."""

    def __init__(self) -> None:
        self.behaviours: dict[str, Callable[[socket.socket, str], None]] = {}
        self.sent: dict[str, int] = {}
        self.stopping = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.stopping.set()
        self.sock.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                path = urlsplit(head.split(b" ", 2)[1].decode("latin-1")).path
                self.behaviours.get(path, self.not_found)(conn, path)
            except OSError:
                pass  # the client gave up: that is what most of these tests are about

    # -- behaviours -------------------------------------------------------------------------------
    def not_found(self, conn: socket.socket, path: str) -> None:
        conn.sendall(_head("404 Not Found", {"Content-Length": "0"}))

    def one_byte_per_second(self, conn: socket.socket, path: str) -> None:
        """The whole response, status line first, a byte a second."""
        response = _head("200 OK", {"Content-Type": "application/rss+xml",
                                    "Content-Length": str(len(FEED_BODY))}) + FEED_BODY
        for i in range(len(response)):
            conn.sendall(response[i:i + 1])
            self.sent[path] = i + 1
            if self.stopping.wait(1.0):
                return

    def ten_gigabytes(self, conn: socket.socket, path: str) -> None:
        """Declares 10 GB and streams spaces until the client hangs up."""
        conn.sendall(_head("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "10000000000"}))
        block = b" " * 65536
        self.sent[path] = 0
        while not self.stopping.is_set() and self.sent[path] < 10_000_000_000:
            conn.sendall(block)
            self.sent[path] += len(block)

    def reset_mid_body(self, conn: socket.socket, path: str) -> None:
        """Declares 100 KB, sends 5 KB, then resets the connection (RST, not FIN)."""
        conn.sendall(_head("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "100000"}))
        conn.sendall(FEED_BODY[:500] * 10)
        self.sent[path] = 5000
        time.sleep(0.05)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def status(self, code: str, headers: dict[str, str]) -> Callable[[socket.socket, str], None]:
        def answer(conn: socket.socket, path: str) -> None:
            conn.sendall(_head(code, {"Content-Type": "text/plain", "Content-Length": "4", **headers}) + b"busy")

        return answer


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer()
    server.behaviours.update({
        "/slow.xml": server.one_byte_per_second,
        "/huge.xml": server.ten_gigabytes,
        "/reset.xml": server.reset_mid_body,
        "/limited.xml": server.status("429 Too Many Requests", {"Retry-After": "7200"}),
        "/limited-date.xml": server.status("429 Too Many Requests", {
            "Retry-After": format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)}),
        "/unavailable.xml": server.status("503 Service Unavailable", {"Retry-After": "999999"}),
        "/loop1.xml": server.status("302 Found", {"Location": "/loop2.xml"}),
        "/loop2.xml": server.status("302 Found", {"Location": "/loop1.xml"}),
    })
    yield server
    server.close()


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _backoff(row: dict[str, Any]) -> float:
    """Seconds from the source's last check to its next due time."""
    return (_time(row["next_due"]) - _time(row["last_checked"])).total_seconds()


def test_each_network_fault_is_a_clear_error_with_backoff_and_the_other_sources_still_alert(raw, site, tmp_path):
    site.set("/good.xml", "application/rss+xml", FEED_BODY)
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/monitor.db
        http: {{timeout: {TIMEOUT:g}s, per_host_delay: 0s, per_host_concurrency: 8, retry_after_cap: 3h}}
        defaults: {{interval: 6h}}
        sources:
          - {{id: slow, kind: feed, url: "{raw.url('/slow.xml')}"}}
          - {{id: huge, kind: feed, url: "{raw.url('/huge.xml')}"}}
          - {{id: reset, kind: feed, url: "{raw.url('/reset.xml')}"}}
          - {{id: limited, kind: feed, url: "{raw.url('/limited.xml')}"}}
          - {{id: limited-date, kind: feed, url: "{raw.url('/limited-date.xml')}"}}
          - {{id: unavailable, kind: feed, url: "{raw.url('/unavailable.xml')}"}}
          - {{id: loop, kind: feed, url: "{raw.url('/loop1.xml')}"}}
          - {{id: nowhere, kind: feed, url: "http://nhs-monitor-test.invalid/feed.xml"}}
          - {{id: good, kind: feed, url: "{site.url('/good.xml')}", alert_on: any}}
        """))

    def cli(*args: str) -> Any:
        r = CliRunner().invoke(main, ["--config", str(cfg), *args], catch_exceptions=False)
        assert r.exit_code == 0, r.output  # a failing source is reported, it does not fail the run
        return r

    started = time.monotonic()
    first = cli("run", "--once")
    took = time.monotonic() - started
    assert took < TIMEOUT + 4, f"run --once took {took:.1f}s: a fault held it past http.timeout"
    for sid in ("slow", "huge", "reset", "limited", "limited-date", "unavailable", "loop", "nowhere"):
        assert f"source {sid} failed:" in first.output

    rows = {row["id"]: row for row in json.loads(cli("status", "--json").stdout)}
    errors = {sid: row["last_error"] or "" for sid, row in rows.items()}
    assert f"timed out after {TIMEOUT:g}s fetching {raw.url('/slow.xml')}" in errors["slow"]
    assert "is 10,000,000,000 bytes, over the 50,000,000-byte limit (http.max_bytes)" in errors["huge"]
    assert "broke mid-response" in errors["reset"]
    assert errors["limited"].startswith("HTTP 429 from") and errors["limited-date"].startswith("HTTP 429 from")
    assert errors["unavailable"].startswith("HTTP 503 from")
    assert "too many redirects" in errors["loop"]
    assert "could not connect to nhs-monitor-test.invalid" in errors["nowhere"]
    assert errors["good"] == ""
    for sid in ("slow", "huge", "reset", "limited", "limited-date", "unavailable", "loop", "nowhere"):
        assert rows[sid]["consecutive_failures"] == 1, rows[sid]

    # Backoff: Retry-After honoured (seconds and HTTP-date forms), capped by http.retry_after_cap (3h);
    # without one, the first failure waits 5 minutes.
    assert 7200 - 5 <= _backoff(rows["limited"]) <= 7200 + 5
    assert 3600 - 30 <= _backoff(rows["limited-date"]) <= 3600 + 5
    assert 3 * 3600 - 5 <= _backoff(rows["unavailable"]) <= 3 * 3600 + 5
    for sid in ("slow", "huge", "reset", "loop", "nowhere"):
        assert 300 - 5 <= _backoff(rows[sid]) <= 300 + 5, (sid, rows[sid])

    # The 10 GB body was refused on its declared length: far less than the 50 MB cap ever crossed the wire
    # (what did is the loopback socket buffers); the slow server got a few bytes out before the timeout.
    assert raw.sent.get("/huge.xml", 0) < 20_000_000, raw.sent
    assert 0 < raw.sent["/slow.xml"] <= TIMEOUT + 2

    # The sound feed gains an entry: it alerts in the same run as the faults repeat.
    site.set("/good.xml", "application/rss+xml", FEED_BODY.replace(
        b"</channel>", b"<item><title>Ward to close</title><guid>ward-1</guid><description>The ward will close."
                       b"</description></item></channel>"))
    cli("run", "--once")
    alerts = json.loads(cli("alerts", "--json").stdout)
    assert [(a["source"], a["title"]) for a in alerts] == [("good", "Ward to close")]
    rows = {row["id"]: row for row in json.loads(cli("status", "--json").stdout)}
    assert rows["loop"]["consecutive_failures"] == 2 and 600 - 5 <= _backoff(rows["loop"]) <= 600 + 5


async def test_a_one_byte_per_second_server_times_out_within_http_timeout(raw):
    source = FeedSource(FeedConfig(id="slow", url=raw.url("/slow.xml")))
    async with Fetcher(HttpSettings(timeout="1s", per_host_delay="0s", robots=False)) as fetcher:
        ctx = CheckContext(fetcher=fetcher, state={}, items={}, baseline=True, now=datetime.now(UTC),
                           load_text=lambda key: None, extract=None, robots=False)  # type: ignore[arg-type]
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 1s fetching http://127\.0\.0\.1:\d+/slow\.xml"):
            await asyncio.wait_for(source.check(ctx), 10)
    assert time.monotonic() - started < 1.8

