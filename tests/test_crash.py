"""kill -9 of ``run --once`` at 20 moments loses no alert and repeats at most the one message in flight.

Contract section 5. Each round publishes fresh news on loopback (three feeds gain a merger entry, some rounds
a board paper announcing a closure), starts ``python -m monitor run --once`` as a subprocess and kills it
with SIGKILL at one moment:

* at a fault-injection point (``NHS_MONITOR_CRASH_AT=name:N``, see :mod:`monitor.faults`): after a source
  was fetched and classified, inside or just after the store transaction, while a PDF is in the extraction
  worker, just before a send, or just after a send and before it is marked sent;
* from outside while a fetch is in progress (a feed that holds the request until the process is dead);
* from outside after a random delay (seeded, printed on failure).

The next round is a new process that has to pick up whatever the dead one left (its leases and send claims
expire after ``NHS_MONITOR_LEASE`` = 1 s). At the end a clean run finishes the work, and every message
received by the real SMTP server (aiosmtpd) and webhook receiver is traced back to its alert and to the
round that first sent it: every alert arrives on each of its channels, a kill after a send and before its
``mark_sent`` costs exactly one repeated message, and every other kill costs none (a random kill, at most one).

Every alert goes to the webhook; the papers that name Westfield go to email as well. Apprise paces email at
one message per 5.5 s per channel, so a test that mailed every alert would spend minutes waiting.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import faults
from monitor.app import LEASE_SECONDS, lease_seconds
from monitor.cli import main
from tests.docgen import make_pdf

ROOT = Path(__file__).resolve().parent.parent
LEASE = 1.0
MERGER = ("The governing bodies of Northshire CCG and Southshire CCG have agreed to merge into a single "
          "organisation.")
CLOSURE = ("The Board agreed that the minor injuries unit at Eastfield Community Hospital will close on 1 March, "
           "with patients directed to the emergency department at the County Hospital.")
ROUTINE = "The committee noted the quarterly finance report."
FEEDS = ("a", "b", "c")
TOKEN = re.compile(r"\bR(\d\d)([a-z])\b")


@dataclass(frozen=True)
class Kill:
    """How one round's process dies: at a fault point, during a fetch, or after a random delay."""

    how: str               # "point" | "fetch" | "random"
    point: str = ""        # NAME:N for "point"
    pdf: bool = False      # the round publishes a board paper (extraction in a worker process)
    feeds: bool = True     # the round publishes a merger entry in each feed
    mail: bool = False     # the paper names Westfield, so it is emailed too

    @property
    def repeats(self) -> set[int]:
        """How many messages this kill may leave to be sent twice."""
        if self.how == "random":
            return {0, 1}
        return {1} if self.point.startswith("outbox.sent:") else {0}


# A round brings at least 3 new sends (4 with a paper) and 3 stored checks with news (4 with a paper), and its
# process checks 5 sources, so every NAME:N below is reached. Round 1 follows the clean baseline: its first
# send is the paper's email.
PLAN = [
    Kill("point", "outbox.sent:1", pdf=True, feeds=False, mail=True),
    Kill("fetch"),
    Kill("point", "pipeline.checked:1"),
    Kill("point", "pipeline.checked:3", pdf=True),
    Kill("point", "extract.request:1", pdf=True),
    Kill("point", "repo.commit:1"),
    Kill("point", "repo.commit:3", pdf=True),
    Kill("point", "repo.committed:1"),
    Kill("point", "repo.committed:2"),
    Kill("point", "outbox.send:1"),
    Kill("point", "outbox.send:3"),
    Kill("point", "outbox.sent:2", pdf=True),
    Kill("point", "outbox.sent:3"),
    Kill("point", "outbox.sent:4", pdf=True),
    Kill("point", "repo.commit:2"),
    Kill("fetch", pdf=True),
    Kill("random"),
    Kill("random"),
    Kill("random", pdf=True, mail=True),
    Kill("random"),
]


