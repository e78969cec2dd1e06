"""On one SQLite file, two processes claiming at the same instant never both take a source, a delivery or an
admin notice (the claim's UPDATE re-checks the lease and returns only the rows it took); notices on
PostgreSQL too."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from monitor.store.db import make_engine, session_factory
from monitor.store.deliveries import DeliveryStore
from monitor.store.migrate import upgrade
from monitor.store.models import AlertRow, DeliveryRow, DigestRow
from monitor.store.repo import Repo

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def race(fns):
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_sources_are_leased_once(sqlite_url):
    upgrade(make_engine(sqlite_url))
    repos = [Repo(session_factory(make_engine(sqlite_url))) for _ in range(3)]  # three "processes"
    ids = [f"s{i}" for i in range(60)]
    repos[0].sync_sources([(i, "feed", None) for i in ids], NOW)
    for _ in range(5):
        got = race([lambda r=r, n=n: r.claim_due(ids, f"w{n}", NOW, 60, 1000, force=True)
                    for n, r in enumerate(repos)])
        flat = [sid for g in got for sid in g]
        assert len(flat) == len(set(flat)) == len(ids)
        for n, g in enumerate(got):
            for sid in g:
                repos[n].release(sid, f"w{n}")


def test_deliveries_are_claimed_once(sqlite_url):
    upgrade(make_engine(sqlite_url))
    engines = [make_engine(sqlite_url) for _ in range(3)]
    with session_factory(engines[0]).begin() as s:
        for i in range(40):
            a = AlertRow(dedupe_key=f"k{i}", source_id="x", source_kind="feed", event="new_entry", categories=[],
                         title="t", url=None, area=None, evidence=[], organisations=[], created_at=NOW)
            s.add(a)
            s.flush()
            s.add(DeliveryRow(alert_id=a.id, subscription="sub", channel="hook", mode="instant", status="pending",
                              next_attempt_at=NOW, created_at=NOW))
    stores = [DeliveryStore(session_factory(e)) for e in engines]
    got = race([lambda st=st, n=n: st.claim_instant(NOW, f"w{n}") for n, st in enumerate(stores)])
    flat = [c.id for g in got for c in g]
    assert len(flat) == len(set(flat)) == 40


def test_admin_notices_are_claimed_once_even_when_forced(sqlite_url):
    _notices_claimed_once(sqlite_url)


def test_admin_notices_are_claimed_once_even_when_forced_postgres(postgres_url):
    _notices_claimed_once(postgres_url)


def _notices_claimed_once(url):
    upgrade(make_engine(url))
    stores = [DeliveryStore(session_factory(make_engine(url)), claim_seconds=300) for _ in range(3)]
    for i in range(30):
        assert stores[0].add_notice(f"source-failing:s{i}", f"Source s{i} is failing", "body", NOW)
    assert not stores[0].add_notice("source-failing:s0", "again", "body", NOW)  # once per key
    # three `deliver --now` passes at the same instant: each notice goes to one of them
    got = race([lambda st=st: st.claim_notices(NOW, force=True) for st in stores])
    flat = [n.id for g in got for n in g]
    assert len(flat) == len(set(flat)) == 30
    # a notice being sent is not taken again, forced or not, until its claim runs out
    assert stores[0].claim_notices(NOW + timedelta(seconds=10), force=True) == []
    first = next(g[0] for g in got if g)
    stores[0].finish_notice(first.id, NOW, "smtp down", NOW + timedelta(hours=1))  # failed: back in the queue
    assert stores[1].claim_notices(NOW + timedelta(seconds=20)) == []          # waiting out its backoff
    retried = stores[1].claim_notices(NOW + timedelta(seconds=20), force=True)  # an admin's --now takes it
    assert [n.id for n in retried] == [first.id]
    stores[1].finish_notice(first.id, NOW, None, NOW)
    lapsed = stores[2].claim_notices(NOW + timedelta(seconds=301))  # the other claims ran out: a pass died
    assert sorted(n.id for n in lapsed) == sorted(set(flat) - {first.id})
    for n in lapsed:
        stores[2].finish_notice(n.id, NOW, None, NOW)
    assert stores[0].claim_notices(NOW + timedelta(days=1), force=True) == []  # sent: never again


def test_digests_are_claimed_once(sqlite_url):
    upgrade(make_engine(sqlite_url))
    stores = [DeliveryStore(session_factory(make_engine(sqlite_url))) for _ in range(3)]
    with stores[0].sessions.begin() as s:
        for i in range(20):
            s.add(DigestRow(subscription=f"sub{i}", channel="mail", period_start=NOW, period_end=NOW,
                            status="pending", next_attempt_at=NOW))
    got = race([lambda st=st, n=n: st.claim_digests(NOW, f"w{n}", force=True) for n, st in enumerate(stores)])
    owners = {d.id: d.claimed_by for n, g in enumerate(got) for d, _ in g}
    assert len([d for g in got for d, _ in g]) == len(owners) == 20
    assert all(owner == f"w{n}" for n, g in enumerate(got) for d, _ in g for owner in [owners[d.id]])
    assert stores[0].claim_digests(NOW, "late", force=True) == []  # all claimed: --now waits for their claims
