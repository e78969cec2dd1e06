"""Deliver what the outbox holds: instant sends, digests and admin notices, with backoff and give-up.

Every send is claimed first (one worker each), then sent, then marked at once, so a crash repeats
at most the one message in flight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor import faults
from monitor.config.models import Config
from monitor.notify.channels import Channel, Outgoing
from monitor.notify.digest import due_periods, group_for_digest, parse_delivery
from monitor.notify.render import render_admin, render_digest, render_for_channel
from monitor.store.deliveries import Claimed, DeliveryStore

log = logging.getLogger("monitor.deliver")


@dataclass(slots=True)
class DeliverySummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    digests: int = 0
    notices: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(config: Config, attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failures (the last step repeats)."""
    steps = config.delivery.retry or [300.0]
    return float(steps[min(max(attempts, 1), len(steps)) - 1])


# Chat services cap a message (Telegram: 4,096 characters); a digest is split on line boundaries.
CHAT_LIMITS = {"tgram": 4000, "discord": 1900, "slack": 3900, "matrix": 16000, "signal": 2000}


def split_lines(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut between lines (a too-long line is cut hard)."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current.strip():
        pieces.append(current)
    return [p.rstrip("\n") for p in pieces]


def digest_messages(scheme: str, subject: str, html: str, text: str) -> list[Outgoing]:
    """One digest as a channel kind wants it: HTML email, or plain text split to the chat service's limit."""
    if scheme.startswith("mailto"):
        return [Outgoing(subject, html, "html")]
    limit = CHAT_LIMITS.get(scheme)
    if limit is None:
        return [Outgoing(subject, text, "text")]
    parts = split_lines(text, limit - len(subject) - 16)
    return [Outgoing(subject if i == 0 else f"{subject} ({i + 1}/{len(parts)})", part, "text")
            for i, part in enumerate(parts)]


def _outgoing(messages: list[Any]) -> list[Outgoing]:
    return [Outgoing(m.title, m.body, m.body_format) for m in messages]


class Outbox:
    """Sends due deliveries through the configured channels."""

    def __init__(self, *, config: Config, store: DeliveryStore, channels: dict[str, Channel], worker: str) -> None:
        self.config = config
        self.store = store
        self.channels = channels
        self.worker = worker

    async def deliver_due(self, now: datetime, *, force: bool = False) -> DeliverySummary:
        """Instant sends, digest periods that ended, admin notices. ``force`` ignores backoff."""
        summary = DeliverySummary()
        await self._instant(now, force, summary)
        await self._digests(now, force, summary)
        await self._notices(now, force, summary)
        return summary

    async def _instant(self, now: datetime, force: bool, summary: DeliverySummary) -> None:
        while claimed := self.store.claim_instant(now, self.worker, force=force):
            by_channel: dict[str, list[Claimed]] = {}
            for c in claimed:
                by_channel.setdefault(c.channel, []).append(c)
            for name, items in by_channel.items():  # one after another: at most one message in flight
                await self._send_channel(name, items, now, summary)
            if len(claimed) < 200:
                break

    async def _send_channel(self, name: str, items: list[Claimed], now: datetime, summary: DeliverySummary) -> None:
        channel = self.channels.get(name)
        for c in items:
            if channel is None:
                await self._failed_send(c, f"channel {name!r} is no longer configured", now, summary)
                continue
            messages = {scheme: _outgoing(render_for_channel(c.alert, scheme)) for scheme in channel.schemes}
            if not self.store.renew(c.id, self.worker):  # our claim expired and another worker took it
                continue
            faults.point("outbox.send")
            result = await channel.send(messages, self.config.delivery.send_timeout)
            faults.point("outbox.sent")
            if result.ok:
                self.store.mark_sent([c.id], now)
                summary.sent += 1
                log.info("sent alert %s to %s (%s)", c.alert["id"], name, c.subscription,
                         extra={"alert": c.alert["id"], "channel": name, "status": "sent"})
            else:
                await self._failed_send(c, result.error or "send failed", now, summary)

    async def _failed_send(self, c: Claimed, error: str, now: datetime, summary: DeliverySummary) -> None:
        give_up = now - c.created_at >= timedelta(seconds=self.config.delivery.give_up_after)
        next_at = now + timedelta(seconds=backoff(self.config, c.attempts + 1))
        self.store.mark_retry([c.id], error, next_at, failed=give_up)
        summary.errors.append(error)
        if give_up:
            summary.failed += 1
            self.notify_admins(f"delivery-failed:{c.id}", f"Gave up sending alert {c.alert['id']} to {c.channel}",
                               f"Alert {c.alert['id']} ({c.alert['title']}) could not be sent to channel "
                               f"{c.channel} for subscription {c.subscription} after {c.attempts + 1} attempts.\n"
                               f"Last error: {error}", now)
            log.error("gave up sending alert %s to %s: %s", c.alert["id"], c.channel, error,
                      extra={"alert": c.alert["id"], "channel": c.channel, "status": "failed"})
        else:
            summary.retrying += 1
            log.warning("sending alert %s to %s failed (attempt %d), retry at %s: %s", c.alert["id"], c.channel,
                        c.attempts + 1, next_at.strftime("%H:%M:%SZ"), error,
                        extra={"alert": c.alert["id"], "channel": c.channel, "status": "pending"})

    async def _digests(self, now: datetime, force: bool, summary: DeliverySummary) -> None:
        for sub in self.config.subscriptions:
            if sub.delivery.strip().lower() == "instant":
                continue
            spec = parse_delivery(sub.delivery)
            for channel_name in sub.channels:
                last = self.store.last_digest_end(sub.name, channel_name)
                for start, end in due_periods(last, now, spec, sub.tz):
                    self.store.open_digest(sub.name, channel_name, start, end, now)
        for digest, alerts in self.store.claim_digests(now, self.worker, force=force):
            await self._send_digest(digest, alerts, now, summary)

    async def _send_digest(self, digest: Any, alerts: list[dict[str, Any]], now: datetime,
                           summary: DeliverySummary) -> None:
        if not self.store.renew(digest.id, self.worker, digest=True):  # claim expired and taken by another worker
            return
        sub = next((s for s in self.config.subscriptions if s.name == digest.subscription), None)
        channel = self.channels.get(digest.channel)
        if channel is None:
            error: str | None = f"channel {digest.channel!r} is not configured"
            give_up = True
        else:
            subject, html, text = render_digest(digest.subscription, (digest.period_start, digest.period_end),
                                                group_for_digest(alerts), tz=sub.tz if sub else None)
            msgs = {s: digest_messages(s, subject, html, text) for s in channel.schemes}
            faults.point("outbox.send")
            error = (await channel.send(msgs, self.config.delivery.send_timeout)).error
            faults.point("outbox.sent")
            give_up = now - digest.period_end >= timedelta(seconds=self.config.delivery.give_up_after)
        self.store.finish_digest(digest.id, now, error=error, failed=give_up and error is not None,
                                 next_at=now + timedelta(seconds=backoff(self.config, digest.attempts + 1)))
        where = {"channel": digest.channel, "subscription": digest.subscription}
        if error is None:
            summary.digests += 1
            log.info("sent the %s digest (%d alerts) to %s", digest.subscription, len(alerts), digest.channel,
                     extra={**where, "status": "sent"})
            return
        summary.errors.append(error)
        if not give_up:
            summary.retrying += 1
            log.warning("sending the %s digest to %s failed (attempt %d): %s", digest.subscription, digest.channel,
                        digest.attempts + 1, error, extra={**where, "status": "pending"})
            return
        summary.failed += 1
        log.error("gave up sending the %s digest to %s: %s", digest.subscription, digest.channel, error,
                  extra={**where, "status": "failed"})
        self.notify_admins(f"digest-failed:{digest.id}", f"Gave up sending the {digest.subscription} digest to "
                           f"{digest.channel}", f"The digest of subscription {digest.subscription} for "
                           f"{digest.period_start:%Y-%m-%d %H:%M} to {digest.period_end:%Y-%m-%d %H:%M} UTC "
                           f"({len(alerts)} alerts) could not be sent to channel {digest.channel} after "
                           f"{digest.attempts + 1} attempts.\nLast error: {error}", now)

    def notify_admins(self, key: str, subject: str, body: str, now: datetime) -> None:
        """Queue a notice for the admin channels, once per key (logged when no admin is configured)."""
        if self.config.admin is None:
            log.warning("%s: %s", subject, body.splitlines()[0] if body else "")
            return
        self.store.add_notice(key, subject, body, now)

    async def _notices(self, now: datetime, force: bool, summary: DeliverySummary) -> None:
        if self.config.admin is None:
            return
        for notice in self.store.claim_notices(now, force=force):
            msg = render_admin(notice.subject, notice.body)
            errors = []
            for name in self.config.admin.channels:
                channel = self.channels.get(name)
                if channel is None:
                    continue
                result = await channel.send([Outgoing(msg.title, msg.body, msg.body_format)],
                                            self.config.delivery.send_timeout)
                if not result.ok:
                    errors.append(result.error or name)
            err = "; ".join(errors) or None
            self.store.finish_notice(notice.id, now, err, now + timedelta(seconds=backoff(self.config,
                                                                                          notice.attempts + 1)))
            summary.notices += int(err is None)
