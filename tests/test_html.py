"""monitor.extract.html on the listing-page fixtures in tests/data/pages and on small cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.extract.html import (
    Link,
    check_selector,
    clean_link_text,
    date_from_url,
    decode_html,
    extract_links,
    has_script_links,
    is_generic,
    normalise_url,
    page_date,
    page_title,
    parse_date,
    visible_text,
)

PAGES = Path(__file__).parent / "data" / "pages"
BASE = "https://www.northshire.icb.nhs.uk/about-us/board-meetings/"


def fixture(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def by_url(links: list[Link]) -> dict[str, Link]:
    return {link.url: link for link in links}


def test_icb_page_links_resolved_deduplicated_and_titled() -> None:
    html = fixture("icb_board_meetings.html").replace(b"{{OTHER}}", b"https://joint.example.org")
    links = by_url(extract_links(html, BASE, within="main"))
    pack = links["https://www.northshire.icb.nhs.uk/about-us/board-meetings/documents/board-papers-2024-03-26.pdf"]
    # linked twice (relative in the callout, absolute in the list): one link, with the first, specific text
    assert pack.text == "Board papers \u2013 26 March 2024"
    assert pack.date == date(2024, 3, 26)
    item7 = links["https://www.northshire.icb.nhs.uk/media/4f2a9c1e/item-7-paediatric-emergency-care.pdf?ver=2"]
    assert item7.title == "Item 7 \u2013 Paediatric emergency care"
    assert item7.date == date(2024, 3, 26)  # from its meeting's list item
    assert item7.heading == "Board meetings 2024"
    jan = links["https://www.northshire.icb.nhs.uk/about-us/board-meetings/documents/board-papers-2024-01-30.pdf"]
    assert "#" not in jan.url  # fragment dropped
    assert jan.generic and jan.title.startswith("Board meetings 2024 \u2013 Tuesday 30 January 2024")
    assert jan.date == date(2024, 1, 30)
    assert not any(url.startswith("mailto:") for url in links)
    # header navigation and footer are outside `within`
    assert not any("annual-report" in url or "privacy-notice" in url for url in links)
    all_links = by_url(extract_links(html, BASE))
    assert "https://www.northshire.icb.nhs.uk/publications/annual-report-2023-24.pdf" in all_links


def test_table_rows_give_generic_links_their_date_and_caption() -> None:
    links = extract_links(fixture("trust_board_table.html"), "https://www.eastfield.nhs.uk/about-us/trust-board")
    first = by_url(links)["https://www.eastfield.nhs.uk/download_file/view/4017/475"]
    assert first.text == "agenda and papers" and first.generic
    assert first.date == date(2023, 1, 25)
    assert first.heading == "Trust Board meetings 2023"
    assert first.title == "Trust Board meetings 2023 \u2013 25/01/23 Boardroom, Eastfield General \u2013 agenda and papers"
    old = by_url(links)["https://www.eastfield.nhs.uk/download_file/view/3961/475"]
    assert old.date == date(2022, 11, 23) and old.heading == "Trust Board meetings 2022"


def test_moderngov_meeting_page() -> None:
    base = "https://democracy.northshire.gov.uk/ieListDocuments.aspx?CId=139&MId=2044&Ver=4"
    html = fixture("moderngov_ieListDocuments.html")
    links = by_url(extract_links(html, base))
    pack = ("https://democracy.northshire.gov.uk/documents/g2044/Public%20reports%20pack%20Tuesday%2014-Oct-2025"
            "%2014.00%20Health%20and%20Wellbeing%20Board.pdf?T=10")
    assert links[pack].text == "Agenda reports pack"
    assert links[pack].date == date(2025, 10, 14)
    report = links["https://democracy.northshire.gov.uk/documents/s51214/Stroke%20services%20reconfiguration%20report.pdf"]
    assert report.title == "Proposed reconfiguration of hyper-acute stroke services"
    assert report.date == date(2025, 10, 14)  # the row mentions 8 July 2025 elsewhere; the page's DC.date wins
    minutes = links["https://democracy.northshire.gov.uk/documents/s51201/Minutes%20of%20Previous%20Meeting.pdf"]
    assert minutes.text == "Minutes"  # generic: the meeting heading leads (the "Items" caption is passed over)
    assert minutes.title == "Health and Wellbeing Board - Tuesday 14 October 2025 2:00 pm \u2013 Minutes"
    assert page_date(html) == date(2025, 10, 14)
    assert not has_script_links(html)  # Google Tag Manager and ModernGov settings are not link builders


def test_script_built_page_is_recognised() -> None:
    html = fixture("script_built_listing.html")
    assert has_script_links(html)
    assert not any(".pdf" in link.url for link in extract_links(html, "https://www.southmoor.nhs.uk/board-papers/"))


def test_visible_text_leaves_out_noise() -> None:
    text = visible_text(fixture("council_consultations.html"))
    assert "Future of adult day centres \u2013 closes 12 January 2025" in text.splitlines()
    for noise in ("cookies", "Bins and recycling", "siteSettings", "font-family", "Related pages", "Privacy"):
        assert noise not in text
    selected = visible_text(fixture("council_consultations.html"), "#content")
    assert selected.splitlines()[0] == "Health and social care consultations"
    assert selected.splitlines()[-1] == "Page last reviewed: 14 October 2024"
    with pytest.raises(ParseError, match="matches nothing"):
        visible_text(fixture("council_consultations.html"), "#missing")


def test_visible_text_blocks_and_cells() -> None:
    html = "<div>one<p>two <b>bold</b>&nbsp;end<br>three</p><table><tr><td>a</td><td>b</td></tr></table></div>"
    assert visible_text(html) == "one\ntwo bold end\nthree\na b"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('<meta charset="windows-1252"><p>Caf\xe9 \u2013 open</p>'.encode("cp1252"), "Caf\xe9 \u2013 open"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>\u2019</p>'.encode("cp1252"),
         "\u2019"),
        (b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", "caf\xe9"),
        ("<p>caf\xe9</p>".encode(), "caf\xe9"),
        (b"<p>caf\xe9 \x96 undeclared</p>", "caf\xe9 \u2013 undeclared"),
    ],
)
def test_decoding(raw: bytes, expected: str) -> None:
    assert visible_text(raw) == expected


def test_http_charset_wins_over_utf8_guess() -> None:
    assert decode_html("<p>\xe9</p>".encode("latin-1"), "ISO-8859-1") == "<p>\xe9</p>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/01/23agenda and papers", date(2023, 1, 25)),
        ("26/01/2022agenda and papers", date(2022, 1, 26)),
        ("Wednesday 17th April 2024 \u2013 10.00AM \u2013 12.30PM", date(2024, 4, 17)),
        ("Board of Directors Meeting Papers - 02.07.2026", date(2026, 7, 2)),
        ("2026-01-15", date(2026, 1, 15)),
        ("/meetings/board/2026/29-january-2026/", date(2026, 1, 29)),
        ("Meeting on 5 Sept 2025", date(2025, 9, 5)),
        ("April 17, 2024", date(2024, 4, 17)),
        ("31/02/2024 is not a date", None),
        ("Board meetings 2024", None),
        ("10.00AM", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_date_from_url() -> None:
    assert date_from_url("https://x.nhs.uk/media/l2yjpajs/public-board-meeting-pack-28052026-v1.pdf") == date(2026, 5, 28)
    assert date_from_url("https://x.nhs.uk/uploads/20240417_board.pdf") == date(2024, 4, 17)
    assert date_from_url("https://x.nhs.uk/download_file/view/4017/475") is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Minutes pdf icon PDF 99 KB", "Minutes"),
        ("Proposed reconfiguration of stroke services pdf icon PDF 297 KB", "Proposed reconfiguration of stroke services"),
        ("Board papers (PDF, 1.2MB)", "Board papers"),
        ("Item 7 [PDF 297KB] (opens in new window)", "Item 7"),
        ("Register of interests (Word, 45 KB)", "Register of interests"),
        ("Annual report (PDF)", "Annual report"),
    ],
)
def test_clean_link_text(raw: str, clean: str) -> None:
    assert clean_link_text(raw) == clean


@pytest.mark.parametrize(
    ("text", "generic"),
    [("agenda and papers", True), ("PDF 297 KB", True), ("25/01/23", True), ("January 2026", True), ("", True),
     ("Download papers for 25 January 2023", True), ("Decisions", False), ("Item 7 - Paediatric care", False)],
)
def test_is_generic(text: str, generic: bool) -> None:
    assert is_generic(text) is generic


def test_generic_link_without_context_falls_back_to_file_name() -> None:
    (link,) = extract_links('<a href="/docs/stroke-review.pdf">download</a>', "https://a.nhs.uk/")
    assert link.title == "stroke-review.pdf"
    (bare,) = extract_links('<a href="/docs/stroke-review.pdf"><img src="x.png"></a>', "https://a.nhs.uk/")
    assert bare.title == "stroke-review.pdf"


def test_base_href_and_odd_hrefs() -> None:
    html = """<head><base href="https://cdn.example.nhs.uk/files/"></head><body>
      <a href="a b.pdf">A</a><a href="#top">top</a><a href="javascript:void(0)">js</a><a href="tel:111">111</a>
      <a href="
        c.pdf">C</a></body>"""
    assert [link.url for link in extract_links(html, "https://example.nhs.uk/page")] == [
        "https://cdn.example.nhs.uk/files/a%20b.pdf", "https://cdn.example.nhs.uk/files/c.pdf"]


def test_within_must_match() -> None:
    with pytest.raises(ParseError, match="documents.within"):
        extract_links("<p><a href='a.pdf'>a</a></p>", BASE, within="main")


def test_normalise_url() -> None:
    assert normalise_url("HTTPS://Example.NHS.uk:443/a b/c.pdf?x=1 2#frag") == "https://example.nhs.uk/a%20b/c.pdf?x=1%202"
    assert normalise_url("http://h:8080/%7Ea/") == "http://h:8080/%7Ea/"


def test_page_title_and_selector_check() -> None:
    assert page_title(fixture("council_consultations.html")) == (
        "Health and social care consultations | Northshire County Council")
    assert check_selector("#content") == "#content"
    with pytest.raises(ValueError, match="CSS selector"):
        check_selector("div >")