def rss(entries: list[tuple[str, str, str]]) -> str:
    items = "".join(f"<item><title>{t}</title><link>https://news.example.nhs.uk/{g}</link>"
                    f"<guid isPermaLink=\"false\">{g}</guid><description>{d}</description></item>"
                    for g, t, d in entries)
    return (f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>News</title>"
            f"<link>https://news.example.nhs.uk/</link><description>x</description>{items}</channel></rss>")


class HeldFeed:
    """A feed route that, while armed, holds each request until released: a fetch in progress to kill."""

    def __init__(self, site, path: str) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.body = rss([("slow-1", "Routine", ROUTINE)])
        site.set_dynamic(path, self._serve)

    def _serve(self, query, headers):
        if self.armed:
            self.entered.set()
            self.release.wait(20)
        return 200, "application/rss+xml", self.body

    def arm(self) -> None:
        self.entered.clear()
        self.release.clear()
        self.armed = True

    def disarm(self) -> None:
        self.armed = False
        self.release.set()


@dataclass
class Round:
    kill: Kill
    killed: bool = False
    received: list[tuple[str, str]] = field(default_factory=list)   # (channel, token) first seen in this round


class CrashWorld:
    """The loopback site, the peers, the config and the subprocess runner."""

    def __init__(self, site, mailbox, webhook, tmp_path: Path) -> None:
        self.site, self.mailbox, self.webhook, self.tmp = site, mailbox, webhook, tmp_path
        self.entries: dict[str, list[tuple[str, str, str]]] = {f: [(f"{f}-0", "Finance", ROUTINE)] for f in FEEDS}
        self.papers: list[str] = []
        self.expected: dict[str, set[str]] = {}     # token -> the channels it must reach
        for f in FEEDS:
            self._serve_feed(f)
        self._serve_board()
        self.held = HeldFeed(site, "/slow.xml")
        self.config = tmp_path / "monitor.yaml"
        feeds = "".join(f'  - {{id: feed-{f}, kind: feed, url: "{site.url(f"/{f}.xml")}"}}\n' for f in FEEDS)
        self.config.write_text(textwrap.dedent(f"""\
            version: 1
            database_url: sqlite:///{tmp_path}/monitor.db
            http: {{user_agent: "crash-test/1.0", timeout: 25s, per_host_delay: 0s, per_host_concurrency: 8}}
            delivery: {{retry: [1s], send_timeout: 10s}}
            channels: {{mail: "{mailbox.apprise_url}", hook: "{webhook.apprise_url}"}}
            subscriptions:
              - {{name: westfield, channels: [mail], areas: [eastfield], keywords: [Westfield]}}
              - {{name: everything, channels: [hook]}}
            sources:
              - {{id: slow, kind: feed, url: "{site.url('/slow.xml')}"}}
              - {{id: board, kind: board_papers, url: "{site.url('/board/')}", area: eastfield,
                  documents: {{pattern: '\\.pdf$'}}}}
            """) + feeds)
        self.seen: set[tuple[str, str]] = set()
        self.counts: Counter[tuple[str, str]] = Counter()
        self.read_mail = self.read_hook = 0
        self.logs: list[Path] = []

    def _serve_feed(self, f: str) -> None:
        self.site.set(f"/{f}.xml", "application/rss+xml", rss(self.entries[f]))

    def _serve_board(self) -> None:
        links = "".join(f'<li><a href="/papers/{t}.pdf">Item 7 {t}: minor injuries unit</a></li>'
                        for t in self.papers)
        self.site.set("/board/", "text/html", f"<html><body><main><h1>Board papers</h1><ul>{links}</ul>"
                                               "</main></body></html>")

    def publish(self, n: int, kill: Kill) -> None:
        """Round ``n``'s news: a merger entry in every feed and/or a board paper."""
        for f in FEEDS if kill.feeds else ():
            token = f"R{n:02d}{f}"
            self.entries[f].append((f"{f}-{n}", f"Bulletin {token}: CCGs agree to merge", MERGER))
            self._serve_feed(f)
            self.expected[token] = {"hook"}
        if kill.pdf:
            token = f"R{n:02d}p"
            closure = CLOSURE.replace("Eastfield", "Westfield") if kill.mail else CLOSURE
            self.site.set(f"/papers/{token}.pdf", "application/pdf", make_pdf([ROUTINE, closure]))
            self.papers.append(token)
            self._serve_board()
            self.expected[token] = {"mail", "hook"} if kill.mail else {"hook"}

    def start(self, crash: str = "") -> tuple[subprocess.Popen[bytes], Path]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NHS_MONITOR_CONFIG")}
        env.update(NHS_MONITOR_LEASE=str(LEASE), NHS_MONITOR_CRASH_AT=crash,
                   PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p))
        log = self.tmp / f"run-{len(self.logs):02d}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(self.config), "run", "--once"],
                                    cwd=self.tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
        return proc, log

    def run_clean(self) -> None:
        """A run that nobody kills; it must finish and exit 0."""
        proc, log = self.start()
        try:
            assert proc.wait(40) == 0, self.tail(log)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)

    def tail(self, log: Path, lines: int = 25) -> str:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def collect(self) -> list[tuple[str, str]]:
        """Messages received since the last call, as (channel, token); counts every one."""
        mails, self.read_mail = self.mailbox.messages[self.read_mail:], len(self.mailbox.messages)
        hooks, self.read_hook = self.webhook.received[self.read_hook:], len(self.webhook.received)
        got = [("mail", str(m["Subject"])) for m in mails] + [("hook", str(h["payload"].get("title", h["payload"])))
                                                             for h in hooks]
        out = []
        for channel, text in got:
            m = TOKEN.search(text)
            assert m, f"a message that belongs to no alert reached {channel}: {text!r}"
            key = (channel, f"R{m[1]}{m[2]}")
            self.counts[key] += 1
            if key not in self.seen:
                self.seen.add(key)
                out.append(key)
        return out

    def wait_for_claims_to_expire(self) -> None:
        """Until the dead run's source leases and send claims (NHS_MONITOR_LEASE) have run out."""
        db = sqlite3.connect(self.tmp / "monitor.db")
        try:
            row = db.execute("SELECT max(lease_until), (SELECT max(claimed_until) FROM deliveries) "
                             "FROM sources").fetchone()
        finally:
            db.close()
        latest = max((datetime.fromisoformat(v) for v in row if v), default=None)
        if latest is not None:
            time.sleep(max(0.0, (latest - datetime.now(UTC).replace(tzinfo=None)).total_seconds() + 0.05))

    def alerts(self) -> list[dict]:
        r = CliRunner().invoke(main, ["--config", str(self.config), "alerts", "--json", "--limit", "1000"])
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)


