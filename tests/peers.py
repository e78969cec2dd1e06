"""Real local peers for tests: an HTTP site, an SMTP server and a webhook receiver on loopback."""

from __future__ import annotations

import email
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Route:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    last_modified: float | None = None
    delay: float = 0.0


@dataclass
class Hit:
    method: str
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int
    user_agent: str | None


RouteResult = tuple[int, str, bytes | str] | tuple[int, str, bytes | str, dict[str, str]]
DynamicRoute = Callable[[dict[str, list[str]], dict[str, str]], RouteResult]


class QuietServer(ThreadingHTTPServer):
    """Clients that give up mid-response (timeouts are part of the tests) are not errors worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)


def _status(route: Route, headers: dict[str, str], etag: str | None, lm: str | None) -> int:
    """304 when the request's validators match (ETag first, else Last-Modified), else the route's status."""
    if route.status != 200:
        return route.status
    if etag and headers.get("if-none-match") == etag:
        return 304
    if lm and not etag and headers.get("if-modified-since") == lm:
        return 304
    return 200


class Site:
    """An HTTP/1.1 server on 127.0.0.1 serving routes you set; honours If-None-Match and
    If-Modified-Since; records every hit. Unknown paths are 404, ``/robots.txt`` allows all
    unless set."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | DynamicRoute] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.server = QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, content_type: str, body: bytes | str, *, status: int = 200,
            headers: dict[str, str] | None = None, etag: bool = True, last_modified: float | None = None,
            delay: float = 0.0) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        with self.lock:
            self.routes[path] = Route(status, content_type, body, headers or {}, etag, last_modified, delay)

    def set_dynamic(self, path: str, fn: DynamicRoute) -> None:
        with self.lock:
            self.routes[path] = fn

    def remove(self, path: str) -> None:
        with self.lock:
            self.routes.pop(path, None)

    def hits_for(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if urlsplit(h.path).path == path]

    def clear_hits(self) -> None:
        with self.lock:
            self.hits.clear()

    def _resolve(self, raw_path: str, headers: dict[str, str]) -> Route:
        parts = urlsplit(raw_path)
        with self.lock:
            route = self.routes.get(unquote(parts.path)) or self.routes.get(raw_path)
        if route is None and parts.path == "/robots.txt":
            return Route(200, "text/plain", b"User-agent: *\nAllow: /\n")
        if route is None:
            return Route(404, "text/plain", b"not found", etag=False)
        if callable(route):
            out = route(parse_qs(parts.query), headers)
            status, ctype, body = out[0], out[1], out[2]
            extra = out[3] if len(out) > 3 else {}  # type: ignore[misc]
            return Route(status, ctype, body.encode() if isinstance(body, str) else body, dict(extra))
        return route

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                route = site._resolve(self.path, headers)
                if route.delay:
                    time.sleep(route.delay)
                etag = f'"{hashlib.sha1(route.body).hexdigest()[:16]}"' if route.etag else None
                lm = formatdate(route.last_modified, usegmt=True) if route.last_modified else None
                sent = _status(route, headers, etag, lm)
                with site.lock:
                    site.hits.append(Hit(self.command, self.path, headers.get("if-none-match"),
                                         headers.get("if-modified-since"), sent, headers.get("user-agent")))
                self.send_response(sent)
                if etag and sent in (200, 304):
                    self.send_header("ETag", etag)
                if lm and sent in (200, 304):
                    self.send_header("Last-Modified", lm)
                if sent == 304:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                for k, v in route.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if not head:
                    try:
                        self.wfile.write(route.body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client gave up (timeouts are part of the tests)

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Webhook:
    """Receives POSTs (Apprise ``json://`` and ``form://``) and keeps them; can answer with an error."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if hook.fail_with:
                    self.send_response(hook.fail_with)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = {"raw": raw.decode("utf-8", "replace")}
                hook.received.append({"path": self.path, "payload": payload, "headers": dict(self.headers)})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def apprise_url(self) -> str:
        return f"json://127.0.0.1:{self.port}/alerts"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message; stop() and start() it at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.controller: Any = None
        self.start()

    @property
    def apprise_url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=monitor@example.org&to=group@example.org"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        box = self.messages

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                box.append(email.message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def bodies(self) -> list[str]:
        out = []
        for m in self.messages:
            parts = [str(m.get("Subject", ""))]
            for part in m.walk():
                if part.get_content_maintype() == "text":
                    parts.append(part.get_content())
            out.append("\n".join(parts))
        return out
