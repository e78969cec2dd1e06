"""``catalog:`` config entries -> one ``board_papers`` source per body.

Each entry picks bodies by exactly one of ``ics``, ``region`` or ``ods`` (then ``kinds``), and
every source option it carries (``interval``, ``keywords``, ...) applies to every source it
expands into. Entries are expanded in order; when two entries expand to the same id there is
one source, and the later entry's options are laid over the earlier's (so a broad ``region:``
entry can be followed by an ``ods:`` entry that tunes a few bodies). An explicit ``sources:``
entry with the same id wins over both (the config loader does that merge). Bodies whose site
needs a browser, or that have no URL, come back in ``Expansion.unsupported`` with the reason,
never silently dropped.

Selection rules:

- ``ics``: compared by slug with every ICS a body belongs to (:attr:`Body.ics_areas`), so
  ``ics: North Central London`` gives the NCL trusts *and* West and North London ICB (its
  merged successor), and ``ics: West and North London`` gives that ICB and the trusts of both
  old ICSs.
- ``region``: compared by slug with the body's NHS England region.
- ``ods``: a body's own code, or a predecessor's code (``QMJ`` gives West and North London ICB).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.catalog.layout import source_settings
from monitor.catalog.load import load_catalog
from monitor.catalog.model import Body, BodyKind, body_areas, slugify
from monitor.config.units import Duration, Percent

#: Source options an entry may carry; each applies to every expanded source.
SOURCE_OPTIONS = ("interval", "jitter", "enabled", "alert_on", "keywords", "baseline", "robots",
                  "max_pages_per_check")


def _both_kinds() -> list[BodyKind]:
    return ["icb", "trust"]


class CatalogEntry(BaseModel):
    """One ``catalog:`` entry: which bodies to watch, and options for all of their sources."""

    model_config = ConfigDict(extra="forbid")

    ics: str | None = Field(default=None, description="An ICS by name (\"North Central London\").")
    region: str | None = Field(default=None, description="An NHS England region (\"London\").")
    ods: list[str] | None = Field(default=None, description="ODS codes of bodies ([QMJ, RAL]).")
    kinds: list[BodyKind] = Field(
        default_factory=_both_kinds, min_length=1, description="Which kinds of body to include."
    )
    interval: Duration | None = Field(default=None, description="How often to check each source.")
    jitter: Percent | None = Field(default=None, description="Random spread of the interval.")
    enabled: bool | None = Field(default=None, description="false keeps the sources but never checks them.")
    alert_on: Literal["classified", "any"] | None = Field(default=None, description="classified or any.")
    keywords: list[str] | None = Field(default=None, description="Alert only if one of these also appears.")
    baseline: Literal["silent", "alert"] | None = Field(default=None, description="First check: record or alert.")
    robots: bool | None = Field(default=None, description="Obey robots.txt.")
    max_pages_per_check: int | None = Field(
        default=None, ge=1, description="Pages each source may walk per check (overrides the catalogue's)."
    )

    @field_validator("ods", mode="before")
    @classmethod
    def _one_code_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("ods")
    @classmethod
    def _upper(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("give at least one ODS code, e.g. ods: [QMJ, RAL]")
        return [code.strip().upper() for code in value] if value is not None else None

    @model_validator(mode="after")
    def _exactly_one_selector(self) -> CatalogEntry:
        given = [name for name in ("ics", "region", "ods") if getattr(self, name) is not None]
        if len(given) != 1:
            found = f"got {' and '.join(given)}" if given else "got none"
            raise ValueError(
                f"a catalog entry needs exactly one of ics, region or ods ({found}); "
                "e.g. ics: \"North Central London\", region: London, or ods: [QMJ, RAL]"
            )
        return self

    def options(self) -> dict[str, Any]:
        """The source options this entry sets, to copy onto every source it expands into."""
        return {k: getattr(self, k) for k in SOURCE_OPTIONS if getattr(self, k) is not None}


class CatalogLookupError(ValueError):
    """Catalog entries that match no body. ``problems``: (entry index, message) per bad entry;
    ``str()`` joins the messages with ``"; "``."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


@dataclass
class Expansion:
    """What ``catalog:`` entries expand to.

    :param sources: plain dicts ready for the ``board_papers`` config model, in entry order.
    :param unsupported: bodies that matched but cannot be watched, with the reason.
    """

    sources: list[dict[str, Any]] = field(default_factory=list)
    unsupported: list[tuple[Body, str]] = field(default_factory=list)


