"""kind: board_papers against listing pages served on loopback, in the shapes of real NHS and ModernGov sites.

Each test builds the CheckContext by hand and carries the Observation's state and items into the next
check, the way the store does (``Store`` below). Documents are real PDFs and DOCX files made by
tests.docgen with known text on known pages; extraction runs for real (``extract_inline``).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.classify.classifier import Classifier
from monitor.config.http import HttpSettings
from monitor.errors import ParseError
from monitor.extract.types import PageText
from monitor.extract.worker import extract_inline
from monitor.fetch.client import Fetcher
from monitor.sources.base import CheckContext, CheckOutcome, ItemRecord, Observation, Source, content_hash
from monitor.sources.board_papers import BoardPapersConfig, BoardPapersSource
from tests.docgen import corrupt, make_docx, make_encrypted_pdf, make_pdf
from tests.peers import Site

PAGES = Path(__file__).parent.parent / "data" / "pages"
T0 = datetime(2024, 5, 20, 9, 0, tzinfo=UTC)

ROUTINE = "The Board received the integrated performance report and noted the position on the financial plan."
CLOSURE = ("The Board agreed that the minor injuries unit at Eastfield Community Hospital will close from 1 July, "
           "with patients directed to the urgent treatment centre at Northshire General Hospital.")
ADDED = ("The Board approved the temporary closure of the birth centre at Southmoor Community Hospital from "
         "1 June; no formal consultation is required.")
CONSULT = "The ICB will launch a twelve-week public consultation on the future of community beds in Southmoor."


class Store:
    """Stands in for the store: keeps a source's state, items and texts between checks."""

    def __init__(self, source: Source, now: datetime = T0) -> None:
        self.source = source
        self.state: dict[str, Any] = {}
        self.items: dict[str, ItemRecord] = {}
        self.texts: dict[str, list[PageText]] = {}
        self.baseline = True
        self.now = now

    async def check(self, fetcher: Fetcher, *, dry_run: bool = False,
                    known_elsewhere: Callable[[str], ItemRecord | None] | None = None) -> Observation:
        ctx = CheckContext(fetcher=fetcher, state=copy.deepcopy(self.state), items=dict(self.items),
                           baseline=self.baseline, now=self.now, load_text=self.texts.get, extract=extract_inline,
                           known_elsewhere=known_elsewhere or (lambda url: None), dry_run=dry_run)
        obs = await self.source.check(ctx)
        if not dry_run:
            self.state = obs.state
            for item in obs.items:
                self.items[item.key] = ItemRecord(item.key, item.content_hash, dict(item.data), item.url, item.title)
                if item.text is not None:
                    self.texts[item.key] = item.text
            self.baseline = False
        self.now += timedelta(hours=6)
        return obs

    def by_url(self, url: str) -> ItemRecord | None:
        return next((item for item in self.items.values() if item.url == url), None)


def board(url: str, **options: Any) -> Store:
    return Store(BoardPapersSource(BoardPapersConfig(id="test-board", url=url, area="northshire", **options)))


def flat(text: str) -> str:
    return " ".join(text.split())


def page_of(pages: list[PageText], fragment: str) -> int | None:
    """The page whose text holds ``fragment`` (PDF line wrapping ignored); -1 if none."""
    return next((p.page for p in pages if flat(fragment) in flat(p.text)), -1)


def pdf_hits(site: Site) -> list[str]:
    return [h.path for h in site.hits if ".pdf" in h.path or ".docx" in h.path or "/download_file/" in h.path]


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(HttpSettings(per_host_delay="0s", timeout="10s")) as f:
        yield f


@pytest.fixture
def other() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


