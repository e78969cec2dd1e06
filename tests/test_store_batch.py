"""The batched store paths of a cycle against the one-check-one-transaction path they stand in for.

``Repo.record_quiet`` (many checks that found nothing new, in one transaction) must leave the store as
``Repo.record_success`` would have; the Core upsert of items keeps the ORM path's rules (later updates of a
key win, a revision only for a changed hash, a hash-less update keeps the known hash); and a whole
``run --once`` cycle of quiet sources goes through the batch and still records every check.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from monitor.extract.types import PageText
from monitor.sources.base import CheckOutcome, ItemUpdate, Observation
from monitor.store.db import make_engine, session_factory
from monitor.store.migrate import upgrade
from monitor.store.models import CheckRow, ItemRow, RevisionRow, SourceRow
from monitor.store.repo import CheckRecord, QuietSuccess, Repo, now_utc, unpack_text

SOURCE_FIELDS = ("state", "baseline_done", "last_checked", "last_success", "last_changed", "last_error",
                 "consecutive_failures", "next_due", "lease_owner", "lease_until")
CHECK_FIELDS = ("started_at", "duration_ms", "outcome", "http_status", "error", "new_items", "alerts", "worker")


@pytest.fixture
def repo(sqlite_url):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield Repo(session_factory(engine))
    engine.dispose()


def snapshot(repo: Repo, sid: str) -> tuple[dict, dict]:
    with repo.sessions() as s:
        src = s.get(SourceRow, sid)
        check = s.scalars(select(CheckRow).where(CheckRow.source_id == sid).order_by(CheckRow.id.desc())).first()
        return ({f: getattr(src, f) for f in SOURCE_FIELDS}, {f: getattr(check, f) for f in CHECK_FIELDS})


def test_record_quiet_writes_what_record_success_writes(repo):
    now = now_utc()
    repo.sync_sources([("a", "feed", None), ("b", "feed", None), ("c", "feed", "x")], now - timedelta(hours=1))
    repo.claim_due(["a", "b", "c"], "w1", now, 900, 10, force=True)
    repo.record_failure(CheckRecord("a", now, 3, "error", 503, "HTTP 503", "w1"), now)  # a failure to clear
    cases = [("a", CheckOutcome.NOT_MODIFIED, 304, {"etag": '"1"'}, []),
             ("b", CheckOutcome.UNCHANGED, 200, {"body_hash": "h", "last_modified": "Mon"}, ["a note"]),
             ("c", CheckOutcome.NOT_MODIFIED, 304, {}, [])]
    expected = {}
    for sid, outcome, status, state, notes in cases:  # the one-transaction path, then the state is reset
        rec = CheckRecord(sid, now, 12, outcome.value, status, worker="w1")
        obs = Observation(outcome, status, state=state, notes=notes)
        repo.record_success(rec, obs, [], next_due=now + timedelta(hours=6), baseline=sid == "c")
        expected[sid] = snapshot(repo, sid)
    with repo.sessions.begin() as s:
        for row in s.scalars(select(SourceRow)):
            row.state, row.baseline_done, row.last_error, row.consecutive_failures = {}, False, "old", 2
            row.last_checked = row.last_success = row.next_due = None
            row.lease_owner, row.lease_until = "w1", now + timedelta(minutes=15)
    repo.record_quiet([QuietSuccess(CheckRecord(sid, now, 12, outcome.value, status, worker="w1"),
                                    "baseline" if sid == "c" else outcome.value, status, state, notes,
                                    now + timedelta(hours=6)) for sid, outcome, status, state, notes in cases])
    for sid in expected:
        assert snapshot(repo, sid) == expected[sid]
    with repo.sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckRow)) == 7  # 1 failure + 3 single + 3 batched


def test_record_quiet_of_nothing_is_a_no_op(repo):
    repo.record_quiet([])
    with repo.sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckRow)) == 0


def test_core_upsert_keeps_the_item_rules(repo):
    now = now_utc()
    repo.sync_sources([("s", "board_papers", None), ("other", "board_papers", None)], now)
    page = [PageText(1, "first text")]
    first = [ItemUpdate("doc:a", "document", "http://x/a", "A", "h1", {"n": 1}, page),
             ItemUpdate("doc:b", "document", "http://x/b", "B", None, {"baseline": True}),
             ItemUpdate("doc:a", "document", "http://x/a", "A again", "h2", {"n": 2}, [PageText(1, "second")])]
    repo.record_success(CheckRecord("s", now, 5, "baseline"), Observation(CheckOutcome.BASELINE, 200, first),
                        [], next_due=now, baseline=True)
    repo.record_success(CheckRecord("other", now, 5, "baseline"),
                        Observation(CheckOutcome.BASELINE, 200, [ItemUpdate("doc:a", "document", "http://x/a")]),
                        [], next_due=now, baseline=True)
    items = repo.items("s")
    assert set(items) == {"doc:a", "doc:b"}
    assert (items["doc:a"].content_hash, items["doc:a"].title, items["doc:a"].data) == ("h2", "A again", {"n": 2})
    assert items["doc:b"].content_hash is None and items["doc:b"].data == {"baseline": True}
    assert repo.latest_text("s", "doc:a") == [PageText(1, "second")]

    later = now + timedelta(hours=1)
    second = [ItemUpdate("doc:a", "document", "http://x/a", "A", None, {"n": 3}),      # no hash: keeps h2
              ItemUpdate("doc:b", "document", "http://x/b", "B", "hb", {}, page),       # first text of b
              ItemUpdate("doc:c", "document", "http://x/c", "C", "hc", {}, None, "HTTP 404")]
    repo.record_success(CheckRecord("s", later, 5, "changed"), Observation(CheckOutcome.CHANGED, 200, second),
                        [], next_due=later, baseline=False)
    items = repo.items("s")
    assert items["doc:a"].content_hash == "h2" and items["doc:a"].data == {"n": 3}
    assert items["doc:b"].content_hash == "hb" and repo.latest_text("s", "doc:b") == page
    with repo.sessions() as s:
        rows = {r.key: r for r in s.scalars(select(ItemRow).where(ItemRow.source_id == "s"))}
        assert rows["doc:c"].error == "HTTP 404" and rows["doc:c"].kind == "document"
        done = timedelta(milliseconds=5)  # a check's rows are stamped when it ended
        assert rows["doc:a"].first_seen == now + done and rows["doc:a"].last_seen == later + done
        revisions = list(s.scalars(select(RevisionRow).order_by(RevisionRow.id)))
        assert [(r.item_id, r.content_hash) for r in revisions] == [
            (rows["doc:a"].id, "h1"), (rows["doc:a"].id, "h2"), (rows["doc:b"].id, "hb")]
        assert unpack_text(revisions[0].text_z) == page
        assert s.scalar(select(func.count()).select_from(ItemRow).where(ItemRow.source_id == "other")) == 1


def test_sources_by_id_reads_many_rows_at_once(repo):
    ids = [f"s{n:04d}" for n in range(1200)]
    repo.sync_sources(((sid, "feed", None) for sid in ids), now_utc())
    rows = repo.sources_by_id([*ids, "missing"])
    assert set(rows) == set(ids) and rows["s0007"].kind == "feed"
