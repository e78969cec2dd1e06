"""Alert records (contract section 4) -> messages: email, Telegram, short chat text, digests.

Every alert renders through one :class:`_View` (headline, what happened, link, facts, quotes), so the
HTML and plain-text forms say the same things. All text from documents is escaped in HTML; links
are only made for http(s) URLs, and a quote from a PDF page links to ``url#page=N``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = [
    "Message", "headline", "render_admin", "render_digest", "render_email", "render_for_channel", "render_short",
    "render_telegram",
]

TITLE_LIMIT = 200
TELEGRAM_LIMIT = 4096
TELEGRAM_MAX_MESSAGES = 3
TELEGRAM_QUOTE_LIMIT = 1500  # escaped characters per quote: long evidence is summarised
EMAIL_MAX_QUOTES = 10
DIGEST_QUOTE_LIMIT = 300

_LABELS = {
    "service_change": "Service change", "merger": "Merger", "unconsulted": "No consultation",
    "consultation": "Consultation", "petition": "Petition",
}
_GROUP_NAMES = {
    "unconsulted": "Changes without consultation", "service_change": "Service changes", "merger": "Mergers",
    "consultation": "Consultations", "petition": "Petitions", "other": "Other alerts",
}
_HAPPENED = {
    "new_document": "A new document was published.",
    "changed_document": "A document changed; the quotes are from the added text.",
    "page_changed": "A web page changed; the quotes are from the added text.",
    "new_entry": "A new item appeared in a news feed.",
    "petition_new": "A new petition was started.",
    "petition_milestone": "The petition passed a signature milestone.",
    "petition_response": "The government responded to the petition.",
    "petition_debate": "Parliament has a debate on the petition.",
    "petition_closed": "The petition has closed.",
}
_UNCLASSIFIED = {
    "new_document": "New document", "changed_document": "Document changed", "page_changed": "Page changed",
    "new_entry": "New item",
}
_PARLIAMENT_THRESHOLDS = (100_000, 10_000)  # debate and government-response thresholds
_EMAIL_SCHEMES = {"mailto", "mailtos"}
_TEXT_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}
_TOPIC_ORDER = ("service_change", "merger", "unconsulted", "consultation")
_MAX_URL = 2048  # longer links are left out rather than cut
_MAX_FACT = 300
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“‘(\[A-Z0-9])")


@dataclass(frozen=True)
class Message:
    """One message for one Apprise channel: ``title`` may be empty when the body carries it."""

    title: str
    body: str
    body_format: Literal["text", "html", "markdown"]


@dataclass(frozen=True)
class _Quote:
    label: str  # "Service change, page 3"
    text: str
    terms: tuple[str, ...]
    url: str | None  # the document opened at the quote's page


@dataclass(frozen=True)
class _View:
    headline: str
    happened: str
    link: str | None
    link_label: str
    facts: tuple[tuple[str, str], ...]
    quotes: tuple[_Quote, ...]
    footer: str


# --------------------------------------------------------------------------- small text helpers


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())


def _trim(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters on a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:–-") + "…"


def _fit_escaped(text: str, budget: int) -> str:
    """The longest word-boundary prefix of ``text`` whose escaped form fits ``budget`` (Telegram units)."""
    if _tg_len(_esc(text)) <= budget:
        return _esc(text)
    lo, hi = 0, len(text)
    while lo < hi:  # largest n with escaped(_trim(text, n)) within budget
        mid = (lo + hi + 1) // 2
        if _tg_len(_esc(_trim(text, mid))) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return _esc(_trim(text, lo)) if lo else ""


def _tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _href(url: str) -> str:
    """A URL safe inside a double-quoted attribute (quotes and brackets percent-encoded)."""
    return _esc(quote(url, safe=";/?:@&=+$,-_.!~*()#%[]"))


def _safe_url(url: object) -> str | None:
    text = str(url or "").strip()
    ok = urlsplit(text).scheme.lower() in ("http", "https") and len(text) <= _MAX_URL and not re.search(r"\s", text)
    return text if ok else None


def _page_url(url: str | None, page: object) -> str | None:
    if url is None or not isinstance(page, int) or isinstance(page, bool) or page < 1:
        return url
    return urlunsplit(urlsplit(url)._replace(fragment=f"page={page}"))


def _first_sentence(text: str) -> str:
    return _SENTENCE_END.split(_one_line(text), maxsplit=1)[0]


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _created(alert: dict[str, Any]) -> datetime | None:
    value = alert.get("created_at")
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- headline


def _category_prefix(categories: set[str]) -> str | None:
    main = [_LABELS[c] for c in ("service_change", "merger") if c in categories]
    if main:
        label = main[0] + "".join(f" and {m.lower()}" for m in main[1:])
        if "unconsulted" in categories:
            return f"{label} (no consultation)"
        return f"{label} (consultation)" if "consultation" in categories else label
    return "Consultation launched" if "consultation" in categories else None


def _petition_prefix(alert: dict[str, Any], categories: set[str]) -> str:
    event, petition = alert.get("event"), alert.get("petition") or {}
    count = petition.get("signature_count")
    if event == "petition_milestone":
        milestone = petition.get("milestone") or next(
            (t for t in _PARLIAMENT_THRESHOLDS if isinstance(count, int) and count >= t), None
        )
        if milestone:
            return f"Petition passed {int(milestone):,} signatures"
        return f"Petition reached {count:,} signatures" if isinstance(count, int) else "Petition milestone"
    if event == "petition_response":
        return "Petition: government responded"
    if event == "petition_debate":
        held = petition.get("debate_outcome_at") or petition.get("state") == "debated"
        return "Petition debated in Parliament" if held else "Petition debate scheduled"
    if event == "petition_closed":
        return "Petition rejected" if petition.get("state") == "rejected" else "Petition closed"
    topic = ", ".join(_LABELS[c].lower() for c in _TOPIC_ORDER if c in categories)
    return f"New petition ({topic})" if topic else "New petition"


def headline(alert: dict[str, Any]) -> str:
    """What happened, in one line of at most 200 characters: ``"Merger: CCGs to merge"``."""
    categories = set(alert.get("categories") or ())
    event = str(alert.get("event") or "")
    title_text = _one_line(alert.get("title"))
    if event.startswith("petition_") and ": " in title_text:
        # The petition sources already title the event ("Petition passed 10,000 signatures: <petition>").
        what, _, rest = title_text.partition(": ")
        if what == "New petition":
            what = _petition_prefix(alert, categories)
        return _trim(f"{what}: {rest}", TITLE_LIMIT)
    if event.startswith("petition_"):
        prefix = _petition_prefix(alert, categories)
    else:
        prefix = _category_prefix(categories) or _UNCLASSIFIED.get(event, "Alert")
    title = _one_line(alert.get("title")) or _one_line(alert.get("url")) or "(untitled)"
    return _trim(f"{prefix}: {title}", TITLE_LIMIT)


# --------------------------------------------------------------------------- the view shared by all forms


def _facts(alert: dict[str, Any], source_name: str | None, area_name: str | None) -> tuple[tuple[str, str], ...]:
    kind = str(alert.get("source_kind") or "").replace("_", " ")
    source = _trim(_one_line(source_name or alert.get("source")), _MAX_FACT)
    facts = [("Source", f"{source} ({kind})" if kind else source)]
    area = _one_line(area_name or str(alert.get("area") or "").replace("-", " ").title())
    if area:
        facts.append(("Area", _trim(area, _MAX_FACT)))
    organisations = [_one_line(o) for o in alert.get("organisations") or () if _one_line(o)]
    if organisations:
        facts.append(("Organisations named", _trim(", ".join(organisations), _MAX_FACT)))
    petition = alert.get("petition") or {}
    if isinstance(petition.get("signature_count"), int):
        state = f" (petition {petition['state']})" if petition.get("state") else ""
        facts.append(("Signatures", f"{petition['signature_count']:,}{state}"))
    return tuple(facts)


def _quotes(alert: dict[str, Any], url: str | None) -> tuple[_Quote, ...]:
    quotes = []
    for item in alert.get("evidence") or ():
        text = _one_line(item.get("text"))
        if not text:
            continue
        page = item.get("page")
        label = _LABELS.get(str(item.get("category")), "Evidence")
        if isinstance(page, int):
            label += f", page {page}"
        terms = tuple(_one_line(t) for t in item.get("terms") or () if _one_line(t))
        quotes.append(_Quote(label, text, terms, _page_url(url, page)))
    return tuple(quotes)


def _view(alert: dict[str, Any], source_name: str | None = None, area_name: str | None = None) -> _View:
    url = _safe_url(alert.get("url"))
    kind = alert.get("source_kind")
    labels = {"board_papers": "Open the document", "page": "Open the page", "feed": "Read the item"}
    link_label = labels.get(str(kind), "Open the link")
    if str(alert.get("event", "")).startswith("petition_"):
        link_label = "Open the petition"
    created = _created(alert)
    when = f", detected {_day(created)} {created:%H:%M} UTC" if created else ""
    return _View(
        headline=headline(alert),
        happened=_HAPPENED.get(str(alert.get("event")), "Something changed."),
        link=url,
        link_label=link_label,
        facts=_facts(alert, source_name, area_name),
        quotes=_quotes(alert, url),
        footer=f"Alert #{alert.get('id', '?')}{when}.",
    )


# --------------------------------------------------------------------------- email


def _quote_label(q: _Quote, link: str | None = None) -> str:
    """The quote's label, linked to the document at its page when that differs from ``link``."""
    return f'<a href="{_href(q.url)}">{_esc(q.label)}</a>' if q.url and q.url != link else _esc(q.label)


