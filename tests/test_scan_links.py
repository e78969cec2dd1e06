"""``scan_links``: one pass gives what two ``extract_links`` calls give, and bare links skip only the details."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.extract.html import Link, extract_links, scan_links

PAGES = Path(__file__).parent / "data" / "pages"
CASES = [("icb_board_meetings.html", "https://www.example-icb.nhs.uk/about-us/board-meetings/", "main"),
         ("trust_board_table.html", "https://www.eastfield.nhs.uk/about-us/trust-board", None),
         ("moderngov_ieListDocuments.html", "https://democracy.example.gov.uk/ieListDocuments.aspx?MId=1", "body"),
         ("cm_board_2025.html", "https://www.example.nhs.uk/meetings/board/2025/", None)]


@pytest.mark.parametrize(("name", "base", "within"), CASES)
def test_one_pass_matches_extract_links(name, base, within):
    html = (PAGES / name).read_bytes()
    scan = scan_links(html, base, within=within)
    assert scan.links == extract_links(html, base)
    assert scan.within == (extract_links(html, base, within=within) if within else None)
    assert scan.links, "every fixture has links"


@pytest.mark.parametrize(("name", "base", "within"), CASES)
def test_bare_links_keep_urls_and_order_and_detailed_ones_are_whole(name, base, within):
    html = (PAGES / name).read_bytes()
    full = extract_links(html, base)
    wanted = {link.url for link in full[::3]}
    scan = scan_links(html, base, within=within, detail=wanted.__contains__)
    assert [link.url for link in scan.links] == [link.url for link in full]
    for got, whole in zip(scan.links, full, strict=True):
        assert got == (whole if got.url in wanted else Link(whole.url, ""))


def test_within_that_matches_nothing_is_an_error():
    with pytest.raises(ParseError, match="matches nothing"):
        scan_links("<p><a href='/a.pdf'>A</a></p>", "https://x.nhs.uk/", within="main")
