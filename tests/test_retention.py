"""Old revisions of a document's text are pruned after the source's `retention`; the newest always stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from monitor.app import Monitor, Store
from monitor.config import load_config
from monitor.extract.types import PageText
from monitor.sources.base import CheckOutcome, ItemUpdate, Observation
from monitor.store.models import RevisionRow
from monitor.store.repo import CheckRecord

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def revisions(store: Store) -> int:
    with store.repo.sessions() as s:
        return int(s.scalar(select(func.count(RevisionRow.id))))


def store_revision(store: Store, source_id: str, when: datetime, text: str) -> None:
    obs = Observation(CheckOutcome.CHANGED, 200, items=[
        ItemUpdate(key="doc:x", kind="document", url=f"http://example.org/{source_id}.pdf", content_hash=str(hash(text)),
                   text=[PageText(1, text)])])
    store.repo.record_success(CheckRecord(source_id, when, 1, "changed"), obs, [], next_due=when, baseline=False)


def test_prune_keeps_newest_and_honours_each_sources_retention(tmp_path):
    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"""version: 1
database_url: sqlite:///{tmp_path}/m.db
sources:
  - {{id: short, kind: board_papers, url: "http://example.org/a/", retention: 30d}}
  - {{id: long, kind: board_papers, url: "http://example.org/b/"}}
""")
    config = load_config(cfg, {})
    store = Store.open(config)
    store.repo.sync_sources([("short", "board_papers", None), ("long", "board_papers", None)], T0)
    for sid in ("short", "long"):
        store_revision(store, sid, T0, "first version")
        store_revision(store, sid, T0 + timedelta(days=10), "second version")
        store_revision(store, sid, T0 + timedelta(days=20), "third version")
    assert revisions(store) == 6
    pruned = Monitor(config, store).prune_revisions(T0 + timedelta(days=45))
    assert pruned == 2                                    # short: the first two (older than 30 days) go
    assert store.repo.latest_text("short", "doc:x") == [PageText(1, "third version")]
    assert revisions(store) == 4                          # long (a year) keeps all three
    assert Monitor(config, store).prune_revisions(T0 + timedelta(days=1000)) == 2   # newest of each stays
    assert revisions(store) == 2
    store.close()
