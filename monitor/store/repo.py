"""Every query about sources, items, checks and alerts. No SQL outside ``monitor/store``."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor import faults
from monitor.extract.types import PageText
from monitor.sources.base import ItemRecord, ItemUpdate, Observation
from monitor.store.models import AlertRow, CheckRow, DeliveryRow, ItemRow, RevisionRow, SourceRow, utcnow


@dataclass(slots=True)
class AlertDraft:
    """An alert to store, with the deliveries it needs: (subscription, channel, mode)."""

    dedupe_key: str
    source_id: str
    source_kind: str
    event: str
    categories: list[str]
    title: str
    url: str | None
    area: str | None
    evidence: list[dict[str, Any]]
    organisations: list[str] = field(default_factory=list)
    petition: dict[str, Any] | None = None
    targets: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(slots=True)
class CheckRecord:
    source_id: str
    started_at: datetime
    duration_ms: int
    outcome: str
    http_status: int | None = None
    error: str | None = None
    worker: str | None = None


@dataclass(slots=True)
class QuietSuccess:
    """A successful check that found no new items and raised no alerts (a 304, unchanged bytes...): only the
    source's row and a check row change, so many of them are written together (:meth:`Repo.record_quiet`)."""

    rec: CheckRecord
    outcome: str
    http_status: int | None
    state: dict[str, Any]
    notes: list[str]
    next_due: datetime


_SOURCES = SourceRow.__table__
_CHECKS = CheckRow.__table__
_QUIET_UPDATE = (
    update(_SOURCES).where(_SOURCES.c.id == bindparam("b_id"))
    .values(state=bindparam("b_state", type_=_SOURCES.c.state.type), baseline_done=True,
            last_checked=bindparam("b_now", type_=_SOURCES.c.last_checked.type),
            last_success=bindparam("b_now", type_=_SOURCES.c.last_success.type), last_error=None,
            consecutive_failures=0, next_due=bindparam("b_next", type_=_SOURCES.c.next_due.type),
            lease_owner=None, lease_until=None)
)
_ID_CHUNK = 500
_ITEMS = ItemRow.__table__
_ALERTS = AlertRow.__table__
_DELIVERIES = DeliveryRow.__table__
_ITEM_UPDATE = (
    update(_ITEMS).where(_ITEMS.c.id == bindparam("b_id"))
    .values({c: bindparam(c, type_=_ITEMS.c[c].type) for c in ("url", "title", "data", "error", "last_seen",
                                                                 "content_hash")})
)


def _item_rows(source_id: str, items: Sequence[ItemUpdate], existing: dict[str, tuple[int, str | None]],
               now: datetime) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str | None, bytes]]]:
    """The column values each key ends up with, and the revisions to add as (key, hash, packed text)."""
    rows: dict[str, dict[str, Any]] = {}
    hashes = {key: digest for key, (_, digest) in existing.items()}
    revisions: list[tuple[str, str | None, bytes]] = []
    for item in items:
        old = hashes.get(item.key)
        changed = item.content_hash is not None and item.content_hash != old
        digest = item.content_hash if item.content_hash is not None else old
        hashes[item.key] = digest
        row = {"url": item.url, "title": item.title, "data": item.data, "error": item.error, "last_seen": now,
               "content_hash": digest}
        if item.key not in existing:
            first = rows.get(item.key)
            row.update(source_id=source_id, key=item.key, kind=first["kind"] if first else item.kind,
                       first_seen=now)
        rows[item.key] = row
        if item.text is not None and changed:
            revisions.append((item.key, item.content_hash, pack_text(item.text)))
    return rows, revisions


def pack_text(pages: Sequence[PageText]) -> bytes:
    """A document's pages for the revisions table: zlib level 1, six times faster than level 6 on a board
    pack (4 ms against 23 ms for 300 pages) for about a fifth more bytes."""
    return zlib.compress(json.dumps([[p.page, p.text] for p in pages], ensure_ascii=False).encode("utf-8"), 1)


def unpack_text(blob: bytes) -> list[PageText]:
    return [PageText(page, text) for page, text in json.loads(zlib.decompress(blob).decode("utf-8"))]


