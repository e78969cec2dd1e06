"""Three workers share one PostgreSQL store: each source is checked by one worker at a time, each alert is
sent once per channel, and a worker killed with SIGKILL has its sources taken over when its leases expire.

Contract section 5 and issue 8. Three ``python -m monitor run`` processes (env ``DATABASE_URL`` = a fresh
database on the local PostgreSQL, ``NHS_MONITOR_TICK`` = 0.2 s, ``NHS_MONITOR_LEASE`` = 8 s) watch 300 feeds on
one loopback server that records every hit, and send through a real SMTP server (aiosmtpd) and a webhook
receiver. The interval is 1 h, so within the test each source is due once; "an hour passes" is written
into the store (``next_due`` = now), the one thing the test does to the store by hand.

1. Baseline: every feed is fetched exactly once, by one of the workers, and all three take part.
2. An hour later 30 feeds carry a merger entry: every feed is fetched exactly once more, each merger is one
   alert, sent exactly once to the webhook (and the three in Northshire once by email), each delivery in one
   attempt.
3. Eight feeds hang; the worker holding their leases is killed with SIGKILL mid-fetch. Nobody touches them
   until the leases expire; then the other two check each of them once, and no other feed is fetched.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import ProgrammingError

from monitor.app import Monitor
from monitor.app import Store as AppStore
from monitor.config import Config, load_config
from monitor.notify.outbox import DeliverySummary
from monitor.store.db import make_engine, session_factory
from monitor.store.migrate import upgrade
from monitor.store.models import AlertRow, CheckRow, DeliveryRow, DigestRow, SourceRow
from monitor.store.repo import Repo

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
N = 300
CHANGED = range(0, N, 10)            # 30 feeds gain a merger entry after the baseline
MAILED = {0, 10, 20}                 # of which these are in Northshire (email + webhook; the rest webhook only)
HELD = range(5, 85, 10)              # 8 feeds that hang in phase 3
LEASE = 8.0
MERGER = ("The governing bodies of Northshire CCG and Southshire CCG have agreed to merge into a single "
          "organisation.")
ROUTINE = "The committee noted the quarterly finance report."


def rss(i: int, merger: bool) -> str:
    items = [("routine", f"Finance report {i}", ROUTINE)]
    if merger:
        items.append(("merger", f"Feed {i:03d}: CCGs agree to merge", MERGER))
    body = "".join(f"<item><title>{t}</title><link>https://news.example.nhs.uk/{i}/{g}</link>"
                   f"<guid isPermaLink=\"false\">{i}-{g}</guid><description>{d}</description></item>"
                   for g, t, d in items)
    return (f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {i}</title>"
            f"<link>https://news.example.nhs.uk/{i}</link><description>x</description>{body}</channel></rss>")


def path(i: int) -> str:
    return f"/feeds/{i:03d}.xml"


def wait_until(fn: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := fn()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
    return value


class Held:
    """Feed routes that hold every request until released, and note when each one arrived."""

    def __init__(self, site, ids: range) -> None:
        self.release = threading.Event()
        self.arrived: dict[int, list[float]] = {i: [] for i in ids}
        self.lock = threading.Lock()
        for i in ids:
            site.set_dynamic(path(i), self._route(i))

    def _route(self, i: int):
        def serve(query, headers):
            with self.lock:
                self.arrived[i].append(time.time())
            self.release.wait(30)
            return 200, "application/rss+xml", rss(i, i in CHANGED)
        return serve

    def all_arrived(self) -> bool:
        with self.lock:
            return all(self.arrived.values())


class Workers:
    """Three ``python -m monitor run`` processes on one PostgreSQL database."""

    def __init__(self, config: Path, database_url: str, workdir: Path, n: int = 3) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("NHS_MONITOR_CONFIG", "NHS_MONITOR_CRASH_AT")}
        env.update(DATABASE_URL=database_url, NHS_MONITOR_TICK="0.2", NHS_MONITOR_LEASE=str(LEASE),
                   PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p))
        self.logs = [workdir / f"worker-{k}.log" for k in range(n)]
        self.procs: list[subprocess.Popen[bytes]] = []
        for log in self.logs:
            with log.open("wb") as out:
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-m", "monitor", "--config", str(config), "run"],
                    cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT))

    def by_pid(self, pid: int) -> subprocess.Popen[bytes]:
        return next(p for p in self.procs if p.pid == pid)

    def tails(self, lines: int = 15) -> str:
        return "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
                         for log in self.logs)

    def alive(self) -> None:
        dead = [(p.pid, p.returncode) for p in self.procs if p.poll() is not None]
        assert not dead, f"workers exited: {dead}\n{self.tails()}"

    def stop(self) -> list[int | None]:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(12))
            except subprocess.TimeoutExpired:
                codes.append(None)
        return codes

    def kill_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)


class Store:
    """The test's own look at the shared database (and the one write: time passing)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def scalar(self, query: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def rows(self, query: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def an_hour_passes(self, ids: list[str] | None = None) -> None:
        q = update(SourceRow).values(next_due=datetime.now(UTC))
        with self.engine.begin() as conn:
            conn.execute(q if ids is None else q.where(SourceRow.id.in_(ids)))

    def baselines(self) -> int:
        try:
            return int(self.scalar(select(func.count()).where(SourceRow.baseline_done)))
        except ProgrammingError:  # the workers have not created the tables yet
            return 0

    def checks(self) -> int:
        return int(self.scalar(select(func.count(CheckRow.id))))


