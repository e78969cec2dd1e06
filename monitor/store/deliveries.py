"""Outbox queries: claiming due sends (one worker each), marking them, digests and admin notices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.models import AlertRow, DeliveryRow, DigestRow, NoticeRow, utcnow
from monitor.store.repo import alert_record

CLAIM_SECONDS = 300.0


@dataclass(slots=True)
class Claimed:
    id: int
    channel: str
    subscription: str
    attempts: int
    created_at: datetime
    alert: dict[str, Any]


def _claimable(model: Any, now: datetime) -> Any:
    return or_(model.claimed_until.is_(None), model.claimed_until < now)


def _take(s: Session, model: Any, takeable: Any, values: dict[str, Any], limit: int) -> list[Any]:
    """Claim up to ``limit`` rows of ``model`` that are ``takeable``, oldest first, and return them as they are now.

    The candidates are locked (``SKIP LOCKED`` where the store has row locks), then an UPDATE re-checks
    ``takeable`` and keeps only the rows it changed: on SQLite (no row locks, and the driver begins the
    transaction only at the first write) another process may have taken some in between."""
    ids = list(s.scalars(select(model.id).where(takeable).order_by(model.id).limit(limit)
                         .with_for_update(skip_locked=True)))
    if not ids:
        return []
    got = set(s.scalars(update(model).where(model.id.in_(ids), takeable).values(**values).returning(model.id)))
    return list(s.scalars(select(model).where(model.id.in_(got)).order_by(model.id)
                          .execution_options(populate_existing=True)))


class DeliveryStore:
    """Short transactions; a claim is a lease (claimed_by/claimed_until) taken with SKIP LOCKED.

    :param claim_seconds: how long a claim keeps other workers off a send (renewed just before the send).
    """

    def __init__(self, sessions: sessionmaker[Session], *, claim_seconds: float = CLAIM_SECONDS) -> None:
        self.sessions = sessions
        self.claim_seconds = claim_seconds

    def claim_instant(self, now: datetime, owner: str, *, force: bool = False, limit: int = 200) -> list[Claimed]:
        takeable = and_(DeliveryRow.status == "pending", DeliveryRow.mode == "instant", _claimable(DeliveryRow, now))
        if not force:
            takeable = and_(takeable, DeliveryRow.next_attempt_at <= now)
        with self.sessions.begin() as s:
            rows = _take(s, DeliveryRow, takeable,
                         {"claimed_by": owner, "claimed_until": now + timedelta(seconds=self.claim_seconds)}, limit)
            if not rows:
                return []
            alerts = {a.id: a for a in s.scalars(select(AlertRow).where(AlertRow.id.in_({r.alert_id for r in rows})))}
            return [Claimed(r.id, r.channel, r.subscription, r.attempts, r.created_at,
                            alert_record(alerts[r.alert_id], [])) for r in rows]

    def renew(self, row_id: int, owner: str, *, digest: bool = False) -> bool:
        """Extend this worker's claim on one delivery (or digest) right before sending it, from the current
        time. False when the claim is lost (it expired and another worker took it, or the row is no longer
        pending): the caller must not send. A batch is claimed at once but sent one by one, so without this a
        slow channel lets the claims of the rows still waiting expire, and a second worker sends them too."""
        model: Any = DigestRow if digest else DeliveryRow
        until = utcnow() + timedelta(seconds=self.claim_seconds)
        with self.sessions.begin() as s:
            res = s.execute(update(model).where(model.id == row_id, model.claimed_by == owner,
                                                model.status == "pending").values(claimed_until=until))
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def mark_sent(self, ids: Sequence[int], now: datetime) -> None:
        with self.sessions.begin() as s:
            s.execute(update(DeliveryRow).where(DeliveryRow.id.in_(list(ids))).values(
                status="sent", sent_at=now, attempts=DeliveryRow.attempts + 1, last_error=None,
                claimed_by=None, claimed_until=None))

    def mark_retry(self, ids: Sequence[int], error: str, next_at: datetime, *, failed: bool = False) -> None:
        with self.sessions.begin() as s:
            s.execute(update(DeliveryRow).where(DeliveryRow.id.in_(list(ids))).values(
                status="failed" if failed else "pending", attempts=DeliveryRow.attempts + 1, last_error=error,
                next_attempt_at=next_at, claimed_by=None, claimed_until=None))

    def queue_depth(self) -> int:
        with self.sessions() as s:
            return int(s.scalar(select(func.count(DeliveryRow.id)).where(DeliveryRow.status == "pending")) or 0)

    # -- digests -------------------------------------------------------------------------------
    def last_digest_end(self, subscription: str, channel: str) -> datetime | None:
        with self.sessions() as s:
            return s.scalar(select(func.max(DigestRow.period_end)).where(DigestRow.subscription == subscription,
                                                                         DigestRow.channel == channel))

    def open_digest(self, subscription: str, channel: str, start: datetime, end: datetime, now: datetime) -> None:
        """Create the period's digest row and attach its waiting deliveries (idempotent)."""
        try:
            with self.sessions.begin() as s:
                row = DigestRow(subscription=subscription, channel=channel, period_start=start, period_end=end,
                                status="pending", next_attempt_at=now)
                s.add(row)
                s.flush()
                ids = select(DeliveryRow.id).join(AlertRow, AlertRow.id == DeliveryRow.alert_id).where(
                    DeliveryRow.subscription == subscription, DeliveryRow.channel == channel,
                    DeliveryRow.mode == "digest", DeliveryRow.digest_id.is_(None), DeliveryRow.status == "pending",
                    AlertRow.created_at <= end)
                attached = s.execute(update(DeliveryRow).where(DeliveryRow.id.in_(ids)).values(digest_id=row.id))
                if not attached.rowcount:  # type: ignore[attr-defined]
                    row.status = "empty"
        except IntegrityError:
            pass  # another worker opened this period first

    def claim_digests(self, now: datetime, owner: str, *, force: bool = False) -> list[tuple[DigestRow, list[dict]]]:
        takeable = and_(DigestRow.status == "pending", _claimable(DigestRow, now))
        if not force:
            takeable = and_(takeable, DigestRow.next_attempt_at <= now)
        with self.sessions.begin() as s:
            out = []
            for d in _take(s, DigestRow, takeable,
                           {"claimed_by": owner, "claimed_until": now + timedelta(seconds=self.claim_seconds)}, 50):
                alerts = s.scalars(select(AlertRow).join(DeliveryRow, DeliveryRow.alert_id == AlertRow.id)
                                   .where(DeliveryRow.digest_id == d.id).order_by(AlertRow.created_at.desc()))
                out.append((d, [alert_record(a, []) for a in alerts]))
            return out

    def finish_digest(self, digest_id: int, now: datetime, *, error: str | None, next_at: datetime | None,
                      failed: bool = False) -> None:
        with self.sessions.begin() as s:
            d = s.get(DigestRow, digest_id)
            if d is None:
                return
            d.attempts += 1
            d.claimed_by = d.claimed_until = None
            if error is None:
                d.status, d.sent_at, d.last_error = "sent", now, None
                s.execute(update(DeliveryRow).where(DeliveryRow.digest_id == digest_id).values(
                    status="sent", sent_at=now, attempts=DeliveryRow.attempts + 1))
                return
            d.status, d.last_error = ("failed" if failed else "pending"), error
            d.next_attempt_at = next_at or now
            s.execute(update(DeliveryRow).where(DeliveryRow.digest_id == digest_id).values(
                status=d.status, last_error=error, attempts=DeliveryRow.attempts + 1))

    # -- admin notices -------------------------------------------------------------------------
    def add_notice(self, key: str, subject: str, body: str, now: datetime) -> bool:
        """Queue a notice once per key; False if it already existed."""
        try:
            with self.sessions.begin() as s:
                s.add(NoticeRow(key=key[:500], subject=subject, body=body, created_at=now, next_attempt_at=now))
            return True
        except IntegrityError:
            return False

    def claim_notices(self, now: datetime, *, force: bool = False) -> list[NoticeRow]:
        """Take up to 50 due admin notices for one delivery pass: each is ``sending`` until :meth:`finish_notice`,
        or until its claim runs out (a pass that died), when any pass may take it again. ``force`` also takes
        notices waiting out a retry backoff, never one another pass is sending."""
        pending = NoticeRow.status == "pending"
        if not force:
            pending = and_(pending, NoticeRow.next_attempt_at <= now)
        takeable = or_(pending, and_(NoticeRow.status == "sending", NoticeRow.next_attempt_at < now))
        with self.sessions.begin() as s:
            return _take(s, NoticeRow, takeable,
                         {"status": "sending", "next_attempt_at": now + timedelta(seconds=self.claim_seconds)}, 50)

    def finish_notice(self, notice_id: int, now: datetime, error: str | None, next_at: datetime) -> None:
        with self.sessions.begin() as s:
            n = s.get(NoticeRow, notice_id)
            if n is None:
                return
            n.attempts += 1
            if error is None:
                n.status, n.sent_at, n.last_error = "sent", now, None
            else:
                n.status, n.last_error, n.next_attempt_at = "pending", error, next_at
