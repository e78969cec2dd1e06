"""Reading the bundled dataset (``data/*.json``) into :class:`Body` records.

What the dataset gives and what we derive:

- An ICB's ICS is its name without " ICB" (``"West and North London ICB"`` -> ``"West and North
  London"``). A trust's ICS is its ``ics`` field; ``""``/``"-"``/null mean "none" (ambulance
  trusts, national bodies: their ``area`` is then the region's slug) and ``"A; B"`` means it
  serves two (A is its area, B an extra area).
- ICBs merged in 2026 list ``predecessor_codes``; the old ICBs are not rows of their own, so
  ``PREDECESSOR_ICBS`` names them. A merged ICB's alerts also count for its predecessors' areas,
  and trusts the dataset still files under an old ICS (``"North Central London"``) also count
  for the ICB it merged into (``west-and-north-london``).
- Joint boards: ICBs in a cluster with a ``cluster_meeting_url`` and trusts with a
  ``group_board`` (or the same papers URL) publish one pack, so each counts for its partners'
  areas too.
- Layout, link style and same-site-ness come from the notes (:mod:`monitor.catalog.layout`).
- ``needs_playwright: true`` (or, where that flag is missing, ``validation_status:
  needs_playwright``) means the site needs a real browser: listed, not watched.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import Any

from monitor.catalog.layout import classify_layout, js_reason, link_fragments, papers_on_other_hosts
from monitor.catalog.model import Body, BodyKind, slugify

#: ICBs that merged away on 1 April 2026 (ODS code -> ICS name), named by the merged ICBs'
#: ``predecessor_codes``. A dataset refresh that names a code missing here fails the tests.
PREDECESSOR_ICBS: dict[str, str] = {
    "QHG": "Bedfordshire, Luton and Milton Keynes",
    "QUE": "Cambridgeshire and Peterborough",
    "QM7": "Hertfordshire and West Essex",
    "QH8": "Mid and South Essex",
    "QJG": "Suffolk and North East Essex",
    "QMM": "Norfolk and Waveney",
    "QMJ": "North Central London",
    "QRV": "North West London",
    "QU9": "Buckinghamshire, Oxfordshire and Berkshire West",
    "QNQ": "Frimley",
    "QXU": "Surrey Heartlands",
    "QNX": "Sussex",
}

_NO_ICS = {"", "-", "none", "n/a"}


@cache
def _catalog() -> tuple[Body, ...]:
    data = files("monitor.catalog").joinpath("data")
    icbs = json.loads(data.joinpath("icb_urls.json").read_text(encoding="utf-8"))
    trusts = json.loads(data.joinpath("trust_urls.json").read_text(encoding="utf-8"))
    return build_catalog(icbs, trusts)


def load_catalog() -> list[Body]:
    """Every body in the bundled catalogue (ICBs first), read once per process."""
    return list(_catalog())


def build_catalog(icb_rows: Iterable[dict[str, Any]], trust_rows: Iterable[dict[str, Any]]) -> tuple[Body, ...]:
    """Bodies from the dataset's rows, with merged and joint bodies' extra areas filled in."""
    drafts = [_draft(row, "icb") for row in icb_rows] + [_draft(row, "trust") for row in trust_rows]
    successors: dict[str, list[str]] = defaultdict(list)  # old ICS slug -> merged ICB slugs
    for d in drafts:
        if d["kind"] == "icb":
            for old in d["old_ics"]:
                successors[old].append(d["ics_slug"])
    partners = _joint_partners(drafts)
    areas = {d["ods"]: d["ics_slug"] or (slugify(d["region"]) if d["region"] else None) for d in drafts}
    return tuple(_finish(d, successors, partners, areas) for d in drafts)


def _text(*parts: Any) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, list):
            out.extend(str(p) for p in part if p)
        elif part:
            out.append(str(part))
    return " ".join(out)


def _split_ics(row: dict[str, Any], kind: BodyKind, names: list[str]) -> list[str]:
    if kind == "icb":
        return [re.sub(r"\s+ICB$", "", names[0]).strip()]
    raw = row.get("ics") or ""
    return [part.strip() for part in raw.split(";") if part.strip().lower() not in _NO_ICS]


def _draft(row: dict[str, Any], kind: BodyKind) -> dict[str, Any]:
    """The per-row half of a Body (everything that needs no other row)."""
    names = [str(n) for n in row.get("names") or [row["ods_code"]]]
    ics_names = _split_ics(row, kind, names)
    predecessors = tuple(row.get("predecessor_codes") or ())
    access = row.get("access_notes") or ""
    notes = _text(row.get("notes"), access)
    cues = _text(notes, row.get("pack_pattern_hints"))
    url = (row.get("url") or "").strip() or None
    layout = classify_layout(access, row.get("validation_notes") or "")
    download_links, fragments = link_fragments(cues)
    if layout == "unknown":
        download_links = True  # no notes: accept handler links too and let the content type decide
    flag = row.get("needs_playwright")
    needs_js = bool(flag) if flag is not None else row.get("validation_status") == "needs_playwright"
    old_ics = [PREDECESSOR_ICBS.get(code, code) for code in predecessors] if kind == "icb" else []
    joint = (row.get("cluster_id") if row.get("cluster_meeting_url") else None) or row.get("group_board")
    return {
        "ods": str(row["ods_code"]).upper(), "kind": kind, "name": names[0], "aliases": tuple(names),
        "ics": ics_names[0] if ics_names else None, "ics_slug": slugify(ics_names[0]) if ics_names else None,
        "other_ics": [slugify(n) for n in ics_names[1:]], "old_ics": [slugify(n) for n in old_ics],
        "region": row.get("region") or None, "url": url, "layout": layout, "needs_js": needs_js,
        "notes": notes, "predecessors": predecessors, "predecessor_names": tuple(old_ics),
        "org_type": row.get("type") or ("Integrated Care Board" if kind == "icb" else None),
        "download_links": download_links, "fragments": fragments,
        "same_site": not (url and papers_on_other_hosts(url, row.get("url_root"), cues)),
        "js_reason": js_reason(_text(notes, row.get("validation_notes"))) if needs_js else None,
        "joint_key": joint, "joint_board": _joint_name(row, joint),
        "joint_url": row.get("cluster_meeting_url") or row.get("group_board_url") or None,
        "merger_date": row.get("merger_date") or None, "last_validated": row.get("last_validated") or None,
    }


def _joint_name(row: dict[str, Any], joint: str | None) -> str | None:
    if not joint:
        return None
    return str(row["group_board"]) if row.get("group_board") else f"ICB cluster {joint} (joint board)"


def _joint_partners(drafts: list[dict[str, Any]]) -> dict[str, list[str]]:
    """ODS -> the ODS codes it publishes one pack with (same joint board, or the same papers URL)."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in drafts:
        if d["joint_key"]:
            groups[("joint", d["joint_key"])].append(d["ods"])
        if d["url"]:
            groups[("url", d["url"].lower().rstrip("/"))].append(d["ods"])
    partners: dict[str, list[str]] = defaultdict(list)
    for members in groups.values():
        for ods in members:
            partners[ods].extend(m for m in members if m != ods and m not in partners[ods])
    return partners


