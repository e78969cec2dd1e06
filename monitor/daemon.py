"""``nhs-monitor run``: the long-running daemon.

APScheduler (3.x, AsyncIOScheduler) only times this worker's own loop: a tick that leases due
sources (each source's interval and jitter live in its ``next_due``), an outbox drain, and an
hourly maintenance job. SIGTERM/SIGINT stop it within 10 s; SIGHUP reloads the config (a bad
new config is rejected with its errors and the old one keeps running).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.app import Monitor, Store
from monitor.config import Config, load_config
from monitor.errors import ConfigError, StoreError

log = logging.getLogger("monitor.daemon")
TICK_SECONDS = 5.0
DELIVER_SECONDS = 30.0
STOP_GRACE = 7.0


@dataclass
class Counters:
    """Shared by /healthz, /metrics and the final log line."""

    started: float = field(default_factory=time.time)
    checks: dict[str, int] = field(default_factory=dict)
    check_durations: list[float] = field(default_factory=list)
    alerts: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    send_failures: int = 0
    last_success: dict[str, float] = field(default_factory=dict)
    last_tick: float = 0.0

    def record(self, report: Any) -> None:
        self.checks[report.outcome] = self.checks.get(report.outcome, 0) + 1
        self.check_durations.append(report.duration_ms / 1000)
        del self.check_durations[:-5000]
        if report.outcome != "error":
            self.last_success[report.source_id] = time.time()
        for d in report.drafts if report.alert_ids else []:
            for c in d.categories or ["uncategorised"]:
                self.alerts[c] = self.alerts.get(c, 0) + 1


class Daemon:
    def __init__(self, config: Config, config_path: str) -> None:
        self.config = config
        self.config_path = config_path
        self.counters = Counters()
        self.stop_event = asyncio.Event()
        self.reload_event = asyncio.Event()
        self.inflight: set[asyncio.Task[Any]] = set()
        self.monitor: Monitor | None = None
        self.store: Store | None = None
        self.scheduler: AsyncIOScheduler | None = None

    @property
    def running(self) -> bool:
        return bool(self.scheduler and self.scheduler.running) and not self.stop_event.is_set()

    async def serve(self) -> int:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop_event.set)
        loop.add_signal_handler(signal.SIGINT, self.stop_event.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload_event.set)
        log.info("nhs-service-monitor starting: %d sources, %d subscriptions", len(self.config.sources),
                 len(self.config.subscriptions))
        while True:
            self.store = Store.open(self.config)
            try:
                reload = await self._serve_config()
            finally:
                self.store.close()
            if not reload:
                break
        log.info("stopped cleanly: checks %s, alerts %s, sent %d", self.counters.checks or "{}",
                 self.counters.alerts or "{}", self.counters.sent)
        return 0

    async def _serve_config(self) -> bool:
        """Run with the current config until stopped (False) or reloaded (True)."""
        assert self.store is not None
        status_server = None
        async with Monitor(self.config, self.store) as monitor:
            self.monitor = monitor
            self.scheduler = self._schedule()
            self.scheduler.start()
            if self.config.status is not None:
                from monitor.web.status import start_status_server

                status_server = await start_status_server(self)
            try:
                reload = await self._wait()
            finally:
                self.scheduler.shutdown(wait=False)
                await self._drain()
                if status_server is not None:
                    await status_server.stop()
        return reload

    def _schedule(self) -> AsyncIOScheduler:
        sched = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        sched.add_job(self.tick, "interval", seconds=TICK_SECONDS, next_run_time=now, max_instances=1,
                      coalesce=True, id="tick")
        sched.add_job(self.deliver, "interval", seconds=DELIVER_SECONDS, next_run_time=now + timedelta(seconds=2),
                      max_instances=1, coalesce=True, id="deliver")
        sched.add_job(self.maintain, "interval", hours=1, next_run_time=now + timedelta(minutes=1),
                      max_instances=1, coalesce=True, id="maintain")
        return sched

    async def _wait(self) -> bool:
        while True:
            stop = asyncio.create_task(self.stop_event.wait())
            reload = asyncio.create_task(self.reload_event.wait())
            done, pending = await asyncio.wait({stop, reload}, return_when=asyncio.FIRST_COMPLETED)
            for t in pending:
                t.cancel()
            if self.stop_event.is_set():
                log.info("stop signal received: finishing in-flight checks (at most %.0fs)", STOP_GRACE)
                return False
            self.reload_event.clear()
            if self._reload():
                return True

    def _reload(self) -> bool:
        try:
            new = load_config(self.config_path)
        except ConfigError as e:
            log.error("SIGHUP: the new config has errors; keeping the running one:\n%s", "\n".join(e.problems))
            return False
        self.config = new
        log.info("SIGHUP: config reloaded: %d sources", len(new.sources))
        return True

    async def tick(self) -> None:
        """Lease due sources and check each in its own task (bounded)."""
        if self.monitor is None or self.stop_event.is_set():
            return
        self.counters.last_tick = time.time()
        room = max(0, self.config.http.concurrency * 4 - len(self.inflight))
        if not room:
            return
        try:
            claimed = self.monitor.store.repo.claim_due(self.monitor.enabled(), self.monitor.worker,
                                                        datetime.now(UTC), 900.0, room)
        except Exception as e:
            log.error("could not read due sources from the store: %s", e)
            return
        for sid in claimed:
            task = asyncio.create_task(self._check(sid))
            self.inflight.add(task)
            task.add_done_callback(self.inflight.discard)

    async def _check(self, source_id: str) -> None:
        assert self.monitor is not None
        report = await self.monitor._check_one(source_id)
        self.counters.record(report)
        if report.alert_ids:
            await self.deliver()

    async def deliver(self) -> None:
        if self.monitor is None:
            return
        try:
            summary = await self.monitor.deliver()
        except StoreError as e:
            log.error("delivery pass failed: %s", e)
            return
        self.counters.sent += summary.sent
        self.counters.send_failures += summary.retrying + summary.failed

    async def maintain(self) -> None:
        if self.monitor is None:
            return
        keep = timedelta(days=365)
        pruned = self.monitor.store.repo.prune_revisions(datetime.now(UTC) - keep)
        if pruned:
            log.info("pruned %d old document revisions", pruned)

    async def _drain(self) -> None:
        if not self.inflight:
            return
        done, pending = await asyncio.wait(set(self.inflight), timeout=STOP_GRACE)
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
            log.warning("abandoned %d in-flight checks (their sources are checked again next time)", len(pending))


def run_daemon(config: Config, config_path: str) -> int:
    try:
        return asyncio.run(Daemon(config, config_path).serve())
    except StoreError as e:
        log.error("%s", e)
        return 1
