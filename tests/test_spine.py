"""The walking skeleton end to end: feeds on loopback -> classify -> outbox -> real SMTP and webhook peers.

Drives the CLI (click's runner, in-process) exactly as a user would: `run --once`, `alerts --json`,
`status --json`, `deliver --now`, `check --dry-run`, `validate`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main

DATA = Path(__file__).parent / "data" / "feeds"
MERGER = ("The governing bodies of Northshire CCG and Southshire CCG have agreed to merge into a single "
          "organisation from 1 April.")
CLOSURE = ("The Board agreed that the minor injuries unit at Eastfield Community Hospital will close on 1 March, "
           "with patients directed to the emergency department at the County Hospital.")
ROUTINE = "The committee noted the quarterly finance report."


def rss_item(guid: str, title: str, text: str) -> str:
    return (f"<item><title>{title}</title><link>/news/{guid}</link><guid isPermaLink=\"false\">{guid}</guid>"
            f"<description>{text}</description></item>")


def atom_entry(ident: str, title: str, text: str) -> str:
    return (f"<entry><title>{title}</title><id>tag:x,2026:{ident}</id><link href=\"https://southshire.icb.nhs.uk/"
            f"news/{ident}\"/><updated>2026-11-21T10:00:00Z</updated><summary>{text}</summary></entry>")


class World:
    """The loopback site with the five feeds and the peers."""

    def __init__(self, site, tmp_path: Path, mailbox, webhook) -> None:
        self.site, self.tmp, self.mailbox, self.webhook = site, tmp_path, mailbox, webhook
        self.rss = (DATA / "trust-news.rss.xml").read_text()
        self.atom = (DATA / "icb-news.atom.xml").read_text()
        site.set("/trust.xml", "application/rss+xml", self.rss)
        site.set("/icb.xml", "application/atom+xml", self.atom)
        site.set("/gazette.xml", "application/rss+xml; charset=ISO-8859-1", (DATA / "gazette-latin1.rss.xml").read_bytes())
        site.set("/broken.xml", "application/rss+xml", (DATA / "broken.rss.xml").read_text())
        site.set("/down.xml", "text/plain", "internal error", status=500)
        site.set("/hang.xml", "application/rss+xml", self.rss, delay=4)
        self.config = tmp_path / "monitor.yaml"
        self.config.write_text(textwrap.dedent(f"""\
            version: 1
            database_url: sqlite:///{tmp_path}/monitor.db
            http: {{user_agent: "spine-test/1.0", timeout: 2s, per_host_delay: 0s}}
            delivery: {{retry: [1m], give_up_after: 2d}}
            channels:
              mail: "{mailbox.apprise_url}"
              hook: "{webhook.apprise_url}"
            subscriptions:
              - name: north
                channels: [mail, hook]
                areas: [northshire]
              - name: everything-hook
                channels: [hook]
                categories: [merger]
            sources:
              - {{id: trust-news, kind: feed, url: "{site.url('/trust.xml')}", area: northshire}}
              - {{id: icb-news, kind: feed, url: "{site.url('/icb.xml')}", area: southshire}}
              - {{id: gazette, kind: feed, url: "{site.url('/gazette.xml')}", area: gazette-land, alert_on: any}}
              - {{id: broken, kind: feed, url: "{site.url('/broken.xml')}", area: northshire}}
              - {{id: down, kind: feed, url: "{site.url('/down.xml')}", area: northshire}}
              - {{id: hang, kind: feed, url: "{site.url('/hang.xml')}", area: northshire}}
            """))

    def cli(self, *args: str, input: str | None = None):
        result = CliRunner().invoke(main, ["--config", str(self.config), *args], input=input, catch_exceptions=False)
        return result

    def alerts(self) -> list[dict]:
        r = self.cli("alerts", "--json", "--limit", "100")
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)

    def add_rss(self, guid: str, title: str, text: str) -> None:
        self.rss = self.rss.replace("</channel>", rss_item(guid, title, text) + "</channel>")
        self.site.set("/trust.xml", "application/rss+xml", self.rss)

    def add_atom(self, ident: str, title: str, text: str) -> None:
        self.atom = self.atom.replace("</feed>", atom_entry(ident, title, text) + "</feed>")
        self.site.set("/icb.xml", "application/atom+xml", self.atom)


@pytest.fixture
def world(site, tmp_path, mailbox, webhook):
    return World(site, tmp_path, mailbox, webhook)


def test_baseline_then_alerts_delivered_once_each(world):
    assert world.cli("validate").exit_code == 0
    r = world.cli("run", "--once")
    assert r.exit_code == 0, r.output
    assert world.alerts() == []                      # the first check is a silent baseline
    status = {row["id"]: row for row in json.loads(world.cli("status", "--json").stdout)}
    assert status["trust-news"]["last_checked"] and status["trust-news"]["last_error"] is None
    assert "HTTP 500" in status["down"]["last_error"] and status["down"]["consecutive_failures"] == 1
    assert "timed out" in status["hang"]["last_error"]
    assert "not a readable RSS/Atom feed" in status["broken"]["last_error"]
    assert status["gazette"]["last_error"] is None

    world.add_rss("nht-news-103", "Minor injuries unit to close", CLOSURE)
    world.add_rss("nht-news-104", "Finance update", ROUTINE)
    world.add_atom("202", "CCGs to merge", MERGER)
    assert world.cli("run", "--once").exit_code == 0
    alerts = world.alerts()
    by_source = {a["source"]: a for a in alerts}
    assert set(by_source) == {"trust-news", "icb-news"}, alerts
    closure, merger = by_source["trust-news"], by_source["icb-news"]
    assert closure["event"] == "new_entry" and "service_change" in closure["categories"]
    assert closure["url"].startswith(world.site.base + "/news/")      # relative link resolved
    assert any("minor injuries unit" in e["text"] for e in closure["evidence"])
    assert "merger" in merger["categories"] and merger["area"] == "southshire"

    # north gets the closure by mail and hook; everything-hook gets the merger by hook only.
    assert len(world.mailbox.messages) == 1
    subject = str(world.mailbox.messages[0]["Subject"])
    assert "Minor injuries unit to close" in subject
    body = world.mailbox.bodies()[0]
    assert "minor injuries unit at Eastfield" in body and closure["url"] in body
    assert len(world.webhook.received) == 2
    for a in alerts:
        assert all(d["status"] == "sent" and d["attempts"] == 1 for d in a["deliveries"])

    # nothing new: nothing more
    assert world.cli("run", "--once").exit_code == 0
    assert len(world.alerts()) == 2 and len(world.mailbox.messages) == 1 and len(world.webhook.received) == 2


def test_non_utf8_feed_is_decoded_by_its_declared_encoding(world):
    world.cli("run", "--once")
    latin1 = (DATA / "gazette-latin1.rss.xml").read_bytes().replace(
        b"</channel>", "<item><title>Café at Eastfield closes for £40,000 refit</title><guid>gz-2</guid>"
        "<link>https://gazette.example/cafe-2</link><description>The café will close for six weeks.</description>"
        "</item></channel>".encode("latin-1"))
    world.site.set("/gazette.xml", "application/rss+xml; charset=ISO-8859-1", latin1)
    world.cli("run", "--once")
    [alert] = [a for a in world.alerts() if a["source"] == "gazette"]
    assert alert["title"] == "Café at Eastfield closes for £40,000 refit" and alert["categories"] == []


def test_smtp_down_keeps_mail_pending_then_delivers(world):
    world.cli("run", "--once")
    world.mailbox.stop()
    world.add_rss("nht-news-105", "Maternity unit suspended", "Births at the Eastfield midwife-led unit are "
                  "suspended temporarily from Monday and will move to the County Hospital.")
    assert world.cli("run", "--once").exit_code == 0
    [alert] = world.alerts()
    states = {d["channel"]: d for d in alert["deliveries"]}
    assert states["hook"]["status"] == "sent"
    assert states["mail"]["status"] == "pending" and states["mail"]["attempts"] == 1
    assert states["mail"]["last_error"]

    world.cli("deliver")                              # still inside its backoff: nothing happens
    assert {d["channel"]: d["attempts"] for d in world.alerts()[0]["deliveries"]}["mail"] == 1
    world.mailbox.start()
    r = world.cli("deliver", "--now")
    assert r.exit_code == 0 and "sent 1" in r.stdout
    assert len(world.mailbox.messages) == 1
    assert {d["channel"]: d["status"] for d in world.alerts()[0]["deliveries"]} == {"mail": "sent", "hook": "sent"}
    world.cli("deliver", "--now")
    assert len(world.mailbox.messages) == 1 and len(world.webhook.received) == 1


def test_conditional_get_on_second_run(world):
    world.cli("run", "--once")
    world.site.clear_hits()
    world.cli("run", "--once")
    hits = world.site.hits_for("/trust.xml")
    assert hits and hits[0].if_none_match and hits[0].status == 304


def test_dry_run_writes_and_sends_nothing(world):
    world.cli("run", "--once")
    world.add_atom("203", "CCGs to merge", MERGER)
    r = world.cli("check", "icb-news", "--dry-run")
    assert r.exit_code == 0 and "would alert" in r.stdout and "merger" in r.stdout
    assert world.alerts() == [] and not world.webhook.received
    assert world.cli("check", "nope").exit_code == 2


def test_secrets_never_printed(site, tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret-Passw0rd")
    cfg = tmp_path / "m.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        version: 1
        database_url: sqlite:///{tmp_path}/m.db
        channels:
          mail: "mailtos://user:${{SMTP_PASSWORD}}@127.0.0.1:9?to=a@example.org"
        subscriptions: [{{name: s, channels: [mail]}}]
        sources: [{{id: x, kind: feed, url: "{site.url('/nothing')}"}}]
        """))
    runner = CliRunner()
    outputs = [runner.invoke(main, ["--config", str(cfg), *args]).output
               for args in (["validate"], ["run", "--once"], ["status", "--json"], ["notify-test", "mail"])]
    assert all("s3cret-Passw0rd" not in out for out in outputs), outputs
    assert "***" in outputs[3] or "failed" in outputs[3]


def test_classify_command_reads_stdin(world):
    r = world.cli("classify", "--json", "-", input=MERGER)
    data = json.loads(r.stdout)
    assert "merger" in data["categories"] and data["evidence"][0]["text"]
