"""The UK Parliament petitions JSON API (petition.parliament.uk): URLs, parsing and event logic.

Pure functions shared by ``kind: petitions`` (a search) and ``kind: petition`` (one petition
followed until closed). Both reduce a petition to the same *snapshot* (a small dict kept as the
item's data) and derive events by comparing the stored snapshot with the new one, with the same
``dedupe_key`` whichever source saw the event, so one real-world event is one alert.
The API's format is described in ``../shared/spec/petitions-api.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.errors import ParseError
from monitor.extract.types import PageText
from monitor.sources.base import EventDraft, content_hash

DEFAULT_BASE_URL = "https://petition.parliament.uk"
DEFAULT_MILESTONES = (10_000, 100_000)
FINAL_STATES = ("closed", "rejected")
# The public facets of /petitions.json?state= (petition.rb); moderation ones are admin-only.
PUBLIC_FACETS = (
    "all", "open", "recent", "closed", "rejected", "awaiting_response", "with_response", "awaiting_debate",
    "with_debate_outcome", "with_debated_outcome", "debated", "not_debated",
)
# Fields of a petition that the snapshot keeps (list rows and the show page share them).
_KEPT = (
    "action", "background", "additional_details", "state", "signature_count", "closing_date", "opened_at",
    "closed_at", "rejected_at", "government_response_at", "scheduled_debate_date", "debate_outcome_at",
)
_GEOGRAPHY = ("signatures_by_constituency", "signatures_by_region")
_REF = re.compile(r"^(?:https?://[^/]+)?/?(archived/)?petitions/(\d+)(?:/count)?(?:\.json)?/?(?:[?#].*)?$")


# ---------------------------------------------------------------- URLs

def petition_ref(value: int | str) -> tuple[int, bool]:
    """``(id, archived)`` from an id (``700123``) or a petition URL (``…/petitions/700123`` or ``.json``).

    :raises ValueError: with a message naming the accepted forms.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value, False
    text = str(value).strip()
    if text.isdigit() and int(text) > 0:
        return int(text), False
    m = _REF.match(text)
    if not m:
        raise ValueError(f"{value!r} is not a petition id or URL (use 700123 or "
                         "https://petition.parliament.uk/petitions/700123)")
    return int(m.group(2)), bool(m.group(1))


def origin_of(url: str) -> str | None:
    """``scheme://host`` of a URL, or None for a bare id."""
    parts = urlsplit(str(url))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def human_url(base_url: str, pid: int, archived: bool = False) -> str:
    """The petition's page for people (alerts link this, not the JSON)."""
    return f"{base_url.rstrip('/')}/{'archived/' if archived else ''}petitions/{pid}"


def json_url(base_url: str, pid: int, archived: bool = False) -> str:
    return human_url(base_url, pid, archived) + ".json"


def count_url(base_url: str, pid: int) -> str:
    return human_url(base_url, pid) + "/count.json"


def search_url(base_url: str, query: str, state: str) -> str:
    """The first list page, built as the site builds its own links: ``q``, ``state``; blanks,
    ``state=all`` and ``page=1`` left out."""
    params = [(k, v) for k, v in (("q", query.strip()), ("state", "" if state == "all" else state)) if v]
    return f"{base_url.rstrip('/')}/petitions.json" + (f"?{urlencode(params)}" if params else "")


def canonical_url(url: str) -> str:
    """A URL with its query parameters sorted, to recognise a page already walked."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, query, ""))


# ---------------------------------------------------------------- parsing

MAX_JSON_DEPTH = 64  # the API nests five levels; deeper is not the petitions API


def parse_json(content: bytes, url: str) -> Any:
    """The decoded body; :class:`ParseError` when it is not JSON, or nests deeper than MAX_JSON_DEPTH
    (100,000 nested brackets made ``json.loads`` raise RecursionError, which is no MonitorError)."""
    too_deep = ParseError(f"petitions API returned JSON nested more than {MAX_JSON_DEPTH} levels deep at URL: {url}")
    try:
        doc = json.loads(content)
    except (UnicodeDecodeError, ValueError) as e:
        raise ParseError(f"petitions API returned malformed JSON at URL: {url} ({str(e)[:120]})") from None
    except RecursionError:
        raise too_deep from None
    if _depth_over(doc, MAX_JSON_DEPTH):
        raise too_deep
    return doc


def _depth_over(doc: Any, limit: int) -> bool:
    """Whether ``doc`` nests lists and objects more than ``limit`` deep (iteratively: no recursion)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return False


