"""One real-world event is one alert: a joint board pack linked from two bodies' pages, and a petition
seen through both a search and a watch. Driven through the CLI against loopback peers."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from monitor.cli import main
from tests.docgen import make_pdf

ROUTINE = "The Board received the integrated performance report and noted the position on elective waiting times."
CLOSURE = ("The Board approved the proposal that inpatient stroke services at Westfield General Hospital will "
           "move to the County Hospital from April, without a formal public consultation.")


def listing(links: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for text, href in links)
    return f"<html><body><main><h1>Board meetings</h1><ul>{items}</ul></main></body></html>"


def cli(cfg, *args):
    r = CliRunner().invoke(main, ["--config", str(cfg), *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


def test_joint_pack_is_one_alert_delivered_to_both_areas(site, webhook, tmp_path):
    site.set("/icb/board/", "text/html", listing([("Minutes", "/papers/minutes.pdf")]))
    site.set("/trust/board/", "text/html", listing([("Minutes", "/papers/minutes.pdf")]))
    site.set("/papers/minutes.pdf", "application/pdf", make_pdf([ROUTINE]))
    cfg = tmp_path / "m.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/m.db
        http: {{per_host_delay: 0s}}
        channels: {{hook: "{webhook.apprise_url}"}}
        subscriptions:
          - {{name: west, channels: [hook], areas: [westshire]}}
          - {{name: county, channels: [hook], areas: [countyshire]}}
        sources:
          - {{id: icb-board, kind: board_papers, url: "{site.url('/icb/board/')}", area: westshire}}
          - {{id: trust-board, kind: board_papers, url: "{site.url('/trust/board/')}", area: countyshire}}
        """))
    cli(cfg, "run", "--once")
    links = [("Minutes", "/papers/minutes.pdf"), ("Joint board pack: stroke services", "/papers/joint-pack.pdf")]
    site.set("/icb/board/", "text/html", listing(links))
    site.set("/trust/board/", "text/html", listing(links))
    site.set("/papers/joint-pack.pdf", "application/pdf", make_pdf([ROUTINE, CLOSURE]))
    site.clear_hits()
    cli(cfg, "run", "--once")
    alerts = json.loads(cli(cfg, "alerts", "--json").stdout)
    assert len(alerts) == 1, alerts
    [alert] = alerts
    assert alert["event"] == "new_document" and "service_change" in alert["categories"]
    assert any(e["page"] == 2 for e in alert["evidence"])
    assert sorted(d["subscription"] for d in alert["deliveries"]) == ["county", "west"]
    assert len(site.hits_for("/papers/joint-pack.pdf")) == 1       # downloaded once
    assert len(webhook.received) == 2                                # one per subscription
    cli(cfg, "run", "--once")
    assert len(webhook.received) == 2


def test_petition_event_seen_by_search_and_watch_is_one_alert(site, webhook, tmp_path):
    from tests.sources.petitions_server import PetitionsServer, make_petition

    api = PetitionsServer(site)
    api.put(make_petition(700321, "Keep Westfield maternity unit open", count=9_500))
    cfg = tmp_path / "m.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/m.db
        http: {{per_host_delay: 0s}}
        channels: {{hook: "{webhook.apprise_url}"}}
        subscriptions: [{{name: all, channels: [hook]}}]
        sources:
          - {{id: search, kind: petitions, query: maternity, state: open, base_url: "{site.base}"}}
          - {{id: watch, kind: petition, petition: 700321, base_url: "{site.base}"}}
        """))
    cli(cfg, "run", "--once")
    api.sign(700321, 10_250)
    cli(cfg, "run", "--once")
    alerts = json.loads(cli(cfg, "alerts", "--json").stdout)
    milestones = [a for a in alerts if a["event"] == "petition_milestone"]
    assert len(milestones) == 1, alerts
    assert milestones[0]["petition"]["id"] == 700321 and milestones[0]["petition"]["signature_count"] == 10_250
    assert milestones[0]["url"].endswith("/petitions/700321")
    assert len(webhook.received) == len(alerts)
    status = {r["id"]: r for r in json.loads(cli(cfg, "status", "--json").stdout)}
    assert status["watch"]["summary"] == "#700321 open 10,250 signatures"
    assert "10,250 signatures" in status["search"]["summary"]
