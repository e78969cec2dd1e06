"""``nhs-monitor demo``: a bundled, realistic scenario served on 127.0.0.1, checked step by step.

A Westshire ICB board-papers page gains a paper that moves a service without consultation, a
trust news feed announces a merger, and a petition crosses 10,000 signatures. The store lives in
a temporary directory; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any

import click

PETITION_ID = 700999


class DemoSite:
    """A tiny static site: path -> (content type, body); honours If-None-Match."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                ctype, body = site.routes.get(path, ("text/plain", b""))
                if path not in site.routes:
                    self.send_response(404 if path != "/robots.txt" else 200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def set(self, path: str, ctype: str, body: bytes | str) -> None:
        self.routes[path] = (ctype, body.encode("utf-8") if isinstance(body, str) else body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _pdf(name: str) -> bytes:
    return (files("monitor.demo") / "data" / name).read_bytes()


def board_page(papers: list[tuple[str, str]]) -> str:
    rows = "".join(f'<li><a href="{href}">{title}</a> (PDF)</li>' for title, href in papers)
    return ("<html><head><title>Board meetings | NHS Westshire ICB</title></head><body><nav><a href='/'>Home</a>"
            "</nav><main><h1>Board meetings in public</h1><h2>18 November 2026</h2>"
            f"<ul>{rows}</ul></main></body></html>")


def news_feed(items: list[tuple[str, str, str]]) -> str:
    body = "".join(f"<item><title>{t}</title><link>/news/{guid}</link><guid>{guid}</guid><description>{d}"
                   "</description></item>" for guid, t, d in items)
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Westshire Hospitals NHS '
            f"Trust news</title><link>/news/</link><description>News</description>{body}</channel></rss>")


def petitions(base: str, count: int) -> tuple[str, str]:
    attrs = {"action": "Keep overnight children's A&E open at Westfield General Hospital",
             "background": "Families in Westshire rely on Westfield's paediatric emergency department at night.",
             "additional_details": "", "state": "open", "signature_count": count,
             "created_at": "2026-11-01T09:00:00.000Z", "opened_at": "2026-11-02T09:00:00.000Z",
             "closing_date": "2027-05-02", "closed_at": None, "rejected_at": None, "rejection": None,
             "response_threshold_reached_at": "2026-11-24T10:00:00.000Z" if count >= 10000 else None,
             "government_response_at": None, "government_response": None, "debate_threshold_reached_at": None,
             "scheduled_debate_date": None, "debate_outcome_at": None, "debate": None,
             "creator_name": "A Parent", "departments": [], "topics": ["health"]}
    row = {"type": "petition", "id": PETITION_ID, "links": {"self": f"{base}/petitions/{PETITION_ID}.json"},
           "attributes": attrs}
    listing = {"links": {"self": f"{base}/petitions.json?q=westfield", "first": f"{base}/petitions.json?q=westfield",
                         "last": f"{base}/petitions.json?q=westfield", "next": None, "prev": None}, "data": [row]}
    single = {"links": {"self": f"{base}/petitions/{PETITION_ID}.json"},
              "data": {"type": "petition", "id": PETITION_ID, "attributes": attrs}}
    return json.dumps(listing), json.dumps(single)


class Scenario:
    """The world at each step."""

    def __init__(self, site: DemoSite) -> None:
        self.site = site
        self.papers = [("Minutes of the meeting held on 16 September 2026", "/board/minutes-september.pdf")]
        self.news = [("whn-101", "Westfield car park reopens", "The main car park at Westfield has reopened.")]
        site.set("/board/minutes-september.pdf", "application/pdf", _pdf("minutes-september.pdf"))
        self.publish(9_420)

    def publish(self, signatures: int) -> None:
        self.site.set("/board/", "text/html", board_page(self.papers))
        self.site.set("/news.xml", "application/rss+xml", news_feed(self.news))
        listing, single = petitions(self.site.base, signatures)
        self.site.set("/petitions.json", "application/json", listing)
        self.site.set(f"/petitions/{PETITION_ID}.json", "application/json", single)

    def things_happen(self) -> None:
        self.papers.append(("Item 7 – Paediatric emergency care", "/board/item7-paediatric-emergency-care.pdf"))
        self.site.set("/board/item7-paediatric-emergency-care.pdf", "application/pdf",
                      _pdf("item7-paediatric-emergency-care.pdf"))
        self.news.append(("whn-102", "Westshire and Eastshire trusts to merge",
                          "The boards of Westshire Hospitals NHS Trust and Eastshire Community NHS Trust agreed to "
                          "merge into a single organisation from 1 April 2027."))
        self.publish(10_312)


def demo_config(tmp: Path, base: str) -> Path:
    cfg = tmp / "demo.yaml"
    cfg.write_text(f"""version: 1
database_url: sqlite:///{tmp}/demo.db
http: {{user_agent: "nhs-service-monitor-demo/0.1", timeout: 10s, per_host_delay: 0s}}
sources:
  - {{id: westshire-icb-board, kind: board_papers, url: "{base}/board/", area: westshire}}
  - {{id: westshire-trust-news, kind: feed, url: "{base}/news.xml", area: westshire}}
  - {{id: petitions-westfield, kind: petitions, query: westfield, state: open, base_url: "{base}", area: westshire}}
""")
    return cfg


async def _run_once(cfg_path: Path) -> Any:
    from monitor.app import Monitor, Store
    from monitor.config import load_config

    config = load_config(cfg_path, {})
    store = Store.open(config)
    try:
        async with Monitor(config, store) as m:
            summary = await m.run_once()
            return summary, store.repo.alerts(limit=20)
    finally:
        store.close()


def run_demo(pause: float = 0.6) -> int:
    """Run the scenario; print each step and the alerts. Returns the exit code."""
    from monitor.views import alerts_text

    logging.getLogger().setLevel(logging.WARNING)
    site = DemoSite()
    say = click.echo
    try:
        with tempfile.TemporaryDirectory(prefix="nhs-monitor-demo-") as tmp:
            scenario = Scenario(site)
            cfg = demo_config(Path(tmp), site.base)
            say(f"Serving a Westshire ICB board page, a trust news feed and a petitions API on {site.base}")
            say(f"Store: {tmp}/demo.db\n")
            say("Step 1: first check of every source (a silent baseline: nothing old is alerted)")
            summary, alerts = asyncio.run(_run_once(cfg))
            say("  " + ", ".join(f"{r.source_id}: {r.outcome}" for r in summary.reports) + f"; alerts: {len(alerts)}")
            time.sleep(pause)
            say("\nStep 2: the ICB publishes Item 7, the trust announces a merger, the petition passes 10,000")
            scenario.things_happen()
            time.sleep(pause)
            say("Step 3: the monitor checks again\n")
            summary, alerts = asyncio.run(_run_once(cfg))
            say(alerts_text(alerts))
            say(f"\n{len(alerts)} alerts. With channels configured they would go out by email, Telegram or any "
                "Apprise service; see config/example.yaml.")
            return 0 if len(alerts) == 3 else 1
    finally:
        site.close()