def hits(site) -> Counter[str]:
    with site.lock:
        return Counter(h.path for h in site.hits if h.path.startswith("/feeds/"))


def token(text: str) -> str:
    m = re.search(r"Feed (\d{3})", text)
    assert m, f"a message that names no feed: {text!r}"
    return m[1]


@pytest.fixture
def feed_site(site):
    """The loopback server with the 300 feeds, none with news yet."""
    for i in range(N):
        site.set(path(i), "application/rss+xml", rss(i, False))
    return site


def write_config(tmp_path: Path, site, mailbox, webhook) -> Path:
    sources = "".join(f'  - {{id: feed-{i:03d}, kind: feed, url: "{site.url(path(i))}", '
                      f'area: {"northshire" if i in MAILED else "southshire"}}}\n' for i in range(N))
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/not-used.db
        http: {{user_agent: "workers-test/1.0", timeout: 40s, concurrency: 8, per_host_concurrency: 8,
                per_host_delay: 0s}}
        defaults: {{interval: 1h, jitter: 0%}}
        channels: {{mail: "{mailbox.apprise_url}", hook: "{webhook.apprise_url}"}}
        subscriptions:
          - {{name: northshire, channels: [mail], areas: [northshire]}}
          - {{name: everything, channels: [hook]}}
        sources:
        """) + sources)
    return cfg


def test_three_workers_share_300_sources_send_once_and_take_over_a_killed_worker(feed_site, mailbox, webhook,
                                                                                  postgres_url, tmp_path):
    site = feed_site
    store = Store(postgres_url)
    workers = Workers(write_config(tmp_path, site, mailbox, webhook), postgres_url, tmp_path)
    try:
        _baseline(site, store, workers)
        _an_hour_later(site, store, workers, mailbox, webhook)
        _kill_one(site, store, workers)
        codes = workers.stop()
    finally:
        workers.kill_all()
        store.engine.dispose()
    assert sorted(codes, key=str) == [-9, 0, 0], (codes, workers.tails())   # the survivors stop cleanly
    assert not (tmp_path / "not-used.db").exists()                    # DATABASE_URL won over the file's URL


def _baseline(site, store: Store, workers: Workers) -> None:
    wait_until(lambda: workers.alive() or store.baselines() == N, 45, "300 baselines")
    time.sleep(1.0)                                                   # would a second fetch follow? no
    counted = hits(site)
    assert len(counted) == N and set(counted.values()) == {1}, [p for p, n in counted.items() if n != 1]
    assert store.checks() == N
    by_worker = Counter(w for (w,) in store.rows(select(CheckRow.worker)))
    assert len(by_worker) == 3, by_worker                              # all three took part


def _an_hour_later(site, store: Store, workers: Workers, mailbox, webhook) -> None:
    for i in CHANGED:
        site.set(path(i), "application/rss+xml", rss(i, True))
    store.an_hour_passes()

    def done() -> bool:
        workers.alive()
        pending = store.scalar(select(func.count(DeliveryRow.id)).where(DeliveryRow.status != "sent"))
        return store.checks() == 2 * N and pending == 0 and len(webhook.received) >= len(CHANGED)

    wait_until(done, 45, "the second round of checks and every delivery")
    time.sleep(1.0)
    counted = hits(site)
    assert set(counted.values()) == {2}, [p for p, n in counted.items() if n != 2]

    alerts = store.rows(select(AlertRow.source_id, AlertRow.title))
    assert sorted(s for s, _ in alerts) == [f"feed-{i:03d}" for i in CHANGED]
    deliveries = store.rows(select(DeliveryRow.channel, DeliveryRow.status, DeliveryRow.attempts))
    assert Counter(c for c, _, _ in deliveries) == {"hook": len(CHANGED), "mail": len(MAILED)}
    assert {(s, a) for _, s, a in deliveries} == {("sent", 1)}          # each sent by one worker, in one attempt

    wait_until(lambda: len(mailbox.messages) >= len(MAILED), 20, "the emails")
    time.sleep(0.5)
    hooked = Counter(token(str(r["payload"].get("title"))) for r in webhook.received)
    mailed = Counter(token(str(m["Subject"])) for m in mailbox.messages)
    assert hooked == {f"{i:03d}": 1 for i in CHANGED}, hooked           # exactly once per channel
    assert mailed == {f"{i:03d}": 1 for i in MAILED}, mailed


def _kill_one(site, store: Store, workers: Workers) -> None:
    before = hits(site)
    held = Held(site, HELD)
    ids = [f"feed-{i:03d}" for i in HELD]
    try:
        store.an_hour_passes(ids)
        wait_until(lambda: workers.alive() or held.all_arrived(), 20, "the held feeds to be fetched")
        leases = store.rows(select(SourceRow.id, SourceRow.lease_owner, SourceRow.lease_until)
                            .where(SourceRow.id.in_(ids)))
        owners = Counter(owner for _, owner, _ in leases)
        assert None not in owners, leases                              # every held fetch is under a lease
        victim_name = owners.most_common(1)[0][0]
        victim = workers.by_pid(int(victim_name.rsplit(":", 1)[1]))
        lost = {sid: until for sid, owner, until in leases if owner == victim_name}
        victim.kill()
        killed_at = time.time()
        victim.wait(5)
    finally:
        held.release.set()

    def taken_over() -> bool:
        rows = store.rows(select(CheckRow.source_id).where(CheckRow.source_id.in_(list(lost)),
                                                           CheckRow.started_at > min(lost.values())))
        return len({sid for (sid,) in rows}) == len(lost)

    wait_until(taken_over, LEASE + 20, "the other workers to check the killed worker's sources")
    time.sleep(1.0)
    for sid, until in lost.items():
        checks = store.rows(select(CheckRow.worker, CheckRow.started_at).where(CheckRow.source_id == sid)
                            .order_by(CheckRow.id))
        assert len(checks) == 3, (sid, checks)                         # baseline, the hour later, the takeover
        worker, started = checks[-1]
        assert worker != victim_name and started > until, (sid, until, checks)
    after = hits(site)
    extra = {p: after[p] - before[p] for p in after if after[p] != before[p]}
    assert extra == {path(i): 2 if f"feed-{i:03d}" in lost else 1 for i in HELD}, extra
    for i in HELD:
        if f"feed-{i:03d}" in lost:
            first, second = held.arrived[i]
            assert first < killed_at < second and second - first >= LEASE - 1, held.arrived[i]


# --------------------------------------------------------------------------- the coordination, in-process


def _outbox_config(tmp_path: Path, url: str, mailbox, webhook, delivery: str = "instant") -> Config:
    cfg = tmp_path / "outbox.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: "{url}"
        channels: {{mail: "{mailbox.apprise_url}", hook: "{webhook.apprise_url}"}}
        subscriptions: [{{name: group, channels: [mail, hook], delivery: "{delivery}", timezone: UTC}}]
        sources: [{{id: news, kind: feed, url: "http://127.0.0.1:9/feed.xml"}}]
        """))
    return load_config(cfg, environ={})


