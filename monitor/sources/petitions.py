"""``kind: petitions``: a UK Parliament petitions search, every result page, every check.

Walks ``/petitions.json?q=…&state=…`` following ``links.next`` exactly as given until it is null
(with a loop guard and a page cap), each page fetched conditionally. Each matching petition is an
item ``petition:ID`` whose data is its snapshot; events come from comparing snapshots
(:func:`monitor.sources.petitions_api.petition_events`). A petition that leaves the results (it
closed, was rejected, got its response…) is fetched once on its own to record why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, field_validator

from monitor.errors import FetchError
from monitor.sources import petitions_api as api
from monitor.sources.base import (
    CheckContext,
    CheckOutcome,
    ItemRecord,
    ItemUpdate,
    Observation,
    Source,
    SourceConfigBase,
    content_hash,
)

MAX_PAGES = 200
MAX_LEFT_PER_CHECK = 25

Facet = Literal[
    "all", "open", "recent", "closed", "rejected", "awaiting_response", "with_response", "awaiting_debate",
    "with_debate_outcome", "with_debated_outcome", "debated", "not_debated",
]


def check_base_url(value: str) -> str:
    """``http(s)://host[/prefix]`` without a trailing slash."""
    value = value.strip().rstrip("/")
    if not api.origin_of(value):
        raise ValueError(f"{value!r} is not an http(s) URL such as {api.DEFAULT_BASE_URL}")
    return value


def check_milestones(value: list[int]) -> list[int]:
    """Positive signature counts, sorted, without repeats."""
    if any(m <= 0 for m in value):
        raise ValueError("milestones are signature counts above 0, such as [10000, 100000]")
    return sorted(set(value))


class PetitionSiteOptions(SourceConfigBase):
    """Options both petition kinds take: the site and the milestones."""

    base_url: str = Field(default=api.DEFAULT_BASE_URL, description="The petitions site (tests and mirrors).")
    milestones: list[int] = Field(default_factory=lambda: list(api.DEFAULT_MILESTONES),
                                  description="Signature counts that raise petition_milestone when passed.")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        return check_base_url(v)

    @field_validator("milestones")
    @classmethod
    def _milestones(cls, v: list[int]) -> list[int]:
        return check_milestones(v)


class PetitionsConfig(PetitionSiteOptions):
    """A UK Parliament petitions search (petition.parliament.uk/petitions.json)."""

    kind: Literal["petitions"] = "petitions"
    query: str = Field(default="", description="Search words (the site's own search); empty: every petition.")
    state: Facet = Field(default="open", description="Which petitions: open, closed, rejected, all, recent, "
                         "awaiting_response, with_response, awaiting_debate, debated, not_debated, …")


@dataclass(slots=True)
class Walk:
    """What walking the result pages found."""

    rows: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    complete: bool = True
    all_not_modified: bool = True
    status: int | None = None
    notes: list[str] = field(default_factory=list)
    stored: set[int] = field(default_factory=set)  # rows that are the store's own snapshots, unchanged
    deferred: list[str] = field(default_factory=list)  # 304 pages whose stored rows are not read yet


