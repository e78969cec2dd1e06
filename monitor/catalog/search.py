"""Finding bodies by what a campaigner types (``"north central"``, ``"RAL"``, ``"london mental"``)
and showing them as a table for ``nhs-monitor catalog``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from monitor.catalog.load import load_catalog
from monitor.catalog.model import Body

# Query words that say "the kind of body" and nothing about which one: dropped from queries.
_BOILERPLATE = {"ics", "integrated", "care", "system"}
_KIND_WORDS = {"icb": "icb integrated care board", "trust": "trust"}


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return re.findall(r"[a-z0-9]+", text)


def fields(body: Body) -> tuple[list[list[str]], list[list[str]]]:
    """The searchable fields of a body as word lists: (own, related).

    Own: names, ODS codes (its own and predecessors'), ICS, region, type, kind. Related: the
    other ICSs it belongs to or counts for (old ICSs of a merged ICB, the ICB an old ICS merged
    into, joint-board partners' areas) and its joint board's name.
    """
    own = [*body.aliases, body.ods, *body.predecessors, *body.predecessor_names,
           f"nhs {_KIND_WORDS[body.kind]}", body.ics or "", body.region or "", body.org_type or ""]
    related = [body.joint_board or "", *(area.replace("-", " ") for area in (*body.ics_areas, *body.extra_areas))]
    return [w for w in map(_words, own) if w], [w for w in map(_words, related) if w]


def _has(word: str, token: str) -> bool:
    return word.startswith(token)


def _phrase_in(tokens: Sequence[str], words: Sequence[str]) -> bool:
    n = len(tokens)
    return any(all(_has(words[i + k], t) for k, t in enumerate(tokens)) for i in range(len(words) - n + 1))


def _all_in(tokens: Sequence[str], words: Sequence[str]) -> bool:
    return all(any(_has(w, t) for w in words) for t in tokens)


def match_tier(tokens: Sequence[str], body: Body) -> int | None:
    """How well ``tokens`` match: 0 = as a phrase in one field, 1 = all in one field in any order,
    2 = spread over several of the body's own fields; None = no match. Related fields count only
    whole (so "north central" does not find a North West trust whose ICB is Central East)."""
    own, related = fields(body)
    if any(_phrase_in(tokens, f) for f in (*own, *related)):
        return 0
    if any(_all_in(tokens, f) for f in (*own, *related)):
        return 1
    return 2 if _all_in(tokens, [w for f in own for w in f]) else None


def _rank(body: Body, query: str, tier: int = 0) -> tuple[int, int, str, int, str, str]:
    exact = query.strip().upper()
    code = 0 if body.ods == exact else 1 if exact in body.predecessors else 2
    return (code, tier, body.region or "~", 0 if body.kind == "icb" else 1, body.ics or "~", body.name)


def search(query: str | None, bodies: Iterable[Body] | None = None) -> list[Body]:
    """Bodies matching every word of ``query`` (case-insensitive, any order, word prefixes).

    A word matches the start of a word in the body's names, ODS code, predecessors' codes,
    ICS (including the old ICS of a merged ICB, so ``"north central"`` finds West and North
    London ICB), region or type. ``None`` or an empty query returns everything (sorted the same way). Results: an
    exact ODS match first, then ICBs before trusts, by ICS and name.
    """
    pool = list(load_catalog() if bodies is None else bodies)
    tokens = [t for t in _words(query or "") if t not in _BOILERPLATE]
    if not tokens:
        return sorted(pool, key=lambda b: _rank(b, ""))
    ranked = [(_rank(b, query or "", t), b) for b in pool if (t := match_tier(tokens, b)) is not None]
    return [b for _, b in sorted(ranked, key=lambda pair: pair[0])]


def supported_label(body: Body) -> str:
    """``yes``, ``needs JS``, ``needs browser`` or ``no URL`` for the table's column."""
    if body.url is None:
        return "no URL"
    if body.needs_js:
        return "needs browser" if (body.js_reason or "").startswith("needs a browser") else "needs JS"
    return "yes"


def format_table(bodies: Sequence[Body]) -> str:
    """A plain-text table (ODS, kind, name, ICS, region, supported, URL), one body per line.

    Unsupported bodies get their reason on the following, indented line, so an admin sees at
    once why a body will not be watched.
    """
    header = ("ODS", "KIND", "NAME", "ICS", "REGION", "SUPPORTED", "URL")
    rows = [(b.ods, b.kind, b.name, b.ics or "-", b.region or "-", supported_label(b), b.url or "-") for b in bodies]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells[:-1], widths, strict=True)) + "  " + cells[-1]

    out = [line(header)]
    for body, row in zip(bodies, rows, strict=True):
        out.append(line(row))
        if body.unsupported_reason:
            out.append(f"{'':{widths[0]}}  -> {body.unsupported_reason}")
    out.append(f"{len(rows)} bodies, {sum(1 for b in bodies if b.supported)} supported")
    return "\n".join(out)
