"""``kind: feed``: an RSS or Atom feed; every new entry is a candidate alert (``new_entry``).

Unchanged bytes are not parsed again. When they did change, a quick pass with expat (C) finds the entries
the store already knows by their id/guid, and feedparser reads the feed without them: a feed that gained
two entries costs feedparser two entries, not fifty. Whatever that pass cannot vouch for (no id, an
unusual shape, XML expat refuses, a feed feedparser finds faulty) is read whole, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal
from xml.parsers import expat

from pydantic import Field

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
    from monitor.extract.html import parse_html  # (refuses markup built to stall the parser)

    tree = parse_html(html)
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


# "<!ENTITY" as ASCII-compatible encodings, UTF-16 and UTF-32 (either byte order) and EBCDIC spell it.
_ENTITY_DECLARATIONS = tuple({"<!ENTITY".encode(codec) for codec in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le",
                                                                      "utf-32-be", "cp037")})


def refuse_entity_declarations(body: bytes, url: str) -> None:
    """ParseError for a feed that declares XML entities. Feeds have no use for them, and they are how a feed
    makes a parser expand a small document into gigabytes ("billion laughs"; feedparser's fallback parser
    expands a declared entity every time it is used: 1 MB became 1 GB of text, 3 GB of memory, 43 s)."""
    if any(marker in body for marker in _ENTITY_DECLARATIONS):
        raise ParseError(f"{url} declares XML entities (<!ENTITY>), which feeds do not need; refused, as that is "
                         "how a document is made to expand into gigabytes")


def parse_feed(body: bytes, url: str, headers: dict[str, str]) -> Any:
    """feedparser with the response headers (encodings, relative links); a bozo feed with entries is a warning."""
    import io

    import feedparser  # imported on first use: a quiet cycle parses no feed

    refuse_entity_declarations(body, url)
    # A BytesIO, never the bytes: feedparser opens a bytes argument that names a file ("/dev/zero", a
    # local path) as that file.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={**headers, "content-location": url})
    if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
        reason = str(parsed.get("bozo_exception") or "unknown error").splitlines()[0][:200]
        raise ParseError(f"{url} is not a readable RSS/Atom feed: {reason}")
    return parsed


_IDENTITY_MAX = 4096  # longer ids, guids and links are not recognised (the entry is then read in full)


class _EntryScan:
    """expat callbacks: the byte range and identity of each top-level RSS ``item`` / Atom ``entry``."""

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.path: list[str] = []
        self.kind: str | None = None  # "rss" or "atom", from the root element
        self.entries: list[tuple[int, int, str | None]] = []  # (start, end, identity)
        self.start = -1
        self.fields: dict[str, str] = {}
        self.field: str | None = None

    def begin(self, name: str, attrs: dict[str, str]) -> None:
        depth = len(self.path)
        if depth == 0:
            atom = name == "feed" and attrs.get("xmlns") == "http://www.w3.org/2005/Atom"
            self.kind = "rss" if name == "rss" else "atom" if atom else None
        elif self._is_entry(name, depth):
            self.start, self.fields = self.parser.CurrentByteIndex, {}
        elif self.start >= 0 and depth == self._entry_depth() + 1 and name in ("guid", "id", "link"):
            self.field = name if name not in self.fields else None
            if self.field:
                self.fields[name] = ""
        self.path.append(name)

    def end(self, name: str) -> None:
        self.path.pop()
        self.field = None
        if self.start >= 0 and self._is_entry(name, len(self.path)):
            self.entries.append((self.start, self.parser.CurrentByteIndex, self._identity()))
            self.start = -1

    def text(self, data: str) -> None:
        if self.field and len(self.fields[self.field]) <= _IDENTITY_MAX:  # (unbounded, += was quadratic)
            self.fields[self.field] += data

    def _entry_depth(self) -> int:
        return 2 if self.kind == "rss" else 1

    def _is_entry(self, name: str, depth: int) -> bool:
        if self.kind == "rss":
            return name == "item" and depth == 2 and self.path[1] == "channel"
        return self.kind == "atom" and name == "entry" and depth == 1

    def _identity(self) -> str | None:
        """What :func:`entry_key` will make of the entry, when it can be told from the raw XML."""
        ident = (self.fields.get("guid") if self.kind == "rss" else self.fields.get("id")) or ""
        if not ident.strip() and self.kind == "rss":
            ident = self.fields.get("link") or ""
        return f"entry:{ident.strip()}" if ident.strip() else None


def without_known_entries(body: bytes, known: Callable[[str], bool]) -> bytes | None:
    """``body`` with the RSS items / Atom entries whose key ``known`` recognises cut out, or None when there
    is nothing to cut or the feed is not plain RSS 2.0 / Atom 1.0 XML that expat reads (then parse it whole)."""
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None  # UTF-16 and friends: not cut at byte level
    parser = expat.ParserCreate()
    scan = _EntryScan(parser)
    parser.StartElementHandler, parser.EndElementHandler = scan.begin, scan.end
    parser.CharacterDataHandler = scan.text
    try:
        parser.Parse(body, True)
    except expat.ExpatError:
        return None
    cuts = [(start, end) for start, end, key in scan.entries if key is not None and known(key)]
    if not cuts:
        return None
    out, at = [], 0
    for start, end in cuts:
        close = body.find(b">", end)
        if close < 0:
            return None
        out.append(body[at:start])
        at = close + 1
    out.append(body[at:])
    return b"".join(out)


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
        parsed = self._parse(result.content, result.url, result.headers, ctx)
        obs = Observation(CheckOutcome.UNCHANGED, result.status, state=new_state)
        if parsed.bozo:
            obs.notes.append(f"feed has errors but was read: {str(parsed.get('bozo_exception', ''))[:160]}")
        for entry in parsed.entries:
            self._entry(entry, ctx, obs)
        if obs.items:
            obs.outcome = CheckOutcome.CHANGED
        return obs

    @staticmethod
    def _parse(body: bytes, url: str, headers: dict[str, str], ctx: CheckContext) -> Any:
        """The feed, parsed without the entries the store already has when that can be done safely."""
        refuse_entity_declarations(body, url)  # before expat sees it, too
        if not ctx.baseline and len(ctx.items):
            reduced = without_known_entries(body, ctx.items.__contains__)
            if reduced is not None:
                try:
                    parsed = parse_feed(reduced, url, headers)
                except ParseError:
                    parsed = None
                if parsed is not None and not parsed.bozo:
                    return parsed
        return parse_feed(body, url, headers)

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