def _add_alerts(store: AppStore, n: int, created: datetime, *, channels: tuple[str, ...], mode: str) -> None:
    """Alerts as a check would have stored them, each with a pending delivery per channel."""
    with store.engine.begin() as conn:
        for k in range(n):
            alert_id = conn.execute(insert(AlertRow).values(
                dedupe_key=f"entry:news:{k}", source_id="news", source_kind="feed", event="new_entry",
                categories=["merger"], title=f"Feed {k:03d}: CCGs agree to merge", url=f"https://x.nhs.uk/{k}",
                area=None, evidence=[], organisations=[], created_at=created).returning(AlertRow.id)).scalar_one()
            for channel in channels:
                conn.execute(insert(DeliveryRow).values(alert_id=alert_id, subscription="group", channel=channel,
                                                        mode=mode, status="pending", next_attempt_at=created,
                                                        created_at=created))


def test_workers_starting_together_register_the_same_new_sources(postgres_url):
    """Three workers (or three SIGHUP reloads) adding the same new sources at the same moment all succeed."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    errors: list[str] = []
    try:
        for trial in range(3):
            configured = [(f"s{trial}-{i}", "feed", "northshire") for i in range(300)]
            barrier = threading.Barrier(3)

            def register(configured: list[tuple[str, str, str]] = configured, barrier=barrier) -> None:
                own = make_engine(postgres_url)
                try:
                    barrier.wait()
                    Repo(session_factory(own)).sync_sources(iter(configured), datetime.now(UTC))
                except Exception as e:
                    errors.append(f"{type(e).__name__}: {e}"[:300])
                finally:
                    own.dispose()

            threads = [threading.Thread(target=register) for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        with engine.connect() as conn:
            count = conn.execute(select(func.count(SourceRow.id))).scalar()
    finally:
        engine.dispose()
    assert errors == [] and count == 900, errors


def test_a_pass_whose_claims_lapsed_leaves_what_another_worker_took(postgres_url, mailbox, webhook, tmp_path):
    """Worker A's delivery pass began long ago (a slow channel), so the claims it takes have already lapsed;
    worker B takes them over. A must not send what B took: each claim is renewed just before its send."""
    config = _outbox_config(tmp_path, postgres_url, mailbox, webhook)
    store_a = AppStore.open(config)
    store_b = AppStore(config.database_url)
    for store in (store_a, store_b):
        store.deliveries.claim_seconds = 2.0
    now = datetime.now(UTC)
    _add_alerts(store_a, 3, now - timedelta(minutes=1), channels=("hook",), mode="instant")
    a = Monitor(config, store_a, worker="worker-a").outbox
    b = Monitor(config, store_b, worker="worker-b").outbox

    async def both() -> tuple[DeliverySummary, DeliverySummary]:
        task_a = asyncio.create_task(a.deliver_due(now - timedelta(seconds=10)))
        await asyncio.sleep(0)              # A claims all three, renews the first and starts sending it
        summary_b = await b.deliver_due(datetime.now(UTC))   # B finds the other two claims lapsed
        return await task_a, summary_b

    try:
        summary_a, summary_b = asyncio.run(both())
    finally:
        store_a.close()
        store_b.close()
    assert (summary_a.sent, summary_b.sent) == (1, 2)
    assert sorted(token(str(r["payload"]["title"])) for r in webhook.received) == ["000", "001", "002"]
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            rows = list(conn.execute(select(DeliveryRow.status, DeliveryRow.attempts)))
    finally:
        engine.dispose()
    assert rows == [("sent", 1)] * 3


def test_three_workers_send_each_digest_period_once(postgres_url, mailbox, webhook, tmp_path):
    """Three workers' delivery passes run at the same moment when a daily digest period has ended."""
    config = _outbox_config(tmp_path, postgres_url, mailbox, webhook, delivery="daily 08:00")
    AppStore.open(config).close()
    now = datetime.now(UTC)
    setup = AppStore(config.database_url)
    _add_alerts(setup, 4, now - timedelta(days=2), channels=("mail", "hook"), mode="digest")
    setup.close()
    barrier = threading.Barrier(3)
    summaries: list[DeliverySummary] = []

    def worker(k: int) -> None:
        store = AppStore(config.database_url)
        try:
            outbox = Monitor(config, store, worker=f"worker-{k}").outbox
            barrier.wait()
            summaries.append(asyncio.run(outbox.deliver_due(now)))
        finally:
            store.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(s.digests for s in summaries) == 2 and not any(s.errors for s in summaries), summaries
    assert len(mailbox.messages) == 1 and len(webhook.received) == 1
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            digests = list(conn.execute(select(DigestRow.channel, DigestRow.status)))
            deliveries = list(conn.execute(select(DeliveryRow.status)))
    finally:
        engine.dispose()
    assert sorted(digests) == [("hook", "sent"), ("mail", "sent")]
    assert deliveries == [("sent",)] * 8
