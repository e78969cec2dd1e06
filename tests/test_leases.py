"""A check that outlasts its source's lease keeps the lease (monitor.leases.LeaseKeeper): no other worker, and
not this daemon's own next tick, starts a second check of the same source while the first runs.

The slow source is a real HTTP route on the loopback test server that holds its answer; leases are shortened
to 1 s with NHS_MONITOR_LEASE (as the daemon reads it)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner

from monitor.app import Monitor, Store
from monitor.cli import main
from monitor.config import load_config
from monitor.leases import LeaseKeeper
from monitor.store.db import make_engine, session_factory
from monitor.store.migrate import upgrade
from monitor.store.models import SourceRow
from monitor.store.repo import Repo, now_utc
from tests.test_status import DaemonProcess, atom_with, write_config


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _repo(url: str) -> Repo:
    engine = make_engine(url)
    upgrade(engine)
    repo = Repo(session_factory(engine))
    repo.sync_sources([("a", "feed", None), ("b", "feed", None)], now_utc())
    return repo


def _lease_until(repo: Repo, sid: str):
    with repo.sessions() as s:
        return s.get(SourceRow, sid).lease_until


def _keeper_renews_only_running_checks_it_still_holds(repo: Repo, caplog) -> None:
    clock = Clock()
    keeper = LeaseKeeper(repo, "me", 60, clock=clock)
    assert repo.claim_due(["a", "b"], "me", now_utc(), 60, 10, force=True) == ["a", "b"]
    first = _lease_until(repo, "a")
    with keeper.holding("a"), keeper.holding("b"):
        assert "a" in keeper and len(keeper) == 2
        clock.now += 19  # under a third of the lease: nothing to do, no write
        assert keeper.renew_due() == 0 and _lease_until(repo, "a") == first
        clock.now += 1
        time.sleep(0.01)
        with repo.sessions.begin() as s:  # b's lease lapsed and another worker took it
            s.get(SourceRow, "b").lease_owner = "other"
        with caplog.at_level(logging.WARNING, logger="monitor"):
            assert keeper.renew_due() == 1
        assert _lease_until(repo, "a") > first
        assert "1 of 2 running checks had lost their source's lease" in caplog.text
        with repo.sessions() as s:
            assert s.get(SourceRow, "b").lease_owner == "other"  # not taken back
        assert keeper.renew_due() == 0  # renewed just now
    assert "a" not in keeper and len(keeper) == 0
    clock.now += 60
    assert keeper.renew_due() == 0  # finished checks are not renewed


def test_keeper_renews_only_running_checks_it_still_holds_sqlite(sqlite_url, caplog):
    _keeper_renews_only_running_checks_it_still_holds(_repo(sqlite_url), caplog)


def test_keeper_renews_only_running_checks_it_still_holds_postgres(postgres_url, caplog):
    _keeper_renews_only_running_checks_it_still_holds(_repo(postgres_url), caplog)


def test_a_store_that_does_not_answer_is_reported_not_raised(tmp_path, caplog):
    repo = Repo(session_factory(make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")))
    clock = Clock()
    keeper = LeaseKeeper(repo, "me", 3, clock=clock)
    with keeper.holding("a"):
        clock.now += 1
        with caplog.at_level(logging.WARNING, logger="monitor"):
            assert keeper.renew_due() == 0
    assert "could not renew the leases of 1 running checks" in caplog.text


class HeldFeed:
    """A feed route that counts its requests and holds each until released (or 30 s)."""

    def __init__(self, site, path: str = "/slow.xml") -> None:
        self.hits = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        site.set_dynamic(path, self._serve)

    def _serve(self, query, headers):
        self.hits += 1
        self.entered.set()
        self.release.wait(30)
        return 200, "application/atom+xml", atom_with()


def _config(tmp_path, site):
    return write_config(tmp_path / "monitor.yaml", f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/monitor.db
        http: {{user_agent: "leases-test/1.0", timeout: 60s, per_host_delay: 0s}}
        defaults: {{interval: 1s, jitter: 0%}}
        sources:
          - {{id: slow, kind: feed, url: "{site.url('/slow.xml')}"}}
        """)


