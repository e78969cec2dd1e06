"""``kind: petition``: one UK Parliament petition, followed until it is closed (and rarely after).

Cheap polling: each check reads ``/petitions/ID/count.json`` (a few dozen bytes, conditionally) and
fetches the full ``/petitions/ID.json`` (conditionally: the site honours ``If-Modified-Since``) only
when count.json shows a milestone passed or a response/debate timestamp changed, the closing date
has passed, or every ``full_fetch_every`` checks (which also refreshes the signatures by
constituency kept in the item's data). Events and their dedupe keys are those of ``kind:
petitions`` (:mod:`monitor.sources.petitions_api`), so a petition seen both ways alerts once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from monitor.config.units import Duration
from monitor.errors import FetchError
from monitor.sources import petitions_api as api
from monitor.sources.base import (
    CheckContext,
    CheckOutcome,
    ItemRecord,
    ItemUpdate,
    Observation,
    Source,
)
from monitor.sources.petitions import PetitionSiteOptions


class PetitionConfig(PetitionSiteOptions):
    """One petition on petition.parliament.uk, by id or URL."""

    kind: Literal["petition"] = "petition"
    petition: int | str = Field(description="The petition's id (700123) or its URL "
                                "(https://petition.parliament.uk/petitions/700123, or .json).")
    base_url: str = Field(default=api.DEFAULT_BASE_URL,
                          description="The petitions site; default: the petition URL's own site, else the real one.")
    full_fetch_every: int = Field(default=12, ge=1, le=1000,
                                  description="Read the whole petition at least every N checks (else count.json).")
    closed_interval: Duration = Field(default=7 * 86400.0,
                                      description="Check interval once the petition is closed or rejected.")

    @field_validator("petition")
    @classmethod
    def _petition(cls, v: int | str) -> int | str:
        api.petition_ref(v)
        return v

    @model_validator(mode="after")
    def _site_from_url(self) -> PetitionConfig:
        origin = api.origin_of(str(self.petition))
        if origin and "base_url" not in self.model_fields_set:
            self.base_url = origin
        return self


@dataclass(slots=True)
class Poll:
    """What this check learnt before deciding on a full fetch."""

    count: int | None = None
    markers: dict[str, Any] | None = None
    fetched: int = 0
    not_modified: int = 0
    status: int | None = None
    state: dict[str, Any] = field(default_factory=dict)


class PetitionSource(Source):
    """Follows one petition: milestones, government response, debate, closing; signatures by constituency."""

    kind = "petition"
    Config = PetitionConfig
    config: PetitionConfig

    def __init__(self, config: PetitionConfig) -> None:
        super().__init__(config)
        self.pid, self.archived = api.petition_ref(config.petition)
        self.key = f"petition:{self.pid}"

    async def check(self, ctx: CheckContext) -> Observation:
        old_rec = ctx.items.get(self.key)
        old = old_rec.data if old_rec else None
        poll = Poll(state={k: v for k, v in ctx.state.items() if k != "checks_since_full"})
        archived = self.archived or bool(ctx.state.get("archived"))
        if not archived and ctx.state.get("count_json", True):
            await self._read_count(ctx, poll)
        if old is None or self._needs_full(ctx, old, poll):
            snap = await self._read_full(ctx, old, poll)
        else:
            snap = {**old, "signature_count": poll.count}
            poll.state["checks_since_full"] = int(ctx.state.get("checks_since_full", 0)) + 1
        poll.state["petition_state"] = snap["state"]
        poll.state["archived"] = bool(snap.get("archived"))
        obs = Observation(CheckOutcome.UNCHANGED, poll.status, state=poll.state)
        digest = api.snapshot_hash(snap)
        if old_rec is None or old_rec.content_hash != digest:
            obs.items.append(ItemUpdate(key=self.key, kind="petition", title=snap["action"], content_hash=digest,
                                        data=snap, url=api.human_url(self.config.base_url, self.pid,
                                                                     bool(snap.get("archived")))))
            if not ctx.baseline:
                obs.events = api.petition_events(old, snap, self.config.milestones, self.config.base_url)
        if obs.items:
            obs.outcome = CheckOutcome.CHANGED
        elif poll.fetched and poll.not_modified == poll.fetched:
            obs.outcome = CheckOutcome.NOT_MODIFIED
        return obs

    async def _read_count(self, ctx: CheckContext, poll: Poll) -> None:
        """count.json, conditionally; a site without it (404) is remembered and not asked again."""
        url = api.count_url(self.config.base_url, self.pid)
        st = ctx.state
        usable = st.get("count_value") is not None
        try:
            result = await ctx.fetcher.get(url, etag=st.get("count_etag") if usable else None,
                                           last_modified=st.get("count_last_modified") if usable else None,
                                           robots=ctx.robots)
        except FetchError as e:
            if e.status in (404, 406, 410):
                poll.state["count_json"] = False
                return
            raise
        poll.fetched += 1
        poll.status = result.status
        if result.not_modified:
            poll.not_modified += 1
            poll.count, poll.markers = st["count_value"], st.get("count_markers") or {}
            return
        poll.count, poll.markers = api.parse_count(api.parse_json(result.content, url), url)
        validators = result.validators()
        poll.state.update(count_value=poll.count, count_markers=poll.markers,
                          count_etag=validators.get("etag"), count_last_modified=validators.get("last_modified"))

    def _needs_full(self, ctx: CheckContext, old: dict[str, Any], poll: Poll) -> bool:
        """Whether count.json's news (or the calendar) calls for reading the whole petition."""
        if poll.count is None or poll.markers is None or ctx.state.get("markers") is None:
            return True
        if poll.markers != ctx.state["markers"]:
            return True
        before = int(old.get("signature_count") or 0)
        if any(before < m <= poll.count for m in self.config.milestones):
            return True
        closing = old.get("closing_date")
        if old.get("state") == "open" and isinstance(closing, str) and ctx.now.date().isoformat() > closing:
            return True
        return int(ctx.state.get("checks_since_full", 0)) + 1 >= self.config.full_fetch_every

    async def _read_full(self, ctx: CheckContext, old: dict[str, Any] | None, poll: Poll) -> dict[str, Any]:
        """The petition's JSON (conditionally when we hold a snapshot); a 304 keeps the stored snapshot."""
        archived = self.archived or bool(ctx.state.get("archived"))
        url = api.json_url(self.config.base_url, self.pid, archived)
        st = ctx.state if old is not None else {}
        try:
            result = await ctx.fetcher.get(url, etag=st.get("etag"), last_modified=st.get("last_modified"),
                                           robots=ctx.robots)
        except FetchError as e:
            if e.status in (404, 410):
                raise FetchError(f"petition {self.pid} was not found at {url}: check the id, or it has been "
                                 "removed from the site", status=e.status) from None
            raise
        poll.fetched += 1
        poll.status = result.status
        poll.state["checks_since_full"] = 0
        if result.not_modified and old is not None:
            poll.not_modified += 1
            return {**old, "signature_count": poll.count} if poll.count is not None else old
        snap = api.parse_petition(api.parse_json(result.content, result.url), result.url)
        if "signatures_by_constituency" not in snap and old is not None:  # keep the last known breakdown
            snap.update({k: old[k] for k in ("signatures_by_constituency", "signatures_by_region") if k in old})
        poll.state.update(etag=result.etag, last_modified=result.last_modified, markers=poll.markers)
        return snap

    def next_interval(self, state: Mapping[str, Any]) -> float | None:
        """Seconds until the next check: ``closed_interval`` once closed or rejected, else the usual interval."""
        if state.get("petition_state") in api.FINAL_STATES or state.get("archived"):
            return float(self.config.closed_interval)
        return None

    def status_summary(self, items: Mapping[str, ItemRecord]) -> str:
        """``#700123 open 10,234 signatures``."""
        rec = items.get(self.key)
        return api.summary_line(rec.data) if rec else f"#{self.pid} not checked yet"
