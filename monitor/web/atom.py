"""``/alerts.atom``: an Atom 1.0 feed of recent alerts, for feed readers and campaign websites."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from monitor.notify.render import headline

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


def _x(text: object) -> str:
    return escape(_XML_INVALID.sub("", str(text)))


def _attr(text: object) -> str:
    return quoteattr(_XML_INVALID.sub("", str(text)))


def _http_url(url: object) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _quote(ev: dict[str, Any]) -> str:
    page = f" (page {ev['page']})" if ev.get("page") else ""
    return f"“{' '.join(str(ev.get('text') or '').split())}”{page}"


def _entry(alert: dict[str, Any]) -> list[str]:
    evidence = [e for e in alert.get("evidence") or [] if isinstance(e, dict) and e.get("text")]
    summary = _quote(evidence[0]) if evidence else (alert.get("title") or "")
    details = [f"{(e.get('category') or 'evidence').replace('_', ' ')}: {_quote(e)}" for e in evidence]
    details += [f"Source: {alert.get('source')} ({alert.get('source_kind')})", f"Event: {alert.get('event')}"]
    details += [f"Area: {alert['area']}"] if alert.get("area") else []
    details += [f"Link: {alert['url']}"] if alert.get("url") else []
    created = alert.get("created_at") or "1970-01-01T00:00:00Z"
    lines = ["<entry>", f"<id>urn:nhs-service-monitor:alert:{int(alert['id'])}</id>",
             f"<title type=\"text\">{_x(headline(alert))}</title>",
             f"<updated>{_x(created)}</updated>", f"<published>{_x(created)}</published>"]
    if url := _http_url(alert.get("url")):
        lines.append(f"<link rel=\"alternate\" href={_attr(url)}/>")
    lines += [f"<category term={_attr(c)}/>" for c in alert.get("categories") or []]
    lines += [f"<summary type=\"text\">{_x(summary)}</summary>",
              f"<content type=\"text\">{_x(chr(10).join(details))}</content>", "</entry>"]
    return lines


def atom_feed(alerts: list[dict[str, Any]], *, self_url: str, fallback_updated: float) -> bytes:
    """An Atom 1.0 feed of ``alerts`` (newest first), for campaign websites to embed."""
    updated = alerts[0].get("created_at") if alerts else None
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
             "<id>urn:nhs-service-monitor:alerts</id>", "<title>nhs-service-monitor alerts</title>",
             "<subtitle>NHS mergers, service changes, consultations and petitions found by "
             "nhs-service-monitor</subtitle>",
             f"<updated>{_x(updated or _iso(fallback_updated))}</updated>",
             f"<link rel=\"self\" type=\"application/atom+xml\" href={_attr(self_url)}/>",
             "<author><name>nhs-service-monitor</name></author>",
             "<generator>nhs-service-monitor</generator>"]
    for alert in alerts:
        lines += _entry(alert)
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")
