"""Signals to a real daemon subprocess: SIGTERM/SIGINT stop cleanly within 10 s, SIGHUP reloads the config.

Slow by nature (each test starts ``python -m monitor run``); the tick is shortened with NHS_MONITOR_TICK.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.peers import free_port
from tests.test_status import DaemonProcess, atom_with, http_get, wait_until, write_config

pytestmark = pytest.mark.slow


class SlowFeed:
    """A feed route that holds every request until released (or 30 s), and says when one arrives."""

    def __init__(self, site, path: str = "/slow.xml") -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.body = atom_with()
        site.set_dynamic(path, self._serve)

    def _serve(self, query, headers):
        self.entered.set()
        self.release.wait(30)
        return 200, "application/atom+xml", self.body


def _config(tmp_path: Path, site, *, status_port: int | None = None, extra_sources: str = "") -> Path:
    status = f'status: {{listen: "127.0.0.1:{status_port}"}}' if status_port else ""
    return write_config(tmp_path / "monitor.yaml", f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/monitor.db
        http: {{user_agent: "signals-test/1.0", timeout: 60s, per_host_delay: 0s}}
        defaults: {{interval: 1s, jitter: 0%}}
        {status}
        sources:
          - {{id: news, kind: feed, url: "{site.url('/news.xml')}"}}
        {extra_sources}
        """)


def _status_rows(cfg: Path) -> dict[str, dict]:
    r = CliRunner().invoke(main, ["--config", str(cfg), "status", "--json"])
    assert r.exit_code == 0, r.output
    return {row["id"]: row for row in json.loads(r.stdout)}


def test_sigterm_with_a_check_in_flight_exits_0_within_10s_and_leaves_the_store_consistent(site, tmp_path):
    site.set("/news.xml", "application/atom+xml", atom_with())
    slow = SlowFeed(site)
    cfg = _config(tmp_path, site, extra_sources=f'  - {{id: slow, kind: feed, url: "{site.url("/slow.xml")}"}}')
    daemon = DaemonProcess(cfg, tmp_path)
    try:
        assert slow.entered.wait(15), "the slow check never started:\n" + "\n".join(daemon.messages())
        daemon.wait_log("checked news: baseline")
        code, took = daemon.stop()
    finally:
        slow.release.set()
        daemon.kill()
    messages = daemon.messages()
    assert code == 0, "\n".join(messages)
    assert took < 10, took
    assert any("check of slow abandoned" in m for m in messages), messages
    assert messages[-1].startswith("stopped cleanly") and "abandoned checks 1" in messages[-1]
    assert not any(r.get("level") in ("error", "critical") for r in daemon.logs()), messages

    db = sqlite3.connect(tmp_path / "monitor.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    rows = _status_rows(cfg)
    assert rows["slow"]["last_checked"] is None                  # the abandoned check wrote nothing
    assert rows["news"]["last_checked"] is not None

    slow.body = atom_with()                                      # the server is fast again
    r = CliRunner().invoke(main, ["--config", str(cfg), "run", "--once"])
    assert r.exit_code == 0, r.output
    rows = _status_rows(cfg)                                     # its lease was released: checked at once
    assert rows["slow"]["last_checked"] is not None and rows["slow"]["last_error"] is None


def test_a_second_sigterm_abandons_in_flight_checks_at_once(site, tmp_path):
    site.set("/news.xml", "application/atom+xml", atom_with())
    slow = SlowFeed(site)
    cfg = _config(tmp_path, site, extra_sources=f'  - {{id: slow, kind: feed, url: "{site.url("/slow.xml")}"}}')
    daemon = DaemonProcess(cfg, tmp_path)
    try:
        assert slow.entered.wait(15), "the slow check never started:\n" + "\n".join(daemon.messages())
        t0 = time.monotonic()
        daemon.send(signal.SIGTERM)
        daemon.wait_log("SIGTERM received")
        daemon.send(signal.SIGTERM)
        code = daemon.proc.wait(10)
        took = time.monotonic() - t0
    finally:
        slow.release.set()
        daemon.kill()
    assert code == 0 and took < 4, (code, took, daemon.messages())
    assert any("SIGTERM again" in m for m in daemon.messages())


def test_sighup_with_a_broken_config_keeps_the_old_one_running(site, tmp_path):
    site.set("/news.xml", "application/atom+xml", atom_with())
    port = free_port()
    cfg = _config(tmp_path, site, status_port=port)
    good = cfg.read_text()
    base = f"http://127.0.0.1:{port}"
    daemon = DaemonProcess(cfg, tmp_path)
    try:
        wait_until(lambda: http_get(base + "/healthz")[0] == 200, 15, "/healthz 200")
        daemon.wait_log("checked news: baseline")
        cfg.write_text(good.replace("defaults: {interval: 1s", "defaults: {intervall: 1s")
                       + "  - {id: Bad Id, kind: feed}\n")
        daemon.send(signal.SIGHUP)
        error = daemon.wait_log("the new config has errors")
        assert f"{cfg}:" in error and "intervall: unknown key" in error and "sources.1" in error, error
        assert http_get(base + "/healthz")[0] == 200
        checks_before = sum(1 for m in daemon.messages() if m.startswith("checked news"))
        wait_until(lambda: sum(1 for m in daemon.messages() if m.startswith("checked news")) > checks_before + 1,
                   10, "the old config to keep checking")
        assert daemon.proc.poll() is None
        t0 = time.monotonic()
        daemon.send(signal.SIGINT)
        code = daemon.proc.wait(10)
    finally:
        daemon.kill()
    assert code == 0 and time.monotonic() - t0 < 10
    assert daemon.messages()[-1].startswith("stopped cleanly")


def test_sighup_with_a_good_config_checks_the_new_source(site, tmp_path):
    site.set("/news.xml", "application/atom+xml", atom_with())
    site.set("/more.xml", "application/atom+xml", atom_with())
    port = free_port()
    cfg = _config(tmp_path, site, status_port=port)
    base = f"http://127.0.0.1:{port}"
    daemon = DaemonProcess(cfg, tmp_path)
    try:
        wait_until(lambda: http_get(base + "/healthz")[0] == 200, 15, "/healthz 200")
        daemon.wait_log("checked news: baseline")
        assert not site.hits_for("/more.xml")
        _config(tmp_path, site, status_port=port,
                extra_sources=f'  - {{id: more, kind: feed, url: "{site.url("/more.xml")}"}}')
        daemon.send(signal.SIGHUP)
        daemon.wait_log("SIGHUP: config reloaded: 2 sources")
        daemon.wait_log("checked more: baseline")
        assert site.hits_for("/more.xml")
        wait_until(lambda: http_get(base + "/healthz")[0] == 200, 10, "/healthz 200 after the reload")
        health = json.loads(http_get(base + "/healthz")[2])
        assert health["sources"] == 2
        code, took = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0 and took < 10