def source_for(body: Body, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``board_papers`` source dict for one supported body (``options`` win over defaults)."""
    source: dict[str, Any] = {
        "id": body.source_id,
        "kind": "board_papers",
        "name": body.name,
        "url": body.url,
        "area": body.area,
        "extra_areas": body_areas(body)[1:],
    }
    source.update(source_settings(body.layout, body.download_links, body.link_fragments, body.same_site))
    source.update(options or {})
    return source


def expand(entries: Sequence[CatalogEntry], bodies: Sequence[Body] | None = None) -> Expansion:
    """Expand ``entries`` against the catalogue (or ``bodies``, for tests).

    :raises CatalogLookupError: (a ValueError) when an entry's ``ics``, ``region`` or an ``ods``
        code matches nothing, or its ``kinds`` filter leaves nothing; every such entry is
        reported, each message naming close matches.
    """
    pool = list(load_catalog() if bodies is None else bodies)
    chosen: dict[str, dict[str, Any]] = {}
    unsupported: dict[str, tuple[Body, str]] = {}
    problems: list[tuple[int, str]] = []
    for index, entry in enumerate(entries):
        options = entry.options()
        try:
            selected = _select(entry, pool, index)
        except ValueError as e:
            problems.append((index, str(e)))
            continue
        for body in selected:
            reason = body.unsupported_reason
            if reason:
                unsupported[body.ods] = (body, reason)
            elif body.source_id in chosen:
                chosen[body.source_id].update(options)
            else:
                chosen[body.source_id] = source_for(body, options)
    if problems:
        raise CatalogLookupError(problems)
    watched = {_page(s["url"]): s["id"] for s in chosen.values()}
    notes = [(b, _with_twin(reason, watched.get(_page(b.url)))) for b, reason in unsupported.values()]
    return Expansion(sources=list(chosen.values()), unsupported=notes)


def _page(url: str | None) -> str:
    return (url or "").lower().rstrip("/")


def _with_twin(reason: str, twin: str | None) -> str:
    return f"{reason} (the same papers page is watched as source {twin})" if twin else reason


def _select(entry: CatalogEntry, pool: list[Body], index: int) -> list[Body]:
    where = f"catalog entry {index + 1}"
    if entry.ics is not None:
        found = _by_slug(entry.ics, pool, _ics_slugs, "ICS", where,
                         other=(_region_slugs, f"{entry.ics!r} is a region, not an ICS: write region: {entry.ics}"))
    elif entry.region is not None:
        found = _by_slug(entry.region, pool, _region_slugs, "region", where,
                         other=(_ics_slugs, f"{entry.region!r} is an ICS, not a region: write ics: {entry.region}"))
    else:
        found = _by_ods(entry.ods or [], pool, where)
    kept = [b for b in found if b.kind in entry.kinds]
    if not kept:
        kinds = " and ".join(sorted({b.kind + "s" for b in found}))
        raise ValueError(f"{where}: it matches only {kinds}, but kinds is {list(entry.kinds)}")
    return sorted(kept, key=lambda b: (b.kind != "icb", b.ics or "~", b.name))


def _ics_slugs(body: Body) -> tuple[str, ...]:
    return body.ics_areas


def _region_slugs(body: Body) -> tuple[str, ...]:
    return (slugify(body.region),) if body.region else ()


def _by_slug(name: str, pool: list[Body], slugs_of: Callable[[Body], tuple[str, ...]], what: str, where: str,
             other: tuple[Callable[[Body], tuple[str, ...]], str]) -> list[Body]:
    """Bodies whose ``slugs_of`` include ``slugify(name)``; else a ValueError naming close matches
    (or ``other``'s hint when the name is of the other kind, e.g. a region given as ``ics:``)."""
    wanted = slugify(name)
    found = [b for b in pool if wanted in slugs_of(b)]
    if found:
        return found
    other_slugs, other_hint = other
    if any(wanted in other_slugs(b) for b in pool):
        raise ValueError(f"{where}: {other_hint}")
    known = sorted({slug for b in pool for slug in slugs_of(b)})
    close = difflib.get_close_matches(wanted, known, n=5, cutoff=0.6)
    close += [s for s in known if wanted and (wanted in s or s in wanted) and s not in close]
    hint = f"; did you mean: {', '.join(_title(s, pool) for s in close[:5])}?" if close else ""
    raise ValueError(
        f"{where}: no {what} in the catalogue is called {name!r}{hint} "
        f"(`nhs-monitor catalog` lists every body with its ICS and region)"
    )


def _title(slug: str, pool: list[Body]) -> str:
    """The human name behind an area slug (``north-central-london`` -> ``North Central London``)."""
    for b in pool:
        for name in (b.ics, b.region, *b.predecessor_names):
            if name and slugify(name) == slug:
                return name
    return slug


def _by_ods(codes: list[str], pool: list[Body], where: str) -> list[Body]:
    found: list[Body] = []
    missing: list[str] = []
    for code in codes:
        hits = [b for b in pool if b.ods == code or code in b.predecessors]
        if not hits:
            missing.append(code)
        found.extend(b for b in hits if b not in found)
    if missing:
        every = [b.ods for b in pool] + [p for b in pool for p in b.predecessors]
        parts = []
        for code in missing:
            close = difflib.get_close_matches(code, every, n=4, cutoff=0.6)
            parts.append(f"{code!r}" + (f" (close: {', '.join(close)})" if close else ""))
        raise ValueError(
            f"{where}: no body in the catalogue has ODS code {', '.join(parts)}; "
            "`nhs-monitor catalog NAME` shows a body's code"
        )
    return found
