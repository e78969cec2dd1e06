"""``kind: petitions``: a search walked page by page against a loopback look-alike of the real API."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from monitor.config.http import HttpSettings
from monitor.errors import FetchError, ParseError
from monitor.fetch.client import Fetcher
from monitor.sources import petitions_api as api
from monitor.sources.base import CheckOutcome
from monitor.sources.petitions import MAX_LEFT_PER_CHECK, PetitionsConfig, PetitionsSource
from tests.peers import Site
from tests.sources.petitions_server import DATA, PetitionsServer, Runner, load, make_petition


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(HttpSettings(per_host_delay="0s")) as f:
        yield f


@pytest.fixture
def server(site: Site) -> PetitionsServer:
    return PetitionsServer(site, page_size=2)


def search(server: PetitionsServer, **extra: Any) -> PetitionsSource:
    cfg = {"id": "petitions-nhs", "kind": "petitions", "query": "hospital", "base_url": server.base, **extra}
    return PetitionsSource(PetitionsConfig.model_validate(cfg))


def seed(server: PetitionsServer, n: int = 5) -> None:
    for i in range(n):
        server.put(make_petition(700100 + i, f"Save the hospital ward number {i}", "A local hospital.", 1000 + i))
    server.put(make_petition(700900, "Plant more trees in parks", "Unrelated.", 50))


def events(runner: Runner) -> list[tuple[str, str]]:
    return [(e.event, e.dedupe_key) for e in runner.events]


# ---------------------------------------------------------------- parsing and config


def test_list_fixture_parses_rows_and_next_as_given() -> None:
    doc = load("list_hospital_open_page2.json")
    page = api.parse_list(doc, "https://petition.parliament.uk/petitions.json?q=hospital&state=open&page=2&count=2")
    assert [r["id"] for r in page.rows] == [700201, 700202]
    assert page.next_url == doc["links"]["next"]
    assert page.rows[0]["response"] is None and "signatures_by_constituency" not in page.rows[0]


def test_real_rejected_response_parses() -> None:
    snap = api.parse_petition(load("petition_751154_rejected.json"), "u")
    assert (snap["id"], snap["state"], snap["signature_count"]) == (751154, "rejected", 7)
    assert snap["rejection"]["code"] == "no-action" and "further action" in snap["rejection"]["details"]


@pytest.mark.parametrize("body", [b"{not json", b"<html>502 Bad Gateway</html>", b"\xff\xfe"])
def test_malformed_json_is_a_parse_error_naming_the_url(body: bytes) -> None:
    with pytest.raises(ParseError, match="malformed JSON at URL: http://x/petitions.json"):
        api.parse_json(body, "http://x/petitions.json")


@pytest.mark.parametrize("doc", [{"data": {}}, {"data": [{"id": 1}]}, {"data": [{"id": "1", "attributes": {}}]}, []])
def test_unexpected_shapes_are_parse_errors(doc: Any) -> None:
    with pytest.raises(ParseError, match="unexpected JSON"):
        api.parse_list(doc, "http://x/petitions.json")


def test_search_url_is_built_like_the_sites_own_links() -> None:
    base = "https://petition.parliament.uk"
    assert api.search_url(base, "a&e hospital", "open") == f"{base}/petitions.json?q=a%26e+hospital&state=open"
    assert api.search_url(base, "hospital", "all") == f"{base}/petitions.json?q=hospital"
    assert api.search_url(base + "/", "", "all") == f"{base}/petitions.json"


def test_config_validates_state_milestones_and_base_url() -> None:
    cfg = PetitionsConfig.model_validate({"id": "p", "kind": "petitions", "query": "x",
                                          "milestones": [100000, 10000, 10000], "base_url": "http://h:1/"})
    assert cfg.milestones == [10000, 100000] and cfg.base_url == "http://h:1" and cfg.state == "open"
    for bad in ({"state": "in_moderation"}, {"state": "opne"}, {"milestones": [0]}, {"base_url": "ftp://x"},
                {"querry": "x"}):
        with pytest.raises(ValidationError):
            PetitionsConfig.model_validate({"id": "p", "kind": "petitions", **bad})
    assert TypeAdapter(PetitionsConfig).validate_python({"id": "p", "kind": "petitions", "state": "debated"})


# ---------------------------------------------------------------- pages


async def test_walks_every_page_following_links_next(site: Site, server: PetitionsServer, fetcher: Fetcher) -> None:
    seed(server, 5)
    run = Runner(search(server, state="all"), fetcher)
    obs = await run.check()
    assert sorted(run.items) == [f"petition:{700100 + i}" for i in range(5)]
    assert obs.events == [] and obs.outcome is CheckOutcome.CHANGED
    paths = [h.path for h in site.hits_for("/petitions.json")]
    assert paths == ["/petitions.json?q=hospital", "/petitions.json?q=hospital&page=2",
                     "/petitions.json?q=hospital&page=3"]  # state=all and page=1 left out, as the site does


async def test_follows_next_as_given_and_stops_on_a_loop(site: Site, server: PetitionsServer,
                                                         fetcher: Fetcher) -> None:
    seed(server, 5)
    server.loop_next = True  # every page's next is page 1 again
    run = Runner(search(server), fetcher)
    obs = await run.check()
    assert len(site.hits_for("/petitions.json")) == 2
    assert any("already read" in n for n in obs.notes)
    server.loop_next = False
    await run.check()
    server.loop_next = True
    site.clear_hits()
    obs = await run.check()  # an incomplete walk never treats the unseen petitions as gone
    assert not [h for h in site.hits if h.path.startswith("/petitions/")] and obs.events == []


async def test_next_is_followed_exactly_as_given(site: Site, fetcher: Fetcher) -> None:
    page1 = load("list_hospital_open_page2.json")
    page2 = copy.deepcopy(page1)
    page1["links"]["next"] = f"{site.base}/elsewhere/petitions.json?state=open&q=hospital&page=2&count=2"
    page2["links"]["next"] = None
    page2["data"][0]["id"], page2["data"][1]["id"] = 700203, 700204
    site.set("/petitions.json", "application/json", json.dumps(page1))
    site.set("/elsewhere/petitions.json", "application/json", json.dumps(page2))
    run = Runner(PetitionsSource(PetitionsConfig.model_validate(
        {"id": "p", "kind": "petitions", "query": "hospital", "base_url": site.base})), fetcher)
    await run.check()
    assert [h.path for h in site.hits_for("/elsewhere/petitions.json")] == [
        "/elsewhere/petitions.json?state=open&q=hospital&page=2&count=2"]
    assert sorted(run.items) == ["petition:700201", "petition:700202", "petition:700203", "petition:700204"]


async def test_a_second_check_is_conditional_and_not_modified(site: Site, server: PetitionsServer,
                                                              fetcher: Fetcher) -> None:
    seed(server, 3)
    run = Runner(search(server), fetcher)
    await run.check()
    site.clear_hits()
    for _ in range(2):
        obs = await run.check()
        assert obs.outcome is CheckOutcome.NOT_MODIFIED and obs.items == [] and obs.events == []
    hits = site.hits_for("/petitions.json")
    assert hits and all(h.if_none_match and h.status == 304 for h in hits)
    server.sign(700100, 1200)
    obs = await run.check()
    assert obs.outcome is CheckOutcome.CHANGED and [u.key for u in obs.items] == ["petition:700100"]
    assert run.items["petition:700100"].data["signature_count"] == 1200 and obs.events == []


# ---------------------------------------------------------------- events


async def test_new_petition_after_silent_baseline_carries_its_text(server: PetitionsServer, fetcher: Fetcher) -> None:
    seed(server, 2)
    run = Runner(search(server), fetcher)
    await run.check()
    assert run.events == []
    server.put(make_petition(700300, "Stop the merger of our hospital trusts", "Northshire and Southshire trusts "
                             "plan to merge.", 20000, details="No consultation has been held."))
    await run.check()
    assert events(run) == [("petition_new", "petition:700300:new")]
    e = run.events[0]
    text = "\n".join(p.text for p in e.text)
    assert "Stop the merger" in text and "plan to merge" in text and "No consultation" in text
    assert e.fixed_categories == ("petition",) and e.always_alert
    assert e.petition == {"id": 700300, "signature_count": 20000, "state": "open"}
    assert e.url == f"{server.base}/petitions/700300" and run.items["petition:700300"].url == e.url
    server.sign(700300, 25000)  # already above 10,000 when first seen: that milestone never fires
    await run.check()
    assert run.events == []


async def test_milestones_fire_once_and_a_double_jump_names_the_highest(server: PetitionsServer,
                                                                        fetcher: Fetcher) -> None:
    server.put(make_petition(700001, "Keep the hospital unit open", "", 9000))
    server.put(make_petition(700002, "Reopen the hospital ward", "", 9500))
    run = Runner(search(server), fetcher)
    await run.check()
    server.sign(700001, 10100)
    await run.check()
    assert events(run) == [("petition_milestone", "petition:700001:milestone:10000")]
    assert run.events[0].petition["signature_count"] == 10100
    assert "10,000" in run.events[0].title
    server.sign(700001, 10400)
    await run.check()
    assert run.events == []
    server.sign(700002, 120_000)
    obs = await run.check()
    assert [e.dedupe_key for e in obs.events] == ["petition:700002:milestone:100000"]


async def test_response_debate_and_closing(server: PetitionsServer, fetcher: Fetcher) -> None:
    server.put(make_petition(700001, "Keep the hospital unit open", "", 150_000))
    run = Runner(search(server, state="all"), fetcher)
    await run.check()
    server.respond(700001, "Local NHS bodies must consult on substantial changes.", "More detail here.")
    await run.check()
    assert events(run) == [("petition_response", "petition:700001:response")]
    e = run.events[0]
    assert [p.text for p in e.text] == ["Local NHS bodies must consult on substantial changes.", "More detail here."]
    assert e.evidence == [{"category": "petition", "text": "Local NHS bodies must consult on substantial changes.",
                           "page": None, "terms": ["government response"]}]
    server.schedule_debate(700001, "2027-01-18")
    await run.check()
    assert events(run) == [("petition_debate", "petition:700001:debate:scheduled:2027-01-18")]
    assert "2027-01-18" in run.events[0].title
    server.sign(700001, 150_500)
    await run.check()
    assert run.events == []
    server.hold_debate(700001, "2027-01-18", "https://hansard.parliament.uk/x", "https://parliamentlive.tv/y")
    await run.check()
    assert events(run) == [("petition_debate", "petition:700001:debate:held")]
    text = "\n".join(p.text for p in run.events[0].text)
    assert "https://hansard.parliament.uk/x" in text and "https://parliamentlive.tv/y" in text
    server.close(700001)
    await run.check()
    assert events(run) == [("petition_closed", "petition:700001:closed")]
    assert "150,500" in run.events[0].title and run.events[0].petition["state"] == "closed"
    for _ in range(2):
        obs = await run.check()
        assert obs.events == []


async def test_a_response_after_closing_is_not_a_second_closing(server: PetitionsServer, fetcher: Fetcher) -> None:
    server.put(make_petition(700001, "Keep the hospital unit open", "", 12_000))
    run = Runner(search(server, state="closed"), fetcher)
    await run.check()
    server.close(700001)
    await run.check()
    assert events(run) == [("petition_new", "petition:700001:new")]  # newly matches the closed search
    server.respond(700001, "The Government has responded.", "")
    await run.check()
    assert events(run) == [("petition_response", "petition:700001:response")]


async def test_a_petition_leaving_an_open_search_is_fetched_once(site: Site, server: PetitionsServer,
                                                                 fetcher: Fetcher) -> None:
    seed(server, 3)
    run = Runner(search(server), fetcher)
    await run.check()
    server.close(700101)
    server.reject(700102, "duplicate", "There's already a petition about this issue.")
    site.clear_hits()
    await run.check()
    assert sorted(events(run)) == [("petition_closed", "petition:700101:closed"),
                                   ("petition_closed", "petition:700102:closed")]
    rejected = next(e for e in run.events if e.petition["id"] == 700102)
    assert "already a petition" in rejected.text[0].text and rejected.petition["state"] == "rejected"
    assert len(site.hits_for("/petitions/700101.json")) == 1
    assert run.items["petition:700101"].data["listed"] is False
    site.clear_hits()
    await run.check()
    assert run.events == [] and not site.hits_for("/petitions/700101.json")
    assert run.source.status_summary(run.items).startswith("1 petition matches 'hospital' (open)")


async def test_petitions_leaving_are_capped_per_check(server: PetitionsServer, fetcher: Fetcher) -> None:
    server.page_size = 50
    for i in range(MAX_LEFT_PER_CHECK + 3):
        server.put(make_petition(701000 + i, f"Fund hospital {i}", "", 100 + i))
    run = Runner(search(server), fetcher)
    await run.check()
    for i in range(MAX_LEFT_PER_CHECK + 3):
        server.close(701000 + i)
    await run.check()
    assert len(run.events) == MAX_LEFT_PER_CHECK
    await run.check()
    assert len(run.events) == 3


async def test_rejected_search_sees_rejection_reason_as_new(server: PetitionsServer, fetcher: Fetcher) -> None:
    run = Runner(search(server, state="rejected"), fetcher)
    await run.check()
    p = load("petition_751154_rejected.json")["data"]
    server.put({"id": 751154, **p["attributes"], "action": "Build a hospital in Eastfield"})
    await run.check()
    assert events(run) == [("petition_new", "petition:751154:new")]
    assert run.events[0].petition["state"] == "rejected"


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("fault", [(503, '{"error": "unavailable"}'), (200, '{"links": {}, "data": [ {"id": 7')])
async def test_errors_raise_and_leave_state_and_items_untouched(server: PetitionsServer, fetcher: Fetcher,
                                                                fault: tuple[int, str]) -> None:
    seed(server, 3)
    run = Runner(search(server), fetcher)
    await run.check()
    state, items = copy.deepcopy(run.state), copy.deepcopy(run.items)
    server.sign(700100, 50_000)
    server.list_fault = fault
    with pytest.raises(FetchError if fault[0] == 503 else ParseError) as err:
        await run.check()
    assert "petitions.json" in str(err.value)
    assert run.state == state and run.items == items
    server.list_fault = None
    await run.check()  # the milestone is still seen, once
    assert events(run) == [("petition_milestone", "petition:700100:milestone:10000")]


async def test_status_summary_names_the_most_signed(server: PetitionsServer, fetcher: Fetcher) -> None:
    seed(server, 3)
    server.sign(700101, 10234)
    run = Runner(search(server), fetcher)
    await run.check()
    assert run.source.status_summary(run.items) == (
        "3 petitions match 'hospital' (open); most signed: #700101 open 10,234 signatures")


# ---------------------------------------------------------------- the acceptance check's look-alike

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "tools" / "contract" / "petitions_api.py"


class _World:
    """The contract look-alike's ``world`` on top of our Site."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.base = site.base

    def set(self, path: str, ctype: str, body: str) -> None:
        self.site.set(path, ctype, body)

    def set_dynamic(self, path: str, fn: Any) -> None:
        self.site.set_dynamic(path, lambda query, headers: fn(query))


