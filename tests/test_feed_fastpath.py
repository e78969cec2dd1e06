"""A changed feed is read by feedparser without the entries the store already has: the same findings as a
full parse, for every shape of feed (and a full parse whenever the quick pass cannot vouch for an entry)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.config.http import HttpSettings
from monitor.fetch.client import Fetcher
from monitor.sources.base import CheckContext, CheckOutcome, ItemRecord, Observation
from monitor.sources.feed import FeedConfig, FeedSource, entry_key, parse_feed, without_known_entries

MERGER = "The two trusts will merge under a single chief executive."


def rss_item(n: int, *, guid: str | None = "tag:x,2026:{n}", link: str = "https://news.example/{n}") -> str:
    guid_xml = f"<guid isPermaLink=\"false\">{guid.format(n=n)}</guid>" if guid is not None else ""
    return (f"<item><title>Story {n}</title><link>{link.format(n=n)}</link>{guid_xml}"
            f"<description>&lt;p&gt;Body {n}. {MERGER if n % 2 else 'Routine.'}&lt;/p&gt;</description></item>")


def rss(items: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
            "<link>https://news.example/</link>" + "\n".join(items) + "</channel></rss>").encode()


def atom(entries: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>'
            '<id>tag:x,2026:feed</id><updated>2026-01-01T00:00:00Z</updated>' + "".join(entries) + "</feed>").encode()


def atom_entry(n: int, *, ident: bool = True) -> str:
    id_xml = f"<id>tag:x,2026:e{n}</id>" if ident else ""
    return (f"<entry><title>Entry {n}</title>{id_xml}<link href=\"https://news.example/e{n}\"/>"
            f"<updated>2026-01-0{1 + n % 9}T00:00:00Z</updated><summary>Body {n}. {MERGER}</summary></entry>")


RSS_OLD = [rss_item(n) for n in range(1, 6)]
ATOM_OLD = [atom_entry(n) for n in range(1, 6)]
CASES = {
    # name: (old body, new body, content type, the quick pass cuts something)
    "rss": (rss(RSS_OLD), rss([rss_item(7), rss_item(6), *RSS_OLD[:-1]]), "application/rss+xml", True),
    "rss-no-guid": (rss([rss_item(n, guid=None) for n in range(1, 4)]),
                    rss([rss_item(9, guid=None), *[rss_item(n, guid=None) for n in range(1, 4)]]),
                    "application/rss+xml", True),
    "rss-relative-guid": (rss([rss_item(n, guid="/p/{n}") for n in range(1, 4)]),
                          rss([rss_item(n, guid="/p/{n}") for n in range(1, 5)]), "application/rss+xml", None),
    "rss-cdata-and-spaces": (rss([rss_item(1, guid="  <![CDATA[tag:x,2026:1]]>  "), rss_item(2)]),
                             rss([rss_item(3), rss_item(1, guid="  <![CDATA[tag:x,2026:1]]>  "), rss_item(2)]),
                             "application/rss+xml", True),
    "atom": (atom(ATOM_OLD), atom([atom_entry(8), *ATOM_OLD]), "application/atom+xml", True),
    "atom-no-ids": (atom([atom_entry(n, ident=False) for n in range(1, 4)]),
                    atom([atom_entry(n, ident=False) for n in range(1, 5)]), "application/atom+xml", False),
    "rdf": (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://n.example/"><title>N</title></channel>'
            b'<item rdf:about="https://n.example/1"><title>One</title><link>https://n.example/1</link></item></rdf:RDF>',
            b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://n.example/"><title>N</title></channel>'
            b'<item rdf:about="https://n.example/2"><title>Two</title><link>https://n.example/2</link></item>'
            b'<item rdf:about="https://n.example/1"><title>One</title><link>https://n.example/1</link></item></rdf:RDF>',
            "application/rdf+xml", False),
    "undefined-entity": (rss(RSS_OLD), rss([rss_item(6).replace("Story 6", "Story&nbsp;6"), *RSS_OLD]),
                         "application/rss+xml", False),
    "no-content-type": (rss(RSS_OLD), rss([rss_item(6), *RSS_OLD]), "", True),
}


def context(fetcher: Fetcher, known: dict[str, ItemRecord], state: dict) -> CheckContext:
    async def no_extract(data: bytes, kind: str) -> list:
        raise AssertionError("feeds extract nothing")

    return CheckContext(fetcher=fetcher, state=state, items=known, baseline=False, now=datetime.now(UTC),
                        load_text=lambda key: None, extract=no_extract)


def findings(obs: Observation) -> tuple[list, list]:
    return ([(i.key, i.title, i.url, i.content_hash, i.data) for i in obs.items],
            [(e.dedupe_key, e.title, e.url, [(p.page, p.text) for p in e.text]) for e in obs.events])


@pytest.mark.parametrize("name", list(CASES))
async def test_quick_pass_finds_what_a_full_parse_finds(site, name):
    old, new, content_type, cuts = CASES[name]
    headers = {"content-type": content_type} if content_type else {}
    source = FeedSource(FeedConfig(id="news", url=site.url("/feed.xml")))
    known = {}
    for entry in parse_feed(old, source.config.url, headers).entries:
        known[entry_key(entry)] = ItemRecord(entry_key(entry), "x", {})
    site.set("/feed.xml", content_type or None, new)
    async with Fetcher(HttpSettings(per_host_delay="0s", timeout="5s")) as fetcher:
        ctx = context(fetcher, known, {"body_hash": "old"})
        got = await source.check(ctx)
        full = Observation(CheckOutcome.UNCHANGED)
        for entry in parse_feed(new, source.config.url, headers).entries:  # what reading it whole finds
            source._entry(entry, ctx, full)
    assert findings(got) == findings(full)
    assert got.items, "every case adds an entry"
    reduced = without_known_entries(new, known.__contains__)
    if cuts is not None:
        assert (reduced is not None) == cuts
    if cuts and content_type:  # every known entry was recognised and cut: feedparser reads only the new ones
        assert len(parse_feed(reduced, source.config.url, headers).entries) == len(got.items)


def test_nothing_known_means_nothing_to_cut():
    assert without_known_entries(rss(RSS_OLD), lambda key: False) is None
    assert without_known_entries(b"\xff\xfe<\x00r\x00", lambda key: True) is None  # UTF-16: never cut bytes


def test_cut_keeps_the_rest_of_the_document_byte_for_byte():
    body = rss(RSS_OLD)
    reduced = without_known_entries(body, {"entry:tag:x,2026:2", "entry:tag:x,2026:4"}.__contains__)
    assert reduced == body.replace(RSS_OLD[1].encode(), b"").replace(RSS_OLD[3].encode(), b"")