class Repo:
    """Short transactions over a session factory."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # -- sources -------------------------------------------------------------------------------
    def sync_sources(self, configured: Iterable[tuple[str, str, str | None]], now: datetime) -> None:
        """Make sure every configured (id, kind, area) has a row; new ones are due now. Two workers starting
        at once may both insert a new source: the loser's transaction fails and it tries again once."""
        configured = list(configured)
        try:
            self._sync_sources(configured, now)
        except IntegrityError:
            self._sync_sources(configured, now)

    def _sync_sources(self, configured: list[tuple[str, str, str | None]], now: datetime) -> None:
        with self.sessions.begin() as s:
            existing = {r.id: (r.kind, r.area) for r in s.execute(select(_SOURCES.c.id, _SOURCES.c.kind,
                                                                         _SOURCES.c.area))}
            new, moved = [], []
            for sid, kind, area in configured:
                if sid not in existing:
                    new.append({"id": sid, "kind": kind, "area": area, "state": {}, "next_due": now,
                                "baseline_done": False, "consecutive_failures": 0, "failing_notified": False})
                elif existing[sid] != (kind, area):
                    moved.append({"b_id": sid, "kind": kind, "area": area})
                existing[sid] = (kind, area)
            conn = s.connection()
            if new:
                conn.execute(insert(_SOURCES), new)
            if moved:
                conn.execute(update(_SOURCES).where(_SOURCES.c.id == bindparam("b_id"))
                             .values(kind=bindparam("kind"), area=bindparam("area")), moved)

    def source(self, source_id: str) -> SourceRow | None:
        with self.sessions() as s:
            return s.get(SourceRow, source_id)

    def sources_by_id(self, ids: Sequence[str]) -> dict[str, Any]:
        """The rows of ``ids`` (those that exist), in one query per 500 ids: a cycle loads its sources at once.
        Read-only rows with the columns as attributes (Core rows: a third of the cost of ORM objects)."""
        out: dict[str, Any] = {}
        table = SourceRow.__table__
        with self.sessions() as s:
            for start in range(0, len(ids), _ID_CHUNK):
                chunk = list(ids[start:start + _ID_CHUNK])
                out.update((r.id, r) for r in s.execute(select(*table.c).where(table.c.id.in_(chunk))))
        return out

    def sources(self) -> list[SourceRow]:
        with self.sessions() as s:
            return list(s.scalars(select(SourceRow).order_by(SourceRow.id)))

    def claim_due(self, ids: Sequence[str], owner: str, now: datetime, lease: float, limit: int,
                  force: bool = False) -> list[str]:
        """Take a lease on up to ``limit`` due sources among ``ids`` (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
        if not ids:
            return []
        with self.sessions.begin() as s:
            q = select(SourceRow.id).where(SourceRow.id.in_(list(ids)))
            q = q.where(or_(SourceRow.lease_until.is_(None), SourceRow.lease_until < now))
            if not force:
                q = q.where(or_(SourceRow.next_due.is_(None), SourceRow.next_due <= now))
            q = q.order_by(SourceRow.next_due).limit(limit).with_for_update(skip_locked=True)
            candidates = list(s.scalars(q))
            if not candidates:
                return []
            # Re-check the lease in the UPDATE and keep only the rows it took (see DeliveryStore.claim_instant).
            free = or_(SourceRow.lease_until.is_(None), SourceRow.lease_until < now)
            taken = set(s.scalars(update(SourceRow).where(SourceRow.id.in_(candidates), free)
                                  .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease))
                                  .returning(SourceRow.id)))
            return [sid for sid in candidates if sid in taken]

    def renew_leases(self, ids: Sequence[str], owner: str, now: datetime, lease: float) -> int:
        """Extend this owner's leases on ``ids`` to ``now + lease``; how many it still held."""
        if not ids:
            return 0
        with self.sessions.begin() as s:
            result = s.execute(update(SourceRow).where(SourceRow.id.in_(list(ids)), SourceRow.lease_owner == owner)
                               .values(lease_until=now + timedelta(seconds=lease)))
            return int(result.rowcount)  # type: ignore[attr-defined]

    def lease_holders(self, ids: Sequence[str], now: datetime) -> dict[str, tuple[str, datetime]]:
        """The sources among ``ids`` whose lease has not run out: their holder and until when."""
        if not ids:
            return {}
        with self.sessions() as s:
            rows = s.execute(select(SourceRow.id, SourceRow.lease_owner, SourceRow.lease_until)
                             .where(SourceRow.id.in_(list(ids)), SourceRow.lease_until >= now))
            return {sid: (owner or "?", until) for sid, owner, until in rows}

    def release(self, source_id: str, owner: str) -> None:
        with self.sessions.begin() as s:
            s.execute(update(SourceRow).where(SourceRow.id == source_id, SourceRow.lease_owner == owner)
                      .values(lease_owner=None, lease_until=None))

    def next_due_at(self, ids: Sequence[str]) -> datetime | None:
        with self.sessions() as s:
            return s.scalar(select(func.min(SourceRow.next_due)).where(SourceRow.id.in_(list(ids))))

    # -- items ---------------------------------------------------------------------------------
    def items(self, source_id: str) -> dict[str, ItemRecord]:
        c = _ITEMS.c
        with self.sessions() as s:  # Core: a changed board page reads hundreds of items, a cycle thousands
            rows = s.connection().execute(select(c.key, c.content_hash, c.data, c.url, c.title)
                                          .where(c.source_id == source_id))
            return {key: ItemRecord(key, digest, data or {}, url, title) for key, digest, data, url, title in rows}

    def latest_text(self, source_id: str, key: str) -> list[PageText] | None:
        with self.sessions() as s:
            blob = s.scalar(select(RevisionRow.text_z).join(ItemRow, RevisionRow.item_id == ItemRow.id)
                            .where(ItemRow.source_id == source_id, ItemRow.key == key)
                            .order_by(RevisionRow.id.desc()).limit(1))
            return unpack_text(blob) if blob is not None else None

    def item_by_url(self, url: str, exclude_source: str) -> ItemRecord | None:
        with self.sessions() as s:
            row = s.scalars(select(ItemRow).where(ItemRow.url == url, ItemRow.source_id != exclude_source,
                                                  ItemRow.content_hash.is_not(None)).limit(1)).first()
            return ItemRecord(row.key, row.content_hash, row.data or {}, row.url, row.title) if row else None

    def prune_revisions(self, before: datetime, source_id: str | None = None) -> int:
        """Delete revisions older than ``before`` (of one source's items, or all), keeping each item's newest."""
        with self.sessions.begin() as s:
            newest = select(func.max(RevisionRow.id)).group_by(RevisionRow.item_id)
            q = delete(RevisionRow).where(RevisionRow.created_at < before, RevisionRow.id.not_in(newest))
            if source_id is not None:
                q = q.where(RevisionRow.item_id.in_(select(ItemRow.id).where(ItemRow.source_id == source_id)))
            res = s.execute(q)
            return int(res.rowcount or 0)  # type: ignore[attr-defined]

    # -- one check, one transaction ------------------------------------------------------------
    def record_success(self, rec: CheckRecord, obs: Observation, alerts: Sequence[AlertDraft], *,
                       next_due: datetime, baseline: bool) -> list[int]:
        """Items, alerts (deduplicated), deliveries, the source's state and the check row, atomically.
        Returns the ids of the alerts created."""
        now = rec.started_at + timedelta(milliseconds=rec.duration_ms)
        with self.sessions.begin() as s:
            self._upsert_items(s, rec.source_id, obs.items, now)
            created = [aid for a in alerts if (aid := self._insert_alert(s, a, now)) is not None]
            conn = s.connection()
            changed = {"last_changed": now} if obs.items else {}
            conn.execute(update(_SOURCES).where(_SOURCES.c.id == rec.source_id).values(
                state=obs.state, baseline_done=True, last_checked=now, last_success=now, last_error=None,
                consecutive_failures=0, next_due=next_due, lease_owner=None, lease_until=None, **changed))
            conn.execute(insert(_CHECKS).values(
                source_id=rec.source_id, started_at=rec.started_at, duration_ms=rec.duration_ms,
                outcome="baseline" if baseline else obs.outcome.value, http_status=obs.http_status,
                error="; ".join(obs.notes)[:2000] or None, new_items=len(obs.items), alerts=len(created),
                worker=rec.worker))
            faults.point("repo.commit")
        faults.point("repo.committed")
        return created

    def record_quiet(self, checks: Sequence[QuietSuccess]) -> None:
        """Record many successful checks that found nothing new, in one transaction: for each, what
        :meth:`record_success` would write for an observation without items or alerts."""
        if not checks:
            return
        sources, rows = [], []
        for q in checks:
            rec = q.rec
            now = rec.started_at + timedelta(milliseconds=rec.duration_ms)
            sources.append({"b_id": rec.source_id, "b_state": q.state, "b_now": now, "b_next": q.next_due})
            rows.append({"source_id": rec.source_id, "started_at": rec.started_at, "duration_ms": rec.duration_ms,
                         "outcome": q.outcome, "http_status": q.http_status,
                         "error": "; ".join(q.notes)[:2000] or None, "new_items": 0, "alerts": 0,
                         "worker": rec.worker})
        with self.sessions.begin() as s:
            conn = s.connection()
            conn.execute(_QUIET_UPDATE, sources)
            conn.execute(insert(_CHECKS), rows)

    def record_failure(self, rec: CheckRecord, next_due: datetime) -> int:
        """Record a failed check; the stored state is untouched. Returns the failures in a row."""
        with self.sessions.begin() as s:
            s.add(CheckRow(source_id=rec.source_id, started_at=rec.started_at, duration_ms=rec.duration_ms,
                           outcome="error", http_status=rec.http_status, error=rec.error, worker=rec.worker))
            src = s.get(SourceRow, rec.source_id)
            if src is None:
                return 0
            src.last_checked = rec.started_at
            src.last_error = rec.error
            src.consecutive_failures += 1
            src.next_due = next_due
            src.lease_owner = src.lease_until = None
            return src.consecutive_failures

    def set_failing_notified(self, source_id: str, value: bool) -> bool:
        """Flip the flag; True if it changed (so a notice is sent once per episode)."""
        with self.sessions.begin() as s:
            res = s.execute(update(SourceRow).where(SourceRow.id == source_id, SourceRow.failing_notified != value)
                            .values(failing_notified=value))
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def _upsert_items(self, s: Session, source_id: str, items: Sequence[ItemUpdate], now: datetime) -> None:
        """Insert or update ``items`` (later updates of one key win) and add a revision for each new text,
        with a few multi-row Core statements: a board baseline records hundreds of documents at once."""
        if not items:
            return
        existing: dict[str, tuple[int, str | None]] = {}  # key -> (id, content_hash)
        keys = list(dict.fromkeys(i.key for i in items))
        for start in range(0, len(keys), _ID_CHUNK):
            q = select(_ITEMS.c.key, _ITEMS.c.id, _ITEMS.c.content_hash).where(
                _ITEMS.c.source_id == source_id, _ITEMS.c.key.in_(keys[start:start + _ID_CHUNK]))
            existing.update((r.key, (r.id, r.content_hash)) for r in s.execute(q))
        rows, revisions = _item_rows(source_id, items, existing, now)
        conn = s.connection()
        new = [row for key, row in rows.items() if key not in existing]
        if new:
            conn.execute(insert(_ITEMS), new)
        old = [{**row, "b_id": existing[key][0]} for key, row in rows.items() if key in existing]
        if old:
            conn.execute(_ITEM_UPDATE, old)
        if revisions:
            ids = {k: v[0] for k, v in existing.items()}
            missing = [key for key, _, _ in revisions if key not in ids]
            for start in range(0, len(missing), _ID_CHUNK):
                q = select(_ITEMS.c.key, _ITEMS.c.id).where(_ITEMS.c.source_id == source_id,
                                                           _ITEMS.c.key.in_(missing[start:start + _ID_CHUNK]))
                ids.update((r.key, r.id) for r in s.execute(q))
            conn.execute(insert(RevisionRow.__table__), [
                {"item_id": ids[key], "content_hash": digest, "text_z": blob, "created_at": now}
                for key, digest, blob in revisions])

    def _insert_alert(self, s: Session, a: AlertDraft, now: datetime) -> int | None:
        """The alert's row (Core statements: a cycle may store hundreds), unless its event is stored already,
        when only the deliveries it lacks are added."""
        conn = s.connection()
        existing = conn.scalar(select(_ALERTS.c.id).where(_ALERTS.c.dedupe_key == a.dedupe_key))
        if existing is not None:
            self._add_targets(s, existing, a.targets, now)
            return None
        try:
            with s.begin_nested():
                alert_id = conn.execute(insert(_ALERTS).values(
                    dedupe_key=a.dedupe_key, source_id=a.source_id, source_kind=a.source_kind, event=a.event,
                    categories=a.categories, title=a.title[:2000], url=a.url, area=a.area, evidence=a.evidence,
                    organisations=a.organisations, petition=a.petition, created_at=now,
                ).returning(_ALERTS.c.id)).scalar_one()
        except Exception as e:  # a concurrent worker stored the same event first
            if "unique" in str(e).lower() or "duplicate" in str(e).lower():
                return None
            raise
        self._add_targets(s, alert_id, a.targets, now, known=False)
        return int(alert_id)

    @staticmethod
    def _add_targets(s: Session, alert_id: int, targets: Sequence[tuple[str, str, str]], now: datetime,
                     known: bool = True) -> None:
        """Deliveries an alert still lacks: the same event seen by another source (a joint board pack
        linked from two bodies' pages) reaches that source's subscribers too, still once each.
        ``known``: the alert may have deliveries already (else it was just created)."""
        if not targets:
            return
        conn = s.connection()
        have: set[tuple[str, str]] = set()
        if known:
            have = {(r[0], r[1]) for r in conn.execute(select(_DELIVERIES.c.subscription, _DELIVERIES.c.channel)
                                                        .where(_DELIVERIES.c.alert_id == alert_id))}
        rows = []
        for sub, channel, mode in targets:
            if (sub, channel) not in have:
                have.add((sub, channel))
                rows.append({"alert_id": alert_id, "subscription": sub, "channel": channel, "mode": mode,
                             "status": "pending", "next_attempt_at": now, "created_at": now})
        if rows:
            conn.execute(insert(_DELIVERIES), rows)

    # -- reading alerts ------------------------------------------------------------------------
    def alerts(self, *, since: datetime | None = None, limit: int | None = 50,
               ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Alerts as contract records (section 4), newest first, with their deliveries."""
        with self.sessions() as s:
            q = select(AlertRow).order_by(AlertRow.created_at.desc(), AlertRow.id.desc())
            if since is not None:
                q = q.where(AlertRow.created_at >= since)
            if ids is not None:
                q = q.where(AlertRow.id.in_(list(ids)))
            if limit:
                q = q.limit(limit)
            rows = list(s.scalars(q))
            dels: dict[int, list[DeliveryRow]] = {}
            if rows:
                for d in s.scalars(select(DeliveryRow).where(DeliveryRow.alert_id.in_([r.id for r in rows]))
                                   .order_by(DeliveryRow.id)):
                    dels.setdefault(d.alert_id, []).append(d)
            return [alert_record(r, dels.get(r.id, [])) for r in rows]

    def counts(self) -> dict[str, Any]:
        with self.sessions() as s:
            return {
                "alerts": s.scalar(select(func.count(AlertRow.id))) or 0,
                "deliveries": {r[0]: r[1] for r in s.execute(select(DeliveryRow.status, func.count())
                                                             .group_by(DeliveryRow.status))},
            }


def iso(dt: datetime | None) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def alert_record(row: AlertRow, deliveries: Sequence[DeliveryRow]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id, "source": row.source_id, "source_kind": row.source_kind, "event": row.event,
        "categories": list(row.categories or []), "title": row.title, "url": row.url, "area": row.area,
        "evidence": list(row.evidence or []), "organisations": list(row.organisations or []),
        "created_at": iso(row.created_at),
        "deliveries": [{"subscription": d.subscription, "channel": d.channel, "status": d.status,
                        "attempts": d.attempts, "mode": d.mode, "last_error": d.last_error,
                        "sent_at": iso(d.sent_at)} for d in deliveries],
    }
    if row.petition is not None:
        out["petition"] = row.petition
    return out


def now_utc() -> datetime:
    return utcnow()