def run_round(world: CrashWorld, kill: Kill, rng: random.Random) -> Round:
    rnd = Round(kill)
    if kill.how == "fetch":
        world.held.arm()
    proc, log = world.start(kill.point if kill.how == "point" else "")
    try:
        if kill.how == "fetch":
            assert world.held.entered.wait(20), "the held fetch never started:\n" + world.tail(log)
            proc.kill()
        elif kill.how == "random":
            try:
                proc.wait(rng.uniform(0.6, 1.6))
            except subprocess.TimeoutExpired:
                proc.kill()
        code = proc.wait(40)
    finally:
        world.held.disarm()
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    rnd.killed = code == -9
    if kill.how != "random":
        assert rnd.killed, f"{kill} did not kill the run (exit {code}):\n{world.tail(log)}"
    else:
        assert code in (0, -9), f"exit {code}:\n{world.tail(log)}"
    if kill.how == "point":
        name = kill.point.replace(":", " #")
        assert f"fault injection: SIGKILL at {name}" in log.read_text(), world.tail(log)
    if rnd.killed:
        world.wait_for_claims_to_expire()
    rnd.received = world.collect()
    return rnd


@pytest.mark.slow
def test_kill_9_at_20_moments_loses_no_alert_and_repeats_at_most_the_message_in_flight(site, mailbox, webhook,
                                                                                       tmp_path):
    assert len(PLAN) == 20
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    world = CrashWorld(site, mailbox, webhook, tmp_path)
    world.run_clean()                                                # the silent baseline
    assert world.alerts() == [] and world.collect() == []

    rounds = []
    for n, kill in enumerate(PLAN, start=1):
        world.publish(n, kill)
        rounds.append(run_round(world, kill, rng))

    world.run_clean()                                                # a clean run finishes the work,
    world.run_clean()                                                # and the next one sends nothing
    world.collect()

    context = f"seed {seed}; rounds: " + "; ".join(f"{i + 1}:{r.kill.how}:{r.kill.point}:killed={r.killed}"
                                                   for i, r in enumerate(rounds))
    alerts = world.alerts()
    tokens = [m[0] for a in alerts if (m := TOKEN.search(a["title"]))]
    assert len(tokens) == len(alerts) and sorted(tokens) == sorted(world.expected), context  # one alert per event
    for a, token in zip(alerts, tokens, strict=True):
        assert {(d["channel"], d["status"]) for d in a["deliveries"]} == {(c, "sent") for c in world.expected[token]}
    for token, channels in world.expected.items():                   # nothing lost, on any channel
        for channel in ("mail", "hook"):
            want = 1 if channel in channels else 0
            assert min(world.counts[(channel, token)], 1) == want, f"{token} on {channel}; {context}"

    first_round = {key: i for i, r in enumerate(rounds) for key in r.received}
    repeats = Counter(first_round.get(key, -1) for key, n in world.counts.items() for _ in range(n - 1))
    assert repeats[-1] == 0, f"the clean runs repeated a message: {repeats}; {context}"
    for i, r in enumerate(rounds):
        allowed = r.kill.repeats if r.killed else {0}
        assert repeats[i] in allowed, f"round {i + 1} ({r.kill}) repeated {repeats[i]} messages; {context}"
    assert repeats[0] == 1 and world.counts[("mail", "R01p")] == 2, "the email in flight in round 1 is repeated once"
    sent_kills = sum(1 for r in rounds if r.kill.point.startswith("outbox.sent:"))
    assert sent_kills <= sum(repeats.values()) <= sent_kills + sum(1 for r in rounds if r.kill.how == "random")


