"""``kind: feed``: an RSS or Atom feed; every new entry is a candidate alert (``new_entry``)."""

from __future__ import annotations

from typing import Any, Literal

import feedparser
from pydantic import Field
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from monitor.errors import ParseError
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


class FeedConfig(SourceConfigBase):
    """An RSS 2.0 / RSS 1.0 / Atom feed."""

    kind: Literal["feed"] = "feed"
    url: str = Field(description="The feed's URL.")


def _plain(html: str) -> str:
    if "<" not in html:
        return html.strip()
    tree = HTMLParser(html)
    root = tree.body or tree.root
    return (root.text(separator=" ") if root else "").strip()


def entry_key(entry: Any) -> str:
    """The entry's identity: its id/guid, else its link, else a hash of title and summary."""
    ident = entry.get("id") or entry.get("link")
    if ident:
        return f"entry:{ident}"
    return "entry:" + content_hash((entry.get("title") or "") + (entry.get("summary") or ""))[:32]


def entry_text(entry: Any) -> tuple[str, str]:
    """(title, body text) of an entry, tags stripped."""
    title = _plain(entry.get("title") or "")
    parts = [c.get("value", "") for c in entry.get("content") or []] or [entry.get("summary") or ""]
    body = "\n".join(_plain(p) for p in parts if p)
    return title, body


def parse_feed(body: bytes, url: str, headers: dict[str, str]) -> Any:
    """feedparser with the response headers (encodings, relative links); a bozo feed with entries is a warning."""
    parsed = feedparser.parse(body, response_headers={**headers, "content-location": url})
    if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
        reason = str(parsed.get("bozo_exception") or "unknown error").splitlines()[0][:200]
        raise ParseError(f"{url} is not a readable RSS/Atom feed: {reason}")
    return parsed


class FeedSource(Source):
    """Watches an RSS/Atom feed; unchanged bytes are not parsed again."""

    kind = "feed"
    Config = FeedConfig
    config: FeedConfig

    async def check(self, ctx: CheckContext) -> Observation:
        state = ctx.state
        result = await ctx.fetcher.get(
            self.config.url, etag=state.get("etag"), last_modified=state.get("last_modified"), robots=ctx.robots
        )
        if result.not_modified:
            return Observation(CheckOutcome.NOT_MODIFIED, 304, state={**state, **result.validators()})
        body_hash = content_hash(result.content)
        new_state = {**result.validators(), "body_hash": body_hash}
        if body_hash == state.get("body_hash"):
            return Observation(CheckOutcome.UNCHANGED, result.status, state=new_state)
        parsed = parse_feed(result.content, result.url, result.headers)
        obs = Observation(CheckOutcome.UNCHANGED, result.status, state=new_state)
        if parsed.bozo:
            obs.notes.append(f"feed has errors but was read: {str(parsed.get('bozo_exception', ''))[:160]}")
        for entry in parsed.entries:
            self._entry(entry, ctx, obs)
        if obs.items:
            obs.outcome = CheckOutcome.CHANGED
        return obs

    def _entry(self, entry: Any, ctx: CheckContext, obs: Observation) -> None:
        key = entry_key(entry)
        if key in ctx.items or any(i.key == key for i in obs.items):
            return
        title, body = entry_text(entry)
        link = entry.get("link") or self.config.url
        obs.items.append(ItemUpdate(key=key, kind="entry", url=link, title=title,
                                    content_hash=content_hash(title + "\n" + body),
                                    data={"published": entry.get("published") or entry.get("updated")}))
        if not ctx.baseline:
            text = [PageText(None, title), PageText(None, body)] if body else [PageText(None, title)]
            obs.events.append(EventDraft(event="new_entry", title=title or link, url=link, text=text,
                                         dedupe_key=f"entry:{self.id}:{key}"))
