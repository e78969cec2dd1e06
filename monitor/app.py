"""The service layer: builds the pieces from a Config and offers the operations the CLI and daemon call."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.config.models import Config
from monitor.extract.cache import CachedExtract
from monitor.extract.worker import ExtractionPool
from monitor.fetch.client import Fetcher
from monitor.leases import LeaseKeeper
from monitor.notify.channels import Channel, build_channels
from monitor.notify.outbox import DeliverySummary, Outbox
from monitor.pipeline import LOAD, CheckReport, Pipeline, QuietBatch
from monitor.redact import Redactor
from monitor.sources import make_source
from monitor.sources.base import Source
from monitor.store.db import make_engine, ping, session_factory
from monitor.store.deliveries import CLAIM_SECONDS, DeliveryStore
from monitor.store.migrate import upgrade
from monitor.store.repo import CheckRecord, Repo, now_utc
from monitor.tuning import env_seconds

if TYPE_CHECKING:
    from monitor.classify import Classifier

log = logging.getLogger("monitor")
DEFAULT_RETENTION = 365 * 86400.0
LEASE_SECONDS = 900.0      # how long a check's lease keeps other workers off a source (a dead worker's, too)
LEASE_ENV = "NHS_MONITOR_LEASE"


def lease_seconds(environ: Mapping[str, str] | None = None) -> float:
    """The source lease: env ``NHS_MONITOR_LEASE`` (seconds, 1 to 86400) if set and valid, else 900 s.

    A dead worker's sources are taken over by the others when its leases expire, and its claimed
    sends when their claims do (at most ``CLAIM_SECONDS``, never longer than the lease). A running
    check's lease is renewed (:class:`~monitor.leases.LeaseKeeper`). Shorten it for tests and demos
    only: a send claim must outlast the slowest send.
    """
    return env_seconds(LEASE_ENV, LEASE_SECONDS, 1, 86400, environ)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def classifier_settings(config: Config) -> dict[str, Any]:
    """The config's classifier settings as plain JSON (what extraction workers build their classifier from)."""
    return {"extra_terms": {k: list(v) for k, v in config.classifier.extra_terms.items()},
            "ignore_phrases": list(config.classifier.ignore_phrases)}


def build_classifier(config: Config) -> Classifier:
    from monitor.classify import Classifier

    return Classifier.from_settings(classifier_settings(config))