@pytest.mark.skipif(not CONTRACT.exists(), reason="the acceptance check's look-alike is not beside the project")
async def test_works_against_the_acceptance_look_alike(site: Site, fetcher: Fetcher) -> None:
    spec = importlib.util.spec_from_file_location("contract_petitions_api", CONTRACT)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    look = mod.PetitionsAPI(_World(site))
    for i, count in enumerate((9000, 500, 300, 200, 100)):
        look.put(mod.petition(800001 + i, f"Keep the minor injuries unit {i} open", "Eastfield needs its unit.", count))
    look.put(mod.petition(800100, "Something else", "Unrelated.", 7))
    run = Runner(PetitionsSource(PetitionsConfig.model_validate(
        {"id": "petitions", "kind": "petitions", "query": "unit", "base_url": site.base})), fetcher)
    await run.check()
    assert len(run.items) == 5 and len(site.hits_for("/petitions.json")) == 3
    look.put(mod.petition(800001, "Keep the minor injuries unit 0 open", "Eastfield needs its unit.", 10100))
    await run.check()
    assert events(run) == [("petition_milestone", "petition:800001:milestone:10000")]
    assert run.events[0].petition == {"id": 800001, "signature_count": 10100, "state": "open"}
    await run.check()
    assert run.events == []


SPEC_ATTRIBUTES = [  # show.json, in the order of the spec's table (closing_date/creator_name: open only)
    "action", "background", "additional_details", "committee_note", "state", "signature_count", "closing_date",
    "created_at", "updated_at", "rejected_at", "opened_at", "closed_at", "moderation_threshold_reached_at",
    "response_threshold_reached_at", "government_response_at", "debate_threshold_reached_at", "debate_scheduled_on",
    "scheduled_debate_date", "debate_outcome_at", "creator_name", "rejection", "government_response", "debate",
    "departments", "topics", "signatures_by_country", "signatures_by_constituency", "signatures_by_region",
    "other_parliamentary_business",
]


def test_single_petition_fixtures_have_the_real_attributes() -> None:
    real = list(load("petition_751154_rejected.json")["data"]["attributes"])
    assert real == [k for k in SPEC_ATTRIBUTES if k in real]
    assert list(load("petition_700123_open.json")["data"]["attributes"]) == SPEC_ATTRIBUTES
    archived = load("archived_petition_630001.json")["data"]
    assert archived["type"] == "archived-petition" and set(archived["parliament"]) == {
        "period", "government", "dissolution_at", "response_threshold", "debate_threshold"}
    assert list(archived["attributes"]) == [k for k in SPEC_ATTRIBUTES if k not in ("closing_date", "creator_name")]
    for path in DATA.glob("*petition_*.json"):
        assert api.parse_petition(json.loads(path.read_text(encoding="utf-8")), str(path))["action"]
