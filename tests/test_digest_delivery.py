"""Digests, retries and admin notices against real peers: aiosmtpd (``Mailbox``) and a webhook receiver.

Alerts are made by the real pipeline (``run --once`` on a loopback feed). Time is then driven by calling
``Monitor.deliver(now=...)`` with explicit datetimes, each call through a fresh Store and Monitor as a
separate run would, so every schedule and backoff decision is the one the outbox makes from the store.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from monitor.app import Monitor, Store
from monitor.cli import main
from monitor.config import load_config
from monitor.notify.digest import next_fire, parse_delivery
from monitor.notify.outbox import DeliverySummary

FEED = (Path(__file__).parent / "data" / "feeds" / "trust-news.rss.xml").read_text()
LONDON = ZoneInfo("Europe/London")
CLOSURE = ("The Board agreed that the minor injuries unit at Eastfield Community Hospital will close on 1 March, "
           "with patients directed to the emergency department at the County Hospital.")
MERGER = ("The governing bodies of Northshire CCG and Southshire CCG have agreed to merge into a single "
          "organisation.")
CONSULTATION = ("A public consultation on the future of stroke services in Northshire opens on 1 December and runs "
                "for twelve weeks.")


class Scenario:
    """A feed on the loopback site, a config file, and the CLI and outbox driven against them."""

    def __init__(self, site, tmp_path: Path, config: str) -> None:
        self.site, self.rss = site, FEED
        site.set("/trust.xml", "application/rss+xml", self.rss)
        site.set("/down.xml", "text/plain", "internal error", status=500)
        self.tmp = tmp_path
        self.config = tmp_path / "monitor.yaml"
        self.write(config)

    def write(self, config: str) -> None:
        self.config.write_text(textwrap.dedent(f"""\
            version: 1
            database_url: sqlite:///{self.tmp}/monitor.db
            http: {{user_agent: "digest-test/1.0", timeout: 5s, per_host_delay: 0s}}
            """) + textwrap.dedent(config).replace("SITE", self.site.base))

    def cli(self, *args: str) -> str:
        r = CliRunner().invoke(main, ["--config", str(self.config), *args], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r.stdout

    def alerts(self) -> list[dict]:
        return json.loads(self.cli("alerts", "--json", "--limit", "100"))

    def add_item(self, guid: str, title: str, text: str) -> None:
        item = (f"<item><title>{title}</title><link>/news/{guid}</link><guid isPermaLink=\"false\">{guid}</guid>"
                f"<description>{text}</description></item>")
        self.rss = self.rss.replace("</channel>", item + "</channel>")
        self.site.set("/trust.xml", "application/rss+xml", self.rss)

    def deliver(self, now: datetime, *, force: bool = False) -> DeliverySummary:
        """One delivery pass at ``now``, as a separate run: its own Store and Monitor."""
        config = load_config(self.config)
        store = Store.open(config)
        try:
            return asyncio.run(Monitor(config, store).deliver(now=now, force=force))
        finally:
            store.close()

    def newest_created(self) -> datetime:
        return max(datetime.fromisoformat(a["created_at"].replace("Z", "+00:00")) for a in self.alerts())


def _daily(sc: Scenario) -> datetime:
    """The first 08:00 (London) digest fire after the alerts were created."""
    return next_fire(sc.newest_created() + timedelta(seconds=1), parse_delivery("daily 08:00"), LONDON)


DIGEST_CONFIG = """\
    channels:
      mail: "{mail}"
      hook: "{hook}"
    subscriptions:
      - name: morning-digest
        channels: [mail, hook]
        delivery: "daily 08:00"
        timezone: Europe/London
    delivery: {{retry: [10m, 1h], give_up_after: 2d}}
    sources:
      - {{id: trust-news, kind: feed, url: "SITE/trust.xml", area: northshire}}
    """


@pytest.fixture
def digest(site, tmp_path, mailbox, webhook) -> Scenario:
    config = DIGEST_CONFIG.format(mail=mailbox.apprise_url, hook=webhook.apprise_url)
    sc = Scenario(site, tmp_path, config.split("    subscriptions:")[0] + "    sources:" + config.split("sources:")[1])
    sc.cli("run", "--once")                                      # silent baseline, before the subscription exists
    sc.write(config)
    sc.add_item("n-201", "Minor injuries unit to close", CLOSURE)
    sc.add_item("n-202", "CCGs to merge", MERGER)
    sc.add_item("n-203", "Stroke services consultation", CONSULTATION)
    sc.cli("run", "--once")
    return sc


def test_daily_digest_is_one_message_per_period_grouped_by_category(digest, mailbox, webhook):
    alerts = digest.alerts()
    # Digests are not instant, and the run that made the alerts opened the period that ended at the last
    # 08:00, before they were created: it must not carry them.
    assert len(alerts) == 3 and not mailbox.messages and not webhook.received
    assert {d["mode"] for a in alerts for d in a["deliveries"]} == {"digest"}
    fire = _daily(digest)

    digest.deliver(fire - timedelta(minutes=1))                 # the period has not ended
    assert not mailbox.messages and not webhook.received

    summary = digest.deliver(fire + timedelta(minutes=1))
    assert summary.digests == 2                                  # one per channel
    assert len(mailbox.messages) == 1 and len(webhook.received) == 1
    subject = str(mailbox.messages[0]["Subject"])
    assert subject.startswith("Digest: 3 alerts")
    body = mailbox.bodies()[0]
    groups = [body.index(name) for name in ("Service changes (1)", "Mergers (1)", "Consultations (1)")]
    assert groups == sorted(groups), body                        # grouped, in the digest's category order
    for title in ("Minor injuries unit to close", "CCGs to merge", "Stroke services consultation"):
        assert title in body
    assert body.index("Minor injuries unit") < body.index("CCGs to merge") < body.index("Stroke services")
    hook_text = json.dumps(webhook.received[0]["payload"])
    assert "Mergers (1)" in hook_text and "CCGs to merge" in hook_text

    digest.deliver(fire + timedelta(minutes=2))                  # the same period again: nothing
    digest.deliver(fire + timedelta(minutes=3), force=True)
    assert len(mailbox.messages) == 1 and len(webhook.received) == 1
    assert all(d["status"] == "sent" and d["attempts"] == 1 for a in digest.alerts() for d in a["deliveries"])

    digest.deliver(fire + timedelta(days=1, minutes=1))          # an empty period sends nothing
    assert len(mailbox.messages) == 1 and len(webhook.received) == 1

    digest.add_item("n-204", "Ward moves to County Hospital", CLOSURE.replace("minor injuries unit", "ward 7"))
    digest.cli("run", "--once")
    assert len(mailbox.messages) == 1
    digest.deliver(fire + timedelta(days=2, minutes=1))          # the next period has the new alert only
    assert len(mailbox.messages) == 2 and len(webhook.received) == 2
    assert str(mailbox.messages[1]["Subject"]).startswith("Digest: 1 alert,")
    assert "Ward moves to County Hospital" in mailbox.bodies()[1] and "CCGs to merge" not in mailbox.bodies()[1]


def test_a_failed_digest_is_retried_after_its_backoff_and_sent_once(digest, mailbox, webhook):
    fire = _daily(digest)
    mailbox.stop()
    summary = digest.deliver(fire + timedelta(minutes=1))
    assert summary.digests == 1 and len(webhook.received) == 1   # the webhook got its digest; the mail did not
    mail = [d for a in digest.alerts() for d in a["deliveries"] if d["channel"] == "mail"]
    assert all(d["status"] == "pending" and d["attempts"] == 1 and d["last_error"] for d in mail)
    mailbox.start()
    digest.deliver(fire + timedelta(minutes=9))                  # retry: 10m, not yet
    assert not mailbox.messages
    digest.deliver(fire + timedelta(minutes=12))
    digest.deliver(fire + timedelta(minutes=13))
    assert len(mailbox.messages) == 1 and len(webhook.received) == 1
    assert str(mailbox.messages[0]["Subject"]).startswith("Digest: 3 alerts")
    assert all(d["status"] == "sent" for a in digest.alerts() for d in a["deliveries"])


def test_a_digest_that_never_gets_through_fails_and_admins_are_told_once(site, tmp_path, mailbox, webhook):
    config = DIGEST_CONFIG.format(mail=mailbox.apprise_url, hook=webhook.apprise_url)
    config = config.replace("channels: [mail, hook]", "channels: [mail]").replace(
        "    subscriptions:", "    admin: {channels: [hook]}\n    subscriptions:")
    sc = Scenario(site, tmp_path, config)
    sc.cli("run", "--once")
    sc.add_item("n-401", "CCGs to merge", MERGER)
    sc.cli("run", "--once")
    fire = _daily(sc)
    mailbox.stop()
    assert sc.deliver(fire + timedelta(minutes=1)).retrying == 1
    assert sc.deliver(fire + timedelta(hours=3)).retrying == 1        # retry: [10m, 1h]
    assert not webhook.received
    s = sc.deliver(fire + timedelta(days=2, minutes=1))                 # give_up_after: 2d
    assert (s.failed, s.notices) == (1, 1)
    [d] = sc.alerts()[0]["deliveries"]
    assert d["status"] == "failed" and d["attempts"] == 3
    [notice] = webhook.received
    assert "Gave up sending the morning-digest digest to mail" in json.dumps(notice["payload"])
    mailbox.start()
    sc.deliver(fire + timedelta(days=2, minutes=30), force=True)
    assert len(webhook.received) == 1 and not mailbox.messages


RETRY_CONFIG = """\
    channels:
      hook: "{hook}"
      admin-mail: "{mail}"
    admin: {{channels: [admin-mail], failure_threshold: 3}}
    subscriptions:
      - {{name: instant-hook, channels: [hook]}}
    delivery: {{retry: [1m, 5m, 30m], give_up_after: 1h}}
    sources:
      - {{id: trust-news, kind: feed, url: "SITE/trust.xml", area: northshire}}
      - {{id: flaky, kind: feed, url: "SITE/down.xml", area: northshire}}
    """


def _hook_delivery(sc: Scenario) -> dict:
    [alert] = sc.alerts()
    [d] = alert["deliveries"]
    return d


def test_failing_send_backs_off_by_the_config_then_fails_and_tells_admins_once(site, tmp_path, mailbox, webhook):
    config = RETRY_CONFIG.format(hook=webhook.apprise_url, mail=mailbox.apprise_url)
    sc = Scenario(site, tmp_path, "\n".join(line for line in config.splitlines() if "flaky" not in line))
    sc.cli("run", "--once")
    webhook.fail_with = 500
    sc.add_item("n-301", "CCGs to merge", MERGER)
    sc.cli("run", "--once")                                      # attempt 1, at creation time
    created = sc.newest_created()
    assert _hook_delivery(sc)["attempts"] == 1 and "500" in _hook_delivery(sc)["last_error"]

    # retry: [1m, 5m, 30m] (the last step repeats); each pair is (too early, due), in separate runs
    attempts = 1
    for early, due in ((55, 70), (365, 375), (2170, 2180), (3975, 3985)):
        s = sc.deliver(created + timedelta(seconds=early))
        assert (s.retrying, s.failed, _hook_delivery(sc)["attempts"]) == (0, 0, attempts), early
        s = sc.deliver(created + timedelta(seconds=due))
        attempts += 1
        assert _hook_delivery(sc)["attempts"] == attempts, due
    d = _hook_delivery(sc)
    assert d["status"] == "failed" and attempts == 5             # past give_up_after (1h): failed
    assert s.failed == 1 and s.notices == 1
    [notice] = mailbox.messages
    assert "Gave up sending alert" in str(notice["Subject"]) and "instant-hook" in mailbox.bodies()[0]

    webhook.fail_with = None
    sc.deliver(created + timedelta(hours=3))
    sc.deliver(created + timedelta(hours=3), force=True)         # failed stays failed; one notice only
    assert _hook_delivery(sc)["status"] == "failed" and not webhook.received
    assert len(mailbox.messages) == 1


def test_failing_source_is_reported_once_and_its_recovery_once(site, tmp_path, mailbox, webhook):
    sc = Scenario(site, tmp_path, RETRY_CONFIG.format(hook=webhook.apprise_url, mail=mailbox.apprise_url))

    def subjects() -> list[str]:
        return [str(m["Subject"]) for m in mailbox.messages]

    for _ in range(2):
        sc.cli("run", "--once")
    assert subjects() == []                                      # below failure_threshold
    sc.cli("run", "--once")
    assert subjects() == ["Source flaky is failing"]
    assert "3 checks of flaky failed in a row" in mailbox.bodies()[0] and "HTTP 500" in mailbox.bodies()[0]
    sc.cli("run", "--once")
    sc.cli("deliver", "--now")
    assert subjects() == ["Source flaky is failing"]             # told once per episode

    site.set("/down.xml", "application/rss+xml", FEED)
    sc.cli("run", "--once")
    assert subjects() == ["Source flaky is failing", "Source flaky has recovered"]
    sc.cli("run", "--once")
    assert len(subjects()) == 2

    site.set("/down.xml", "text/plain", "internal error", status=500)
    for _ in range(3):
        sc.cli("run", "--once")
    assert subjects()[2:] == ["Source flaky is failing"]         # a new episode is a new notice
    assert not webhook.received


def test_deliver_summary_counts_match_the_store(digest):
    """A digest pass at a time with nothing due is a no-op and says so."""
    fire = _daily(digest)
    before = digest.alerts()
    s = digest.deliver(fire - timedelta(hours=1))
    assert (s.sent, s.retrying, s.failed, s.digests, s.notices) == (0, 0, 0, 0, 0)
    assert digest.alerts() == before
    assert fire.astimezone(LONDON).hour == 8 and fire > datetime.now(UTC)


def test_a_long_digest_is_split_for_telegram_within_its_limit():
    from monitor.notify.outbox import digest_messages

    text = "\n".join(f"{i}. Service change (no consultation): item {i} – " + "x" * 150 for i in range(200))
    parts = digest_messages("tgram", "Digest: 200 alerts", "<p>html</p>", text)
    assert len(parts) > 5
    assert all(len(p.title) + len(p.body) + 2 <= 4096 for p in parts)
    assert "\n".join(p.body for p in parts) == text                   # nothing lost, cut between lines
    assert digest_messages("mailtos", "s", "<p>h</p>", text)[0].body_format == "html"
    assert len(digest_messages("json", "s", "h", text)) == 1
