"""kind: page against a council consultations page served on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from monitor.config.http import HttpSettings
from monitor.errors import ParseError
from monitor.fetch.client import Fetcher
from monitor.sources.base import CheckOutcome, content_hash
from monitor.sources.page import PageConfig, PageSource
from tests.peers import Site
from tests.sources.test_board_papers import Store

PAGE = (Path(__file__).parent.parent / "data" / "pages" / "council_consultations.html").read_text("utf-8")
NEW = """<ul><li><a href="/health/consultations/stroke">Proposed move of hyper-acute stroke services</a> &ndash;
  the ICB proposes to move hyper-acute stroke care from Eastfield Hospital to Northshire General. Closes 2 March 2025.
</li></ul>
<!-- NEW CONSULTATION -->"""


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(HttpSettings(per_host_delay="0s", timeout="10s")) as f:
        yield f


def watch(site: Site, selector: str | None = "#content") -> Store:
    return Store(PageSource(PageConfig(id="consultations", url=site.url("/health/consultations"), selector=selector)))


async def test_baseline_then_added_text_only(site: Site, fetcher: Fetcher) -> None:
    site.set("/health/consultations", "text/html; charset=utf-8", PAGE)
    store = watch(site)
    base = await store.check(fetcher)
    assert base.outcome is CheckOutcome.BASELINE and not base.events
    (item,) = base.items
    assert item.key == "page" and item.title == "Health and social care consultations | Northshire County Council"
    assert item.text and item.text[0].page is None and "Future of adult day centres" in item.text[0].text

    site.set("/health/consultations", "text/html; charset=utf-8", PAGE.replace("<!-- NEW CONSULTATION -->", NEW))
    obs = await store.check(fetcher)
    assert obs.outcome is CheckOutcome.CHANGED
    (event,) = obs.events
    assert event.event == "page_changed" and event.url == site.url("/health/consultations")
    added = " ".join(p.text for p in event.text)
    assert "move hyper-acute stroke care from Eastfield Hospital to Northshire General" in added
    assert "adult day centres" not in added and "Open consultations" not in added
    assert all(p.page is None for p in event.text)

    site.clear_hits()
    same = await store.check(fetcher)
    assert same.outcome is CheckOutcome.NOT_MODIFIED and not same.events
    assert site.hits_for("/health/consultations")[0].if_none_match


async def test_noise_and_markup_changes_are_not_news(site: Site, fetcher: Fetcher) -> None:
    site.set("/health/consultations", "text/html", PAGE, etag=False)
    store = watch(site, selector=None)
    await store.check(fetcher)
    noisy = (PAGE.replace('"analytics": true', '"analytics": false, "nonce": "9f2c"')
             .replace("Council tax</a>", "Council tax and benefits</a>")
             .replace('class="updated"', 'class="updated small"'))
    site.set("/health/consultations", "text/html", noisy, etag=False)
    obs = await store.check(fetcher)
    assert obs.outcome is CheckOutcome.UNCHANGED and not obs.events and not obs.items
    assert obs.state["body_hash"] == content_hash(noisy.encode())


async def test_unchanged_bytes_are_not_parsed_again(site: Site, fetcher: Fetcher) -> None:
    # A body the selector cannot read: parsing it would raise; the body hash matches, so it is never parsed.
    body = "<html><body><p>No content block here</p></body></html>"
    site.set("/health/consultations", "text/html", body, etag=False)
    store = watch(site)
    with pytest.raises(ParseError, match="matches nothing"):
        await store.check(fetcher)
    store.baseline = False
    store.state = {"body_hash": content_hash(body.encode())}
    obs = await store.check(fetcher)
    assert obs.outcome is CheckOutcome.UNCHANGED and not obs.items


def test_config_checks_selector_and_url() -> None:
    with pytest.raises(ValueError, match="CSS selector"):
        PageConfig(id="p", url="https://example.gov.uk/", selector="div >")
    with pytest.raises(ValueError):
        PageConfig(id="p", url="ftp://example.gov.uk/")
    assert PageConfig(id="p", url="https://example.gov.uk/").selector is None