def _quote_html(q: _Quote) -> str:
    label = _quote_label(q)
    terms = f'<p style="color:#555"><small>Matched: {_esc(", ".join(q.terms))}</small></p>' if q.terms else ""
    return f"<p><b>{label}</b></p>\n<blockquote>{_esc(q.text)}</blockquote>\n{terms}"


def _quote_text(q: _Quote) -> str:
    where = f" ({q.url})" if q.url else ""
    terms = f"\n  Matched: {', '.join(q.terms)}" if q.terms else ""
    return f"{q.label}{where}:\n  > {q.text}{terms}"


def _more(view: _View, shown: int) -> str:
    extra = len(view.quotes) - shown
    return f"…and {extra} more passage{'s' if extra != 1 else ''} in the document." if extra > 0 else ""


def _html_doc(parts: list[str]) -> str:
    body = "\n".join(p for p in parts if p)
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{body}\n</body></html>\n'


def _view_html(view: _View) -> str:
    link = f'<p><a href="{_href(view.link)}">{_esc(view.link_label)}</a></p>' if view.link else ""
    facts = "<br>\n".join(f"<b>{_esc(k)}:</b> {_esc(v)}" for k, v in view.facts)
    quotes = "\n".join(_quote_html(q) for q in view.quotes[:EMAIL_MAX_QUOTES])
    more = _more(view, EMAIL_MAX_QUOTES)
    parts = [
        f"<h2>{_esc(view.headline)}</h2>",
        f"<p>{_esc(view.happened)}</p>",
        link,
        f"<p>{facts}</p>",
        quotes,
        f"<p><i>{_esc(more)}</i></p>" if more else "",
        f'<p style="color:#555"><small>{_esc(view.footer)}</small></p>',
    ]
    return _html_doc(parts)


