"""One check of one source: fetch -> extract -> diff (the source's own ``check``) -> classify -> store alert.

``Pipeline.check_source`` reads in ten lines; each step is a function of its own that can be tested alone.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.exc import OperationalError

from monitor import faults
from monitor.config.models import Config
from monitor.errors import FetchError, MonitorError
from monitor.extract.types import ClassifiedPages, PageText
from monitor.notify.routing import contains_any, targets
from monitor.sources.base import CheckContext, CheckOutcome, EventDraft, ItemRecord, Observation, Source
from monitor.store.db import describe_operational_error
from monitor.store.repo import AlertDraft, CheckRecord, QuietSuccess, Repo, now_utc

if TYPE_CHECKING:  # the classifier is imported when first built: a cycle with nothing new never needs it
    from monitor.classify import Classification, Classifier

log = logging.getLogger("monitor.check")
MAX_EVIDENCE = 6
LOAD = object()  # "read the source's row from the store" (the default of check_source's ``row``)


class QuietBatch:
    """Checks that found nothing new (304s, unchanged bytes), written together: a cycle of 1,000 quiet sources
    costs one or two transactions instead of 1,000. Flushed when ``size`` checks are waiting or the oldest has
    waited ``max_age`` seconds, and by :meth:`flush`; a check not yet flushed when the process dies is simply
    checked again once its lease expires.

    Few flushes matter on SQLite: each rewrites every page of the sources table it touches into the WAL (a
    cycle's quiet checks are spread over all of them), and the WAL is copied back when the store closes.
    """

    def __init__(self, repo: Repo, size: int = 1000, max_age: float = 5.0) -> None:
        self.repo = repo
        self.size = size
        self.max_age = max_age
        self.pending: list[QuietSuccess] = []
        self.first_at = 0.0

    def add(self, quiet: QuietSuccess) -> None:
        if not self.pending:
            self.first_at = time.monotonic()
        self.pending.append(quiet)
        if len(self.pending) >= self.size or time.monotonic() - self.first_at >= self.max_age:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        try:
            self.repo.record_quiet(pending)
        except OperationalError as e:
            log.error("could not store %d quiet checks (they are checked again when their leases expire): %s",
                      len(pending), describe_operational_error(e))


class LazyItems(Mapping[str, ItemRecord]):
    """The source's known items, loaded from the store on first use: a 304 or unchanged body never pays for it."""

    def __init__(self, load: Callable[[], dict[str, ItemRecord]]) -> None:
        self._load = load
        self._items: dict[str, ItemRecord] | None = None

    @property
    def items_(self) -> dict[str, ItemRecord]:
        if self._items is None:
            self._items = self._load()
        return self._items

    def __getitem__(self, key: str) -> ItemRecord:
        return self.items_[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.items_)

    def __len__(self) -> int:
        return len(self.items_)

    def __contains__(self, key: object) -> bool:
        return key in self.items_


@dataclass(slots=True)
class CheckReport:
    """What one check did, for logs, ``check --dry-run`` and the admin notices."""

    source_id: str
    outcome: str
    duration_ms: int = 0
    alert_ids: list[int] = field(default_factory=list)
    drafts: list[AlertDraft] = field(default_factory=list)
    error: str | None = None
    failures: int = 0
    notes: list[str] = field(default_factory=list)
    walked: list[str] = field(default_factory=list)
    items: int = 0


class Pipeline:
    """Checks sources against the store.

    :param config: the loaded configuration.
    :param repo: the store.
    :param fetcher: the shared Fetcher.
    :param extract: document extraction (the worker pool's ``extract``).
    :param classifier: the configured classifier, or a function that builds it (then built on first use: a
        cycle in which nothing is new never compiles the rules).
    :param worker: this process's name (leases, check rows).
    :param classifier_settings: the settings ``classifier`` was built with: a document's pages that come
        classified from an extraction worker with the same settings (:class:`ClassifiedPages`) are not
        classified again.
    """

    def __init__(self, *, config: Config, repo: Repo, fetcher: Any, extract: Any,
                 classifier: Classifier | Callable[[], Classifier], worker: str,
                 classifier_settings: dict[str, Any] | None = None) -> None:
        self.config = config
        self.classifier_settings = classifier_settings
        self.repo = repo
        self.fetcher = fetcher
        self.extract = extract
        self._classifier = classifier
        self.worker = worker

    @property
    def classifier(self) -> Classifier:
        if callable(self._classifier):  # a factory (a Classifier is not callable)
            self._classifier = self._classifier()
        return cast("Classifier", self._classifier)

    async def check_source(self, source: Source, *, dry_run: bool = False, row: Any = LOAD,
                           batch: QuietBatch | None = None) -> CheckReport:
        """Check one source and store the outcome.

        :param row: the source's store row when the caller has already read it (a cycle reads all at once);
            by default it is read here.
        :param batch: where a check that found nothing new is queued instead of written at once.
        """
        started, t0 = now_utc(), time.monotonic()
        if row is LOAD:
            row = self.repo.source(source.id)
        ctx = self.context(source, row, started, dry_run)
        try:
            obs = await source.check(ctx)
        except MonitorError as e:
            return self._failed(source, started, t0, e, dry_run)
        alerts = [] if ctx.baseline else self.alerts_for(source, obs.events)
        report = CheckReport(source.id, CheckOutcome.BASELINE.value if ctx.baseline else obs.outcome.value,
                             int((time.monotonic() - t0) * 1000), drafts=alerts, notes=obs.notes,
                             walked=obs.walked, items=len(obs.items))
        faults.point("pipeline.checked")
        if not dry_run:
            self._store(source, obs, alerts, report, started, ctx.baseline, batch)
        log.info("checked %s: %s in %d ms, %d new items, %d alerts", source.id, report.outcome,
                 report.duration_ms, report.items, len(report.alert_ids),
                 extra={"source": source.id, "outcome": report.outcome, "duration_ms": report.duration_ms})
        return report

    def context(self, source: Source, row: Any, now: datetime, dry_run: bool) -> CheckContext:
        baseline = not (row is not None and row.baseline_done) and source.config.baseline == "silent"
        robots = source.config.robots if source.config.robots is not None else self.config.http.robots
        return CheckContext(
            fetcher=self.fetcher, state=dict(row.state or {}) if row else {},
            items=LazyItems(lambda: self.repo.items(source.id)),
            baseline=baseline, now=now, load_text=lambda key: self.repo.latest_text(source.id, key),
            extract=self.extract, known_elsewhere=lambda url: self.repo.item_by_url(url, source.id),
            dry_run=dry_run, robots=robots,
        )

    def alerts_for(self, source: Source, events: Sequence[EventDraft]) -> list[AlertDraft]:
        return [a for ev in events if (a := self.alert_for(source, ev)) is not None]

    def alert_for(self, source: Source, ev: EventDraft) -> AlertDraft | None:
        """Classify one event and decide whether it becomes an alert (alert_on, keywords)."""
        cfg = source.config
        result = self.classification(ev.text)
        categories = list(dict.fromkeys([*ev.fixed_categories, *result.categories]))
        if not (result.categories or ev.always_alert or cfg.alert_on == "any"):
            return None
        full_text = ev.title + "\n" + "\n".join(p.text for p in ev.text)
        if not contains_any(full_text, cfg.keywords):
            return None
        evidence = [*ev.evidence, *({"category": f.category, "text": f.text, "page": f.page, "terms": list(f.terms)}
                                    for f in result.findings)][:MAX_EVIDENCE]
        if not evidence and ev.text:
            evidence = [{"category": None, "text": _first_text(ev.text), "page": ev.text[0].page, "terms": []}]
        areas = [cfg.area, *getattr(cfg, "extra_areas", [])]
        return AlertDraft(
            dedupe_key=ev.dedupe_key, source_id=source.id, source_kind=source.kind, event=ev.event,
            categories=categories, title=ev.title, url=ev.url, area=cfg.area, evidence=evidence,
            organisations=list(result.organisations), petition=ev.petition,
            targets=targets(self.config.subscriptions, categories, areas, full_text),
        )

    def classification(self, pages: Sequence[PageText]) -> Classification:
        """The classification of an event's text: the extraction worker's, when it made one with our settings."""
        if isinstance(pages, ClassifiedPages) and self.classifier_settings is not None \
                and pages.settings == self.classifier_settings:
            return cast("Classification", pages.classification)
        return self.classifier.classify(pages)

    def next_due(self, source: Source, now: datetime, state: dict[str, Any] | None = None) -> datetime:
        interval = self.config.interval_of(source.config)
        custom = getattr(source, "next_interval", None)
        if custom is not None and state is not None:
            interval = custom(state) or interval
        jitter = self.config.jitter_of(source.config)
        return now + timedelta(seconds=interval * (1 + random.uniform(0, jitter)))

    def retry_due(self, source: Source, now: datetime, failures: int, retry_after: float | None) -> datetime:
        """Failed sources back off: 5 min, 10, 20 … capped at the source's interval; Retry-After honoured."""
        interval = self.config.interval_of(source.config)
        delay = min(interval, 300.0 * 2 ** max(0, failures - 1))
        if retry_after:
            delay = max(delay, retry_after)
        return now + timedelta(seconds=delay)

    def _store(self, source: Source, obs: Observation, alerts: list[AlertDraft], report: CheckReport,
               started: datetime, baseline: bool, batch: QuietBatch | None = None) -> None:
        rec = CheckRecord(source.id, started, report.duration_ms, report.outcome, obs.http_status, worker=self.worker)
        if batch is not None and not obs.items and not alerts:
            outcome = "baseline" if baseline else obs.outcome.value
            batch.add(QuietSuccess(rec, outcome, obs.http_status, obs.state, obs.notes,
                                   self.next_due(source, started, obs.state)))
            return
        try:
            report.alert_ids = self.repo.record_success(rec, obs, alerts, baseline=baseline,
                                                        next_due=self.next_due(source, started, obs.state))
        except OperationalError as e:
            report.outcome, report.error = "error", describe_operational_error(e)
            log.error("could not store the check of %s: %s", source.id, report.error)

    def _failed(self, source: Source, started: datetime, t0: float, e: MonitorError, dry_run: bool) -> CheckReport:
        ms = int((time.monotonic() - t0) * 1000)
        report = CheckReport(source.id, CheckOutcome.ERROR.value, ms, error=str(e))
        log.warning("check of %s failed: %s", source.id, e, extra={"source": source.id, "outcome": "error"})
        if dry_run:
            return report
        status = e.status if isinstance(e, FetchError) else None
        retry_after = e.retry_after if isinstance(e, FetchError) else None
        row = self.repo.source(source.id)
        failures = (row.consecutive_failures if row else 0) + 1
        rec = CheckRecord(source.id, started, ms, "error", status, str(e)[:2000], self.worker)
        report.failures = self.repo.record_failure(rec, self.retry_due(source, started, failures, retry_after))
        return report


def _first_text(pages: Sequence[PageText], limit: int = 400) -> str:
    for p in pages:
        if p.text.strip():
            text = " ".join(p.text.split())
            return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
    return ""
