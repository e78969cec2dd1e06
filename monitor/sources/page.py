"""``kind: page``: one web page's visible text; added text is a candidate alert (``page_changed``).

The page is fetched with a conditional GET (304 is ``not_modified``); a body whose bytes hash
as last time is not parsed again; a body whose visible text is unchanged (a rotating token, an
advert) changes nothing. The first check is a silent baseline that records the text.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from monitor.extract.html import charset_of, check_selector, page_title, parse_html, visible_text
from monitor.extract.types import PageText
from monitor.sources.base import (
    CheckContext,
    CheckOutcome,
    EventDraft,
    ItemUpdate,
    Observation,
    Source,
    SourceConfigBase,
    content_hash,
)
from monitor.store.diff import added_text

PAGE_KEY = "page"


class PageConfig(SourceConfigBase):
    """One web page whose visible text is watched."""

    kind: Literal["page"] = "page"
    url: str = Field(pattern=r"^https?://", description="The page's URL (http or https).")
    selector: str | None = Field(
        default=None,
        description="CSS selector of the part to watch (e.g. '#content'); default: the whole page "
        "without scripts, styles, navigation, header and footer.",
    )

    @field_validator("selector")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        return check_selector(value) if value else value


class PageSource(Source):
    """Watches one page's visible text (optionally one part of it, by CSS selector)."""

    kind = "page"
    Config = PageConfig
    config: PageConfig

    async def check(self, ctx: CheckContext) -> Observation:
        url = self.config.url
        state = ctx.state
        result = await ctx.fetcher.get(
            url, etag=state.get("etag"), last_modified=state.get("last_modified"), robots=ctx.robots
        )
        if result.not_modified:
            return Observation(CheckOutcome.NOT_MODIFIED, 304, state={**state, **result.validators()})
        body_hash = content_hash(result.content)
        new_state = {**result.validators(), "body_hash": body_hash}
        if body_hash == state.get("body_hash") and not ctx.baseline:
            return Observation(CheckOutcome.UNCHANGED, result.status, state=new_state)
        tree = parse_html(result.content, charset_of(result.headers.get("content-type")))
        text = visible_text(tree, self.config.selector)
        title = page_title(tree) or url
        text_hash = content_hash(text)
        known = ctx.items.get(PAGE_KEY)
        obs = Observation(CheckOutcome.UNCHANGED, result.status, state=new_state)
        if known is not None and known.content_hash == text_hash and not ctx.baseline:
            return obs
        pages = [PageText(None, text)]
        obs.items.append(ItemUpdate(key=PAGE_KEY, kind="page", url=url, title=title, content_hash=text_hash,
                                    data={"final_url": result.url}, text=pages))
        if ctx.baseline:
            obs.outcome = CheckOutcome.BASELINE
            return obs
        obs.outcome = CheckOutcome.CHANGED
        previous = known.content_hash if known is not None else None
        added = added_text(ctx.load_text(PAGE_KEY) or [], pages)
        if any(p.text.strip() for p in added):
            obs.events.append(EventDraft(event="page_changed", title=title, url=url, text=added,
                                         dedupe_key=f"page:{content_hash(url)}:{previous}:{text_hash}"))
        return obs