def _view_text(view: _View) -> str:
    lines = [view.headline, "", view.happened]
    if view.link:
        lines.append(f"{view.link_label}: {view.link}")
    lines += [f"{k}: {v}" for k, v in view.facts]
    for q in view.quotes[:EMAIL_MAX_QUOTES]:
        lines += ["", _quote_text(q)]
    if more := _more(view, EMAIL_MAX_QUOTES):
        lines += ["", more]
    return "\n".join([*lines, "", view.footer, ""])


def render_email(
    alert: dict[str, Any], *, source_name: str | None = None, area_name: str | None = None
) -> tuple[str, str, str]:
    """``(subject, html, text)`` for one alert; the two bodies carry the same content."""
    view = _view(alert, source_name, area_name)
    return view.headline, _view_html(view), _view_text(view)


# --------------------------------------------------------------------------- Telegram


def _telegram_blocks(view: _View) -> tuple[str, list[str]]:
    link = f'\n<a href="{_href(view.link)}">{_esc(view.link_label)}</a>' if view.link else ""
    facts = "".join(f"\n<i>{_esc(k)}:</i> {_esc(v)}" for k, v in view.facts)
    header = f"<b>{_esc(view.headline)}</b>\n{_esc(view.happened)}{link}{facts}"
    blocks = []
    for q in view.quotes:
        quoted = _fit_escaped(q.text, TELEGRAM_QUOTE_LIMIT)
        blocks.append(f"<i>{_quote_label(q)}</i>\n<blockquote>{quoted}</blockquote>")
    return header, blocks


