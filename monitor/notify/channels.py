"""A thin wrapper around Apprise: build channels from URLs, send without raising, errors redacted.

Apprise owns the channels; we write no plugins. A send returns a :class:`SendResult` with the
channel's own error text (captured from Apprise's log), scrubbed of secrets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from monitor.redact import Redactor

if TYPE_CHECKING:
    import apprise

log = logging.getLogger("monitor.deliver")


# Seconds between two sends through one URL. Apprise's default (5.5 s, kind to third-party APIs) stays
# for chat services; a mail server or the group's own webhook takes a burst of alerts without that wait.
PACING = {"mailto": 0.2, "mailtos": 0.2, "json": 0.0, "jsons": 0.0, "form": 0.0, "forms": 0.0,
          "xml": 0.0, "xmls": 0.0}


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as the channel's kind wants it."""

    title: str
    body: str
    body_format: str = "text"


class Channel:
    """One named channel: one or more Apprise URLs sent together. Apprise is loaded on first use, so a
    cycle that sends nothing does not pay for importing it."""

    def __init__(self, name: str, urls: Sequence[str], redact: Redactor) -> None:
        self.name = name
        self.redact = redact
        self.urls = list(urls)
        self.problems: list[str] = []
        self._targets: list[tuple[str, Any]] | None = None

    @property
    def targets(self) -> list[tuple[str, apprise.Apprise]]:
        if self._targets is None:
            self._targets = [t for url in self.urls if (t := self._build(url)) is not None]
        return self._targets

    def _build(self, url: str) -> tuple[str, apprise.Apprise] | None:
        import apprise

        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            self.problems.append(f"channel {self.name!r}: Apprise cannot use the URL {self.redact(_scheme_only(url))}")
            return None
        scheme = urlsplit(url).scheme.lower()
        if scheme in PACING:  # Apprise spaces every service's sends 5.5 s apart by default
            plugin.request_rate_per_sec = PACING[scheme]
        ap = apprise.Apprise()
        ap.add(plugin)
        return scheme, ap

    @property
    def schemes(self) -> list[str]:
        return [scheme for scheme, _ in self.targets]

    def display(self) -> list[str]:
        """The channel's URLs in Apprise's privacy form (safe to print)."""
        return [self.redact(p.url(privacy=True)) for _, ap in self.targets for p in ap]

    async def send(self, messages_for: dict[str, list[Outgoing]] | list[Outgoing], timeout: float) -> SendResult:
        """Send to every URL of the channel; ``messages_for`` maps a scheme to its messages (or one list for all)."""
        if not self.targets:
            return SendResult(False, "; ".join(self.problems) or f"channel {self.name!r} has no usable URL")
        errors = []
        for scheme, ap in self.targets:
            msgs = messages_for if isinstance(messages_for, list) else messages_for.get(scheme, [])
            for msg in msgs:
                err = await self._send_one(ap, msg, timeout)
                if err:
                    errors.append(err)
                    break
        return SendResult(not errors, "; ".join(errors) if errors else None)

    async def _send_one(self, ap: apprise.Apprise, msg: Outgoing, timeout: float) -> str | None:
        try:
            result = await asyncio.wait_for(
                asyncio.to_thread(ap.notify, body=msg.body, title=msg.title, body_format=msg.body_format,
                                  timeout=timeout, log_level=logging.WARNING),
                timeout + 5,
            )
        except TimeoutError:
            return f"{self.name}: no answer within {timeout:g}s"
        except Exception as e:  # a plugin bug must not stop the run
            return self.redact(f"{self.name}: {type(e).__name__}: {e}")
        if result:
            return None
        lines = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
        detail = " / ".join(dict.fromkeys(lines)) or "the service did not accept the message"
        return self.redact(f"{self.name}: {detail}")[:1000]


def _scheme_only(url: str) -> str:
    scheme = urlsplit(url).scheme
    return f"{scheme}://…" if scheme else "(not a URL)"


def build_channels(channels: dict[str, list[str]], redact: Redactor) -> dict[str, Channel]:
    return {name: Channel(name, urls, redact) for name, urls in channels.items()}