def _unique(items: Iterable[str | None], skip: str | None) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        if item and item != skip and item not in out:
            out.append(item)
    return tuple(out)


def _finish(d: dict[str, Any], successors: dict[str, list[str]], partners: dict[str, list[str]],
            areas: dict[str, str | None]) -> Body:
    own = d["ics_slug"]
    ics_areas = [own, *d["other_ics"], *d["old_ics"]]
    for slug in [own, *d["other_ics"]]:
        ics_areas.extend(successors.get(slug or "", []))
    joint = tuple(partners.get(d["ods"], ()))
    extra = _unique([*ics_areas, *(areas[p] for p in joint)], skip=areas[d["ods"]])
    return Body(
        ods=d["ods"], kind=d["kind"], name=d["name"], ics=d["ics"], ics_slug=own, region=d["region"],
        url=d["url"], layout=d["layout"], needs_js=d["needs_js"], notes=d["notes"],
        predecessors=d["predecessors"], extra_areas=tuple(extra), aliases=d["aliases"], org_type=d["org_type"],
        download_links=d["download_links"], link_fragments=d["fragments"], same_site=d["same_site"],
        js_reason=d["js_reason"], joint_board=d["joint_board"], joint_url=d["joint_url"],
        joint_partners=joint, ics_areas=_unique(ics_areas, skip=None), merger_date=d["merger_date"],
        predecessor_names=d["predecessor_names"], last_validated=d["last_validated"],
    )
