"""``nhs-monitor run``: the long-running daemon.

APScheduler (3.x, AsyncIOScheduler) only times this worker's own loop: a tick that leases due
sources (each source's interval and jitter live in its ``next_due``), an outbox drain, and an
hourly maintenance job. Every piece of work runs as a tracked task, so shutdown can wait for it.

SIGTERM/SIGINT stop scheduling at once, give in-flight checks and the delivery pass up to
``STOP_GRACE`` seconds to finish, then cancel what is left (a cancelled check releases its lease
and writes nothing: every store write is one transaction), and exit 0 with a one-line summary,
within 10 s in all. A second signal cancels at once. SIGHUP reloads the config: a bad new config
(or one whose store does not answer) is rejected with its errors logged and the old one keeps running.

The tick is 5 s; env ``NHS_MONITOR_TICK`` (seconds, 0.1 to 60) changes it for tests and demos.
"""

from __future__ import annotations

import asyncio
import logging
import math
import signal
import time
from bisect import bisect_left
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor import gcpolicy
from monitor.app import Monitor, Store, lease_seconds
from monitor.config import Config, load_config
from monitor.errors import ConfigError, MonitorError, StoreError
from monitor.logs import RedactingFilter
from monitor.tuning import env_seconds

log = logging.getLogger("monitor.daemon")
TICK_ENV = "NHS_MONITOR_TICK"
DEFAULT_TICK = 5.0
DELIVER_SECONDS = 30.0
STOP_GRACE = 6.0      # seconds in-flight work may take to finish after a stop signal (10 s budget in all)
CANCEL_GRACE = 1.5    # seconds cancelled work may take to unwind
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def tick_seconds(environ: Mapping[str, str] | None = None) -> float:
    """The scheduler tick: env ``NHS_MONITOR_TICK`` (seconds, 0.1 to 60) if set and valid, else 5 s."""
    return env_seconds(TICK_ENV, DEFAULT_TICK, 0.1, 60, environ)


@dataclass
class Histogram:
    """A Prometheus-style histogram: counts per upper bound (``le``), a sum and a count."""

    bounds: tuple[float, ...] = DURATION_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * len(DURATION_BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> None:
        self.total += value
        self.count += 1
        i = bisect_left(self.bounds, value)
        if i < len(self.counts):
            self.counts[i] += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """(le, observations <= le) for every bound, then (+Inf, count)."""
        out, running = [], 0
        for le, n in zip(self.bounds, self.counts, strict=True):
            running += n
            out.append((le, running))
        return [*out, (math.inf, self.count)]


@dataclass
class Counters:
    """This process's counters, shared by /healthz, /metrics and the final log line."""

    started: float = field(default_factory=time.time)
    checks: dict[str, int] = field(default_factory=dict)
    durations: Histogram = field(default_factory=Histogram)
    alerts: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    send_failures: int = 0
    abandoned: int = 0
    last_success: dict[str, float] = field(default_factory=dict)
    last_tick: float = 0.0

    def record(self, report: Any) -> None:
        """Count one finished check (a CheckReport)."""
        self.checks[report.outcome] = self.checks.get(report.outcome, 0) + 1
        self.durations.observe(report.duration_ms / 1000)
        if report.outcome != "error":
            self.last_success[report.source_id] = time.time()

    def record_alerts(self, categories: Iterable[Sequence[str]]) -> None:
        """Count created alerts by category (one alert per item of ``categories``)."""
        for cats in categories:
            for c in cats or ["uncategorised"]:
                self.alerts[c] = self.alerts.get(c, 0) + 1

    def summary(self) -> str:
        def fmt(d: dict[str, int]) -> str:
            return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(d.items())) + "}"

        up = int(time.time() - self.started)
        return (f"stopped cleanly after {up // 3600}h{up % 3600 // 60:02d}m{up % 60:02d}s: checks {fmt(self.checks)}, "
                f"alerts {fmt(self.alerts)}, sent {self.sent}, send failures {self.send_failures}, "
                f"abandoned checks {self.abandoned}")


def _extend_log_redaction(secrets: Iterable[str]) -> None:
    """Secrets of a reloaded config are scrubbed from logs too."""
    wanted = list(secrets)
    for handler in logging.getLogger().handlers:
        for flt in handler.filters:
            if isinstance(flt, RedactingFilter):
                flt.redact.extend(wanted)


