"""Unit figures behind the cycle benchmark, measured in this process (``python -m bench.units`` needs a server URL;
``bench/cycle.py`` calls :func:`unit_figures` with its own)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import sitegen
from bench.sitegen import Layout


def per_call(fn: Callable[[], Any], n: int) -> float:
    """Median CPU milliseconds of ``fn()`` over ``n`` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(n):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times) * 1000


def feed_parse_ms() -> tuple[float, float]:
    from monitor.sources.feed import parse_feed

    rss, atom = sitegen.feed_text(0).encode(), sitegen.feed_text(1).encode()
    headers = {"content-type": "application/rss+xml"}
    return per_call(lambda: parse_feed(rss, "http://x/f.rss", headers), 15), \
        per_call(lambda: parse_feed(atom, "http://x/f.atom", headers), 15)


def listing_ms() -> tuple[float, float]:
    """A listing page's parse and links: every link in full (a baseline), and with 600 of 601 known."""
    from monitor.extract.html import parse_html
    from monitor.sources.board_papers import BoardPapersConfig, BoardPapersSource

    page = sitegen.board_page(0, sitegen.pack_row(0)).encode()
    source = BoardPapersSource(BoardPapersConfig(id="b", url="http://127.0.0.1/boards/b000/papers.html",
                                                 documents={"within": "main"}))
    sites = {"127.0.0.1"}
    known = {u for u in (link.url for link in source._links(parse_html(page, None), source.config.url, 0, sites)[1])
             if not u.endswith(sitegen.Layout.pack(0))}

    def once(known_docs: set[str] | None) -> None:
        tree = parse_html(page, None)
        source._links(tree, source.config.url, 0, sites, None if known_docs is None else known_docs.__contains__)

    return per_call(lambda: once(None), 30), per_call(lambda: once(known), 30)


def feed_new_entries_ms() -> float:
    """A 50-entry feed that gained 2 entries, read as a cycle reads it (known entries cut out first)."""
    from monitor.sources.feed import entry_key, parse_feed, without_known_entries

    headers = {"content-type": "application/rss+xml"}
    known = {entry_key(e) for e in parse_feed(sitegen.feed_text(0).encode(), "http://x/f.rss", headers).entries}
    new = sitegen.feed_text(0, 2).encode()
    return per_call(lambda: parse_feed(without_known_entries(new, known.__contains__) or new, "http://x/f.rss",
                                       headers), 15)


def pdf_pages_per_cpu_second(root: Path) -> tuple[float, int]:
    from monitor.extract.worker import extract_document

    data = (root / "packs" / f"pack-0-{sitegen.PACK_PAGES}.pdf").read_bytes()
    extract_document(data, "pdf")
    t = time.process_time()
    pages = extract_document(data, "pdf")
    return len(pages) / (time.process_time() - t), len(pages)


async def http_cpu_per_request(base: str, n: int = 1000) -> tuple[float, float]:
    """CPU ms per request: conditional GETs answered 304, and full ~70 KB feed bodies (concurrency 16)."""
    from monitor.config.http import HttpSettings
    from monitor.fetch.client import Fetcher

    settings = HttpSettings(per_host_delay="0s", per_host_concurrency=16, concurrency=16)
    out = []
    async with Fetcher(settings) as f:
        first = await f.get(base + Layout.feed(0))
        gate = asyncio.Semaphore(16)
        for conditional in (True, False):

            async def one(i: int, conditional: bool = conditional) -> None:
                async with gate:
                    if conditional:
                        await f.get(base + Layout.feed(0), etag=first.etag, last_modified=first.last_modified)
                    else:
                        await f.get(base + Layout.feed(i % sitegen.N_FEEDS) + f"?n={i}")

            t = time.process_time()
            await asyncio.gather(*(one(i) for i in range(n)))
            out.append((time.process_time() - t) / n * 1000)
    return out[0], out[1]


def store_rows_per_second() -> float:
    """Rows/s of one board baseline (600 new document items) through ``Repo.record_success``."""
    from monitor.sources.base import CheckOutcome, ItemUpdate, Observation
    from monitor.store.db import make_engine, session_factory
    from monitor.store.migrate import upgrade
    from monitor.store.repo import CheckRecord, Repo, now_utc

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/units.db")
        upgrade(engine)
        repo = Repo(session_factory(engine))
        now = now_utc()
        ids = [f"s{n}" for n in range(20)]
        repo.sync_sources(((sid, "board_papers", None) for sid in ids), now)
        rows = 0
        t = time.perf_counter()
        for sid in ids:
            items = [ItemUpdate(key=f"doc:http://x/{sid}/{n}.pdf", kind="document", url=f"http://x/{sid}/{n}.pdf",
                                title=f"Item {n}", data={"baseline": True, "date": None, "link_text": "Item",
                                                         "first_seen": now.isoformat(), "found_on": "http://x/"})
                     for n in range(600)]
            obs = Observation(CheckOutcome.BASELINE, 200, items=items, state={"pages": {}})
            repo.record_success(CheckRecord(sid, now, 5, "baseline"), obs, [], baseline=True,
                                next_due=now + timedelta(hours=1))
            rows += len(items) + 2
        elapsed = time.perf_counter() - t
        engine.dispose()
    return rows / elapsed


def import_ms() -> float:
    """Wall ms of ``nhs-monitor --help`` minus a bare interpreter start (what every cycle pays to begin)."""
    import subprocess
    import sys

    exe = str(Path(sys.executable).parent / "nhs-monitor")

    def best(cmd: list[str]) -> float:
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            runs.append(time.perf_counter() - t)
        return min(runs)

    return (best([exe, "--help"]) - best([sys.executable, "-c", "pass"])) * 1000


def unit_figures(layout: Layout, base: str) -> None:
    rss, atom = feed_parse_ms()
    print("\nunit figures (this process, CPU time):")
    print(f"  feed parse (feedparser, 50 items): RSS {rss:.1f} ms, Atom {atom:.1f} ms; a feed that gained 2 "
          f"items, known ones cut out first: {feed_new_entries_ms():.1f} ms")
    full, known = listing_ms()
    print(f"  listing page (~200 KB, 601 links; selectolax parse + links): {full:.1f} ms with every link's details"
          f" (baseline), {known:.1f} ms when 600 are known")
    rate, pages = pdf_pages_per_cpu_second(layout.root)
    print(f"  PDF text extraction (pypdfium2, one core): {rate:,.0f} pages per CPU second ({pages}-page pack)")
    c304, c200 = asyncio.run(http_cpu_per_request(base))
    print(f"  HTTP client CPU per request (concurrency 16): {c304:.2f} ms for a 304, {c200:.2f} ms for a ~70 KB 200")
    print(f"  store: {store_rows_per_second():,.0f} rows/s (board baselines of 600 items through Repo.record_success)")
    print(f"  start-up: `nhs-monitor --help` costs {import_ms():.0f} ms over a bare interpreter")


if __name__ == "__main__":
    import sys

    unit_figures(Layout(Path(sys.argv[1])), sys.argv[2])