async def _cancelled(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


class Store:
    """Engine + the two repositories. ``open`` migrates unless told not to."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        sessions = session_factory(self.engine)
        self.repo = Repo(sessions)
        self.deliveries = DeliveryStore(sessions, claim_seconds=min(CLAIM_SECONDS, lease_seconds()))

    @classmethod
    def open(cls, config: Config, *, migrate: bool = True) -> Store:
        store = cls(config.database_url)
        ping(store.engine)
        if migrate:
            upgrade(store.engine)
        return store

    def close(self) -> None:
        self.engine.dispose()


@dataclass(slots=True)
class RunSummary:
    reports: list[CheckReport] = field(default_factory=list)
    delivery: DeliverySummary = field(default_factory=DeliverySummary)
    #: Sources not checked because another worker holds their lease: its name and when the lease runs out.
    skipped: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    @property
    def failed(self) -> list[CheckReport]:
        return [r for r in self.reports if r.outcome == "error"]


class Monitor:
    """Everything a run needs, opened together and closed together (``async with Monitor(...)``)."""

    def __init__(self, config: Config, store: Store, *, worker: str | None = None) -> None:
        self.config = config
        self.store = store
        self.worker = worker or worker_name()
        self.redact = Redactor(config.secrets)
        self.channels: dict[str, Channel] = build_channels(
            {name: config.channel_urls(name) for name in config.channels}, self.redact)
        self.sources: dict[str, Source] = {s.id: make_source(s) for s in config.sources}
        self.stack = AsyncExitStack()
        self.pipeline: Pipeline | None = None
        self.outbox = Outbox(config=config, store=store.deliveries, channels=self.channels, worker=self.worker)
        #: The sources this worker is checking; their leases are renewed while the checks run.
        self.leases = LeaseKeeper(store.repo, self.worker, lease_seconds())

    async def __aenter__(self) -> Monitor:
        for line in self.config.unsupported:
            log.warning("not watched (unsupported): %s", line)
        fetcher = await self.stack.enter_async_context(Fetcher(self.config.http))
        ex = self.config.extraction
        settings = classifier_settings(self.config)  # the workers classify documents with the daemon's settings
        pool = await self.stack.enter_async_context(
            ExtractionPool(workers=ex.workers, timeout=ex.timeout, memory_mb=ex.memory, max_pages=ex.max_pages,
                           classify=settings))
        self.pipeline = Pipeline(config=self.config, repo=self.store.repo, fetcher=fetcher,
                                 extract=CachedExtract(pool.extract),
                                 classifier=functools.partial(build_classifier, self.config), worker=self.worker,
                                 classifier_settings=settings)
        self.store.repo.sync_sources(((s.id, s.kind, s.area) for s in self.config.sources), now_utc())
        keeper = asyncio.create_task(self.leases.run(), name="lease-keeper")
        self.stack.push_async_callback(_cancelled, keeper)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stack.aclose()

    def enabled(self) -> list[str]:
        return [s.id for s in self.config.sources if s.enabled]

    async def check_due(self, *, force: bool = False, ids: Sequence[str] | None = None,
                        limit: int | None = None) -> list[CheckReport]:
        """Lease due sources (all of ``ids`` when forced; at most ``limit``, default all) and check them
        concurrently."""
        assert self.pipeline is not None
        wanted = list(ids) if ids is not None else self.enabled()
        claimed = self.store.repo.claim_due(wanted, self.worker, now_utc(), lease_seconds(),
                                           len(wanted) if limit is None else limit, force=force)
        rows = self.store.repo.sources_by_id(claimed)  # one query for the whole cycle
        batch = QuietBatch(self.store.repo)  # and few transactions for the checks that found nothing new
        try:
            return list(await asyncio.gather(*(self._check_one(sid, row=rows.get(sid), batch=batch)
                                               for sid in claimed)))
        finally:
            batch.flush()

    async def _check_one(self, source_id: str, *, row: Any = LOAD, batch: QuietBatch | None = None) -> CheckReport:
        """Check one source; ``row`` (its store row, if already read) and ``batch`` as in ``check_source``."""
        assert self.pipeline is not None
        source = self.sources[source_id]
        try:
            with self.leases.holding(source_id):
                report = await self.pipeline.check_source(source, row=row, batch=batch)
        except Exception as e:  # a bug in one source must not stop the others
            log.exception("check of %s crashed", source_id)
            report = self._crashed(source, e)
        self._admin_on_health(source, report, row)
        if report.alert_ids and log.isEnabledFor(logging.INFO):  # one read of this check's alerts, when logged
            for a in reversed(self.store.repo.alerts(ids=report.alert_ids, limit=None)):
                log.info("ALERT %s [%s] %s: %s <%s>", a["id"], ",".join(a["categories"]), a["event"], a["title"],
                         a["url"], extra={"alert": a["id"], "source": source_id})
        return report

    def _crashed(self, source: Source, e: Exception) -> CheckReport:
        """A check that raised something unexpected is recorded as a failed check (visible in ``status``)."""
        assert self.pipeline is not None
        error = f"internal error: {type(e).__name__}: {e}"[:2000]
        now = now_utc()
        try:
            failures = self.store.repo.record_failure(
                CheckRecord(source.id, now, 0, "error", None, error, self.worker),
                self.pipeline.retry_due(source, now, 1, None))
        except Exception:
            log.exception("could not record the failed check of %s", source.id)
            failures = 0
        return CheckReport(source.id, "error", error=error, failures=failures)

    def _admin_on_health(self, source: Source, report: CheckReport, row: Any = LOAD) -> None:
        """Tell admins when a source starts failing and when it recovers. With the source's row as read before
        the check (we held its lease, so no other worker changed the flag), a healthy source costs no write."""
        if report.outcome != "error" and row is not LOAD and not (row is not None and row.failing_notified):
            return
        threshold = self.config.admin.failure_threshold if self.config.admin else 3
        now = now_utc()
        if report.outcome == "error" and report.failures >= threshold:
            if self.store.repo.set_failing_notified(source.id, True):
                self.outbox.notify_admins(f"source-failing:{source.id}:{now.isoformat()}",
                                          f"Source {source.id} is failing",
                                          f"{report.failures} checks of {source.id} failed in a row.\n"
                                          f"Last error: {report.error}", now)
        elif report.outcome != "error" and self.store.repo.set_failing_notified(source.id, False):
            self.outbox.notify_admins(f"source-recovered:{source.id}:{now.isoformat()}",
                                      f"Source {source.id} has recovered", f"{source.id} was checked successfully "
                                      "again.", now)

    async def dry_run(self, source_id: str) -> CheckReport:
        assert self.pipeline is not None
        return await self.pipeline.check_source(self.sources[source_id], dry_run=True)

    async def deliver(self, *, force: bool = False, now: datetime | None = None) -> DeliverySummary:
        return await self.outbox.deliver_due(now or now_utc(), force=force)

    def prune_revisions(self, now: datetime) -> int:
        """Old document revisions go after each source's ``retention`` (default a year); the newest stays."""
        pruned = 0
        for src in self.config.sources:
            keep = float(getattr(src, "retention", DEFAULT_RETENTION))
            pruned += self.store.repo.prune_revisions(now - timedelta(seconds=keep), src.id)
        return pruned

    def held_elsewhere(self, ids: Sequence[str], reports: Sequence[CheckReport]) -> dict[str, tuple[str, datetime]]:
        """Those of ``ids`` a forced check did not reach (no report) because another worker holds their lease."""
        checked = {r.source_id for r in reports}
        return self.store.repo.lease_holders([sid for sid in ids if sid not in checked], now_utc())

    async def run_once(self) -> RunSummary:
        """Check every enabled source now (but those another worker is checking), then deliver what is due."""
        reports = await self.check_due(force=True)
        delivery = await self.deliver()
        return RunSummary(reports, delivery, self.held_elsewhere(self.enabled(), reports))