def render_telegram(
    alert: dict[str, Any], *, source_name: str | None = None, area_name: str | None = None
) -> list[str]:
    """Telegram HTML messages, each at most 4096 characters, tags whole and balanced.

    Each quote is summarised to about 1500 characters on a word boundary; quotes are packed into
    at most three messages, and any left over are counted in a closing line.
    """
    header, blocks = _telegram_blocks(_view(alert, source_name, area_name))
    reserve = 80  # room for the "…and N more passages" line in the last message
    messages, shown = [header], 0
    for block in blocks:
        capacity = TELEGRAM_LIMIT - (reserve if len(messages) == TELEGRAM_MAX_MESSAGES else 0)
        if _tg_len(messages[-1]) + 2 + _tg_len(block) <= capacity:
            messages[-1] += "\n\n" + block
        elif len(messages) < TELEGRAM_MAX_MESSAGES and _tg_len(block) <= TELEGRAM_LIMIT - reserve:
            messages.append(block)
        else:
            break
        shown += 1
    if extra := len(blocks) - shown:
        messages[-1] += f"\n\n<i>…and {extra} more passage{'s' if extra != 1 else ''}: open the document.</i>"
    return messages


# --------------------------------------------------------------------------- short chat form


def render_short(alert: dict[str, Any], limit: int = 500) -> str:
    """Plain text for chat: headline, link, first evidence sentence, within ``limit`` characters."""
    evidence = [e for e in alert.get("evidence") or () if _one_line(e.get("text"))]
    url = _safe_url(alert.get("url"))
    if url and evidence:
        url = _page_url(url, evidence[0].get("page"))
    if url and len(url) > limit - 20:
        url = None  # a cut link is worse than none
    head = _trim(headline(alert), max(limit - (len(url) + 1 if url else 0), 1))
    text = f"{head}\n{url}" if url else head
    if evidence:
        page = evidence[0].get("page")
        where = f" (page {page})" if isinstance(page, int) else ""
        room = limit - len(text) - len(where) - 3  # newline and two quote marks
        if room >= 20:
            text += f"\n“{_trim(_first_sentence(evidence[0]['text']), room)}”{where}"
    return text[:limit]


# --------------------------------------------------------------------------- digest


def _span(period: tuple[datetime, datetime], tz: tzinfo) -> str:
    """``24 Nov 2026`` for a period of a day or less, else ``17–24 Nov 2026``."""
    start, end = (p.astimezone(tz) for p in period)
    if (end.date() - start.date()).days <= 1:
        return _day(end)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{_day(end)}"
    first = f"{start.day} {start:%b}" if start.year == end.year else _day(start)
    return f"{first} – {_day(end)}"


