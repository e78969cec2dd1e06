"""The benchmark's HTTP server on 127.0.0.1: nginx (Debian's package) or, failing that, a Python fallback.

Both serve a directory of static files and answer conditional requests like a real site: an ETag and
a Last-Modified per file, 304 when If-None-Match matches, or when If-Modified-Since equals the
Last-Modified exactly (nginx's default ``if_modified_since exact``). With ``validators=False`` the
server ignores validators and returns every body (nginx: ``etag off; if_modified_since off``), the way
many CMS pages behave.

``python -m bench.servers ROOT PORT [--no-validators]`` runs the fallback server alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MIME = {".rss": "application/rss+xml", ".atom": "application/atom+xml", ".html": "text/html",
        ".json": "application/json", ".pdf": "application/pdf"}

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {state}/nginx.pid;
error_log {state}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    client_body_temp_path {state}/body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        root {root};
        etag {etag};
        if_modified_since {ims};
    }}
}}
"""

INSTALL_HINT = "nginx is not installed: `apt-get install -y nginx` (Debian) gives the real server this bench wants"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stable_port(record: Path) -> int:
    """The port this work directory used before, if it is free again; else a new one (remembered)."""
    if record.exists():
        port = int(record.read_text())
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                pass
    port = free_port()
    record.write_text(str(port))
    return port


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited at start (status {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:g}s")


class Server:
    """One server process at a time; ``serve(root, validators)`` (re)starts it on the same port."""

    def __init__(self, state_dir: Path, *, prefer_nginx: bool = True) -> None:
        self.state = state_dir
        self.state.mkdir(parents=True, exist_ok=True)
        self.port = _stable_port(self.state / "port")  # stored snapshots hold URLs with this port
        self.nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if not prefer_nginx:
            self.nginx = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.mode: tuple[str, bool] | None = None

    @property
    def kind(self) -> str:
        if self.nginx:
            version = subprocess.run([self.nginx, "-v"], capture_output=True, text=True).stderr.strip()
            return version.replace("nginx version: ", "")
        return "Python ThreadingHTTPServer (fallback)"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, root: Path, *, validators: bool = True) -> None:
        if self.mode == (str(root), validators) and self.proc and self.proc.poll() is None:
            return
        self.stop()
        if self.nginx:
            for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
                (self.state / sub).mkdir(exist_ok=True)
            conf = self.state / "nginx.conf"
            conf.write_text(NGINX_CONF.format(state=self.state, port=self.port, root=root,
                                              etag="on" if validators else "off",
                                              ims="exact" if validators else "off"))
            cmd = [self.nginx, "-c", str(conf), "-p", str(self.state)]
        else:
            cmd = [sys.executable, "-m", "bench.servers", str(root), str(self.port)]
            if not validators:
                cmd.append("--no-validators")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
        wait_listening(self.port, self.proc)
        self.mode = (str(root), validators)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGQUIT if self.nginx else signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def cpu_seconds(self) -> float:
        """CPU used so far by the server's processes (master and workers), from /proc."""
        if self.proc is None:
            return 0.0
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


# ---------------------------------------------------------------- the Python fallback

def _fresh(ims: str | None, inm: str | None, etag: str, mtime: float) -> bool:
    """nginx's rule: If-Modified-Since must equal Last-Modified exactly, If-None-Match the ETag."""
    if ims:
        try:
            if parsedate_to_datetime(ims).timestamp() != int(mtime):
                return False
        except (TypeError, ValueError):
            return False
    if inm:
        return inm == etag
    return bool(ims)


def handler(root: Path, validators: bool) -> type[BaseHTTPRequestHandler]:
    class Static(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            path = root / self.path.split("?", 1)[0].lstrip("/")
            try:
                st = path.stat()
            except OSError:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            etag = f'"{int(st.st_mtime):x}-{st.st_size:x}"'
            modified = formatdate(int(st.st_mtime), usegmt=True)
            headers = {"Content-Type": MIME.get(path.suffix, "application/octet-stream")}
            if validators:
                headers.update({"ETag": etag, "Last-Modified": modified})
                if self._fresh(etag, st.st_mtime):
                    self._send(304, b"", headers)
                    return
            self._send(200, path.read_bytes(), headers)

        def _fresh(self, etag: str, mtime: float) -> bool:
            return _fresh(self.headers.get("If-Modified-Since"), self.headers.get("If-None-Match"), etag, mtime)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)) if status != 304 else "0")
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    return Static


def main(argv: list[str]) -> None:
    root, port = Path(argv[0]), int(argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), handler(root, "--no-validators" not in argv))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main(sys.argv[1:])
