"""``kind: board_papers``: a meeting-papers page (ICB, trust, council ModernGov) and the documents it links.

One check walks the listing page (and, with ``follow``, the pages below it, level by level), each
with a conditional GET, and collects the links whose URL matches ``documents.pattern``:

* the first check is a silent baseline: the linked documents are recorded, never downloaded;
* a document that appears later is downloaded once (streamed to a size cap), its type sniffed
  from the bytes, its text extracted page by page, and offered as ``new_document``;
* when some page changed, a few documents first seen in the last 60 days are re-checked (in
  rotation) with their stored validators; a replacement at the same URL offers only its added
  text as ``changed_document``. A listing that answers 304, or repeats its bytes, is not parsed
  and costs no document request;
* a document another source already downloaded (a joint pack linked from two bodies' pages)
  is not downloaded again: it is recorded with that source's hash and offered with the same
  ``dedupe_key`` and no text, so the store keeps the first source's alert and no second one.

Baseline documents are never re-checked (their old bytes were never read, so there is nothing to
diff against). Pages that existed at the baseline but lay beyond its ``max_pages_per_check`` are
baseline too: their documents are recorded silently when the pages are first walked. One
document's failure (HTTP error, size cap, corrupt, encrypted, no text layer) is that document's
error; the others go on. A dry run fetches every page in full and notes every document found.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from selectolax.lexbor import LexborHTMLParser

from monitor.config.units import Duration, Size
from monitor.errors import ExtractError, FetchError, ParseError
from monitor.extract.html import (
    Link,
    charset_of,
    check_selector,
    has_script_links,
    parse_html,
    scan_links,
    site_of,
)
from monitor.extract.sniff import sniff_type
from monitor.fetch.client import FetchResult, request_headers_for
from monitor.sources.base import (
    CheckContext,
    CheckOutcome,
    EventDraft,
    ItemRecord,
    ItemUpdate,
    Observation,
    Source,
    SourceConfigBase,
    content_hash,
)
from monitor.store.diff import added_text

DEFAULT_PATTERN = r"\.(pdf|docx)(\?|$)"
RECHECK_WINDOW = timedelta(days=60)  # documents first seen this recently are re-checked for revisions
RECHECKS_PER_CHECK = 3
DOWNLOADS_IN_FLIGHT = 4
PAGE_STATE_TTL = timedelta(days=90)  # a walked page not seen for this long is forgotten
NOT_DOCUMENTS_KEPT = 2000


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as e:
        raise ValueError(f"{value!r} is not a valid regular expression: {e}") from None
    return value


class DocumentsConfig(BaseModel):
    """Which links on the walked pages are documents, and how many to take."""

    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(default=DEFAULT_PATTERN, description="Regular expression searched (case-insensitively) "
                         "in each link's absolute URL; matching links are candidate documents.")
    within: str | None = Field(default=None, description="CSS selector of the part of the page that holds the "
                               "document links (e.g. 'main'); default: the whole page.")
    same_site: bool = Field(default=True, description="Take only links on the listing page's host (and port).")
    max_new_per_check: int = Field(default=30, ge=1, le=1000, description="New documents downloaded per check; "
                                   "the rest wait for the next check.")
    types: list[Literal["pdf", "docx"]] | None = Field(
        default=None, description="Keep a candidate only if its content (sniffed from the response, not the "
        "link) is one of these; lets download endpoints without a .pdf ending work. Default: pdf and docx.")
    max_bytes: Size | None = Field(default=None, description="Largest document downloaded; default: http.max_bytes.")

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _regex(value)

    @field_validator("within")
    @classmethod
    def _within(cls, value: str | None) -> str | None:
        return check_selector(value) if value else value


class BoardPapersConfig(SourceConfigBase):
    """A meeting-papers page and the documents it links (optionally a level or two below it)."""

    kind: Literal["board_papers"] = "board_papers"
    url: str = Field(pattern=r"^https?://", description="The listing page's URL (http or https).")
    follow: list[str] = Field(default_factory=list, description="Regular expressions for the pages to walk "
                              "below the listing, one per level (e.g. year pages, then meeting pages).")
    max_pages_per_check: int = Field(default=20, ge=1, le=1000, description="Pages fetched per check "
                                     "(listing included); new pages first, then the longest unvisited.")
    documents: DocumentsConfig = Field(default_factory=DocumentsConfig, description="Which links are documents.")
    extra_areas: list[str] = Field(default_factory=list, description="Areas this source's alerts also count as "
                                   "(the catalogue lists a merged body's predecessors here).")
    retention: Duration = Field(default=365 * 86400.0, description="How long old revisions' text is kept "
                                "(the store enforces it).")

    @field_validator("follow")
    @classmethod
    def _follow(cls, value: list[str]) -> list[str]:
        return [_regex(p) for p in value]


def document_key(url: str) -> str:
    return f"doc:{url}"


def document_dedupe_key(url: str, digest: str) -> str:
    """The real-world event "this document with these bytes": the same for every source that sees it."""
    return f"document:{content_hash(url)}:{digest}"


@dataclass(slots=True)
class Doc:
    """A document to fetch: a newly found link, or a known item to re-check (``previous``)."""

    url: str
    title: str
    origin: str
    data: dict[str, Any]
    previous: ItemRecord | None = None

    @classmethod
    def found(cls, link: Link, origin: str, now: str) -> Doc:
        when = link.date.isoformat() if link.date else None
        data = {"date": when, "link_text": link.text, "first_seen": now, "found_on": origin}
        return cls(link.url, link.title, origin, data)

    @classmethod
    def known(cls, record: ItemRecord, fallback_origin: str) -> Doc:
        origin = record.data.get("found_on") or fallback_origin
        return cls(record.url or record.key[4:], record.title or record.key[4:], origin, dict(record.data), record)


@dataclass(slots=True)
class Found:
    link: Link
    page: str
    silent: bool  # found on a page that already existed at the baseline


@dataclass(slots=True)
class Walk:
    pages: dict[str, dict[str, Any]]
    found: dict[str, Found] = field(default_factory=dict)
    walked: list[str] = field(default_factory=list)
    answered: bool = False  # some page answered 200 rather than 304
    modified: bool = False  # some page's bytes changed (and were parsed)
    notes: list[str] = field(default_factory=list)


class BoardPapersSource(Source):
    """Watches a meeting-papers page for new and revised documents."""

    kind = "board_papers"
    Config = BoardPapersConfig
    config: BoardPapersConfig

    async def check(self, ctx: CheckContext) -> Observation:
        walk = await self._walk(ctx)
        state = {**ctx.state, "pages": walk.pages, "not_documents": dict(ctx.state.get("not_documents", {}))}
        if not walk.modified:  # nothing to parse; only recent papers are re-checked for revisions
            outcome, status = (CheckOutcome.UNCHANGED, 200) if walk.answered else (CheckOutcome.NOT_MODIFIED, 304)
            obs = Observation(outcome, status, state=state, walked=walk.walked, notes=walk.notes)
            if _has_recent(state, ctx.now):  # (a paper replaced under an unchanged listing is still seen)
                await self._gather(ctx, self._rechecks(ctx, obs.state), obs)
            return obs
        obs = Observation(CheckOutcome.UNCHANGED, 200, state=state, walked=walk.walked, notes=walk.notes)
        now = ctx.now.isoformat()
        if ctx.dry_run:
            obs.notes.extend(f"document: {f.link.url}  {f.link.title}" for f in walk.found.values())
        if ctx.baseline and not walk.found:
            obs.notes.append("no document links found: check documents.pattern (and within/follow) against the page")
        skip = set(state.get("not_documents", {}))
        new: list[Doc] = []
        for found in walk.found.values():
            if document_key(found.link.url) in ctx.items or found.link.url in skip:
                continue
            if ctx.baseline or found.silent:
                obs.items.append(_baseline_item(found, now))
            else:
                new.append(Doc.found(found.link, found.page, now))
        limit = self.config.documents.max_new_per_check
        if len(new) > limit:
            obs.notes.append(f"{len(new) - limit} more new documents wait for the next check "
                             "(documents.max_new_per_check)")
            for doc in new[limit:]:  # make sure their page is fetched in full again next time
                walk.pages[doc.origin] = {k: v for k, v in walk.pages.get(doc.origin, {}).items()
                                         if k not in ("etag", "last_modified", "body_hash")}
        await self._gather(ctx, new[:limit] + self._rechecks(ctx, obs.state), obs)
        if ctx.baseline:
            obs.outcome = CheckOutcome.BASELINE
        return obs

    async def _gather(self, ctx: CheckContext, docs: list[Doc], obs: Observation) -> None:
        """Fetch ``docs`` and fold their items, events and notes into ``obs``; remember recent papers."""
        for part in await self._fetch_all(ctx, docs, obs.state):
            obs.items.extend(part.items)
            obs.events.extend(part.events)
            obs.notes.extend(part.notes)
        recent = {k: v for k, v in obs.state.get("recent", {}).items() if v >= (ctx.now - RECHECK_WINDOW).isoformat()}
        for item in obs.items:
            if item.key.startswith("doc:") and item.data.get("first_seen") and not item.data.get("baseline") \
                    and not item.data.get("shared"):
                recent.setdefault(item.key, item.data["first_seen"])
        obs.state["recent"] = recent
        if obs.items or obs.events:
            obs.outcome = CheckOutcome.CHANGED

    # -- walking the pages -------------------------------------------------------------------------

    async def _walk(self, ctx: CheckContext) -> Walk:
        """Fetch the listing and, level by level, the pages ``follow`` names, within max_pages_per_check.

        Each level above the last gets at most half the remaining budget, so deep pages are reached even
        when the upper levels are wide; a page left out this time still passes on the children it had.
        """
        cfg = self.config
        now = ctx.now.isoformat()
        walk = Walk(pages={u: dict(s) for u, s in ctx.state.get("pages", {}).items() if _fresh(s, ctx.now)})
        parents: dict[str, str | None] = {cfg.url: None}
        budget_total = budget = cfg.max_pages_per_check
        frontier, level, sites, left_out = [cfg.url], 0, {site_of(cfg.url)}, 0
        while frontier and budget > 0:
            share = budget if level >= len(cfg.follow) else max(1, budget // 2)
            ordered = _order(frontier, walk.pages)
            discovered: list[str] = []
            for position, url in enumerate(ordered):
                silent = ctx.baseline or bool(walk.pages.get(url, {}).get("silent"))
                if position < share:
                    children = await self._visit(ctx, url, parents[url], level, silent, walk, sites)
                else:
                    children = list(walk.pages.get(url, {}).get("children", []))
                for child in children:
                    if child not in parents:
                        parents[child] = url
                        discovered.append(child)
                        walk.pages.setdefault(child, {"silent": silent})["seen"] = now
            budget -= min(share, len(ordered))
            left_out += max(0, len(ordered) - share)
            frontier, level = discovered, level + 1
        left_out += len(frontier)
        if left_out:
            walk.notes.append(f"{left_out} pages left for later checks (max_pages_per_check is {budget_total})")
        return walk

    async def _visit(self, ctx: CheckContext, url: str, parent: str | None, level: int, silent: bool, walk: Walk,
                     sites: set[str]) -> list[str]:
        """Fetch one page; record its documents in ``walk``; return the pages to walk below it."""
        old = walk.pages.get(url, {})
        validators = {} if ctx.dry_run else request_headers_for(old)  # a dry run shows every page's documents
        try:
            result = await ctx.fetcher.get(url, **validators, robots=ctx.robots, origin=parent)
        except FetchError as e:
            if level == 0:
                raise
            walk.notes.append(f"page {url}: {e}")
            return list(old.get("children", []))
        walk.walked.append(url)
        stamp = {"checked": ctx.now.isoformat(), "seen": ctx.now.isoformat()}
        body_hash = content_hash(result.content)
        walk.answered = walk.answered or not result.not_modified
        if result.not_modified or (body_hash == old.get("body_hash") and not ctx.dry_run):
            walk.pages[url] = {**old, **result.validators(), **stamp}  # unchanged bytes are not parsed again
            return list(old.get("children", []))
        walk.modified = True
        if level == 0:
            sites.add(site_of(result.url))
        tree = parse_html(result.content, charset_of(result.headers.get("content-type")))
        skip = ctx.state.get("not_documents", {})
        known = None if ctx.dry_run else (lambda u: document_key(u) in ctx.items or u in skip)
        children, docs = self._links(tree, result.url, level, sites, known)
        for link in docs:
            if link.url not in walk.found:
                walk.found[link.url] = Found(link, url, silent)
        if not docs and not children and has_script_links(tree):
            message = (f"{url} has no links matching documents.pattern, and the page seems to build its links "
                       "with JavaScript; not supported (no browser here). Point the source at a page that links "
                       "the papers directly, or at the papers' own folder.")
            if level == 0:
                raise ParseError(message)
            walk.notes.append(message)
        walk.pages[url] = {**result.validators(), **stamp, "body_hash": body_hash, "children": children}
        return children

    def _links(self, tree: LexborHTMLParser, base: str, level: int, sites: set[str],
               known: Callable[[str], bool] | None = None) -> tuple[list[str], list[Link]]:
        """(pages to follow, document links) on one page, same-site rules applied.

        :param known: True for a document URL already recorded (or skipped): such links come back bare
            (URL only), since nothing reads their text, heading or date.
        """
        cfg = self.config
        pattern = re.compile(cfg.documents.pattern, re.IGNORECASE)
        detail = None if known is None else (lambda url: bool(pattern.search(url)) and not known(url))
        try:
            scan = scan_links(tree, base, within=cfg.documents.within, detail=detail)
        except ParseError:
            if not cfg.documents.within or not cfg.follow:
                raise
            scan = scan_links(tree, base, detail=detail)
            scan.within = []  # with follow, only some levels carry the documents' container
        links = scan.links
        if cfg.documents.same_site:  # link URLs are normalised already: their netloc is their site
            links = [link for link in links if urlsplit(link.url).netloc in sites]
        follow = re.compile(cfg.follow[level], re.IGNORECASE) if level < len(cfg.follow) else None
        children = [link.url for link in links if follow and follow.search(link.url)]
        if scan.within is not None:
            allowed = {link.url for link in links}
            links = [link for link in scan.within if link.url in allowed]
        docs = [link for link in links if pattern.search(link.url) and link.url not in children]
        return children, docs

    # -- fetching documents ------------------------------------------------------------------------

    def _rechecks(self, ctx: CheckContext, state: dict[str, Any]) -> list[Doc]:
        """A few documents first seen within RECHECK_WINDOW, least recently re-checked first."""
        if ctx.baseline:
            return []
        cutoff = (ctx.now - RECHECK_WINDOW).isoformat()
        candidates = [r for r in ctx.items.values() if r.key.startswith("doc:") and not r.data.get("baseline")
                      and not r.data.get("shared") and (r.data.get("first_seen") or "") >= cutoff]
        keys = {r.key for r in candidates}
        last: dict[str, str] = {k: v for k, v in state.get("rechecked", {}).items() if k in keys}
        chosen = sorted(candidates, key=lambda r: last.get(r.key, ""))[:RECHECKS_PER_CHECK]
        for record in chosen:
            last[record.key] = ctx.now.isoformat()
        state["rechecked"] = last
        return [Doc.known(record, self.config.url) for record in chosen]

    async def _fetch_all(self, ctx: CheckContext, docs: list[Doc], state: dict[str, Any]) -> list[Observation]:
        """Each document's findings, in ``docs`` order (a few downloads and extractions run at once)."""
        gate = asyncio.Semaphore(DOWNLOADS_IN_FLIGHT)

        async def one(doc: Doc) -> Observation:
            part = Observation(CheckOutcome.CHANGED, state=state)
            async with gate:
                await self._document(ctx, doc, part)
            return part

        return list(await asyncio.gather(*(one(doc) for doc in docs)))

    async def _document(self, ctx: CheckContext, doc: Doc, obs: Observation) -> None:
        """Download, sniff and extract one document; add its item, event and notes to ``obs``."""
        known_hash = doc.previous.content_hash if doc.previous else None
        if known_hash is None and self._shared(ctx, doc, obs):
            return
        result = await self._download(ctx, doc, known_hash, obs)
        if result is None:
            return
        digest = content_hash(result.content)
        data = {**doc.data, "etag": result.etag, "last_modified": result.last_modified}
        data.pop("error", None)
        if result.url != doc.url:
            data["file_url"] = result.url
        if digest == known_hash:
            if data != doc.data:  # new validators, or an earlier fetch error is over
                obs.items.append(_item(doc, digest, data))
            return
        kind = self._sniff(doc, result, obs)
        if kind is None:
            return
        data["type"] = kind
        try:
            pages = await ctx.extract(result.content, kind)
        except ExtractError as e:
            self._failed(doc, digest, str(e), obs, data)
            return
        obs.items.append(_item(doc, digest, data, pages))
        if known_hash is not None:  # a revision: only what it adds is news
            pages = added_text(ctx.load_text(document_key(doc.url)) or [], pages)
            if not any(p.text.strip() for p in pages):
                return
        event = "new_document" if known_hash is None else "changed_document"
        obs.events.append(EventDraft(event, doc.title, doc.url, pages, document_dedupe_key(doc.url, digest)))

    async def _download(self, ctx: CheckContext, doc: Doc, known_hash: str | None,
                        obs: Observation) -> FetchResult | None:
        """The document's response (conditional when its bytes are known), or None (304, or failed: recorded)."""
        validators = request_headers_for(doc.data) if known_hash else {}
        try:
            result = await ctx.fetcher.get(doc.url, **validators, max_bytes=self.config.documents.max_bytes,
                                           robots=ctx.robots, origin=doc.origin, shared=True)
        except FetchError as e:
            if doc.data.get("error") != str(e):
                self._failed(doc, known_hash, str(e), obs)
            return None
        return None if result.not_modified else result

    def _sniff(self, doc: Doc, result: FetchResult, obs: Observation) -> str | None:
        """The document's type if it is one we keep; otherwise a note (and, for a new link, remember to skip it)."""
        kind = sniff_type(result.content_type, result.content, result.url)
        allowed = self.config.documents.types or ["pdf", "docx"]
        if kind in allowed:
            return kind
        obs.notes.append(f"{doc.url} is {kind or 'an unknown type'}, not {' or '.join(allowed)}: skipped")
        if doc.previous is None:
            kept = obs.state.setdefault("not_documents", {})
            kept[doc.url] = kind or "unknown"
            obs.state["not_documents"] = dict(list(kept.items())[-NOT_DOCUMENTS_KEPT:])
        return None

    def _shared(self, ctx: CheckContext, doc: Doc, obs: Observation) -> bool:
        """Record a document another source has already downloaded, without downloading it."""
        other = ctx.known_elsewhere(doc.url)
        if other is None or not other.content_hash or other.data.get("type") not in ("pdf", "docx"):
            return False
        keep = {k: other.data.get(k) for k in ("etag", "last_modified", "type")}
        data = {**doc.data, **keep, "date": doc.data.get("date") or other.data.get("date"), "shared": True}
        obs.items.append(_item(doc, other.content_hash, data))
        obs.events.append(EventDraft("new_document", doc.title, doc.url, [],
                                     document_dedupe_key(doc.url, other.content_hash)))
        return True

    @staticmethod
    def _failed(doc: Doc, digest: str | None, error: str, obs: Observation, data: dict[str, Any] | None = None) -> None:
        obs.notes.append(f"{doc.url}: {error}")
        obs.items.append(ItemUpdate(key=document_key(doc.url), kind="document", url=doc.url, title=doc.title,
                                    content_hash=digest, data={**(data or doc.data), "error": error}, error=error))