# --------------------------------------------------------------------------- the knobs the crash tests turn


def test_every_fault_point_is_reached_by_some_code():
    """A point no code reaches would make its crash round pass without killing anything."""
    code = "\n".join(p.read_text() for p in (ROOT / "monitor").rglob("*.py") if p.name != "faults.py")
    assert {name for name in faults.POINTS if f'faults.point("{name}")' not in code} == set()
    assert {k.point.split(":")[0] for k in PLAN if k.point} == set(faults.POINTS)   # and the crash test uses each


def test_fault_plans_are_parsed_and_bad_parts_ignored(caplog):
    assert faults.parse("") == {} and faults.armed() == {}            # unset in this process: point() is a no-op
    assert faults.parse("outbox.sent:2, repo.commit") == {"outbox.sent": 2, "repo.commit": 1}
    assert faults.parse("nowhere:1,outbox.send:x,outbox.send:0") == {}
    assert caplog.text.count(faults.CRASH_ENV) == 3
    faults.point("outbox.sent")                                        # still alive


def test_lease_seconds_reads_and_validates_the_env(caplog):
    assert lease_seconds({}) == LEASE_SECONDS == 900.0
    assert lease_seconds({"NHS_MONITOR_LEASE": " 30 "}) == 30.0
    for bad in ("0.25", "-7", "soon", "86401"):
        assert lease_seconds({"NHS_MONITOR_LEASE": bad}) == LEASE_SECONDS
    assert lease_seconds({"NHS_MONITOR_LEASE": "-7"}) == LEASE_SECONDS    # a bad value is logged once
    assert caplog.text.count("ignoring NHS_MONITOR_LEASE='-7'") == 1
