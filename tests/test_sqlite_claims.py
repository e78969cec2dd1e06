"""On one SQLite file, two processes claiming at the same instant never both take a source or a delivery
(the claim's UPDATE re-checks the lease and returns only the rows it took)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from monitor.store.db import make_engine, session_factory
from monitor.store.deliveries import DeliveryStore
from monitor.store.migrate import upgrade
from monitor.store.models import AlertRow, DeliveryRow
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
