"""The benchmark's loopback site: 600 feeds, 300 board listing pages, 100 petitions search pages.

Everything is generated from a seed into plain files that a static server (nginx) serves, so ETag and
Last-Modified come from real file metadata. Three trees share one layout:

* ``www-base``: the site as the cold and quiet cycles see it;
* ``www-changed``: 15 listing pages gain a new ~300-page PDF board pack, 60 feeds gain 2 items, every
  petitions page changes its signature counts (files that did not change are hard links, so their
  ETag and Last-Modified stay the same);
* ``www-changed-nopdf``: the same changes, but the 15 new listing rows link a meeting page instead of a
  PDF, so a cycle re-parses the same pages without downloading or extracting any document (the
  "non-PDF part" of the changed cycle).

Used by ``bench/cycle.py``; ``python -m bench.sitegen DIR`` builds the trees alone.
"""

from __future__ import annotations

import html
import json
import os
import random
import shutil
import sys
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

N_FEEDS, N_BOARDS, N_PETITIONS = 600, 300, 100
FEED_ITEMS, BOARD_LINKS, PETITIONS_PER_PAGE = 50, 600, 50
CHANGED_BOARDS, CHANGED_FEEDS, NEW_FEED_ITEMS = 15, 60, 2
PACK_PAGES = 300
EPOCH = 1_767_225_600  # 2026-01-01, the generated site's clock

WORDS = ("integrated care board trust hospital community services patients waiting list elective recovery urgent "
         "emergency care ambulance handover maternity neonatal mental health primary care pharmacy dental workforce "
         "finance deficit plan quarter estate business case clinical strategy transformation programme partnership "
         "system quality safety performance committee governance assurance risk register digital outpatient "
         "diagnostic cancer stroke frailty discharge capacity beds winter escalation staffing vacancy").split()
PLACES = ("Northshire", "Southshire", "Eastfield", "Westbury", "Riverside", "Hillcrest", "Kingsmead", "Ashford",
          "Broadmoor", "Castleton", "Deansgate", "Elmwood")
TOPICS = ("Finance report", "Integrated performance report", "Quality and safety report", "Chief executive's report",
          "Board assurance framework", "Minutes of the previous meeting", "People plan update",
          "Urgent and emergency care recovery", "Elective recovery update", "Maternity services report",
          "Estates strategy", "Digital strategy", "Winter plan", "Risk register", "Audit committee report")
