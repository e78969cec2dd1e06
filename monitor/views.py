"""What the CLI prints: status rows, alert lists, dry-run reports. Pure functions of store records."""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any

from monitor.config.models import Config
from monitor.config.units import format_duration
from monitor.pipeline import CheckReport
from monitor.store.repo import AlertDraft, iso

STATUS_FIELDS = ("id", "kind", "area", "last_checked", "last_changed", "last_error", "consecutive_failures",
                 "next_due")


def status_rows(config: Config, rows: list[Any], redact: Any,
                summaries: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per configured source (contract section 1), joined with what the store knows.
    ``summaries`` adds a kind's own one-liner (a watched petition's count and state)."""
    by_id = {r.id: r for r in rows}
    summaries = summaries or {}
    out = []
    for src in config.sources:
        r = by_id.get(src.id)
        out.append({
            "id": src.id, "kind": src.kind, "area": src.area,
            "last_checked": iso(r.last_checked) if r else None,
            "last_changed": iso(r.last_changed) if r else None,
            "last_error": redact(r.last_error) if r and r.last_error else None,
            "consecutive_failures": r.consecutive_failures if r else 0,
            "next_due": iso(r.next_due) if r and src.enabled else None,
            "enabled": src.enabled,
            "interval": format_duration(config.interval_of(src)),
            "url": getattr(src, "url", None) or getattr(src, "base_url", None),
            "summary": summaries.get(src.id),
        })
    return out


def status_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no sources configured"
    head = ("ID", "KIND", "AREA", "LAST CHECKED", "LAST CHANGED", "FAILS", "NEXT DUE", "LAST ERROR / SUMMARY")
    lines = [head]
    for r in rows:
        lines.append((r["id"], r["kind"], r["area"] or "-", r["last_checked"] or "never", r["last_changed"] or "-",
                      str(r["consecutive_failures"]), r["next_due"] or ("disabled" if not r["enabled"] else "-"),
                      (r["last_error"] or r.get("summary") or "")[:90]))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head) - 1)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1]
                     for line in lines).rstrip()


def source_summaries(config: Config, repo: Any) -> dict[str, str]:
    """Each source kind's own one-line summary, where the kind offers one (``status_summary``)."""
    from monitor.sources import make_source

    out = {}
    for src in config.sources:
        source = make_source(src)
        summary = getattr(source, "status_summary", None)
        if summary is not None:
            out[src.id] = summary(repo.items(src.id))
    return out


def _when(created: str | None) -> str:
    if not created:
        return ""
    try:
        return datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").strftime("%d %b %Y %H:%M")
    except ValueError:
        return created


def alerts_text(alerts: list[dict[str, Any]]) -> str:
    """Alerts for a terminal: headline, where, the evidence quote, delivery states."""
    from monitor.notify.render import headline

    if not alerts:
        return "no alerts yet"
    blocks = []
    for a in alerts:
        lines = [f"#{a['id']}  {_when(a['created_at'])}  {headline(a)}",
                 f"    {a['source']} ({a['source_kind']}, {a['event']})  area: {a['area'] or '-'}"]
        if a.get("url"):
            lines.append(f"    {a['url']}")
        for ev in a.get("evidence", [])[:2]:
            page = f" (page {ev['page']})" if ev.get("page") else ""
            quote = textwrap.shorten(ev.get("text") or "", 300, placeholder="…")
            lines.append(textwrap.fill(f"“{quote}”{page}", 100, initial_indent="    > ", subsequent_indent="      "))
        if a.get("deliveries"):
            lines.append("    deliveries: " + ", ".join(f"{d['channel']}={d['status']}({d['attempts']})"
                                                         for d in a["deliveries"]))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def draft_record(d: AlertDraft) -> dict[str, Any]:
    return {"source": d.source_id, "source_kind": d.source_kind, "event": d.event, "categories": d.categories,
            "title": d.title, "url": d.url, "area": d.area, "evidence": d.evidence, "organisations": d.organisations,
            "petition": d.petition, "deliveries": [{"subscription": s, "channel": c, "mode": m}
                                                   for s, c, m in d.targets]}


def dry_run_text(report: CheckReport) -> str:
    lines = [f"{report.source_id}: {report.outcome} in {report.duration_ms} ms"]
    if report.error:
        lines.append(f"  error: {report.error}")
    for url in report.walked:
        lines.append(f"  walked: {url}")
    for note in report.notes:
        lines.append(f"  {note}")
    if report.outcome == "baseline":
        lines.append("  (first check: a silent baseline; nothing would be alerted)")
    for d in report.drafts:
        lines.append(f"  would alert: [{','.join(d.categories)}] {d.event}: {d.title} <{d.url}>")
        for ev in d.evidence[:2]:
            lines.append(f"      “{textwrap.shorten(ev.get('text') or '', 200, placeholder='…')}”"
                         + (f" (page {ev['page']})" if ev.get("page") else ""))
        for s, c, m in d.targets:
            lines.append(f"      -> {s} via {c} ({m})")
    if not report.drafts and report.outcome not in ("baseline", "error"):
        lines.append("  nothing would be alerted")
    return "\n".join(lines)


def skipped_text(source_id: str, holder: str, until: datetime) -> str:
    """Why a forced check (``run --once``, ``check``) left a source alone."""
    return (f"source {source_id} skipped: worker {holder} holds its lease until {until:%Y-%m-%d %H:%M:%S} UTC "
            "(it is checking the source, or it stopped without giving the lease back); try again after that")