def test_run_once_keeps_the_lease_of_a_check_longer_than_the_lease(site, tmp_path, monkeypatch):
    monkeypatch.setenv("NHS_MONITOR_LEASE", "1")
    held = HeldFeed(site)
    config = load_config(_config(tmp_path, site))
    store = Store.open(config)
    other = Repo(session_factory(make_engine(config.database_url)))  # another worker on the same store

    async def scenario():
        async with Monitor(config, store) as monitor:
            check = asyncio.create_task(monitor.run_once())
            while not held.entered.is_set():
                await asyncio.sleep(0.05)
            await asyncio.sleep(2.5)  # two and a half leases
            taken = other.claim_due(["slow"], "other", now_utc(), 60, 10, force=True)
            lease_left = _lease_until(other, "slow") - now_utc()
            held.release.set()
            summary = await check
            return taken, lease_left, summary

    try:
        taken, lease_left, summary = asyncio.run(scenario())
    finally:
        held.release.set()
        store.close()
    assert taken == []
    assert timedelta(0) < lease_left <= timedelta(seconds=1)
    assert [r.outcome for r in summary.reports] == ["baseline"]
    assert held.hits == 1
    assert _lease_until(other, "slow") is None  # given back when the check was recorded


@pytest.mark.slow
def test_the_daemon_checks_a_source_once_while_its_check_outlasts_the_lease(site, tmp_path):
    held = HeldFeed(site)
    cfg = _config(tmp_path, site)
    daemon = DaemonProcess(cfg, tmp_path, tick=0.2, env={"NHS_MONITOR_LEASE": "1"})
    try:
        assert held.entered.wait(15), "the slow check never started:\n" + "\n".join(daemon.messages())
        time.sleep(3)  # three leases, fifteen ticks
        hits_while_held = held.hits
        other = _repo_of(tmp_path)
        taken = other.claim_due(["slow"], "other", now_utc(), 60, 10, force=True)
        held.release.set()
        daemon.wait_log("checked slow: baseline")
        code, _ = daemon.stop()
    finally:
        held.release.set()
        daemon.kill()
    assert hits_while_held == 1, daemon.messages()
    assert taken == []
    assert code == 0
    assert not any("lost their source's lease" in m for m in daemon.messages())


def test_run_once_and_check_say_which_sources_another_worker_holds(site, tmp_path):
    site.set("/news.xml", "application/atom+xml", atom_with())
    held = HeldFeed(site)
    held.release.set()  # answers at once, if anyone asks
    cfg = write_config(tmp_path / "monitor.yaml", f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/monitor.db
        http: {{user_agent: "leases-test/1.0", timeout: 60s, per_host_delay: 0s}}
        sources:
          - {{id: news, kind: feed, url: "{site.url('/news.xml')}"}}
          - {{id: slow, kind: feed, url: "{site.url('/slow.xml')}"}}
        """)
    assert CliRunner().invoke(main, ["--config", str(cfg), "db", "upgrade"]).exit_code == 0
    other = _repo_of(tmp_path)
    other.sync_sources([("news", "feed", None), ("slow", "feed", None)], now_utc())
    assert other.claim_due(["slow"], "otherhost:4242", now_utc(), 600, 10, force=True) == ["slow"]

    r = CliRunner().invoke(main, ["--config", str(cfg), "--log-level", "WARNING", "run", "--once"])
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == [
        f"source slow skipped: worker otherhost:4242 holds its lease until {_lease_until(other, 'slow'):%Y-%m-%d %H:%M:%S}"
        " UTC (it is checking the source, or it stopped without giving the lease back); try again after that"]
    assert held.hits == 0

    r = CliRunner().invoke(main, ["--config", str(cfg), "--log-level", "WARNING", "check", "slow", "news"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("news: ")
    assert r.stderr.startswith("source slow skipped: worker otherhost:4242 holds its lease until ")
    assert held.hits == 0

    other.release("slow", "otherhost:4242")
    r = CliRunner().invoke(main, ["--config", str(cfg), "--log-level", "WARNING", "run", "--once"])
    assert r.exit_code == 0 and r.stderr == "", r.output
    assert held.hits == 1


def _repo_of(tmp_path) -> Repo:
    return Repo(session_factory(make_engine(f"sqlite:///{tmp_path}/monitor.db")))