CUES = ("The board approved the proposal to merge the two trusts under a single chief executive.",
        "Services will transfer from Eastfield to the County Hospital on a temporary basis, without public "
        "consultation.",
        "The ICB will launch a public consultation on the future of stroke services in the spring.",
        "The committee agreed the relocation of the minor injuries unit; engagement rather than formal consultation "
        "was judged sufficient.")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where things are in a generated site (paths relative to the web root)."""

    root: Path

    @property
    def base(self) -> Path:
        return self.root / "www-base"

    @property
    def changed(self) -> Path:
        return self.root / "www-changed"

    @property
    def changed_nopdf(self) -> Path:
        return self.root / "www-changed-nopdf"

    @staticmethod
    def feed(i: int) -> str:
        return f"/feeds/f{i:03d}.{'rss' if i % 2 == 0 else 'atom'}"

    @staticmethod
    def board(i: int) -> str:
        return f"/boards/b{i:03d}/papers.html"

    @staticmethod
    def petitions_base(i: int) -> str:
        return f"/petitions/p{i:03d}"

    @classmethod
    def petitions_page(cls, i: int) -> str:
        return cls.petitions_base(i) + "/petitions.json"

    @staticmethod
    def pack(i: int) -> str:
        return f"/boards/b{i:03d}/docs/2026-02-board-pack.pdf"


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, chars: int) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < chars:
        parts.append(sentence(rng, rng.randint(8, 18)))
    return " ".join(parts)


# ---------------------------------------------------------------- feeds

def feed_items(i: int, count: int, start: int = 0) -> list[dict[str, str]]:
    """``count`` items of feed ``i``, numbered from ``start`` (newest last)."""
    items = []
    for n in range(start, start + count):
        rng = random.Random(f"feed-{i}-{n}")
        centre = 850 + i * 37 % 500  # feeds of 60-85 KB
        body = paragraph(rng, rng.randint(centre - 80, centre + 80))
        if rng.random() < 0.05:
            body += " " + rng.choice(CUES)
        items.append({"id": f"tag:bench.example,2026:feed{i}/{n}", "link": f"https://news.example.org/f{i}/{n}",
                      "title": f"{rng.choice(PLACES)}: {sentence(rng, 7)[:-1]}", "body": body,
                      "when": formatdate(EPOCH + n * 3600 + i, usegmt=True),
                      "iso": f"2026-01-{1 + n // 24 % 28:02d}T{n % 24:02d}:00:00Z"})
    return items


def rss(i: int, items: list[dict[str, str]]) -> str:
    out = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bench feed {i}</title>'
           f"<link>https://news.example.org/f{i}/</link><description>NHS news {i}</description>"]
    for it in reversed(items):
        out.append(f"<item><title>{html.escape(it['title'])}</title><link>{it['link']}</link>"
                   f"<guid isPermaLink=\"false\">{it['id']}</guid><pubDate>{it['when']}</pubDate>"
                   f"<description>{html.escape('<p>' + it['body'] + '</p>')}</description></item>\n")
    out.append("</channel></rss>\n")
    return "".join(out)


def atom(i: int, items: list[dict[str, str]]) -> str:
    out = [f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
           f"<title>Bench feed {i}</title><id>tag:bench.example,2026:feed{i}</id>"
           f"<updated>{items[-1]['iso']}</updated><link href=\"https://news.example.org/f{i}/\"/>"]
    for it in reversed(items):
        out.append(f"<entry><title>{html.escape(it['title'])}</title><id>{it['id']}</id>"
                   f"<link href=\"{it['link']}\"/><updated>{it['iso']}</updated>"
                   f"<summary type=\"html\">{html.escape('<p>' + it['body'] + '</p>')}</summary></entry>\n")
    out.append("</feed>\n")
    return "".join(out)


def feed_text(i: int, extra: int = 0) -> str:
    """Feed ``i``: the newest 50 items (``extra`` newer ones push the oldest out)."""
    items = feed_items(i, FEED_ITEMS, start=extra)
    return rss(i, items) if i % 2 == 0 else atom(i, items)


# ---------------------------------------------------------------- board listing pages

def board_rows(i: int) -> list[str]:
    rng = random.Random(f"board-{i}")
    rows: list[str] = []
    per_meeting = 12
    for m in range(BOARD_LINKS // per_meeting):
        year, month = 2025 - m // 12, 12 - m % 12
        rows.append(f"<h3>Board meeting in public, {rng.randint(1, 28)} {MONTHS[month - 1]} {year}</h3>\n<table "
                    f"class=\"papers\"><tr><th>Item</th><th>Paper</th><th>Size</th></tr>\n")
        for item in range(1, per_meeting + 1):
            topic = rng.choice(TOPICS)
            slug = topic.lower().replace(" ", "-").replace("'", "")
            href = f"/boards/b{i:03d}/docs/{year}-{month:02d}/item-{item:02d}-{slug}-{rng.randint(100, 999)}.pdf"
            rows.append(f"<tr><td>{item}</td><td><a class=\"doc-link\" href=\"{href}\" title=\"{topic}\">Item {item}:"
                        f" {topic} (PDF)</a><span class=\"meta\"> {sentence(rng, 12)}</span></td>"
                        f"<td>{rng.randint(90, 4000)} KB</td></tr>\n")
        rows.append("</table>\n")
    return rows


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def board_page(i: int, new_row: str | None = None) -> str:
    nav = "".join(f"<li><a href=\"/boards/b{i:03d}/section-{n}.html\">Section {n}</a></li>" for n in range(40))
    head = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Board papers - Trust {i}</title>"
            f"</head><body><header><nav><ul>{nav}</ul></nav></header><main><h1>Board meetings and papers</h1>"
            "<p>Papers for the board's meetings in public are published a week before each meeting.</p>\n")
    fresh = f"<h3>Board meeting in public, 5 February 2026</h3>\n<ul>{new_row}</ul>\n" if new_row else ""
    foot = "</main><footer><p>Cookies | Accessibility | Freedom of information</p></footer></body></html>\n"
    return head + fresh + "".join(board_rows(i)) + foot


def pack_row(i: int) -> str:
    return f"<li><a href=\"{Layout.pack(i)}\">Board pack, 5 February 2026 (PDF, 2 MB)</a></li>"


def meeting_row(i: int) -> str:
    return f"<li><a href=\"/boards/b{i:03d}/meetings/2026-02-05.html\">Meeting of 5 February 2026</a></li>"


def pack_pdf(i: int, pages: int = PACK_PAGES) -> bytes:
    """A board pack: ~2,000 characters of prose per page, a few pages with cues the classifier takes up."""
    from fpdf import FPDF

    rng = random.Random(f"pack-{i}")
    pdf = FPDF(format="A4")
    pdf.set_compression(True)
    pdf.set_font("Helvetica", size=10)
    for page in range(1, pages + 1):
        pdf.add_page()
        text = f"Trust {i} board meeting in public - 5 February 2026 - page {page}\n\n" + paragraph(rng, 1900)
        if page % 60 == 7:
            text += "\n\n" + CUES[(i + page) % len(CUES)]
        pdf.multi_cell(0, 4.5, text.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())


# ---------------------------------------------------------------- petitions

def petition_row(i: int, n: int, bump: int) -> dict[str, object]:
    pid = 800_000 + i * 100 + n
    rng = random.Random(f"petition-{pid}")
    count = rng.randint(50, 9_800) + bump * rng.randint(1, 40)
    if bump and n % 25 == 3:
        count = max(count, 10_000 + rng.randint(0, 50))  # a few cross the response threshold
    attrs = {
        "action": f"Keep {rng.choice(PLACES)} {rng.choice(('maternity unit', 'A&E', 'walk-in centre', 'stroke unit'))}"
                  f" open ({pid})",
        "background": paragraph(rng, 300), "additional_details": paragraph(rng, 500), "committee_note": None,
        "state": "open", "signature_count": count, "closing_date": "2026-09-01",
        "created_at": "2026-01-02T10:00:00.000Z", "updated_at": f"2026-02-0{1 + bump}T09:00:00.000Z",
        "rejected_at": None, "opened_at": "2026-01-05T09:00:00.000Z", "closed_at": None,
        "moderation_threshold_reached_at": "2026-01-03T09:00:00.000Z",
        "response_threshold_reached_at": None, "government_response_at": None, "debate_threshold_reached_at": None,
        "debate_scheduled_on": None, "scheduled_debate_date": None, "debate_outcome_at": None,
        "creator_name": "A Campaigner", "rejection": None, "government_response": None, "debate": None,
        "departments": [{"acronym": "DHSC", "name": "Department of Health and Social Care",
                         "url": "https://www.gov.uk/government/organisations/department-of-health-and-social-care"}],
        "topics": ["health"],
    }
    return {"type": "petition", "id": pid, "links": {"self": f"https://petition.example/petitions/{pid}.json"},
            "attributes": attrs}


def petitions_page(i: int, bump: int = 0) -> str:
    rows = [petition_row(i, n, bump) for n in range(PETITIONS_PER_PAGE)]
    self_url = f"https://petition.example/petitions.json?q=hospital&state=open&i={i}"
    doc = {"links": {"self": self_url, "first": self_url, "last": self_url, "next": None, "prev": None},
           "data": rows}
    return json.dumps(doc, ensure_ascii=False)


# ---------------------------------------------------------------- writing the trees

def _write(path: Path, text: str | bytes, mtime: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    os.utime(path, (mtime, mtime))


def build(root: Path, *, log: object = print) -> Layout:
    """Write the three trees under ``root`` (skipped when already built with these parameters)."""
    layout = Layout(root)
    stamp = root / "BUILT"
    params = f"{N_FEEDS} {N_BOARDS} {N_PETITIONS} {FEED_ITEMS} {BOARD_LINKS} {PACK_PAGES} v3"
    if stamp.exists() and stamp.read_text() == params:
        return layout
    for tree in (layout.base, layout.changed, layout.changed_nopdf):
        shutil.rmtree(tree, ignore_errors=True)
    say = log if callable(log) else print
    say(f"generating the site under {root} (once) ...")
    before, after = EPOCH, EPOCH + 86_400
    for i in range(N_FEEDS):
        _write(layout.base / Layout.feed(i).lstrip("/"), feed_text(i), before)
    for i in range(N_BOARDS):
        _write(layout.base / Layout.board(i).lstrip("/"), board_page(i), before)
    for i in range(N_PETITIONS):
        _write(layout.base / Layout.petitions_page(i).lstrip("/"), petitions_page(i), before)
    for tree in (layout.changed, layout.changed_nopdf):
        shutil.copytree(layout.base, tree, copy_function=os.link)
        for i in range(CHANGED_FEEDS):
            _replace(tree / Layout.feed(i).lstrip("/"), feed_text(i, NEW_FEED_ITEMS), after)
        for i in range(N_PETITIONS):
            _replace(tree / Layout.petitions_page(i).lstrip("/"), petitions_page(i, bump=1), after)
    packs = root / "packs"
    for i in range(CHANGED_BOARDS):
        pdf = packs / f"pack-{i}-{PACK_PAGES}.pdf"
        if not pdf.exists():
            say(f"  board pack {i + 1}/{CHANGED_BOARDS} ({PACK_PAGES} pages) ...")
            _write(pdf, pack_pdf(i), after)
        _replace(layout.changed / Layout.board(i).lstrip("/"), board_page(i, pack_row(i)), after)
        _write(layout.changed / Layout.pack(i).lstrip("/"), pdf.read_bytes(), after)
        _replace(layout.changed_nopdf / Layout.board(i).lstrip("/"), board_page(i, meeting_row(i)), after)
    stamp.write_text(params)
    return layout


def _replace(path: Path, text: str, mtime: int) -> None:
    path.unlink()  # break the hard link to the base tree
    _write(path, text, mtime)


if __name__ == "__main__":
    built = build(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/nhs-bench"))
    print(f"built {built.root}")
