"""``/metrics``: Prometheus text exposition of this process's counters and the shared store's state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.web.status import StoreSnapshot

OUTCOMES = ("baseline", "unchanged", "not_modified", "changed", "error")
CATEGORIES = ("merger", "service_change", "unconsulted", "consultation", "petition")


class Exposition:
    """Prometheus text format 0.0.4, one family at a time."""

    def __init__(self, prefix: str = "nhs_monitor_") -> None:
        self.prefix = prefix
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str,
               samples: Iterable[tuple[str, dict[str, str], float]]) -> None:
        """``samples`` are (suffix, labels, value); the suffix is added to the family's full name."""
        full = self.prefix + name
        self.lines += [f"# HELP {full} {_escape(help_text)}", f"# TYPE {full} {kind}"]
        for suffix, labels, value in samples:
            label_text = ",".join(f'{k}="{_escape(v, quote=True)}"' for k, v in labels.items())
            self.lines.append(f"{full}{suffix}{{{label_text}}} {_number(value)}" if labels
                              else f"{full}{suffix} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _escape(text: str, *, quote: bool = False) -> str:
    """Backslash and newline escaped (and double quotes, in label values), as the text format wants."""
    text = str(text).replace("\\", "\\\\").replace("\n", "\\n")
    return text.replace('"', '\\"') if quote else text


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render_metrics(daemon: Any, snap: StoreSnapshot) -> str:
    """The /metrics page: this process's counters and the shared store's state."""
    c = daemon.counters
    out = Exposition()
    out.family("up", "gauge", "1 while the scheduler runs.", [("", {}, float(daemon.running))])
    out.family("start_time_seconds", "gauge", "When this process started (unix seconds).", [("", {}, c.started)])
    outcomes = {**dict.fromkeys(OUTCOMES, 0), **c.checks}
    out.family("checks_total", "counter", "Checks by this process, by outcome.",
               [("", {"outcome": k}, v) for k, v in sorted(outcomes.items())])
    h = c.durations
    out.family("check_duration_seconds", "histogram", "How long one check took.",
               [*(("_bucket", {"le": _number(le)}, n) for le, n in h.cumulative()),
                ("_sum", {}, h.total), ("_count", {}, h.count)])
    alerts = {**dict.fromkeys(CATEGORIES, 0), **c.alerts}
    out.family("alerts_total", "counter", "Alerts created by this process, by category.",
               [("", {"category": k}, v) for k, v in sorted(alerts.items())])
    out.family("sends_total", "counter", "Instant sends by this process, by result.",
               [("", {"result": "sent"}, c.sent), ("", {"result": "failed"}, c.send_failures)])
    out.family("checks_in_flight", "gauge", "Checks running now in this process.", [("", {}, len(daemon.inflight))])
    out.family("store_up", "gauge", "1 when the store answered this scrape.", [("", {}, float(snap.up))])
    if snap.up:
        _store_families(out, daemon, snap)
    return out.text()


def _store_families(out: Exposition, daemon: Any, snap: StoreSnapshot) -> None:
    out.family("alerts_stored", "gauge", "Alerts in the store.", [("", {}, snap.alerts)])
    deliveries = {**dict.fromkeys(("pending", "sent", "failed"), 0), **snap.deliveries}
    out.family("deliveries", "gauge", "Deliveries in the store, by status.",
               [("", {"status": k}, v) for k, v in sorted(deliveries.items())])
    out.family("delivery_queue_depth", "gauge", "Deliveries still pending (instant and digest).",
               [("", {}, snap.queue_depth)])
    configured = [s.id for s in daemon.config.sources]
    last = []
    for sid in configured:
        stored = snap.sources.get(sid, (None, 0))[0]
        mine = daemon.counters.last_success.get(sid)
        best = max((t for t in (stored, mine) if t), default=None)
        if best:
            last.append(("", {"source": sid}, best))
    out.family("source_last_success_timestamp_seconds", "gauge", "Last successful check of a source (unix seconds).",
               last)
    out.family("source_consecutive_failures", "gauge", "Failed checks in a row, per source.",
               [("", {"source": sid}, snap.sources.get(sid, (None, 0))[1]) for sid in configured])