class PetitionsSource(Source):
    """Finds every petition matching a search and reports new ones, milestones, responses, debates, closures."""

    kind = "petitions"
    Config = PetitionsConfig
    config: PetitionsConfig

    @property
    def first_url(self) -> str:
        return api.search_url(self.config.base_url, self.config.query, self.config.state)

    async def check(self, ctx: CheckContext) -> Observation:
        walk = await self._walk(ctx)
        if walk.deferred:
            if walk.all_not_modified and walk.complete:  # settled, and every page answered 304: nothing to do
                return Observation(CheckOutcome.NOT_MODIFIED, walk.status, notes=walk.notes,
                                   state={"pages": walk.pages, "settled": True})
            await self._resolve(ctx, walk)
        obs = Observation(CheckOutcome.UNCHANGED, walk.status, state={"pages": walk.pages}, notes=walk.notes)
        for pid, snap in walk.rows.items():
            if pid in walk.stored and snap.get("listed"):
                continue  # the stored snapshot itself: reconciling it with itself finds nothing
            self._reconcile(ctx, {**snap, "listed": True}, obs)
        left = await self._left(ctx, walk, obs) if walk.complete else 0
        # Settled: every petition the store has as listed is on one of these pages (none left to chase), so
        # next time pages that answer 304 need no look at the stored items at all.
        obs.state["settled"] = walk.complete and not left
        if obs.items or obs.events:
            obs.outcome = CheckOutcome.CHANGED
        elif walk.all_not_modified and not left:
            obs.outcome = CheckOutcome.NOT_MODIFIED
        return obs

    async def _walk(self, ctx: CheckContext) -> Walk:
        walk, seen = Walk(), set[str]()
        known: Mapping[str, Any] = ctx.state.get("pages") or {}
        url: str | None = self.first_url
        while url:
            if api.canonical_url(url) in seen:
                walk.notes.append(f"links.next points back to a page already read ({url}); stopped there")
                walk.complete = False
                break
            if len(seen) >= MAX_PAGES:
                walk.notes.append(f"stopped after {MAX_PAGES} result pages; narrow the query to see every petition")
                walk.complete = False
                break
            seen.add(api.canonical_url(url))
            url = await self._page(ctx, url, known.get(url) or {}, walk)
        return walk

    async def _page(self, ctx: CheckContext, url: str, before: dict[str, Any], walk: Walk) -> str | None:
        """Fetch one page (conditionally), add its rows to ``walk``; return ``links.next``.

        After a settled check the page's petitions are known to be stored (they were written with this
        state), so the request goes out without reading them; a 304 then leaves them for :meth:`_resolve`.
        """
        trusted = bool(ctx.state.get("settled")) and "ids" in before
        stored = [] if trusted else [ctx.items.get(f"petition:{i}") for i in before.get("ids", [])]
        usable = trusted or (bool(before) and all(stored))
        result = await ctx.fetcher.get(url, etag=before.get("etag") if usable else None,
                                       last_modified=before.get("last_modified") if usable else None,
                                       robots=ctx.robots)
        walk.status = result.status
        if result.not_modified and trusted:
            walk.deferred.append(url)
            for pid in before["ids"]:
                walk.rows.setdefault(pid, None)  # keeps its place (and precedence) until resolved
            walk.pages[url] = {**before, **result.validators()}
            return before.get("next")
        if trusted:
            stored = [ctx.items.get(f"petition:{i}") for i in before.get("ids", [])]
            usable = all(stored)
        if result.not_modified:
            self._known_rows(stored, walk)
            walk.pages[url] = {**before, **result.validators()}
            return before.get("next")
        walk.all_not_modified = False
        body_hash = content_hash(result.content)
        if usable and body_hash == before.get("body_hash"):  # the same bytes again: not parsed again
            self._known_rows(stored, walk)
            kept = {k: v for k, v in before.items() if k not in ("etag", "last_modified")}
            walk.pages[url] = {**kept, **result.validators()}
            return before.get("next")
        page = api.parse_list(api.parse_json(result.content, url), url)
        for snap in page.rows:
            walk.rows.setdefault(snap["id"], snap)
        walk.pages[url] = {**result.validators(), "ids": [s["id"] for s in page.rows], "next": page.next_url,
                           "body_hash": body_hash}
        return page.next_url

    async def _resolve(self, ctx: CheckContext, walk: Walk) -> None:
        """Fill in the stored rows of the pages left by :meth:`_page` (something else changed after all).
        A page whose petitions are not all in the store after all is fetched again in full."""
        for url in walk.deferred:
            ids = walk.pages[url].get("ids", [])
            stored = [ctx.items.get(f"petition:{i}") for i in ids]
            for pid, rec in zip(ids, stored, strict=True):
                if walk.rows.get(pid, 0) is None:
                    if rec is None:
                        del walk.rows[pid]
                    else:
                        walk.rows[pid] = rec.data
                        walk.stored.add(pid)
            if not all(stored):
                await self._page(ctx, url, {}, walk)
        walk.deferred.clear()

    @staticmethod
    def _known_rows(stored: list[ItemRecord | None], walk: Walk) -> None:
        """A page that did not change lists what the store already has."""
        for rec in filter(None, stored):
            if rec.data["id"] not in walk.rows:
                walk.rows[rec.data["id"]] = rec.data
                walk.stored.add(rec.data["id"])

    async def _left(self, ctx: CheckContext, walk: Walk, obs: Observation) -> int:
        """Fetch once each petition listed last time but not now, to record why it left (closed…)."""
        left = [rec for key, rec in ctx.items.items() if key.startswith("petition:") and rec.data.get("listed")
                and rec.data.get("id") not in walk.rows]
        for rec in left[:MAX_LEFT_PER_CHECK]:
            pid, archived = rec.data["id"], bool(rec.data.get("archived"))
            url = api.json_url(self.config.base_url, pid, archived)
            try:
                result = await ctx.fetcher.get(url, robots=ctx.robots)
            except FetchError as e:
                if e.status not in (404, 410):
                    obs.notes.append(f"petition {pid} left the results but could not be fetched: {e}")
                    continue
                snap = {**rec.data, "listed": False, "gone": True}
            else:
                snap = api.parse_petition(api.parse_json(result.content, url), url)
                for key in ("signatures_by_constituency", "signatures_by_region"):
                    snap.pop(key, None)
                snap["listed"] = False
            self._reconcile(ctx, snap, obs)
        return len(left)

    def _reconcile(self, ctx: CheckContext, snap: dict[str, Any], obs: Observation) -> None:
        """Record ``snap`` if it differs from the stored one, and the events between them."""
        key = f"petition:{snap['id']}"
        old = ctx.items.get(key)
        digest = api.snapshot_hash(snap)
        if old is not None and old.content_hash == digest:
            return
        obs.items.append(ItemUpdate(key=key, kind="petition", title=snap["action"], content_hash=digest, data=snap,
                                    url=api.human_url(self.config.base_url, snap["id"], bool(snap.get("archived")))))
        if not ctx.baseline:
            obs.events.extend(api.petition_events(old.data if old else None, snap, self.config.milestones,
                                                  self.config.base_url))

    def status_summary(self, items: Mapping[str, ItemRecord]) -> str:
        """``3 petitions match 'hospital' (open); most signed: #700123 open 10,234 signatures``."""
        listed = [r.data for r in items.values() if r.data.get("listed")]
        what = f"{len(listed)} petition{'s' if len(listed) != 1 else ''} match"
        what += f"{'es' if len(listed) == 1 else ''} {self.config.query!r} ({self.config.state})"
        if not listed:
            return what
        top = max(listed, key=lambda d: int(d.get("signature_count") or 0))
        return f"{what}; most signed: {api.summary_line(top)}"
