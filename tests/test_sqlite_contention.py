"""SQLite under contention: the daemon writing while `status`, `alerts` and a second `run --once` run.

Every command here is a real `python -m monitor` process on one SQLite file (WAL, busy timeout). Readers
never wait for the writer; a writer waits up to the busy timeout (env NHS_MONITOR_SQLITE_BUSY shortens it
here) and past it the command prints one line, no traceback, and exits 1.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.test_status import DaemonProcess

ROOT = Path(__file__).resolve().parent.parent
FEED = (Path(__file__).parent / "data" / "feeds" / "trust-news.rss.xml").read_text()

pytestmark = pytest.mark.slow


def cli(cfg: Path, *args: str, busy: float | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "NHS_MONITOR_CONFIG", "NHS_MONITOR_SQLITE_BUSY")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    if busy is not None:
        env["NHS_MONITOR_SQLITE_BUSY"] = str(busy)
    return subprocess.run([sys.executable, "-m", "monitor", "--config", str(cfg), *args], capture_output=True,
                          text=True, env=env, cwd=cfg.parent, timeout=timeout)


def assert_clean(result: subprocess.CompletedProcess[str], code: int = 0) -> None:
    assert result.returncode == code, (result.args, result.returncode, result.stdout[-2000:], result.stderr[-4000:])
    assert "Traceback" not in result.stderr, result.stderr


def write_config(tmp_path: Path, sources: str) -> Path:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/monitor.db
        http: {{timeout: 5s, per_host_delay: 0s, per_host_concurrency: 16}}
        defaults: {{interval: 1s, jitter: 0%}}
        sources:
        """) + sources)
    return cfg


class GrowingFeed:
    """A feed that gains an entry on every request: each check writes items and an alert."""

    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()

    def __call__(self, query: object, headers: object) -> tuple[int, str, str]:
        with self.lock:
            self.n += 1
            items = "".join(f"<item><title>Ward {i} to close</title><guid>ward-{i}</guid><description>The ward "
                            f"{i} will close.</description></item>" for i in range(self.n))
        return 200, "application/rss+xml", FEED.replace("</channel>", items + "</channel>")


def test_status_alerts_and_a_second_run_succeed_while_the_daemon_writes(site, tmp_path):
    feeds = 40
    for i in range(feeds):
        site.set(f"/f{i}.xml", "application/rss+xml", FEED.replace("Northshire", f"Northshire {i}"), etag=False)
    site.set_dynamic("/growing.xml", GrowingFeed())
    sources = "".join(f'  - {{id: feed-{i}, kind: feed, url: "{site.url(f"/f{i}.xml")}"}}\n' for i in range(feeds))
    sources += f'  - {{id: growing, kind: feed, url: "{site.url("/growing.xml")}", alert_on: any}}\n'
    cfg = write_config(tmp_path, sources)
    daemon = DaemonProcess(cfg, tmp_path, tick=0.2)
    try:
        daemon.wait_log("checked growing", timeout=20)
        commands = [("status", "--json"), ("alerts", "--json", "--limit", "500"), ("run", "--once")] * 3
        with ThreadPoolExecutor(max_workers=len(commands)) as pool:
            results = list(pool.map(lambda args: cli(cfg, *args), commands))
        for result in results:
            assert_clean(result)
        assert daemon.proc.poll() is None, "the daemon died:\n" + "\n".join(daemon.messages()[-20:])
        checks_before = sum("checked growing" in m for m in daemon.messages())
        time.sleep(1.5)
        assert sum("checked growing" in m for m in daemon.messages()) > checks_before, "the daemon stopped checking"
        code, _ = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0, "\n".join(daemon.messages()[-20:])
    problems = [r for r in daemon.logs() if r.get("level") in ("error", "critical", "raw")
                or "locked" in str(r.get("message"))]
    assert not problems, problems[:5]
    db = sqlite3.connect(tmp_path / "monitor.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT count(*) FROM alerts WHERE source_id = 'growing'").fetchone()[0] > 0


def _held_write_lock(db: Path) -> sqlite3.Connection:
    """Another process's long write transaction: BEGIN IMMEDIATE takes SQLite's write lock and keeps it."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=5, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE sources SET area = area")
    return conn


def test_a_write_lock_held_past_the_busy_timeout_is_one_clear_line_and_exit_1(site, tmp_path):
    site.set("/news.xml", "application/rss+xml", FEED)
    cfg = write_config(tmp_path, f'  - {{id: news, kind: feed, url: "{site.url("/news.xml")}"}}\n')
    assert_clean(cli(cfg, "run", "--once"))
    holder = _held_write_lock(tmp_path / "monitor.db")
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=3) as pool:
            status, alerts, locked = pool.map(lambda args: cli(cfg, *args, busy=0.3),
                                              [("status", "--json"), ("alerts", "--json"), ("run", "--once")])
        assert time.monotonic() - started < 15
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_clean(status)  # WAL: readers do not wait for the writer
    assert_clean(alerts)
    assert_clean(locked, code=1)
    assert locked.stderr.strip().splitlines() == [
        "error: the SQLite store stayed locked for more than 0.3s (another process is writing); try again, "
        "or move to PostgreSQL for several workers"], locked.stderr
    assert_clean(cli(cfg, "run", "--once", busy=0.3))  # the lock is gone: the next run works


def test_a_write_lock_shorter_than_the_busy_timeout_is_waited_out(site, tmp_path):
    site.set("/news.xml", "application/rss+xml", FEED)
    cfg = write_config(tmp_path, f'  - {{id: news, kind: feed, url: "{site.url("/news.xml")}"}}\n')
    assert_clean(cli(cfg, "run", "--once"))
    holder = _held_write_lock(tmp_path / "monitor.db")
    release = threading.Timer(2.0, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        started = time.monotonic()
        result = cli(cfg, "run", "--once", busy=20)
        took = time.monotonic() - started
    finally:
        release.join()
        holder.close()
    assert_clean(result)
    assert took >= 1.5, f"run --once finished in {took:.1f}s: it did not have to wait for the lock"