class Daemon:
    """One worker process. ``await serve()`` returns 0 after a clean stop."""

    def __init__(self, config: Config, config_path: str, *, tick: float | None = None) -> None:
        self.config = config
        self.config_path = config_path
        self.tick_seconds = tick if tick is not None else tick_seconds()
        self.counters = Counters()
        self.stop_event = asyncio.Event()
        self.reload_event = asyncio.Event()
        self.inflight: set[asyncio.Task[Any]] = set()      # checks
        self.background: set[asyncio.Task[Any]] = set()    # delivery and maintenance passes
        self.monitor: Monitor | None = None
        self.store: Store | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self._next_store: Store | None = None
        self._delivering: asyncio.Task[Any] | None = None
        self._deliver_wanted = False
        self._stop_at: float | None = None

    @property
    def running(self) -> bool:
        return bool(self.scheduler and self.scheduler.running) and not self.stop_event.is_set()

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._on_stop, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self._on_stop, "SIGINT")
        loop.add_signal_handler(signal.SIGHUP, self.reload_event.set)

    def _on_stop(self, name: str) -> None:
        if self.stop_event.is_set():
            log.warning("%s again: abandoning %d in-flight checks now", name, len(self.inflight))
            for t in self.inflight | self.background:
                t.cancel()
            return
        log.info("%s received: no new checks; finishing in-flight ones (at most %.0fs)", name, STOP_GRACE)
        self._stop_at = time.monotonic()
        self.stop_event.set()

    async def serve(self) -> int:
        self._install_signals()
        log.info("nhs-service-monitor starting: %d sources, %d subscriptions, tick %gs", len(self.config.sources),
                 len(self.config.subscriptions), self.tick_seconds)
        self.store = Store.open(self.config)
        try:
            while await self._serve_config():
                if self._next_store is not None:
                    self.store.close()
                    self.store, self._next_store = self._next_store, None
                if self.stop_event.is_set():  # stopped while reloading
                    break
        finally:
            self.store.close()
            if self._next_store is not None:
                self._next_store.close()
        log.info("%s", self.counters.summary())
        return 0

    async def _serve_config(self) -> bool:
        """Run with the current config until stopped (False) or reloaded (True)."""
        assert self.store is not None
        status_server = None
        async with Monitor(self.config, self.store) as monitor:
            self.monitor = monitor
            self.scheduler = self._schedule()
            self.scheduler.start()
            try:
                if self.config.status is not None:
                    from monitor.web.status import start_status_server

                    status_server = await start_status_server(self)
                return await self._wait()
            finally:
                self.scheduler.shutdown(wait=False)
                await self._drain()
                if status_server is not None:
                    await status_server.stop()
                self.monitor = None

    def _schedule(self) -> AsyncIOScheduler:
        sched = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        sched.add_job(self.tick, "interval", seconds=self.tick_seconds, next_run_time=now, max_instances=1,
                      coalesce=True, id="tick")
        sched.add_job(self._deliver_job, "interval", seconds=DELIVER_SECONDS,
                      next_run_time=now + timedelta(seconds=2), max_instances=1, coalesce=True, id="deliver")
        sched.add_job(self._maintain_job, "interval", hours=1, next_run_time=now + timedelta(minutes=1),
                      max_instances=1, coalesce=True, id="maintain")
        return sched

    async def _wait(self) -> bool:
        while True:
            stop = asyncio.create_task(self.stop_event.wait())
            reload = asyncio.create_task(self.reload_event.wait())
            await asyncio.wait({stop, reload}, return_when=asyncio.FIRST_COMPLETED)
            for t in (stop, reload):
                t.cancel()
            if self.stop_event.is_set():
                return False
            self.reload_event.clear()
            if self._reload():
                return True

    def _reload(self) -> bool:
        """Load the config file again; True if it is good (and its store answers)."""
        try:
            new = load_config(self.config_path)
        except ConfigError as e:
            log.error("SIGHUP: the new config has errors; keeping the running one:\n%s", "\n".join(e.problems))
            return False
        if new.database_url != self.config.database_url:
            try:
                self._next_store = Store.open(new)
            except MonitorError as e:
                log.error("SIGHUP: keeping the running config: the new config's store does not answer: %s", e)
                return False
        _extend_log_redaction(new.secrets)
        self.config = new
        log.info("SIGHUP: config reloaded: %d sources, %d subscriptions", len(new.sources), len(new.subscriptions))
        return True

    def _spawn(self, coro: Coroutine[Any, Any, Any], into: set[asyncio.Task[Any]], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        into.add(task)
        task.add_done_callback(into.discard)
        return task

    async def tick(self) -> None:
        """Lease due sources and check each in its own task (bounded)."""
        if self.monitor is None or self.stop_event.is_set():
            return
        self.counters.last_tick = time.time()
        room = max(0, self.config.http.concurrency * 4 - len(self.inflight))
        if not room:
            return
        try:
            idle = [sid for sid in self.monitor.enabled() if sid not in self.monitor.leases]  # not being checked
            claimed = self.monitor.store.repo.claim_due(idle, self.monitor.worker, datetime.now(UTC),
                                                        lease_seconds(), room)
        except Exception as e:
            log.error("could not read due sources from the store: %s", e)
            return
        for sid in claimed:
            self._spawn(self._check(self.monitor, sid), self.inflight, f"check:{sid}")

    async def _check(self, monitor: Monitor, source_id: str) -> None:
        try:
            report = await monitor._check_one(source_id)
        except asyncio.CancelledError:
            self._abandoned(monitor, source_id)
            raise
        self.counters.record(report)
        if report.alert_ids:
            try:
                created = monitor.store.repo.alerts(ids=report.alert_ids, limit=None)
            except Exception as e:  # counting is not worth failing for
                log.warning("could not count the new alerts of %s: %s", source_id, e)
                created = []
            self.counters.record_alerts(a["categories"] for a in created)
            self.request_delivery()

    def _abandoned(self, monitor: Monitor, source_id: str) -> None:
        """A cancelled check wrote nothing; give its lease back so the next run checks it."""
        self.counters.abandoned += 1
        try:
            monitor.store.repo.release(source_id, monitor.worker)
        except Exception as e:
            log.error("could not release the lease of %s (it expires by itself within 15 min): %s", source_id, e)
        log.warning("check of %s abandoned; it is checked again next time", source_id,
                    extra={"source": source_id, "outcome": "abandoned"})

    def request_delivery(self) -> None:
        """Run a delivery pass now, or once more after the one in progress."""
        self._deliver_wanted = True
        if self._delivering is None or self._delivering.done():
            self._delivering = self._spawn(self._deliver_loop(), self.background, "deliver")

    async def _deliver_loop(self) -> None:
        while self._deliver_wanted and not self.stop_event.is_set():
            self._deliver_wanted = False
            await self.deliver()

    async def _deliver_job(self) -> None:
        self.request_delivery()

    async def deliver(self) -> None:
        if self.monitor is None:
            return
        try:
            summary = await self.monitor.deliver()
        except StoreError as e:
            log.error("delivery pass failed: %s", e)
            return
        except Exception:
            log.exception("delivery pass failed")
            return
        self.counters.sent += summary.sent
        self.counters.send_failures += summary.retrying + summary.failed

    async def _maintain_job(self) -> None:
        if not self.stop_event.is_set():
            self._spawn(self.maintain(), self.background, "maintain")

    async def maintain(self) -> None:
        if self.monitor is None:
            return
        try:
            pruned = self.monitor.prune_revisions(datetime.now(UTC))
        except Exception as e:
            log.error("maintenance failed: %s", e)
            return
        if pruned:
            log.info("pruned %d old document revisions", pruned)

    async def _drain(self) -> None:
        """Let in-flight work finish within the stop grace, then cancel what is left."""
        work = self.inflight | self.background
        if not work:
            return
        spent = time.monotonic() - self._stop_at if self._stop_at is not None else 0.0
        grace = max(0.5, STOP_GRACE - spent)
        log.info("waiting up to %.1fs for %d in-flight checks and %d delivery passes", grace, len(self.inflight),
                 len(self.background))
        _, pending = await asyncio.wait(work, timeout=grace)
        if not pending:
            return
        for t in pending:
            t.cancel()
        await asyncio.wait(pending, timeout=CANCEL_GRACE)
        log.warning("abandoned %d in-flight tasks (their sources are checked again next time; "
                    "unsent deliveries stay in the outbox)", len(pending))


def run_daemon(config: Config, config_path: str) -> int:
    """Run until stopped: 0 after a clean stop, 1 when the store does not answer or the status port is taken."""
    gcpolicy.settle()
    try:
        return asyncio.run(Daemon(config, config_path).serve())
    except MonitorError as e:
        log.error("%s", e)
        return 1
