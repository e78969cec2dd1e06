"""The bundled catalogue: loading, search, derived layouts and ``catalog:`` expansion."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import pytest
from pydantic import ValidationError

from monitor.catalog import (
    LAYOUTS,
    PREDECESSOR_ICBS,
    Body,
    CatalogEntry,
    CatalogLookupError,
    body_areas,
    build_catalog,
    expand,
    format_table,
    load_catalog,
    search,
    slugify,
)
from monitor.catalog.layout import (
    DOWNLOAD_PATTERN,
    FILE_PATTERN,
    MEETING_PAGE,
    YEAR_OR_MEETING,
    YEAR_PAGE,
    classify_layout,
    js_reason,
    link_fragments,
)


def by_ods(code: str) -> Body:
    return next(b for b in load_catalog() if b.ods == code)


def ids(sources: list[dict]) -> set[str]:
    return {s["id"] for s in sources}


# --- loading -------------------------------------------------------------------------------


def test_catalogue_has_every_icb_and_trust_once() -> None:
    bodies = load_catalog()
    assert sum(b.kind == "icb" for b in bodies) == 36
    assert sum(b.kind == "trust" for b in bodies) == 202
    assert len({b.ods for b in bodies}) == len(bodies)
    assert all(b.area for b in bodies), [b.ods for b in bodies if not b.area]
    assert all(b.layout in LAYOUTS for b in bodies)


def test_icb_ics_is_its_name_without_icb_and_trust_ics_comes_from_the_data() -> None:
    icb = by_ods("QYG")
    assert (icb.name, icb.ics, icb.ics_slug, icb.region) == (
        "Cheshire and Merseyside ICB", "Cheshire and Merseyside", "cheshire-and-merseyside", "North West")
    trust = by_ods("RAL")
    assert (trust.ics, trust.area, trust.kind) == ("North Central London", "north-central-london", "trust")


def test_bodies_outside_an_ics_use_their_region_as_area() -> None:
    las = by_ods("RRU")  # London Ambulance Service: ics "-" in the data
    assert las.ics is None and las.ics_slug is None
    assert las.area == "london"


def test_a_trust_serving_two_icss_counts_for_both() -> None:
    body = by_ods("RY3")  # "Norfolk and Waveney; Cambridgeshire and Peterborough"
    assert body.area == "norfolk-and-waveney"
    assert "cambridgeshire-and-peterborough" in body.extra_areas


def test_every_predecessor_icb_code_is_named() -> None:
    codes = {p for b in load_catalog() if b.kind == "icb" for p in b.predecessors}
    assert codes, "the data lists merged ICBs"
    assert codes <= set(PREDECESSOR_ICBS), f"name these in PREDECESSOR_ICBS: {sorted(codes - set(PREDECESSOR_ICBS))}"
    trust_icss = {b.ics for b in load_catalog() if b.kind == "trust"}
    assert set(PREDECESSOR_ICBS.values()) <= trust_icss  # the names are the ones the trusts are filed under


def test_merged_icb_notes_agree_with_the_predecessor_table() -> None:
    for body in (b for b in load_catalog() if b.predecessors):
        for code in body.predecessors:
            assert code in body.notes, (body.ods, code)
    wnl = by_ods("Z9B2Z")
    assert "North Central London" in wnl.notes and "North West London" in wnl.notes


def test_only_the_real_no_url_body_lacks_a_url() -> None:
    missing = [b for b in load_catalog() if b.url is None]
    assert [b.ods for b in missing] == ["K0N6A"]
    assert "no board-papers URL" in (missing[0].unsupported_reason or "")


def test_data_files_ship_with_their_attribution() -> None:
    data = files("monitor.catalog").joinpath("data")
    text = data.joinpath("ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "Davewest84/nhs-trust-icb-data" in text and "CC0 1.0" in text and "2026-08" in text
    rows = json.loads(data.joinpath("trust_urls.json").read_text(encoding="utf-8"))
    assert not any("correspondent" in row for row in rows)


# --- slugify --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("North Central London", "north-central-london"),
        ("NHS North Central London ICB", "north-central-london"),
        ("North Central London Integrated Care System", "north-central-london"),
        ("north central london ics", "north-central-london"),
        ("Leicester, Leicestershire and Rutland", "leicester-leicestershire-and-rutland"),
        ("W&NL ICB", "w-and-nl"),
        ("Guy's and St Thomas'", "guys-and-st-thomas"),
        ("Tameside and Glossop Integrated Care NHS Foundation Trust",
         "tameside-and-glossop-integrated-care-nhs-foundation-trust"),
        ("ICB", "icb"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


# --- search ---------------------------------------------------------------------------------


def test_search_by_name_fragment_finds_the_ics_and_its_merged_icb() -> None:
    found = search("north central")
    codes = [b.ods for b in found]
    assert codes[0] == "Z9B2Z"  # ICBs first: the merged West and North London ICB
    ncl_trusts = {b.ods for b in load_catalog() if b.ics == "North Central London"}
    assert ncl_trusts <= set(codes)
    assert "RGN" not in codes  # North West Anglia: "north" in its name, "central" only in its ICB's name


def test_search_words_in_any_order_and_any_case() -> None:
    assert [b.ods for b in search("LONDON central north")] == [b.ods for b in search("north central london")]


def test_search_by_ods_code_and_by_a_predecessors_code() -> None:
    assert [b.ods for b in search("ral")] == ["RAL"]
    assert [b.ods for b in search("QMJ")] == ["Z9B2Z"]
    assert [b.ods for b in search("RNK")] == ["G6V2S"]  # Tavistock and Portman, absorbed in 2026


def test_search_by_region() -> None:
    found = {b.ods for b in search("East of England")}
    region = {b.ods for b in load_catalog() if b.region == "East of England"}
    assert region <= found and len(region) > 20


def test_search_spreads_words_over_fields_after_closer_matches() -> None:
    found = search("london mental")
    assert len(found) > 3
    assert all(b.region == "London" for b in found)
    assert all("Mental" in " ".join([*b.aliases, b.org_type or ""]) for b in found)


def test_search_none_lists_everything_and_nonsense_nothing() -> None:
    assert len(search(None)) == len(load_catalog())
    assert search("zzqx") == []


# --- layouts derived from the notes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("notes", "layout"),
    [
        ("Strategy: dated board-pack PDFs listed directly on the landing page. Pattern A.", "direct"),
        ("Strategy: landing lists year archives. Static fetch works. Pattern B.", "year"),
        ("Strategy: landing lists per-meeting entries. Pattern C.", "meeting"),
        ("Pattern B + C: year folders, then month sub-folders.", "year-meeting"),
        ("Strategy: landing surfaces board papers directly (mix of dated PDFs and/or year links). Pattern A/B.",
         "year"),
        ("Strategy: 3-LEVEL navigation. Landing -> year sub-page -> per-meeting sub-page -> PDFs.", "year-meeting"),
        ("Landing lists per-year sub-pages, each listing per-meeting sub-pages that hold the PDFs.", "year-meeting"),
        ("Dated PDFs on one page (no year archives or separate sub-pages).", "direct"),
        ("The earlier 'year archives' description was wrong; all inline, zero hops.", "direct"),
    ],
)
def test_layout_from_access_notes(notes: str, layout: str) -> None:
    assert classify_layout(notes) == layout


def test_layout_from_validator_counts_then_unknown() -> None:
    counts = "Landing validator 2026-08-22: papers_found - {} dated PDFs, {} year archives, {} meeting sub-pages"
    assert classify_layout("", counts.format(14, 0, 0)) == "direct"
    assert classify_layout("", counts.format(0, 3, 2)) == "year-meeting"
    assert classify_layout("", counts.format(2, 0, 7)) == "meeting"
    assert classify_layout("", "") == "unknown"


def test_download_link_styles_come_from_the_notes() -> None:
    assert link_fragments("Static HTML list of /download_file/ links that 302 to the PDF") == (True, ())
    found, extra = link_fragments("Joomla-style download links /documents/{id}-{slug}/file that 302")
    assert found and any(re.search(f, "https://x.nhs.uk/documents/12-board-paper-may-2026/file") for f in extra)
    assert link_fragments("dated PDFs under /wp-content/uploads/") == (False, ())


@pytest.mark.parametrize(
    "url",
    ["https://x.nhs.uk/meetings/2026/", "https://x.nhs.uk/board-reports/board-papers-2026",
     "https://x.nhs.uk/publications/board-meeting-papers-2025-26/", "https://x.nhs.uk/p?media_folder=1&root_folder=2025/26"],
)
def test_year_page_pattern(url: str) -> None:
    assert re.search(YEAR_PAGE, url) and not re.search(MEETING_PAGE, url)


@pytest.mark.parametrize(
    "url",
    ["https://x.nhs.uk/2026/29-january-2026/", "https://x.nhs.uk/2025/november-2025/", "https://x.nhs.uk/mar26",
     "https://x.nhs.uk/events/icb-board-meeting-12-march-2026/", "https://x.nhs.uk/papers/navigate/758/9379",
     "https://x.nhs.uk/trustboard/2026_03/index.asp"],
)
def test_meeting_page_pattern(url: str) -> None:
    assert re.search(MEETING_PAGE, url) and not re.search(YEAR_PAGE, url)


@pytest.mark.parametrize(
    "url",
    ["https://x.nhs.uk/about-us/", "https://x.nhs.uk/media/ab12/board-march-2026.pdf",
     "https://x.nhs.uk/wp-content/uploads/2026/05/pack.pdf", "https://x.nhs.uk/download_file/view/4017/475",
     "https://x.nhs.uk/may-we-help", "https://x.nhs.uk/covid-19/"],
)
def test_follow_patterns_skip_files_and_ordinary_pages(url: str) -> None:
    assert not re.search(YEAR_OR_MEETING, url)


def test_document_patterns() -> None:
    assert re.search(FILE_PATTERN, "https://x.nhs.uk/a/Board-Pack.pdf")
    assert re.search(FILE_PATTERN, "https://x.nhs.uk/download/pack.pdf?ver=1")
    assert not re.search(FILE_PATTERN, "https://x.nhs.uk/download_file/view/4017/475")
    assert re.search(DOWNLOAD_PATTERN, "https://x.nhs.uk/download_file/view/4017/475")
    assert re.search(DOWNLOAD_PATTERN, "https://x.nhs.uk/download/icb-board-may-2026/")


def test_js_reasons_tell_a_bot_wall_from_script() -> None:
    assert js_reason("papers sit in a JS-rendered document library").startswith("needs JavaScript:")
    assert js_reason("Imperva/Incapsula bot mitigation, NOT client-side JS").startswith("needs a browser:")
    assert js_reason("Cloudflare 403; a JavaScript accordion").startswith("needs JavaScript and a browser")


# --- expansion --------------------------------------------------------------------------------


def test_expand_by_ics_gives_ids_areas_and_the_merged_icb() -> None:
    result = expand([CatalogEntry(ics="North Central London")])
    got = {s["id"]: s for s in result.sources}
    assert "icb-z9b2z" in got and "trust-rrv" in got and "trust-g6v2s" in got
    assert all(re.fullmatch(r"(icb|trust)-[a-z0-9]+", i) for i in got)
    icb = got["icb-z9b2z"]
    assert icb["kind"] == "board_papers" and icb["name"] == "West and North London ICB"
    assert icb["area"] == "west-and-north-london"
    assert icb["extra_areas"] == ["north-central-london", "north-west-london"]
    trust = got["trust-rrv"]
    assert trust["area"] == "north-central-london" and trust["extra_areas"] == ["west-and-north-london"]
    assert trust["url"] == by_ods("RRV").url
    assert [b.ods for b, _ in result.unsupported] == ["RAL"]


def test_expanding_the_new_ics_takes_in_both_old_icss_trusts() -> None:
    result = expand([CatalogEntry(ics="West and North London", kinds=["trust"])])
    areas = {s["area"] for s in result.sources}
    assert areas == {"north-central-london", "north-west-london"}
    assert all("west-and-north-london" in s["extra_areas"] for s in result.sources)


def test_merged_icb_papers_reach_the_old_areas() -> None:
    wnl = by_ods("Z9B2Z")
    assert wnl.predecessors == ("QMJ", "QRV")
    assert body_areas(wnl) == ["west-and-north-london", "north-central-london", "north-west-london"]
    assert "frimley" in body_areas(by_ods("S9B9J")) and "frimley" in body_areas(by_ods("S0E4D"))


def test_joint_board_partners_count_for_each_others_areas() -> None:
    derby = by_ods("QJ2")  # the DLN cluster holds one Board in Common
    assert set(derby.joint_partners) == {"QJM", "QT1"}
    assert {"lincolnshire", "nottingham-and-nottinghamshire"} <= set(body_areas(derby))


def test_expand_by_region_covers_every_body_in_it() -> None:
    result = expand([CatalogEntry(region="london")])
    london = [b for b in load_catalog() if b.region == "London"]
    assert len(result.sources) + len(result.unsupported) == len(london)
    assert ids(result.sources) == {b.source_id for b in london if b.supported}


def test_expand_by_ods_accepts_predecessor_codes_and_kinds() -> None:
    result = expand([CatalogEntry(ods=["qmj", "RRV", "RAL"])])
    assert ids(result.sources) == {"icb-z9b2z", "trust-rrv"}
    assert [b.ods for b, _ in result.unsupported] == ["RAL"]
    only_icbs = expand([CatalogEntry(ods=["QMJ", "RRV"], kinds=["icb"])])
    assert ids(only_icbs.sources) == {"icb-z9b2z"}


@pytest.mark.parametrize(
    ("ods", "follow", "pattern"),
    [
        ("S9B9J", None, FILE_PATTERN),  # Pattern A: one page of PDFs
        ("QYG", [YEAR_OR_MEETING, MEETING_PAGE], FILE_PATTERN),  # 3-LEVEL: year -> meeting -> PDFs
        ("QWE", [YEAR_PAGE], FILE_PATTERN),  # Pattern B: year archives
        ("RYX", None, DOWNLOAD_PATTERN),  # /download_file/view/<id>/785 links that 302 to the PDF
    ],
)
def test_expanded_settings_follow_the_notes(ods: str, follow: list[str] | None, pattern: str) -> None:
    source = expand([CatalogEntry(ods=[ods])]).sources[0]
    assert source.get("follow") == follow
    assert ("max_pages_per_check" in source) == bool(follow)
    assert source["documents"]["pattern"] == pattern
    assert source["documents"]["types"] == ["pdf", "docx"]


def test_three_level_site_walks_the_pages_its_notes_describe() -> None:
    source = expand([CatalogEntry(ods=["QYG"])]).sources[0]
    base = source["url"]
    year, meeting = base + "2026/", base + "2026/29-january-2026/"
    assert re.search(source["follow"][0], year) and re.search(source["follow"][1], meeting)
    assert re.search(source["documents"]["pattern"], "https://www.cheshireandmerseyside.nhs.uk/media/ab12cd34/x.pdf")


def test_joomla_file_links_extend_the_documents_pattern() -> None:
    source = expand([CatalogEntry(ods=["RDR"])]).sources[0]
    assert re.search(source["documents"]["pattern"], "https://www.sussexcommunity.nhs.uk/documents/77-board-paper/file")


def test_papers_on_another_host_turn_off_same_site() -> None:
    assert by_ods("QF7").same_site is False  # "Papers PDFs are hosted on syics.co.uk"
    assert by_ods("QYG").same_site is True


def test_needs_js_bodies_are_reported_not_dropped() -> None:
    js = [b for b in load_catalog() if b.needs_js]
    assert 18 <= len(js) <= 25  # "about 20 sites need JavaScript"
    regions = sorted({b.region for b in load_catalog() if b.region})
    result = expand([CatalogEntry(region=r) for r in regions])
    reported = {b.ods: reason for b, reason in result.unsupported}
    assert {b.ods for b in js} <= set(reported)
    assert not ids(result.sources) & {b.source_id for b in js}
    for body in js:
        assert reported[body.ods].startswith(("needs JavaScript", "needs a browser")), reported[body.ods]
        assert "not supported yet" in reported[body.ods]
    assert "needs JavaScript" in reported["RHA"]
    assert "blocks automated fetchers" in reported["RDU"]
    assert "trust-rbq" in reported["REM"]  # the group board's page is watched through its sister trust


def test_entry_options_apply_to_every_source() -> None:
    entry = CatalogEntry.model_validate({
        "region": "North West", "interval": "12h", "jitter": "5%", "enabled": False, "alert_on": "any",
        "keywords": ["maternity"], "baseline": "alert", "robots": False, "max_pages_per_check": 5,
    })
    sources = expand([entry]).sources
    assert len(sources) > 20
    for s in sources:
        assert (s["interval"], s["jitter"], s["enabled"], s["alert_on"]) == (43200.0, 0.05, False, "any")
        assert (s["keywords"], s["baseline"], s["robots"], s["max_pages_per_check"]) == (["maternity"], "alert",
                                                                                          False, 5)


def test_unset_options_are_left_to_the_source_defaults() -> None:
    source = expand([CatalogEntry(ods=["RRV"])]).sources[0]
    assert not {"interval", "jitter", "enabled", "keywords", "alert_on", "baseline", "robots"} & set(source)


def test_a_later_entry_tunes_bodies_an_earlier_one_expanded() -> None:
    result = expand([CatalogEntry(region="London", interval="12h"), CatalogEntry(ods=["RRV"], keywords=["A&E"])])
    rrv = [s for s in result.sources if s["id"] == "trust-rrv"]
    assert len(rrv) == 1 and rrv[0]["interval"] == 43200.0 and rrv[0]["keywords"] == ["A&E"]
    assert len(ids(result.sources)) == len(result.sources)


# --- helpful errors -------------------------------------------------------------------------


def test_unknown_ics_names_close_matches() -> None:
    with pytest.raises(ValueError, match="North Central London") as info:
        expand([CatalogEntry(ics="North Centrl London")])
    assert "no ICS" in str(info.value) and "nhs-monitor catalog" in str(info.value)


def test_a_region_given_as_ics_says_so() -> None:
    with pytest.raises(ValueError, match="write region: London"):
        expand([CatalogEntry(ics="London")])
    with pytest.raises(ValueError, match="write ics: Sussex"):
        expand([CatalogEntry(region="Sussex")])


def test_unknown_region_and_ods_code() -> None:
    with pytest.raises(ValueError, match="no region .* 'Midland'.*Midlands"):
        expand([CatalogEntry(region="Midland")])
    with pytest.raises(ValueError, match="'RALL'.*RAL"):
        expand([CatalogEntry(ods=["RAL", "RALL"])])


def test_every_bad_entry_is_reported_with_its_index() -> None:
    entries = [CatalogEntry(ics="Nowhere"), CatalogEntry(region="London"), CatalogEntry(ods=["XXXXX"])]
    with pytest.raises(CatalogLookupError) as info:
        expand(entries)
    assert [index for index, _ in info.value.problems] == [0, 2]
    assert "catalog entry 1" in str(info.value) and "catalog entry 3" in str(info.value)


def test_kinds_that_leave_nothing_are_an_error() -> None:
    with pytest.raises(ValueError, match="only trusts"):
        expand([CatalogEntry(ods=["RAL"], kinds=["icb"])])


@pytest.mark.parametrize("raw", [{}, {"ics": "Sussex", "region": "South East"}, {"ods": []}, {"kinds": ["icb"]}])
def test_entry_needs_exactly_one_selector(raw: dict) -> None:
    with pytest.raises(ValidationError) as info:
        CatalogEntry.model_validate(raw)
    assert "ics, region or ods" in str(info.value) or "at least one ODS code" in str(info.value)


def test_entry_rejects_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ValidationError, match="extra"):
        CatalogEntry.model_validate({"ics": "Sussex", "intervall": "6h"})
    with pytest.raises(ValidationError):
        CatalogEntry.model_validate({"ics": "Sussex", "kinds": ["ccg"]})
    with pytest.raises(ValidationError):
        CatalogEntry.model_validate({"ics": "Sussex", "interval": "soon"})
    assert CatalogEntry.model_validate({"ods": "ral"}).ods == ["RAL"]


# --- derivation on synthetic rows -----------------------------------------------------------


def test_merger_fields_drive_areas_without_the_bundled_data() -> None:
    icbs = [{"ods_code": "NEW1", "names": ["Riverside ICB"], "predecessor_codes": ["QMJ"], "merger_date": "2026-04-01",
             "region": "London", "url": "https://riverside.example/board/", "url_root": "https://riverside.example",
             "cluster_id": None, "cluster_meeting_url": None, "notes": None}]
    trusts = [
        {"ods_code": "T1", "names": ["Hill NHS Trust"], "type": "Acute", "region": "London",
         "ics": "North Central London", "url": "https://hill.example/papers", "needs_playwright": True,
         "access_notes": "Papers load via AJAX in a JavaScript widget."},
        {"ods_code": "T2", "names": ["Vale Ambulance NHS Trust"], "type": "Ambulance", "region": "London",
         "ics": "-", "url": ""},
    ]
    icb, hill, vale = build_catalog(icbs, trusts)
    assert body_areas(icb) == ["riverside", "north-central-london"]
    assert body_areas(hill) == ["north-central-london", "riverside"]
    assert hill.unsupported_reason and hill.unsupported_reason.startswith("needs JavaScript")
    assert (vale.area, vale.url, vale.layout) == ("london", None, "unknown")
    result = expand([CatalogEntry(ics="North Central London")], bodies=[icb, hill, vale])
    assert ids(result.sources) == {"icb-new1"} and [b.ods for b, _ in result.unsupported] == ["T1"]


# --- presentation ---------------------------------------------------------------------------


def test_format_table_lists_columns_rows_and_reasons() -> None:
    bodies = search("north central")
    lines = format_table(bodies).splitlines()
    assert lines[0].split() == ["ODS", "KIND", "NAME", "ICS", "REGION", "SUPPORTED", "URL"]
    assert lines[1].startswith("Z9B2Z") and lines[1].rstrip().endswith(by_ods("Z9B2Z").url or "")
    ral = next(i for i, line in enumerate(lines) if line.startswith("RAL "))
    assert "needs browser" in lines[ral] and "blocks automated fetchers" in lines[ral + 1]
    assert lines[-1] == f"{len(bodies)} bodies, {sum(b.supported for b in bodies)} supported"


def test_to_json_is_plain_json_with_the_watch_settings() -> None:
    data = json.loads(json.dumps(by_ods("Z9B2Z").to_json()))
    assert data["source_id"] == "icb-z9b2z" and data["supported"] is True
    assert data["areas"] == ["west-and-north-london", "north-central-london", "north-west-london"]
    assert data["watch"]["follow"] and data["predecessors"] == ["QMJ", "QRV"]
    blocked = by_ods("RAL").to_json()
    assert blocked["watch"] is None and blocked["unsupported_reason"]


def test_expanded_sources_validate_as_board_papers_sources() -> None:
    board_papers = pytest.importorskip("monitor.sources.board_papers")
    regions = sorted({b.region for b in load_catalog() if b.region})
    sources = expand([CatalogEntry(region=r, interval="12h", keywords=["ward"]) for r in regions]).sources
    assert len(sources) == sum(b.supported for b in load_catalog())
    for source in sources:
        config = board_papers.BoardPapersConfig.model_validate(source)
        assert config.id == source["id"] and config.extra_areas == source["extra_areas"]
        assert config.interval == 43200.0