def _digest_item(alert: dict[str, Any], tz: tzinfo) -> tuple[str, str | None, str, _Quote | None]:
    view = _view(alert)
    created = _created(alert)
    when = f"{created.astimezone(tz).day} {created.astimezone(tz):%b %H:%M}" if created else ""
    meta = " · ".join(x for x in (*(v for k, v in view.facts if k in ("Source", "Area")), when) if x)
    quote = view.quotes[0] if view.quotes else None
    if quote:
        quote = _Quote(quote.label, _trim(quote.text, DIGEST_QUOTE_LIMIT), (), quote.url)
    return view.headline, view.link, meta, quote


def render_digest(
    subscription: str,
    period: tuple[datetime, datetime],
    groups: list[tuple[str, list[dict[str, Any]]]],
    *,
    tz: tzinfo | None = None,
) -> tuple[str, str, str]:
    """``(subject, html, text)`` listing a period's alerts by group: headline, link, one quote each.

    ``groups`` comes from :func:`monitor.notify.digest.group_for_digest`; the caller skips empty periods.
    Times are shown in ``tz`` (the subscription's timezone; UTC when not given).
    """
    tz = tz or UTC
    count = sum(len(alerts) for _, alerts in groups)
    subject = f"Digest: {count} alert{'s' if count != 1 else ''}, {_span(period, tz)}"
    start, end = (p.astimezone(tz) for p in period)
    zone = getattr(tz, "key", str(tz))
    intro = f"{_one_line(subscription)}: alerts from {_day(start)} {start:%H:%M} to {_day(end)} {end:%H:%M} ({zone})."
    html_parts = [f"<h2>{_esc(subject)}</h2>", f"<p>{_esc(intro)}</p>"]
    text_parts = [subject, "", intro]
    for group, alerts in groups:
        name = f"{_GROUP_NAMES.get(group, group)} ({len(alerts)})"
        html_parts += [f"<h3>{_esc(name)}</h3>", "<ul>"]
        text_parts += ["", name, "-" * len(name)]
        for alert in alerts:
            head, link, meta, q = _digest_item(alert, tz)
            title = f'<a href="{_href(link)}">{_esc(head)}</a>' if link else _esc(head)
            quote_html = f"<br><i>{_quote_label(q, link)}:</i><blockquote>{_esc(q.text)}</blockquote>" if q else ""
            html_parts.append(f"<li><b>{title}</b><br><small>{_esc(meta)}</small>{quote_html}</li>")
            text_parts += [f"* {head}", *([f"  {link}"] if link else []), f"  {meta}"]
            text_parts += [f"  {q.label}: “{q.text}”"] if q else []
        html_parts.append("</ul>")
    return subject, _html_doc(html_parts), "\n".join([*text_parts, ""])


# --------------------------------------------------------------------------- channels


def render_for_channel(
    alert: dict[str, Any], scheme: str, *, source_name: str | None = None, area_name: str | None = None
) -> list[Message]:
    """The messages for one Apprise channel, chosen by its URL scheme (``mailtos`` or ``mailtos://…``).

    Email gets the HTML form, Telegram its HTML messages, JSON/form/XML webhooks the full text,
    anything else (Slack, Discord, SMS...) the short form.
    """
    name = scheme.split("://", 1)[0].strip().lower()
    if name in _EMAIL_SCHEMES:
        subject, html_body, _ = render_email(alert, source_name=source_name, area_name=area_name)
        return [Message(subject, html_body, "html")]
    if name == "tgram":
        return [Message("", m, "html") for m in render_telegram(alert, source_name=source_name, area_name=area_name)]
    if name in _TEXT_SCHEMES:
        return [Message(headline(alert), _view_text(_view(alert, source_name, area_name)), "text")]
    return [Message("", render_short(alert), "text")]


def render_admin(subject: str, text: str) -> Message:
    """A plain message to the admin channels (source failing, source recovered, delivery given up)."""
    return Message(_trim(_one_line(subject), TITLE_LIMIT), text, "text")
