"""A loopback look-alike of the UK Parliament petitions API, plus a tiny store to drive sources.

Shapes follow ``../shared/spec/petitions-api.md`` (the site's jbuilder views): list pages whose
``links`` are built like browseable.rb (``q``, ``state``, ``page``, ``count``; ``page`` left out
when 1, ``state`` left out when ``all``, ``count`` only when requested), single petitions with
every attribute (``Last-Modified`` only, as ``fresh_when`` sends it), ``count.json``, archived
petitions. One deliberate difference: ``page_size`` (default 50) lets tests paginate without
``count=``.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from monitor.sources.base import CheckContext, EventDraft, ItemRecord, Observation, Source
from tests.peers import Site

DATA = Path(__file__).resolve().parent.parent / "data" / "petitions"
FACETS = ("all", "open", "recent", "closed", "rejected", "awaiting_response", "with_response", "awaiting_debate",
          "with_debate_outcome", "with_debated_outcome", "debated", "not_debated")
LIST_ONLY_DROPPED = ("signatures_by_country", "signatures_by_constituency", "signatures_by_region",
                     "other_parliamentary_business")
JSON = "application/json; charset=utf-8"


def load(name: str) -> dict[str, Any]:
    """A fixture document from tests/data/petitions."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def api_time(t: datetime) -> str:
    """``api_date_format``: UTC ISO-8601 with milliseconds and Z."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def make_petition(pid: int, action: str, background: str = "", count: int = 0, *, details: str = "",
                  state: str = "open", **attrs: Any) -> dict[str, Any]:
    """A petition with every attribute, in the real order, from the open-petition fixture."""
    template = load("petition_700123_open.json")["data"]["attributes"]
    p: dict[str, Any] = {"id": pid, **template}
    p.update(action=action, background=background, additional_details=details, state=state, signature_count=count,
             response_threshold_reached_at=None, government_response_at=None, debate_threshold_reached_at=None,
             government_response=None, other_parliamentary_business=[])
    p.update(attrs)
    return p


class PetitionsServer:
    """Serves petitions on a :class:`tests.peers.Site`; change them between checks with the helpers."""

    def __init__(self, site: Site, *, page_size: int = 50) -> None:
        self.site = site
        self.page_size = page_size
        self.petitions: dict[int, dict[str, Any]] = {}
        self.clock = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
        self.list_fault: tuple[int, str] | None = None
        self.loop_next = False
        site.set_dynamic("/petitions.json", self._list)

    @property
    def base(self) -> str:
        return self.site.base

    # ---------------------------------------------------------- content

    def put(self, p: dict[str, Any], *, touch: bool = True) -> None:
        """Publish (or replace) a petition: its show page, its count.json and its list rows."""
        p = copy.deepcopy(p)
        if touch:
            self.clock += timedelta(minutes=7)
            p["updated_at"] = api_time(self.clock)
        self._shape(p)
        self.petitions[p["id"]] = p
        self._serve(p)

    def update(self, pid: int, **changes: Any) -> dict[str, Any]:
        p = {**self.petitions[pid], **changes}
        self.put(p)
        return self.petitions[pid]

    def sign(self, pid: int, count: int) -> None:
        """Set the count; thresholds are stamped as the site does."""
        p = self.petitions[pid]
        stamp = api_time(self.clock)
        self.update(pid, signature_count=count,
                    response_threshold_reached_at=p["response_threshold_reached_at"] or (stamp if count >= 10_000
                                                                                       else None),
                    debate_threshold_reached_at=p["debate_threshold_reached_at"] or (stamp if count >= 100_000
                                                                                   else None))

    def respond(self, pid: int, summary: str, details: str) -> None:
        day = self.clock.date().isoformat()
        self.update(pid, government_response_at=api_time(self.clock), government_response={
            "responded_on": day, "summary": summary, "details": details,
            "created_at": api_time(self.clock), "updated_at": api_time(self.clock)})

    def schedule_debate(self, pid: int, date: str) -> None:
        self.update(pid, debate_scheduled_on=self.clock.date().isoformat(), scheduled_debate_date=date)

    def hold_debate(self, pid: int, date: str, transcript: str | None, video: str | None) -> None:
        self.update(pid, debate_outcome_at=api_time(self.clock), debate={
            "debated_on": date, "transcript_url": transcript, "video_url": video, "debate_pack_url": None,
            "public_engagement_url": None, "debate_summary_url": None, "overview": "MPs debated the petition."})

    def close(self, pid: int) -> None:
        self.update(pid, state="closed", closed_at=api_time(self.clock))

    def reject(self, pid: int, code: str, details: str) -> None:
        self.update(pid, state="rejected", rejected_at=api_time(self.clock), rejection={"code": code,
                                                                                       "details": details})

    def serve_document(self, path: str, doc: dict[str, Any], *, last_modified: float | None = None) -> None:
        """Serve a fixture document verbatim (e.g. the real rejected petition)."""
        self.site.set(path, JSON, json.dumps(doc, ensure_ascii=False), etag=last_modified is None,
                      last_modified=last_modified)

    def archive(self, doc: dict[str, Any]) -> None:
        """Serve an archived petition and redirect its current URL there, as after a dissolution."""
        pid = doc["data"]["id"]
        self.serve_document(f"/archived/petitions/{pid}.json", doc, last_modified=1717023660.0)
        self.site.set(f"/petitions/{pid}.json", "text/html", b"", status=301,
                      headers={"Location": f"{self.base}/archived/petitions/{pid}.json"}, etag=False)
        self.site.remove(f"/petitions/{pid}/count.json")

    # ---------------------------------------------------------- views

    @staticmethod
    def _shape(p: dict[str, Any]) -> None:
        """closing_date and creator_name only while open (the real views)."""
        if p["state"] != "open":
            p.pop("closing_date", None)
            p["creator_name"] = None

    def _attributes(self, p: dict[str, Any], *, listing: bool) -> dict[str, Any]:
        attrs = {k: v for k, v in p.items() if k != "id"}
        if listing or p["state"] not in ("open", "closed"):
            attrs = {k: v for k, v in attrs.items() if k not in LIST_ONLY_DROPPED}
        return attrs

    def _serve(self, p: dict[str, Any]) -> None:
        pid = p["id"]
        show = {"links": {"self": f"{self.base}/petitions/{pid}.json"},
                "data": {"type": "petition", "id": pid, "attributes": self._attributes(p, listing=False)}}
        modified = datetime.strptime(p["updated_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
        self.site.set(f"/petitions/{pid}.json", JSON, json.dumps(show, ensure_ascii=False), etag=False,
                      last_modified=modified)
        count = {"signature_count": p["signature_count"], **{k: p.get(k) for k in (
            "response_threshold_reached_at", "government_response_at", "debate_threshold_reached_at",
            "scheduled_debate_date", "debate_outcome_at")}, "debated": bool((p.get("debate") or {}).get("debated_on"))}
        self.site.set(f"/petitions/{pid}/count.json", JSON, json.dumps(count))

    def _matches(self, p: dict[str, Any], words: list[str], state: str) -> bool:
        text = " ".join(p.get(k) or "" for k in ("action", "background", "additional_details")).lower()
        if not all(w in text for w in words):
            return False
        facet: dict[str, Callable[[dict[str, Any]], bool]] = {
            "all": lambda q: q["state"] in ("open", "closed", "rejected"),
            "open": lambda q: q["state"] == "open", "recent": lambda q: q["state"] == "open",
            "closed": lambda q: q["state"] == "closed", "rejected": lambda q: q["state"] == "rejected",
            "awaiting_response": lambda q: bool(q["response_threshold_reached_at"]) and not q["government_response"],
            "with_response": lambda q: bool(q["government_response"]),
            "awaiting_debate": lambda q: bool(q["debate_threshold_reached_at"]) and not q["debate"],
            "debated": lambda q: bool((q["debate"] or {}).get("debated_on")),
            "not_debated": lambda q: bool(q["debate"]) and not q["debate"].get("debated_on"),
        }
        return facet.get(state, lambda q: bool(q["debate"]))(p)

    def _list(self, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, str, str]:
        if self.list_fault:
            return self.list_fault[0], JSON, self.list_fault[1]
        first = {k: v[0] for k, v in query.items()}
        q, state = first.get("q", "").strip(), first.get("state", "all")
        state = state if state in FACETS else "all"
        page = int(first["page"]) if re.fullmatch(r"[1-9][0-9]{0,4}", first.get("page", "")) else 1
        count = first.get("count", "")
        size = min(int(count), 50) if re.fullmatch(r"[1-9]|[1-5][0-9]", count) else self.page_size
        rows = sorted((p for p in self.petitions.values() if self._matches(p, q.lower().split(), state)),
                      key=lambda p: -p["signature_count"])
        last = max(1, math.ceil(len(rows) / size))
        page = min(page, last)

        def link(n: int) -> str:  # browseable.rb new_params: q, state, page, count; blanks dropped
            params = [("q", q), ("state", "" if state == "all" else state), ("page", "" if n == 1 else str(n)),
                      ("count", count)]
            encoded = urlencode([(k, v) for k, v in params if v])
            return f"{self.base}/petitions.json" + (f"?{encoded}" if encoded else "")

        self_url = f"{self.base}/petitions.json" + (f"?{urlencode(first)}" if first else "")
        chunk = rows[(page - 1) * size: page * size]
        body = {"links": {"self": self_url, "first": link(1), "last": link(last),
                          "next": link(1 if self.loop_next and page > 1 else page + 1) if page < last else None,
                          "prev": link(page - 1) if page > 1 else None},
                "data": [{"type": "petition", "id": p["id"], "links": {"self": f"{self.base}/petitions/{p['id']}.json"},
                          "attributes": self._attributes(p, listing=True)} for p in chunk]}
        return 200, JSON, json.dumps(body, ensure_ascii=False)


class Runner:
    """Drives one source check after check, keeping items and state as the store would.

    ``events`` are the last check's events as the source returned them; ``alerts`` (shared between
    runners to simulate one alert table) keeps one event per dedupe key, and ``new_alerts`` holds the
    last check's events that were not alerted before.
    """

    def __init__(self, source: Source, fetcher: Any, alerts: dict[str, EventDraft] | None = None) -> None:
        self.source = source
        self.fetcher = fetcher
        self.items: dict[str, ItemRecord] = {}
        self.state: dict[str, Any] = {}
        self.baselined = False
        self.alerts = alerts if alerts is not None else {}
        self.new_alerts: list[EventDraft] = []
        self.events: list[EventDraft] = []
        self.now = datetime.now(UTC)

    async def check(self) -> Observation:
        ctx = CheckContext(fetcher=self.fetcher, state=copy.deepcopy(self.state), items=dict(self.items),
                           baseline=not self.baselined, now=self.now, load_text=lambda key: None,
                           extract=None)  # type: ignore[arg-type]
        before = copy.deepcopy(ctx.state)
        obs = await self.source.check(ctx)
        assert ctx.state == before, "a source must not change ctx.state in place"
        for u in obs.items:
            self.items[u.key] = ItemRecord(u.key, u.content_hash, copy.deepcopy(u.data), u.url, u.title)
        self.state = copy.deepcopy(obs.state)
        self.baselined = True
        self.new_alerts, self.events = [], list(obs.events)
        for e in obs.events:
            if e.dedupe_key not in self.alerts:
                self.alerts[e.dedupe_key] = e
                self.new_alerts.append(e)
        return obs
