"""The status endpoint (contract section 6) against a real daemon subprocess, plus its parts in-process.

The slow test starts ``python -m monitor run`` as a subprocess (as a container would), with the tick
shortened through env ``NHS_MONITOR_TICK`` and a feed on a loopback ``tests.peers.Site``; it reads
/healthz, /metrics (Prometheus' own parser), /alerts.json and /alerts.atom (feedparser), then sends
SIGTERM and expects exit code 0 within 10 s. :class:`DaemonProcess` is shared with test_daemon_signals.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from monitor.app import Monitor, Store
from monitor.cli import main
from monitor.config import load_config
from monitor.daemon import Daemon, tick_seconds
from monitor.notify.render import headline
from monitor.web.atom import atom_feed
from monitor.web.metrics import Exposition
from monitor.web.status import StatusServer, probe
from tests.peers import free_port

ROOT = Path(__file__).resolve().parent.parent
FEEDS = Path(__file__).parent / "data" / "feeds"
MERGER = ("The governing bodies of Northshire CCG and Southshire CCG have agreed to merge into a single "
          "organisation.")


# --------------------------------------------------------------------------- helpers shared with other tests


def wait_until(fn: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``fn`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def http_get(url: str, method: str = "GET", timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()
    except (urllib.error.URLError, OSError):
        return 0, {}, b""


class DaemonProcess:
    """``python -m monitor --log-format json run`` in a subprocess; logs go to a file we can read."""

    def __init__(self, config: Path, workdir: Path, *, tick: float = 0.3, env: dict[str, str] | None = None) -> None:
        self.log_path = workdir / f"daemon-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NHS_MONITOR_CONFIG")} | (env or {})
        env["NHS_MONITOR_TICK"] = str(tick)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "--log-format",
                                      "json", "run"], cwd=workdir, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT)

    def logs(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"message": line, "level": "raw"})
        return out

    def messages(self) -> list[str]:
        return [str(r.get("message", "")) for r in self.logs()]

    def wait_log(self, needle: str, timeout: float = 10.0) -> str:
        return wait_until(lambda: next((m for m in self.messages() if needle in m), None), timeout,
                          f"a log line with {needle!r}; got:\n" + "\n".join(self.messages()[-20:]))

    def send(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds it took). Fails if the daemon outlives ``timeout``."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("the daemon did not exit within 10 s of SIGTERM:\n" + "\n".join(self.messages())) from None
        return code, time.monotonic() - t0

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()


def write_config(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body))
    return path


def atom_with(extra_entries: str = "") -> str:
    return (FEEDS / "icb-news.atom.xml").read_text().replace("</feed>", extra_entries + "</feed>")


def merger_entry(ident: str = "301") -> str:
    return (f"<entry><title>CCGs to merge</title><id>tag:southshire.icb.nhs.uk,2026:news/{ident}</id>"
            f"<link href=\"https://southshire.icb.nhs.uk/news/{ident}\"/><updated>2026-11-21T10:00:00Z</updated>"
            f"<summary>{MERGER}</summary></entry>")


def metric_families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(families: dict[str, Any], family: str, name: str, **labels: str) -> float | None:
    for s in families[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return float(s.value)
    return None


# --------------------------------------------------------------------------- the daemon end to end


@pytest.mark.slow
def test_status_endpoint_of_a_running_daemon(site, webhook, tmp_path):
    """healthz -> metrics -> an alert appears in alerts.json and alerts.atom -> SIGTERM exits 0."""
    site.set("/icb.xml", "application/atom+xml", atom_with())
    port = free_port()
    cfg = write_config(tmp_path / "monitor.yaml", f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/monitor.db
        http: {{user_agent: "status-test/1.0", timeout: 5s, per_host_delay: 0s}}
        defaults: {{interval: 1s, jitter: 0%}}
        status: {{listen: "127.0.0.1:{port}"}}
        channels: {{hook: "{webhook.apprise_url}"}}
        subscriptions: [{{name: everything, channels: [hook]}}]
        sources:
          - {{id: icb-news, kind: feed, url: "{site.url('/icb.xml')}", area: southshire}}
        """)
    base = f"http://127.0.0.1:{port}"
    started = time.time()
    daemon = DaemonProcess(cfg, tmp_path)
    try:
        status, _, body = wait_until(lambda: (r := http_get(base + "/healthz"))[0] == 200 and r, 15,
                                     "/healthz to answer 200")
        health = json.loads(body)
        assert health["status"] == "ok" and health["sources"] == 1

        def baseline_counted() -> bool:
            fams = metric_families(http_get(base + "/metrics")[2].decode())
            return (sample(fams, "nhs_monitor_checks", "nhs_monitor_checks_total", outcome="baseline") or 0) >= 1

        wait_until(baseline_counted, 10, "the baseline check to be counted in /metrics")
        assert probe(load_config(cfg)) == (True, "ok")
        assert CliRunner().invoke(main, ["--config", str(cfg), "healthcheck"]).exit_code == 0

        site.set("/icb.xml", "application/atom+xml", atom_with(merger_entry()))
        alerts = wait_until(lambda: json.loads(http_get(base + "/alerts.json")[2] or b"[]"), 10,
                            "the merger alert in /alerts.json")
        wait_until(lambda: webhook.received, 10, "the alert to reach the webhook")
        wait_until(lambda: json.loads(http_get(base + "/alerts.json")[2])[0]["deliveries"][0]["status"] == "sent",
                   10, "the delivery to be marked sent")
        _check_metrics(base, started)
        _check_alerts_json(base, alerts)
        _check_atom(base)
        _check_http_errors(base)
    finally:
        code, took = daemon.stop()
        daemon.kill()
    assert code == 0, "\n".join(daemon.messages())
    assert took < 10
    last = daemon.messages()[-1]
    assert last.startswith("stopped cleanly") and "checks {" in last and "merger: 1" in last, last
    assert probe(load_config(cfg))[0] is False                   # nothing listens any more