def _scalar(value: Any) -> Any:
    """``value`` if it is a JSON scalar (text, number, true/false, null), else None: the API's fields are."""
    return value if value is None or isinstance(value, str | int | float | bool) else None


def _unexpected(url: str, what: str) -> ParseError:
    return ParseError(f"petitions API returned unexpected JSON at URL: {url} ({what})")


@dataclass(slots=True)
class ListPage:
    """One page of ``/petitions.json``: its rows as snapshots and the ``links.next`` URL as given."""

    rows: list[dict[str, Any]]
    next_url: str | None


def parse_list(doc: Any, url: str) -> ListPage:
    """A list page (index.json.jbuilder): ``{"links": {…, "next"}, "data": [{"id", "attributes"}, …]}``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise _unexpected(url, "no 'data' list")
    links = doc.get("links")
    nxt = links.get("next") if isinstance(links, dict) else None
    if nxt is not None and not isinstance(nxt, str):
        raise _unexpected(url, "links.next is neither a URL nor null")
    rows = [snapshot_from(row, url) for row in doc["data"]]
    return ListPage(rows, nxt or None)


def parse_petition(doc: Any, url: str) -> dict[str, Any]:
    """A single petition (show.json.jbuilder), current or archived, with its signatures by area."""
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise _unexpected(url, "no 'data' object")
    snap = snapshot_from(doc["data"], url)
    attrs = doc["data"]["attributes"]
    for key in _GEOGRAPHY:
        if isinstance(attrs.get(key), list):
            snap[key] = [{k: _scalar(v) for k, v in row.items()} for row in attrs[key] if isinstance(row, dict)]
    return snap


def snapshot_from(row: Any, url: str) -> dict[str, Any]:
    """The kept fields of one ``{"type", "id", "attributes"}`` resource."""
    if not isinstance(row, dict) or not isinstance(row.get("attributes"), dict):
        raise _unexpected(url, "a petition without 'attributes'")
    attrs = row["attributes"]
    pid, count = row.get("id"), attrs.get("signature_count")
    if not isinstance(pid, int) or not isinstance(count, int) or not isinstance(attrs.get("action"), str):
        raise _unexpected(url, f"petition {pid!r} lacks an id, action or signature_count")
    snap: dict[str, Any] = {"id": pid, "archived": row.get("type") == "archived-petition"}
    snap.update({k: _scalar(attrs.get(k)) for k in _KEPT})
    snap["rejection"] = _pick(attrs.get("rejection"), ("code", "details"))
    snap["response"] = _pick(attrs.get("government_response"), ("responded_on", "summary", "details"))
    snap["debate"] = _pick(attrs.get("debate"), ("debated_on", "transcript_url", "video_url", "debate_pack_url",
                                                 "debate_summary_url", "overview"))
    return snap


def _pick(value: Any, keys: Sequence[str]) -> dict[str, Any] | None:
    """The text fields ``keys`` of a nested object (anything but text becomes None: the events read them as text)."""
    if not isinstance(value, dict):
        return None
    return {k: v if isinstance(v := value.get(k), str) else None for k in keys}


COUNT_MARKERS = ("response_threshold_reached_at", "government_response_at", "debate_threshold_reached_at",
                 "scheduled_debate_date", "debate_outcome_at", "debated")


def parse_count(doc: Any, url: str) -> tuple[int, dict[str, Any]]:
    """``(signature_count, markers)`` from ``count.json``; markers are its timestamps, compared raw."""
    if not isinstance(doc, dict) or not isinstance(doc.get("signature_count"), int):
        raise _unexpected(url, "no signature_count")
    return doc["signature_count"], {k: doc.get(k) for k in COUNT_MARKERS}


def snapshot_hash(snap: dict[str, Any]) -> str:
    return content_hash(json.dumps(snap, sort_keys=True, ensure_ascii=False))


def summary_line(snap: dict[str, Any]) -> str:
    """``#700123 open 10,234 signatures``."""
    return f"#{snap.get('id')} {snap.get('state')} {int(snap.get('signature_count') or 0):,} signatures"


# ---------------------------------------------------------------- events

def dedupe_key(pid: int, what: str) -> str:
    """The real-world event's name, identical from a search and a watch: ``petition:700123:milestone:10000``."""
    return f"petition:{pid}:{what}"