def _item(doc: Doc, digest: str | None, data: dict[str, Any], pages: list[Any] | None = None) -> ItemUpdate:
    return ItemUpdate(key=document_key(doc.url), kind="document", url=doc.url, title=doc.title,
                      content_hash=digest, data=data, text=pages)


def _baseline_item(found: Found, now: str) -> ItemUpdate:
    link = found.link
    data = {"baseline": True, "date": link.date.isoformat() if link.date else None, "link_text": link.text,
            "first_seen": now, "found_on": found.page}
    return ItemUpdate(key=document_key(link.url), kind="document", url=link.url, title=link.title, data=data)


def _fresh(page: dict[str, Any], now: datetime) -> bool:
    seen = page.get("seen")
    return seen is None or seen >= (now - PAGE_STATE_TTL).isoformat()


def _order(urls: list[str], pages: dict[str, dict[str, Any]]) -> list[str]:
    """Never-fetched pages first (in page order), then the longest unvisited."""
    new = [u for u in urls if "checked" not in pages.get(u, {})]
    known = sorted((u for u in urls if "checked" in pages.get(u, {})), key=lambda u: pages[u]["checked"])
    return new + known


def _has_recent(state: dict[str, Any], now: datetime) -> bool:
    """Whether any paper downloaded within RECHECK_WINDOW is on record (so re-checks need the items)."""
    cutoff = (now - RECHECK_WINDOW).isoformat()
    return any(first_seen >= cutoff for first_seen in state.get("recent", {}).values())
