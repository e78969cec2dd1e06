"""``kind: petition``: one petition followed until closed, polled cheaply through count.json."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.config.http import HttpSettings
from monitor.errors import FetchError, ParseError
from monitor.fetch.client import Fetcher
from monitor.sources import petitions_api as api
from monitor.sources.base import CheckOutcome, EventDraft
from monitor.sources.petition import PetitionConfig, PetitionSource
from monitor.sources.petitions import PetitionsConfig, PetitionsSource
from tests.peers import Site
from tests.sources.petitions_server import PetitionsServer, Runner, load, make_petition

PID = 700123


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(HttpSettings(per_host_delay="0s")) as f:
        yield f


@pytest.fixture
def server(site: Site) -> PetitionsServer:
    s = PetitionsServer(site, page_size=2)
    s.put(make_petition(PID, "Keep the maternity unit at Eastfield Hospital open", "Births would move 40 miles.",
                        9000, details="No public consultation was held."))
    return s


def watch(server: PetitionsServer, **extra: Any) -> PetitionSource:
    cfg = {"id": "save-our-unit", "kind": "petition", "petition": PID, "base_url": server.base, **extra}
    return PetitionSource(PetitionConfig.model_validate(cfg))


def full_hits(site: Site, pid: int = PID) -> list[Any]:
    return site.hits_for(f"/petitions/{pid}.json")


def count_hits(site: Site, pid: int = PID) -> list[Any]:
    return site.hits_for(f"/petitions/{pid}/count.json")


def keys(events: list[EventDraft]) -> list[str]:
    return [e.dedupe_key for e in events]


# ---------------------------------------------------------------- config


@pytest.mark.parametrize(("value", "expected"), [
    (700123, (700123, False)), ("700123", (700123, False)),
    ("https://petition.parliament.uk/petitions/700123", (700123, False)),
    ("https://petition.parliament.uk/petitions/700123.json", (700123, False)),
    ("https://petition.parliament.uk/petitions/700123/", (700123, False)),
    ("https://petition.parliament.uk/petitions/700123?utm_source=x", (700123, False)),
    ("https://petition.parliament.uk/archived/petitions/630001", (630001, True)),
])
def test_petition_ref_accepts_ids_and_urls(value: int | str, expected: tuple[int, bool]) -> None:
    assert api.petition_ref(value) == expected


@pytest.mark.parametrize("bad", ["", "abc", "https://example.org/", 0, -5, "https://x/petitions/12x"])
def test_bad_petition_refs_are_config_errors(bad: int | str) -> None:
    with pytest.raises(ValidationError, match="not a petition id or URL"):
        PetitionConfig.model_validate({"id": "p", "kind": "petition", "petition": bad})


def test_base_url_defaults_to_the_petition_urls_site() -> None:
    cfg = PetitionConfig.model_validate({"id": "p", "kind": "petition", "petition": "http://127.0.0.1:9/petitions/5"})
    assert cfg.base_url == "http://127.0.0.1:9"
    cfg = PetitionConfig.model_validate({"id": "p", "kind": "petition", "petition": 5})
    assert cfg.base_url == "https://petition.parliament.uk" and cfg.closed_interval == 7 * 86400
    cfg = PetitionConfig.model_validate({"id": "p", "kind": "petition", "petition": "http://a/petitions/5",
                                         "base_url": "http://mirror", "closed_interval": "1d"})
    assert cfg.base_url == "http://mirror" and cfg.closed_interval == 86400


# ---------------------------------------------------------------- polling


async def test_baseline_keeps_signatures_by_constituency(site: Site, server: PetitionsServer,
                                                         fetcher: Fetcher) -> None:
    run = Runner(watch(server), fetcher)
    obs = await run.check()
    assert obs.events == [] and obs.outcome is CheckOutcome.CHANGED
    item = run.items[f"petition:{PID}"]
    assert item.url == f"{server.base}/petitions/{PID}" and item.title.startswith("Keep the maternity")
    rows = item.data["signatures_by_constituency"]
    assert {"name": "Coventry North East", "ons_code": "E14000649", "mp": "Colleen Fletcher MP",
            "signature_count": 212} in rows
    assert run.source.status_summary(run.items) == f"#{PID} open 9,000 signatures"
    assert run.source.next_interval(run.state) is None


async def test_count_json_between_full_fetches(site: Site, server: PetitionsServer, fetcher: Fetcher) -> None:
    run = Runner(watch(server, full_fetch_every=4), fetcher)
    await run.check()
    site.clear_hits()
    server.sign(PID, 9100)
    obs = await run.check()
    assert len(count_hits(site)) == 1 and full_hits(site) == []
    assert obs.items[0].data["signature_count"] == 9100 and obs.events == []
    assert "signatures_by_constituency" in obs.items[0].data  # the last breakdown is kept
    obs = await run.check()  # nothing new: count.json answers 304
    assert count_hits(site)[-1].if_none_match and count_hits(site)[-1].status == 304
    assert obs.outcome is CheckOutcome.NOT_MODIFIED and full_hits(site) == []
    await run.check()
    assert full_hits(site) == []
    await run.check()  # the 4th check since the last full fetch reads the whole petition
    assert len(full_hits(site)) == 1
    site.clear_hits()
    server.sign(PID, 10_050)  # passing a milestone calls for the whole petition
    await run.check()
    assert len(full_hits(site)) == 1 and keys(run.events) == [f"petition:{PID}:milestone:10000"]
    e = run.events[0]
    assert e.petition == {"id": PID, "signature_count": 10_050, "state": "open"}
    assert e.url == f"{server.base}/petitions/{PID}" and e.event == "petition_milestone"
    assert "Keep the maternity" in e.title and "No public consultation" in "\n".join(p.text for p in e.text)


async def test_full_fetch_is_conditional(site: Site, server: PetitionsServer, fetcher: Fetcher) -> None:
    run = Runner(watch(server, full_fetch_every=1), fetcher)
    await run.check()
    site.clear_hits()
    obs = await run.check()
    hit = full_hits(site)[0]
    assert hit.if_modified_since and hit.if_none_match is None and hit.status == 304
    assert obs.outcome is CheckOutcome.NOT_MODIFIED and obs.items == []


async def test_a_double_jump_is_one_milestone_naming_the_highest(server: PetitionsServer, fetcher: Fetcher) -> None:
    run = Runner(watch(server), fetcher)
    await run.check()
    server.sign(PID, 130_000)
    await run.check()
    assert keys(run.events) == [f"petition:{PID}:milestone:100000"]
    assert "100,000" in run.events[0].title


async def test_response_debate_and_close_through_count_json(site: Site, server: PetitionsServer,
                                                            fetcher: Fetcher) -> None:
    run = Runner(watch(server, full_fetch_every=100), fetcher)
    await run.check()
    server.respond(PID, "Local NHS bodies must consult on substantial changes.", "Details of the response.")
    site.clear_hits()
    await run.check()
    assert len(full_hits(site)) == 1  # government_response_at changed in count.json
    assert keys(run.events) == [f"petition:{PID}:response"]
    assert run.events[0].evidence[0]["text"] == "Local NHS bodies must consult on substantial changes."
    server.schedule_debate(PID, "2027-02-01")
    await run.check()
    assert keys(run.events) == [f"petition:{PID}:debate:scheduled:2027-02-01"]
    server.hold_debate(PID, "2027-02-01", None, "https://parliamentlive.tv/Event/Index/abc")
    await run.check()
    assert keys(run.events) == [f"petition:{PID}:debate:held"]
    assert "https://parliamentlive.tv/Event/Index/abc" in run.events[0].text[0].text
    server.close(PID)  # nothing in count.json shows a closing: the closing date does
    run.now = run.now.replace(year=2027, month=4, day=2)
    await run.check()
    assert keys(run.events) == [f"petition:{PID}:closed"]
    assert "9,000 signatures" in run.events[0].title
    assert run.source.next_interval(run.state) == 7 * 86400
    assert run.source.status_summary(run.items) == f"#{PID} closed 9,000 signatures"
    for _ in range(2):
        obs = await run.check()
        assert obs.events == []


async def test_open_petition_rejected_with_its_reason(server: PetitionsServer, fetcher: Fetcher) -> None:
    run = Runner(watch(server, full_fetch_every=1), fetcher)
    await run.check()
    server.reject(PID, "irrelevant", "It's about a matter for the local NHS, not Parliament.")
    await run.check()
    assert keys(run.events) == [f"petition:{PID}:closed"]
    e = run.events[0]
    assert e.title.startswith("Petition rejected") and "matter for the local NHS" in e.text[0].text
    assert e.petition["state"] == "rejected"


async def test_the_real_rejected_petition(site: Site, fetcher: Fetcher) -> None:
    doc = load("petition_751154_rejected.json")
    PetitionsServer(site).serve_document("/petitions/751154.json", doc, last_modified=1767872475.0)
    run = Runner(PetitionSource(PetitionConfig.model_validate(
        {"id": "r", "kind": "petition", "petition": f"{site.base}/petitions/751154.json"})), fetcher)
    obs = await run.check()  # count.json 404s here: remembered, full fetches instead
    assert run.items["petition:751154"].data["rejection"]["code"] == "no-action"
    assert run.state["count_json"] is False and obs.outcome is CheckOutcome.CHANGED
    assert run.source.next_interval(run.state) == 7 * 86400
    site.clear_hits()
    obs = await run.check()
    assert obs.outcome is CheckOutcome.NOT_MODIFIED and count_hits(site, 751154) == []


async def test_archived_petition_after_a_redirect(site: Site, server: PetitionsServer, fetcher: Fetcher) -> None:
    server.put(make_petition(630001, "Stop the closure of Westbridge Hospital's A&E department", "", 90_000))
    run = Runner(watch(server, petition=630001), fetcher)
    await run.check()
    server.archive(load("archived_petition_630001.json"))  # dissolution: archived, with response and debate
    site.clear_hits()
    await run.check()
    assert sorted(keys(run.events)) == ["petition:630001:closed", "petition:630001:debate:held",
                                           "petition:630001:milestone:100000", "petition:630001:response"]
    assert all(e.url == f"{server.base}/archived/petitions/630001" for e in run.events)
    assert run.items["petition:630001"].data["archived"] is True
    site.clear_hits()
    await run.check()
    assert count_hits(site, 630001) == [] and full_hits(site, 630001) == []
    assert site.hits_for("/archived/petitions/630001.json")[0].if_modified_since
    assert run.source.next_interval(run.state) == 7 * 86400


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("where", ["count", "full"])
@pytest.mark.parametrize("fault", ["503", "malformed"])
async def test_errors_raise_and_leave_state_untouched(site: Site, server: PetitionsServer, fetcher: Fetcher,
                                                      where: str, fault: str) -> None:
    run = Runner(watch(server, full_fetch_every=1), fetcher)
    await run.check()
    state, items = copy.deepcopy(run.state), copy.deepcopy(run.items)
    server.sign(PID, 10_500)
    path = f"/petitions/{PID}/count.json" if where == "count" else f"/petitions/{PID}.json"
    if fault == "503":
        site.set(path, "application/json", '{"error": "Service Unavailable"}', status=503)
    else:
        site.set(path, "application/json", '{"signature_count": 10500, "data": {', etag=False)
    with pytest.raises(FetchError if fault == "503" else ParseError, match=path.replace(".", r"\.")):
        await run.check()
    assert run.state == state and run.items == items
    server.sign(PID, 10_600)  # serves both routes again
    await run.check()
    assert keys(run.events) == [f"petition:{PID}:milestone:10000"]


async def test_a_missing_petition_says_so(site: Site, fetcher: Fetcher) -> None:
    PetitionsServer(site)
    run = Runner(PetitionSource(PetitionConfig.model_validate(
        {"id": "p", "kind": "petition", "petition": 999999, "base_url": site.base})), fetcher)
    with pytest.raises(FetchError, match="petition 999999 was not found"):
        await run.check()


# ---------------------------------------------------------------- one event, one alert


async def test_search_and_watch_give_identical_dedupe_keys(server: PetitionsServer, fetcher: Fetcher) -> None:
    alerts: dict[str, EventDraft] = {}
    search = Runner(PetitionsSource(PetitionsConfig.model_validate(
        {"id": "s", "kind": "petitions", "query": "maternity", "state": "all", "base_url": server.base})),
        fetcher, alerts)
    follow = Runner(watch(server, full_fetch_every=1), fetcher, alerts)
    seen: dict[str, list[str]] = {"s": [], "w": []}

    async def both() -> None:
        await search.check()
        seen["s"] += keys(search.new_alerts)
        obs = await follow.check()
        seen["w"] += keys(obs.events)

    await both()
    for step in (lambda: server.sign(PID, 10_001), lambda: server.respond(PID, "We will look at it.", "More."),
                 lambda: server.sign(PID, 100_001), lambda: server.schedule_debate(PID, "2027-03-01"),
                 lambda: server.hold_debate(PID, "2027-03-01", "https://hansard.parliament.uk/t", None),
                 lambda: server.close(PID)):
        step()
        await both()
    expected = [f"petition:{PID}:{w}" for w in ("milestone:10000", "response", "milestone:100000",
                                                 "debate:scheduled:2027-03-01", "debate:held", "closed")]
    assert seen["s"] == expected and seen["w"] == expected  # the watch saw each too, already alerted
    assert list(alerts) == expected
    assert {e.event for e in alerts.values()} == {"petition_milestone", "petition_response", "petition_debate",
                                                 "petition_closed"}