def petition_events(old: dict[str, Any] | None, new: dict[str, Any], milestones: Sequence[int],
                    base_url: str) -> list[EventDraft]:
    """Events between the stored snapshot ``old`` (None: newly seen) and ``new``."""
    ev = _Events(new, base_url)
    if old is None:
        return [ev.new()]
    crossed = [m for m in milestones if int(old.get("signature_count") or 0) < m <= new["signature_count"]]
    out = [ev.milestone(max(crossed))] if crossed else []
    if new.get("response") and not old.get("response"):
        out.append(ev.response())
    held, date = new.get("debate"), new.get("scheduled_debate_date")
    if date and date != old.get("scheduled_debate_date") and not held:
        out.append(ev.debate_scheduled(date))
    if held and not old.get("debate"):
        out.append(ev.debate_outcome(held))
    if new.get("state") in FINAL_STATES and old.get("state") not in FINAL_STATES:
        out.append(ev.closed())
    return out


class _Events:
    """Builds the EventDrafts of one petition snapshot."""

    def __init__(self, snap: dict[str, Any], base_url: str) -> None:
        self.snap = snap
        self.pid: int = snap["id"]
        self.url = human_url(base_url, self.pid, bool(snap.get("archived")))
        self.action = (snap.get("action") or "").strip()

    def _petition_text(self) -> list[PageText]:
        parts = [self.snap.get(k) for k in ("action", "background", "additional_details")]
        return [PageText(None, "\n\n".join(p.strip() for p in parts if isinstance(p, str) and p.strip()))]

    def _draft(self, event: str, title: str, what: str, lead: str | None = None,
               text: list[PageText] | None = None, evidence: list[dict[str, Any]] | None = None) -> EventDraft:
        body = text if text is not None else self._petition_text()
        if lead:
            body = [PageText(None, lead), *body]
        return EventDraft(
            event=event, title=f"{title}: {self.action}", url=self.url, text=body,
            dedupe_key=dedupe_key(self.pid, what), fixed_categories=("petition",), always_alert=True,
            petition={"id": self.pid, "signature_count": self.snap["signature_count"], "state": self.snap["state"]},
            evidence=evidence or [],
        )

    def new(self) -> EventDraft:
        return self._draft("petition_new", "New petition", "new")

    def milestone(self, m: int) -> EventDraft:
        count = self.snap["signature_count"]
        lead = f"The petition has {count:,} signatures, passing {m:,}."
        if m == 10_000:
            lead += " At 10,000 signatures the Government responds."
        elif m == 100_000:
            lead += " At 100,000 signatures the petition is considered for a debate in Parliament."
        return self._draft("petition_milestone", f"Petition passed {m:,} signatures", f"milestone:{m}", lead)

    def response(self) -> EventDraft:
        resp = self.snap["response"]
        summary = (resp.get("summary") or "").strip()
        details = (resp.get("details") or "").strip()
        text = [PageText(None, t) for t in (summary, details) if t]
        evidence = [{"category": "petition", "text": summary, "page": None, "terms": ["government response"]}]
        when = f" on {resp['responded_on']}" if resp.get("responded_on") else ""
        return self._draft("petition_response", f"Government responded{when} to petition", "response",
                           text=text, evidence=evidence)

    def debate_scheduled(self, date: str) -> EventDraft:
        lead = f"Parliament will debate this petition on {date}."
        return self._draft("petition_debate", f"Debate scheduled for {date} on petition",
                           f"debate:scheduled:{date}", lead)

    def debate_outcome(self, debate: dict[str, Any]) -> EventDraft:
        links = [f"{name}: {debate[k]}" for k, name in (("transcript_url", "Transcript"), ("video_url", "Video"),
                                                       ("debate_summary_url", "Summary"),
                                                       ("debate_pack_url", "Debate pack")) if debate.get(k)]
        overview = (debate.get("overview") or "").strip()
        if debate.get("debated_on"):
            lead = "\n".join([f"Parliament debated this petition on {debate['debated_on']}.", *links, overview])
            return self._draft("petition_debate", f"Petition debated on {debate['debated_on']}", "debate:held",
                               lead.strip())
        lead = "\n".join(["Parliament decided not to debate this petition.", overview, *links])
        return self._draft("petition_debate", "Parliament will not debate petition", "debate:not_debated",
                           lead.strip())

    def closed(self) -> EventDraft:
        count = self.snap["signature_count"]
        if self.snap.get("state") == "rejected":
            rej = self.snap.get("rejection") or {}
            reason = (rej.get("details") or "").strip() or "no reason given"
            code = f" ({rej['code']})" if rej.get("code") else ""
            return self._draft("petition_closed", "Petition rejected", "closed", f"Rejected{code}: {reason}")
        when = f" on {str(self.snap['closed_at'])[:10]}" if self.snap.get("closed_at") else ""
        return self._draft("petition_closed", f"Petition closed with {count:,} signatures", "closed",
                           f"The petition closed{when} with {count:,} signatures.")