def _check_metrics(base: str, started: float) -> None:
    status, headers, body = http_get(base + "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    fams = metric_families(body.decode())
    for name in ("nhs_monitor_up", "nhs_monitor_start_time_seconds", "nhs_monitor_checks",
                 "nhs_monitor_check_duration_seconds", "nhs_monitor_alerts", "nhs_monitor_deliveries",
                 "nhs_monitor_delivery_queue_depth", "nhs_monitor_source_last_success_timestamp_seconds"):
        assert name in fams, (name, sorted(fams))
    assert fams["nhs_monitor_checks"].type == "counter"
    assert fams["nhs_monitor_check_duration_seconds"].type == "histogram"
    assert sample(fams, "nhs_monitor_up", "nhs_monitor_up") == 1
    assert sample(fams, "nhs_monitor_checks", "nhs_monitor_checks_total", outcome="changed") >= 1
    count = sample(fams, "nhs_monitor_check_duration_seconds", "nhs_monitor_check_duration_seconds_count")
    total = sum(sample(fams, "nhs_monitor_checks", "nhs_monitor_checks_total", outcome=o) or 0
                for o in ("baseline", "unchanged", "not_modified", "changed", "error"))
    assert count == total >= 2
    assert sample(fams, "nhs_monitor_check_duration_seconds", "nhs_monitor_check_duration_seconds_bucket",
                  le="+Inf") == count
    assert sample(fams, "nhs_monitor_alerts", "nhs_monitor_alerts_total", category="merger") == 1
    assert sample(fams, "nhs_monitor_deliveries", "nhs_monitor_deliveries", status="sent") == 1
    assert sample(fams, "nhs_monitor_delivery_queue_depth", "nhs_monitor_delivery_queue_depth") == 0
    last = sample(fams, "nhs_monitor_source_last_success_timestamp_seconds",
                  "nhs_monitor_source_last_success_timestamp_seconds", source="icb-news")
    assert started - 1 <= last <= time.time() + 1


def _check_alerts_json(base: str, alerts: list[dict[str, Any]]) -> None:
    [alert] = alerts
    assert alert["source"] == "icb-news" and "merger" in alert["categories"] and alert["event"] == "new_entry"
    assert alert["area"] == "southshire" and alert["created_at"].endswith("Z")
    assert any("merge into a single organisation" in e["text"] for e in alert["evidence"])
    status, headers, body = http_get(base + "/alerts.json?limit=1")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert len(json.loads(body)) == 1
    assert http_get(base + "/alerts.json?limit=0")[0] == 400
    assert http_get(base + "/alerts.json?limit=lots")[0] == 400
    assert http_get(base + "/alerts.json?limit=100000")[0] == 200     # capped at 500, not refused


def _check_atom(base: str) -> None:
    alerts = json.loads(http_get(base + "/alerts.json")[2])
    status, headers, body = http_get(base + "/alerts.atom")
    assert status == 200 and headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title and feed.feed.updated
    assert any(link.rel == "self" and link.href == base + "/alerts.atom" for link in feed.feed.links)
    assert len(feed.entries) == len(alerts) == 1
    entry, alert = feed.entries[0], alerts[0]
    assert entry.id == f"urn:nhs-service-monitor:alert:{alert['id']}"
    assert entry.title == headline(alert)
    assert entry.link == alert["url"]
    assert entry.updated == alert["created_at"]
    assert {t.term for t in entry.tags} == set(alert["categories"])
    assert "merge into a single organisation" in entry.summary


def _check_http_errors(base: str) -> None:
    assert http_get(base + "/nope")[0] == 404
    assert http_get(base + "/healthz", method="POST")[0] == 405
    status, _, body = http_get(base + "/healthz", method="HEAD")
    assert status == 200 and body == b""


# --------------------------------------------------------------------------- parts, in-process


def test_metric_label_values_are_escaped_and_parse():
    out = Exposition()
    nasty = 'a "quoted"\\path\nnext line'
    out.family("things_total", "counter", "Help with a \\ backslash\nand a newline.", [("", {"source": nasty}, 3)])
    out.family("seconds", "histogram", "A histogram.",
               [("_bucket", {"le": "1"}, 1), ("_bucket", {"le": "+Inf"}, 2), ("_sum", {}, 1.5), ("_count", {}, 2)])
    fams = metric_families(out.text())
    assert fams["nhs_monitor_things"].samples[0].labels == {"source": nasty}
    assert fams["nhs_monitor_things"].documentation == "Help with a \\ backslash\nand a newline."
    assert fams["nhs_monitor_seconds"].type == "histogram"


def test_atom_escapes_document_text_and_drops_unsafe_links():
    alert = {"id": 7, "source": "s<1>", "source_kind": "page", "event": "page_changed",
             "categories": ["service_change", "unconsulted"], "title": "Ward <b>closes</b> & moves \x0b now",
             "url": "javascript:alert(1)", "area": "a&b",
             "evidence": [{"category": "service_change", "text": "Beds \x00move <script>x</script> & go", "page": 3,
                           "terms": ["move"]}],
             "created_at": "2026-11-24T19:00:00Z", "deliveries": []}
    feed = feedparser.parse(atom_feed([alert], self_url='http://h/alerts.atom?"x"', fallback_updated=0))
    assert feed.bozo == 0, feed.get("bozo_exception")
    [entry] = feed.entries
    assert entry.title == headline({**alert, "title": alert["title"].replace("\x0b", "")})
    assert "javascript" not in json.dumps(entry.get("links", []))
    assert "Beds move <script>x</script> & go" in entry.content[0].value and "(page 3)" in entry.summary
    empty = feedparser.parse(atom_feed([], self_url="http://h/alerts.atom", fallback_updated=1_700_000_000))
    assert empty.bozo == 0 and empty.entries == [] and empty.feed.updated == "2023-11-14T22:13:20Z"


def test_tick_env_is_validated(monkeypatch):
    assert tick_seconds({}) == 5.0
    assert tick_seconds({"NHS_MONITOR_TICK": "0.5"}) == 0.5
    assert tick_seconds({"NHS_MONITOR_TICK": "fast"}) == 5.0
    assert tick_seconds({"NHS_MONITOR_TICK": "0"}) == 5.0


async def test_healthz_503_when_the_scheduler_is_stopped_or_the_store_is_down(tmp_path):
    dead_db = f"postgresql+psycopg://monitor:pw-s3cret@127.0.0.1:{free_port()}/monitor"
    cfg = load_config(write_config(tmp_path / "m.yaml", f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/m.db
        status: {{listen: "127.0.0.1:0"}}
        """))
    daemon = Daemon(cfg, str(tmp_path / "m.yaml"))
    daemon.store = Store.open(cfg)
    daemon.monitor = Monitor(cfg, daemon.store)
    server = StatusServer(daemon)
    await server.start("127.0.0.1", 0)
    try:
        code, _, body = await _aget(server.port, "/healthz")
        assert code == 503 and "scheduler is not running" in json.loads(body)["reason"]
        daemon.scheduler = AsyncIOScheduler()
        daemon.scheduler.start(paused=True)
        assert (await _aget(server.port, "/healthz"))[0] == 200
        daemon.monitor = None
        daemon.store = Store(dead_db)                       # never answers: nothing listens on that port
        code, _, body = await _aget(server.port, "/healthz")
        reason = json.loads(body)["reason"]
        assert code == 503 and "does not answer" in reason and "pw-s3cret" not in reason
        code, _, body = await _aget(server.port, "/metrics")
        fams = metric_families(body.decode())                 # process metrics still served
        assert code == 200 and sample(fams, "nhs_monitor_store_up", "nhs_monitor_store_up") == 0
        assert (await _aget(server.port, "/alerts.json"))[0] == 503
    finally:
        daemon.scheduler and daemon.scheduler.shutdown(wait=False)
        await server.stop()


async def test_oversized_or_malformed_requests_are_refused(tmp_path):
    cfg = load_config(write_config(tmp_path / "m.yaml", f"version: 1\ndatabase_url: sqlite:///{tmp_path}/m.db\n"))
    daemon = Daemon(cfg, str(tmp_path / "m.yaml"))
    server = StatusServer(daemon)
    await server.start("127.0.0.1", 0)
    try:
        assert (await _raw(server.port, b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 10000 + b"\r\n\r\n")).startswith(
            b"HTTP/1.1 431")
        assert (await _raw(server.port, b"NONSENSE\r\n\r\n")).startswith(b"HTTP/1.1 400")
        assert (await _raw(server.port, b"DELETE /alerts.json HTTP/1.1\r\n\r\n")).startswith(b"HTTP/1.1 405")
    finally:
        await server.stop()


def test_probe_without_status_checks_the_store(tmp_path):
    good = load_config(write_config(tmp_path / "a.yaml", f"version: 1\ndatabase_url: sqlite:///{tmp_path}/a.db\n"))
    assert probe(good) == (True, "store ok")
    bad_url = f"postgresql+psycopg://monitor:pw-s3cret@127.0.0.1:{free_port()}/monitor"
    bad = load_config(write_config(tmp_path / "b.yaml", f"version: 1\ndatabase_url: {bad_url}\n"))
    ok, detail = probe(bad)
    assert not ok and "does not answer" in detail and "pw-s3cret" not in detail


async def _raw(port: int, request: bytes) -> bytes:
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return data


async def _aget(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    raw = await _raw(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert int(headers["content-length"]) == len(body)
    return int(lines[0].split()[1]), headers, body


@pytest.mark.slow
def test_daemon_exits_1_with_a_clear_message_when_the_status_port_is_taken(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        cfg = write_config(tmp_path / "monitor.yaml", f"""\
            version: 1
            database_url: sqlite:///{tmp_path}/monitor.db
            status: {{listen: "127.0.0.1:{port}"}}
            """)
        daemon = DaemonProcess(cfg, tmp_path)
        try:
            code = daemon.proc.wait(15)
        finally:
            daemon.kill()
    assert code == 1
    assert any(f"cannot listen on 127.0.0.1:{port} (status.listen)" in m for m in daemon.messages()), daemon.messages()
