"""Every query about sources, items, checks and alerts. No SQL outside ``monitor/store``."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

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


def pack_text(pages: Sequence[PageText]) -> bytes:
    return zlib.compress(json.dumps([[p.page, p.text] for p in pages], ensure_ascii=False).encode("utf-8"), 6)


def unpack_text(blob: bytes) -> list[PageText]:
    return [PageText(page, text) for page, text in json.loads(zlib.decompress(blob).decode("utf-8"))]


class Repo:
    """Short transactions over a session factory."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # -- sources -------------------------------------------------------------------------------
    def sync_sources(self, configured: Iterable[tuple[str, str, str | None]], now: datetime) -> None:
        """Make sure every configured (id, kind, area) has a row; new ones are due now."""
        with self.sessions.begin() as s:
            existing = {r.id: r for r in s.scalars(select(SourceRow))}
            for sid, kind, area in configured:
                row = existing.get(sid)
                if row is None:
                    s.add(SourceRow(id=sid, kind=kind, area=area, state={}, next_due=now))
                elif row.kind != kind or row.area != area:
                    row.kind, row.area = kind, area

    def source(self, source_id: str) -> SourceRow | None:
        with self.sessions() as s:
            return s.get(SourceRow, source_id)

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
            got = list(s.scalars(q))
            if got:
                s.execute(update(SourceRow).where(SourceRow.id.in_(got))
                          .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease)))
            return got

    def release(self, source_id: str, owner: str) -> None:
        with self.sessions.begin() as s:
            s.execute(update(SourceRow).where(SourceRow.id == source_id, SourceRow.lease_owner == owner)
                      .values(lease_owner=None, lease_until=None))

    def next_due_at(self, ids: Sequence[str]) -> datetime | None:
        with self.sessions() as s:
            return s.scalar(select(func.min(SourceRow.next_due)).where(SourceRow.id.in_(list(ids))))

    # -- items ---------------------------------------------------------------------------------
    def items(self, source_id: str) -> dict[str, ItemRecord]:
        with self.sessions() as s:
            rows = s.execute(select(ItemRow.key, ItemRow.content_hash, ItemRow.data, ItemRow.url, ItemRow.title)
                             .where(ItemRow.source_id == source_id))
            return {r.key: ItemRecord(r.key, r.content_hash, r.data or {}, r.url, r.title) for r in rows}

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

    def prune_revisions(self, before: datetime) -> int:
        """Delete revisions older than ``before``, always keeping each item's newest."""
        with self.sessions.begin() as s:
            newest = select(func.max(RevisionRow.id)).group_by(RevisionRow.item_id)
            res = s.execute(delete(RevisionRow).where(RevisionRow.created_at < before, RevisionRow.id.not_in(newest)))
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
            src = s.get(SourceRow, rec.source_id)
            if src is not None:
                src.state = obs.state
                src.baseline_done = True
                src.last_checked = src.last_success = now
                if obs.items:
                    src.last_changed = now
                src.last_error = None
                src.consecutive_failures = 0
                src.next_due = next_due
                src.lease_owner = src.lease_until = None
            s.add(CheckRow(source_id=rec.source_id, started_at=rec.started_at, duration_ms=rec.duration_ms,
                           outcome="baseline" if baseline else obs.outcome.value, http_status=obs.http_status,
                           error="; ".join(obs.notes)[:2000] or None, new_items=len(obs.items), alerts=len(created),
                           worker=rec.worker))
        return created

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
        if not items:
            return
        keys = [i.key for i in items]
        existing: dict[str, ItemRow] = {}
        for chunk in range(0, len(keys), 500):
            for row in s.scalars(select(ItemRow).where(ItemRow.source_id == source_id,
                                                       ItemRow.key.in_(keys[chunk:chunk + 500]))):
                existing[row.key] = row
        for item in items:
            row = existing.get(item.key)
            if row is None:
                row = ItemRow(source_id=source_id, key=item.key, kind=item.kind, first_seen=now)
                s.add(row)
                existing[item.key] = row
            row.url, row.title, row.data, row.error, row.last_seen = item.url, item.title, item.data, item.error, now
            changed = item.content_hash is not None and item.content_hash != row.content_hash
            row.content_hash = item.content_hash if item.content_hash is not None else row.content_hash
            if item.text is not None and changed:
                s.flush()
                s.add(RevisionRow(item_id=row.id, content_hash=item.content_hash, text_z=pack_text(item.text),
                                  created_at=now))

    def _insert_alert(self, s: Session, a: AlertDraft, now: datetime) -> int | None:
        existing = s.scalar(select(AlertRow.id).where(AlertRow.dedupe_key == a.dedupe_key))
        if existing is not None:
            self._add_targets(s, existing, a.targets, now)
            return None
        try:
            with s.begin_nested():
                row = AlertRow(dedupe_key=a.dedupe_key, source_id=a.source_id, source_kind=a.source_kind,
                               event=a.event, categories=a.categories, title=a.title[:2000], url=a.url, area=a.area,
                               evidence=a.evidence, organisations=a.organisations, petition=a.petition,
                               created_at=now)
                s.add(row)
                s.flush()
        except Exception as e:  # a concurrent worker stored the same event first
            if "unique" in str(e).lower() or "duplicate" in str(e).lower():
                return None
            raise
        self._add_targets(s, row.id, a.targets, now)
        return row.id

    @staticmethod
    def _add_targets(s: Session, alert_id: int, targets: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Deliveries an alert still lacks: the same event seen by another source (a joint board pack
        linked from two bodies' pages) reaches that source's subscribers too, still once each."""
        have = {(r[0], r[1]) for r in s.execute(select(DeliveryRow.subscription, DeliveryRow.channel)
                                                .where(DeliveryRow.alert_id == alert_id))}
        for sub, channel, mode in targets:
            if (sub, channel) not in have:
                have.add((sub, channel))
                s.add(DeliveryRow(alert_id=alert_id, subscription=sub, channel=channel, mode=mode,
                                  status="pending", next_attempt_at=now, created_at=now))

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