def template(name: str, **values: str) -> str:
    text = (PAGES / name).read_text("utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


# -- an ICB page: nested lists, relative links, query strings, the same PDF twice, a DOCX, an off-site link ----

ICB = "/about-us/board-meetings/"
ICB_DOCS = [
    "/about-us/board-meetings/documents/board-papers-2024-03-26.pdf",
    "/media/4f2a9c1e/item-7-paediatric-emergency-care.pdf",
    "/about-us/board-meetings/documents/board-papers-2024-01-30.pdf",
    "/about-us/board-meetings/documents/minutes-2023-11-28-approved.pdf",
    "/about-us/board-meetings/documents/board-papers-2023-11-28.pdf",
    "/about-us/board-meetings/documents/board-papers-2023-09-26.pdf",
]
NEW_MEETING = """<li>Tuesday 28 May 2024, 10am &ndash; 1pm, Northshire Civic Centre
  <ul>
    <li><a href="documents/board-papers-2024-05-28.pdf">Agenda and papers (PDF, 1.8MB)</a></li>
    <li><a href="/media/7b3e/item-9-urgent-care-review.pdf?ver=1">Item 9 &ndash; Urgent care review</a></li>
    <li><a href="/about-us/board-meetings/documents/board-papers-2024-05-28.pdf">Agenda and papers</a></li>
    <li><a href="/media/7b3e/item-10-consultation-plan.docx">Item 10 &ndash; Consultation plan (Word, 40 KB)</a></li>
    <li><a href="{{OTHER}}/papers/joint-committee-pack-may-2024.pdf">Joint Committee of ICBs papers</a></li>
  </ul>
</li>
<!-- NEW MEETING -->"""


def serve_icb(site: Site, other: Site, extra: str = "") -> None:
    html = (PAGES / "icb_board_meetings.html").read_text("utf-8").replace("<!-- NEW MEETING -->", extra)
    html = html.replace("{{OTHER}}", other.base)
    site.set(ICB, "text/html; charset=utf-8", html)
    for path in ICB_DOCS:
        site.set(path, "application/pdf", make_pdf([ROUTINE]))
    site.set("/media/4f2a9c1e/register-of-interests-march-2024.docx", "application/octet-stream", make_docx([ROUTINE]))
    for name in ("march", "may"):
        other.set(f"/papers/joint-committee-pack-{name}-2024.pdf", "application/pdf", make_pdf([CLOSURE]))


async def test_icb_baseline_downloads_nothing_then_new_papers_are_read(site: Site, other: Site,
                                                                       fetcher: Fetcher) -> None:
    serve_icb(site, other)
    store = board(site.url(ICB), documents={"within": "main"})

    first = await store.check(fetcher)
    assert first.outcome is CheckOutcome.BASELINE and not first.events
    linked = [p.replace("care.pdf", "care.pdf?ver=2") for p in ICB_DOCS]  # the query string is part of the URL
    linked.append("/media/4f2a9c1e/register-of-interests-march-2024.docx")
    assert sorted(i.url for i in first.items) == sorted(site.url(p) for p in linked)
    assert all(i.data["baseline"] and i.content_hash is None for i in first.items)
    assert pdf_hits(site) == [] and other.hits == []  # nothing downloaded, the off-site link never requested

    pack_pdf = make_pdf([ROUTINE, "Item 6: Urgent care\n" + CLOSURE, ROUTINE])
    site.set("/about-us/board-meetings/documents/board-papers-2024-05-28.pdf", "application/pdf", pack_pdf)
    site.set("/media/7b3e/item-9-urgent-care-review.pdf", "application/pdf", make_pdf([ROUTINE]))
    site.set("/media/7b3e/item-10-consultation-plan.docx",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             make_docx(["Item 10: Consultation plan", CONSULT]))
    serve_icb(site, other, NEW_MEETING)
    second = await store.check(fetcher)

    assert second.outcome is CheckOutcome.CHANGED
    events = {e.url: e for e in second.events}
    pack_url = site.url("/about-us/board-meetings/documents/board-papers-2024-05-28.pdf")
    assert set(events) == {pack_url, site.url("/media/7b3e/item-9-urgent-care-review.pdf?ver=1"),
                           site.url("/media/7b3e/item-10-consultation-plan.docx")}
    pack = events[pack_url]
    assert pack.event == "new_document"
    assert pack.title == "Board meetings 2024 \u2013 Tuesday 28 May 2024, 10am \u2013 1pm, Northshire Civic Centre " \
                         "\u2013 Agenda and papers"
    assert page_of(pack.text, CLOSURE) == 2  # the evidence page is the 1-based PDF page
    found = Classifier().classify(pack.text)  # what the pipeline does next: the evidence carries page 2
    assert [(f.page, f.text) for f in found.findings if f.category == "service_change"] == [(2, CLOSURE)]
    item = store.by_url(pack_url)
    assert item is not None
    assert item.content_hash == content_hash(pack_pdf)
    assert pack.dedupe_key == f"document:{content_hash(pack_url)}:{item.content_hash}"
    assert item.data["date"] == "2024-05-28" and item.data["type"] == "pdf" and item.data["etag"]
    assert item.data["link_text"] == "Agenda and papers" and item.data["first_seen"] == T0.isoformat().replace(
        "09:00", "15:00")
    docx = events[site.url("/media/7b3e/item-10-consultation-plan.docx")]
    assert docx.title == "Item 10 \u2013 Consultation plan" and page_of(docx.text, CONSULT) is None
    assert store.by_url(docx.url).data["type"] == "docx"  # type: ignore[union-attr]
    # linked twice, downloaded once; the baseline papers are still never downloaded; nothing off-site
    assert sorted(pdf_hits(site)) == sorted(["/about-us/board-meetings/documents/board-papers-2024-05-28.pdf",
                                             "/media/7b3e/item-9-urgent-care-review.pdf?ver=1",
                                             "/media/7b3e/item-10-consultation-plan.docx"])
    assert other.hits == []

    site.clear_hits()
    third = await store.check(fetcher)
    assert third.outcome is CheckOutcome.NOT_MODIFIED and not third.items and not third.events
    hits = [(h.path, h.status) for h in site.hits if h.path != "/robots.txt"]
    assert hits[0] == (ICB, 304)  # the listing is unchanged: nothing parsed, no new downloads;
    assert hits[1:] and all(status == 304 for _, status in hits[1:])  # recent papers re-checked conditionally
    assert all(h.if_none_match for h in site.hits[1:] if h.path != "/robots.txt")
    assert site.hits_for(ICB)[0].if_none_match == store.state["pages"][site.url(ICB)]["etag"]


async def test_revision_at_same_url_alerts_only_added_text(site: Site, other: Site, fetcher: Fetcher) -> None:
    serve_icb(site, other)
    store = board(site.url(ICB))
    await store.check(fetcher)
    pack = "/about-us/board-meetings/documents/board-papers-2024-05-28.pdf"
    original = [ROUTINE, "Item 6: Urgent care\n" + CLOSURE, ROUTINE]
    site.set(pack, "application/pdf", make_pdf(original))
    for path in ("/media/7b3e/item-9-urgent-care-review.pdf", "/media/7b3e/item-10-consultation-plan.docx"):
        site.set(path, "application/pdf", make_pdf([ROUTINE]))
    serve_icb(site, other, NEW_MEETING)
    await store.check(fetcher)
    old_etag = store.by_url(site.url(pack)).data["etag"]  # type: ignore[union-attr]

    site.set(pack, "application/pdf", make_pdf([ROUTINE, "Item 6: Urgent care\n" + CLOSURE, ROUTINE + "\n" + ADDED]))
    serve_icb(site, other, NEW_MEETING + "<!-- revised -->")
    site.clear_hits()
    obs = await store.check(fetcher)

    (event,) = obs.events
    assert event.event == "changed_document" and event.url == site.url(pack)
    assert [(p.page, flat(p.text)) for p in event.text] == [(3, ADDED)]  # only the added text, with its page
    found = Classifier().classify(event.text)
    assert "service_change" in found.categories and {f.page for f in found.findings} == {3}
    assert site.hits_for(pack)[0].if_none_match == old_etag  # re-checked conditionally
    assert flat(ADDED) in flat(store.texts[f"doc:{site.url(pack)}"][2].text)  # the whole new revision is kept

    serve_icb(site, other, NEW_MEETING + "<!-- revised again -->")
    site.clear_hits()
    again = await store.check(fetcher)
    assert not again.events
    assert [h.status for h in site.hits_for(pack)] in ([], [304])


async def test_corrupt_and_encrypted_papers_are_their_own_errors(site: Site, other: Site, fetcher: Fetcher) -> None:
    serve_icb(site, other)
    store = board(site.url(ICB), documents={"within": "main", "max_bytes": "50KB"})
    await store.check(fetcher)
    meeting = """<li>Tuesday 28 May 2024<ul>
      <li><a href="/docs/huge.pdf">Item 2 &ndash; Estates survey</a></li>
      <li><a href="/docs/corrupt.pdf">Item 3 &ndash; Finance report</a></li>
      <li><a href="/docs/locked.pdf">Item 4 &ndash; Estates strategy</a></li>
      <li><a href="/docs/good.pdf">Item 5 &ndash; Urgent care</a></li></ul></li>"""
    site.set("/docs/corrupt.pdf", "application/pdf", corrupt(make_pdf([ROUTINE, ROUTINE])))
    site.set("/docs/locked.pdf", "application/pdf", make_encrypted_pdf([CLOSURE]))
    site.set("/docs/good.pdf", "application/pdf", make_pdf([ROUTINE, CLOSURE]))
    site.set("/docs/huge.pdf", "application/pdf", b"%PDF-1.7\n" + b"0" * 80_000)
    serve_icb(site, other, meeting)
    obs = await store.check(fetcher)

    assert [e.url for e in obs.events] == [site.url("/docs/good.pdf")]
    assert page_of(obs.events[0].text, CLOSURE) == 2
    for name in ("corrupt", "locked"):
        item = next(i for i in obs.items if i.url == site.url(f"/docs/{name}.pdf"))
        assert item.error and item.data["error"] == item.error and item.content_hash and item.text is None
        assert any(n.startswith(site.url(f"/docs/{name}.pdf")) for n in obs.notes)
    huge = next(i for i in obs.items if i.url == site.url("/docs/huge.pdf"))
    assert huge.content_hash is None and "limit" in (huge.error or "")  # streamed to the cap, then given up
    locked = next(i for i in obs.items if i.url == site.url("/docs/locked.pdf"))
    assert "encrypt" in (locked.error or "").lower() or "password" in (locked.error or "").lower()


async def test_max_new_per_check_defers_the_rest(site: Site, other: Site, fetcher: Fetcher) -> None:
    serve_icb(site, other)
    store = board(site.url(ICB), documents={"max_new_per_check": 2})
    await store.check(fetcher)
    links = "".join(f'<li><a href="/docs/paper-{n}.pdf">Item {n}: ward report</a></li>' for n in range(1, 5))
    for n in range(1, 5):
        site.set(f"/docs/paper-{n}.pdf", "application/pdf", make_pdf([f"Paper {n}. {ROUTINE}"]))
    serve_icb(site, other, f"<li>Tuesday 28 May 2024<ul>{links}</ul></li>")

    first = await store.check(fetcher)
    assert [e.title for e in first.events] == ["Item 1: ward report", "Item 2: ward report"]
    assert any("2 more new documents wait" in n for n in first.notes)
    second = await store.check(fetcher)  # the listing has not changed, but is fetched in full again
    assert [e.title for e in second.events] == ["Item 3: ward report", "Item 4: ward report"]
    downloads = sorted(h.path for h in site.hits if h.path.startswith("/docs/") and h.status == 200)
    assert downloads == [f"/docs/paper-{n}.pdf" for n in range(1, 5)]  # each once; re-checks are conditional
    third = await store.check(fetcher)
    assert third.outcome is CheckOutcome.NOT_MODIFIED


async def test_listing_without_validators_is_not_parsed_when_its_bytes_repeat(site: Site, fetcher: Fetcher) -> None:
    page = "<html><body><main><h1>Board papers</h1><ul>{}</ul></main></body></html>"
    site.set("/board/", "text/html", page.format(""), etag=False)
    store = board(site.url("/board/"))
    await store.check(fetcher)
    site.set("/board/item-4.pdf", "application/pdf", make_pdf([ROUTINE, CLOSURE]))
    site.set("/board/", "text/html", page.format('<li><a href="item-4.pdf">Item 4: urgent care</a></li>'), etag=False)
    assert [e.title for e in (await store.check(fetcher)).events] == ["Item 4: urgent care"]
    site.clear_hits()
    obs = await store.check(fetcher)
    assert obs.outcome is CheckOutcome.UNCHANGED and not obs.items and not obs.events
    hits = [(h.path, h.status) for h in site.hits if h.path != "/robots.txt"]
    assert hits == [("/board/", 200), ("/board/item-4.pdf", 304)]  # only a conditional re-check of the paper


async def test_off_site_links_followed_only_without_same_site(site: Site, other: Site, fetcher: Fetcher) -> None:
    serve_icb(site, other)
    store = board(site.url(ICB), documents={"same_site": False})
    await store.check(fetcher)
    other.set("/papers/new-joint-pack.pdf", "application/pdf", make_pdf([CLOSURE]))
    serve_icb(site, other, f'<li><a href="{other.base}/papers/new-joint-pack.pdf">Joint Committee papers</a></li>')
    obs = await store.check(fetcher)
    assert [e.url for e in obs.events] == [other.url("/papers/new-joint-pack.pdf")]
    assert [h.path for h in other.hits if h.path.endswith(".pdf")] == ["/papers/new-joint-pack.pdf"]


# -- a trust's table of meetings whose links are /download_file/ endpoints that redirect to the file ---------

TRUST = "/about-us/trust-board"
NEW_ROW = """<tr><td>24/05/23</td><td>Boardroom, Eastfield General</td>
  <td><a href="/download_file/view/4052/475">agenda and papers</a> <a href="/download_file/view/4053/475">patient story video</a></td></tr>
  <!-- NEW ROW -->"""


def serve_trust(site: Site, extra: str = "") -> None:
    html = (PAGES / "trust_board_table.html").read_text("utf-8").replace("<!-- NEW ROW -->", extra)
    site.set(TRUST, "text/html", html.encode("cp1252"))
    for n in (4017, 4020, 4021, 3961, 3902, 4052, 4053):
        site.set(f"/download_file/view/{n}/475", "text/html", "", status=302,
                 headers={"Location": f"/application/files/{n}/board-pack"})
        site.set(f"/application/files/{n}/board-pack", "application/octet-stream", make_pdf([ROUTINE, CLOSURE]))
    site.set("/application/files/4053/board-pack", "text/html", "<!DOCTYPE html><html><body><video></video></body>")


async def test_download_endpoints_redirect_and_are_sniffed(site: Site, fetcher: Fetcher) -> None:
    serve_trust(site)
    store = board(site.url(TRUST), documents={"pattern": "/download_file/", "types": ["pdf"], "within": ".content"})
    base = await store.check(fetcher)
    assert len(base.items) == 5 and pdf_hits(site) == []

    serve_trust(site, NEW_ROW)
    obs = await store.check(fetcher)
    (event,) = obs.events
    assert event.url == site.url("/download_file/view/4052/475")
    assert event.title == "Trust Board meetings 2023 \u2013 24/05/23 Boardroom, Eastfield General \u2013 agenda and papers"
    assert page_of(event.text, CLOSURE) == 2
    item = store.by_url(event.url)
    assert item is not None and item.data["date"] == "2023-05-24" and item.data["type"] == "pdf"
    assert item.data["file_url"] == site.url("/application/files/4052/board-pack")
    assert any("4053/475 is html, not pdf: skipped" in n for n in obs.notes)
    assert store.by_url(site.url("/download_file/view/4053/475")) is None

    serve_trust(site, NEW_ROW + "<!-- edited -->")
    site.clear_hits()
    await store.check(fetcher)
    assert site.hits_for("/download_file/view/4053/475") == []  # a link found not to be a document is not refetched


# -- a council's ModernGov meeting page: spaces in hrefs, "pdf icon PDF 297 KB" link text, DC.date ---------

MG = "/ieListDocuments.aspx"
MG_NEW = """<p class="mgSubItemTitleTxt">Supplementary documents:</p>
<ul class="mgBulletList"><li><a href="documents/s51230/Stroke consultation response.pdf" title="Link to document">ICB response to the stroke services engagement <span class="mgFileSize"><img height="12" src="mgimages/logo-pdf-1.gif" width="12" alt="pdf icon" /> PDF 297 KB</span> </a></li></ul>
</td>"""


async def test_moderngov_meeting_page(site: Site, fetcher: Fetcher) -> None:
    html = (PAGES / "moderngov_ieListDocuments.html").read_text("utf-8")
    site.set(MG, "text/html; charset=utf-8", html)
    store = board(site.url(MG + "?CId=139&MId=2044&Ver=4"))
    base = await store.check(fetcher)
    assert len(base.items) == 6 and pdf_hits(site) == []
    assert store.by_url(site.url("/documents/s51201/Minutes%20of%20Previous%20Meeting.pdf")) is not None

    site.set("/documents/s51230/Stroke consultation response.pdf", "application/pdf",
             make_pdf(["ICB response", ROUTINE, CLOSURE]))
    tail = "<p class=\"mgSubItemTitleTxt\">Minutes:</p>\n<div class=\"mgWordPara\"><p class=\"MsoNormal\">The Board noted"
    site.set(MG, "text/html; charset=utf-8", html.replace(tail, MG_NEW.replace("</td>", "") + tail))
    obs = await store.check(fetcher)
    (event,) = obs.events
    assert event.url == site.url("/documents/s51230/Stroke%20consultation%20response.pdf")
    assert event.title == "ICB response to the stroke services engagement"
    assert page_of(event.text, CLOSURE) == 3
    assert store.by_url(event.url).data["date"] == "2025-10-14"  # type: ignore[union-attr]
    assert len(site.hits_for("/documents/s51230/Stroke%20consultation%20response.pdf")) == 1


# -- year -> meeting -> papers with `follow` -------------------------------------------------------------------

LANDING = "/meetings/board/"
FOLLOW = [r"/20\d\d/$", r"/\d{1,2}-[a-z]+-20\d\d/$"]
MEETINGS = {"2025/27-march-2025": ("Thursday 27 March 2025", "a1b2c3d4", "4101"),
            "2025/29-january-2025": ("Wednesday 29 January 2025", "e5f6a7b8", "4017"),
            "2024/28-november-2024": ("Thursday 28 November 2024", "c9d0e1f2", "3990")}


def serve_meeting(site: Site, path: str, date: str, hash_: str, ident: str, pack: bytes) -> None:
    slug = path.rsplit("/", 1)[1]
    site.set(f"{LANDING}{path}/", "text/html", template("cm_board_meeting.html", DATE=date, HASH=hash_, SLUG=slug,
                                                        ID=ident))
    site.set(f"/media/{hash_}/board-full-pack-{slug}.pdf", "application/pdf", pack)
    site.set(f"/download_file/view/{ident}/475", "text/html", "", status=302,
             headers={"Location": f"/application/files/{ident}/questions"})
    site.set(f"/application/files/{ident}/questions",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             make_docx(["Questions from the public", ROUTINE]))


def serve_cm(site: Site, new_meeting: str = "") -> None:
    site.set(LANDING, "text/html", template("cm_board_landing.html"))
    site.set(LANDING + "2025/", "text/html", template("cm_board_2025.html").replace("<!-- NEW MEETING -->", new_meeting))
    site.set(LANDING + "2024/", "text/html", template("cm_board_2024.html"))
    for path, (date, hash_, ident) in MEETINGS.items():
        serve_meeting(site, path, date, hash_, ident, make_pdf([ROUTINE]))


def cm_board(site: Site, **options: Any) -> Store:
    return board(site.url(LANDING), follow=FOLLOW,
                 documents={"pattern": r"\.pdf|/download_file/|/download/", "types": ["pdf", "docx"]}, **options)


async def test_follow_walks_years_and_meetings(site: Site, fetcher: Fetcher) -> None:
    serve_cm(site)
    store = cm_board(site)
    base = await store.check(fetcher)
    assert base.outcome is CheckOutcome.BASELINE and pdf_hits(site) == []
    assert base.walked == [site.url(p) for p in (LANDING, LANDING + "2025/", LANDING + "2024/")] + [
        site.url(f"{LANDING}{p}/") for p in MEETINGS]
    assert len(base.items) == 6
    assert store.by_url(site.url("/media/a1b2c3d4/board-full-pack-27-march-2025.pdf")).data["date"] == "2025-03-27"  # type: ignore[union-attr]

    dry = await store.check(fetcher, dry_run=True)  # a dry run reads every page in full and lists what it finds
    assert dry.walked == base.walked and not dry.events
    assert len([n for n in dry.notes if n.startswith("document: ")]) == 6

    serve_meeting(site, "2025/24-april-2025", "Thursday 24 April 2025", "0a0b0c0d", "5001",
                  make_pdf([ROUTINE, ROUTINE, CLOSURE]))
    serve_cm(site, '<li class="listing__item"><a class="listing__link" href="/meetings/board/2025/24-april-2025/">'
                   "Thursday 24 April 2025</a></li>")
    site.clear_hits()
    preview = await store.check(fetcher, dry_run=True)
    assert site.url(LANDING + "2025/24-april-2025/") in preview.walked
    assert f"document: {site.url('/media/0a0b0c0d/board-full-pack-24-april-2025.pdf')}  Board meeting Thursday 24 April 2025 \u2013 Full pack" in preview.notes

    obs = await store.check(fetcher)
    assert {(e.event, e.url) for e in obs.events} == {
        ("new_document", site.url("/media/0a0b0c0d/board-full-pack-24-april-2025.pdf")),
        ("new_document", site.url("/download_file/view/5001/475"))}
    pack = next(e for e in obs.events if e.url.endswith(".pdf"))
    assert pack.title == "Board meeting Thursday 24 April 2025 \u2013 Full pack" and page_of(pack.text, CLOSURE) == 3
    assert store.by_url(pack.url).data["date"] == "2025-04-24"  # type: ignore[union-attr]
    questions = store.by_url(site.url("/download_file/view/5001/475"))
    assert questions is not None and questions.data["type"] == "docx"
    assert questions.title == "Questions from the public and responses"
    # known pages answered 304 to the conditional GET; the old meetings' papers were never downloaded
    changed = (LANDING + "2025/", LANDING + "2025/24-april-2025/")
    statuses = {h.path: h.status for h in site.hits if h.path.endswith("/") and h.path not in changed}
    assert statuses and set(statuses.values()) == {304}
    assert not any(p.startswith(("/media/a1b2", "/media/e5f6", "/media/c9d0")) for p in pdf_hits(site))


async def test_small_page_budget_keeps_old_meetings_silent(site: Site, fetcher: Fetcher) -> None:
    serve_cm(site)
    store = cm_board(site, max_pages_per_check=3)
    base = await store.check(fetcher)
    assert len(base.walked) == 3 and any("left for later checks" in n for n in base.notes)
    for _ in range(4):  # later checks reach the meetings the baseline could not: still no downloads, no events
        obs = await store.check(fetcher)
        assert not obs.events
    assert len([i for i in store.items.values() if i.data.get("baseline")]) == 6
    assert pdf_hits(site) == []

    serve_meeting(site, "2025/24-april-2025", "Thursday 24 April 2025", "0a0b0c0d", "5001", make_pdf([CLOSURE]))
    serve_cm(site, '<li><a href="/meetings/board/2025/24-april-2025/">Thursday 24 April 2025</a></li>')
    events = []
    for _ in range(3):
        events += (await store.check(fetcher)).events
    assert {e.url for e in events} == {site.url("/media/0a0b0c0d/board-full-pack-24-april-2025.pdf"),
                                       site.url("/download_file/view/5001/475")}


# -- a joint pack linked from two bodies' pages: downloaded once, one dedupe key -------------------------------


async def test_joint_pack_linked_from_two_bodies_is_downloaded_once(site: Site, fetcher: Fetcher) -> None:
    def listing(body: str, extra: str = "") -> str:
        return f"<html><body><main><h1>{body} Board papers</h1><ul>{extra}</ul></main></body></html>"

    site.set("/north/board/", "text/html", listing("Northshire"))
    site.set("/south/board/", "text/html", listing("Southmoor"))
    north, south = board(site.url("/north/board/")), board(site.url("/south/board/"))
    await north.check(fetcher)
    await south.check(fetcher)
    site.set("/joint/committee-in-common-pack.pdf", "application/pdf", make_pdf([ROUTINE, CLOSURE]))
    link = '<li><a href="/joint/committee-in-common-pack.pdf">Committees in common: papers</a></li>'
    site.set("/north/board/", "text/html", listing("Northshire", link))
    site.set("/south/board/", "text/html", listing("Southmoor", link))

    first = await north.check(fetcher)
    second = await south.check(fetcher, known_elsewhere=north.by_url)
    assert len(site.hits_for("/joint/committee-in-common-pack.pdf")) == 1
    (a,), (b,) = first.events, second.events
    assert a.dedupe_key == b.dedupe_key and a.event == b.event == "new_document"
    assert page_of(a.text, CLOSURE) == 2 and b.text == []
    shared = south.by_url(site.url("/joint/committee-in-common-pack.pdf"))
    assert shared is not None and shared.content_hash == north.by_url(shared.url).content_hash  # type: ignore[union-attr]
    assert shared.data["shared"] is True


# -- pages that build their links with JavaScript --------------------------------------------------------------


async def test_listing_built_by_script_is_reported(site: Site, fetcher: Fetcher) -> None:
    site.set("/board-papers/", "text/html", (PAGES / "script_built_listing.html").read_bytes())
    store = board(site.url("/board-papers/"))
    with pytest.raises(ParseError, match="JavaScript; not supported"):
        await store.check(fetcher)

    serve_cm(site)
    site.set(LANDING + "2025/29-january-2025/", "text/html", (PAGES / "script_built_listing.html").read_bytes())
    walked = await cm_board(site).check(fetcher)
    assert any("29-january-2025/" in n and "JavaScript" in n for n in walked.notes)


def test_config_rejects_bad_patterns_and_selectors() -> None:
    with pytest.raises(ValueError, match="regular expression"):
        BoardPapersConfig(id="x", url="https://a.nhs.uk/", documents={"pattern": "(unclosed"})
    with pytest.raises(ValueError, match="CSS selector"):
        BoardPapersConfig(id="x", url="https://a.nhs.uk/", documents={"within": "div >"})
    with pytest.raises(ValueError, match="extra"):
        BoardPapersConfig(id="x", url="https://a.nhs.uk/", documents={"paterns": "x"})
    config = BoardPapersConfig(id="x", url="https://a.nhs.uk/", retention="30d", documents={"max_bytes": "20MB"},
                               extra_areas=["old-ccg-area"])
    assert config.retention == 30 * 86400 and config.documents.max_bytes == 20_000_000
    assert config.documents.pattern == r"\.(pdf|docx)(\?|$)" and config.documents.same_site
