"""The catalogue's vocabulary: one NHS body (:class:`Body`) and the slug of a name (:func:`slugify`)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any, Literal

from monitor.catalog.layout import LAYOUTS, source_settings

BodyKind = Literal["icb", "trust"]

# Boilerplate that names the *kind* of body rather than the place. Stripped from the ends of a
# name so that "NHS North Central London ICB", "North Central London Integrated Care System" and
# "North Central London ICS" all give "north-central-london". Only whole words at the very start
# ("NHS") or the very end (the rest) go: "Tameside and Glossop Integrated Care NHS Foundation
# Trust" keeps "integrated-care", because there it is part of the trust's name.
_LEADING = re.compile(r"^(?:nhs)\s+")
_TRAILING = re.compile(r"\s+(?:integrated care (?:system|board|partnership)|ics|icb|ics board)$")


def slugify(name: str) -> str:
    """The area slug of a name: ``"North Central London"`` -> ``"north-central-london"``.

    Lower case ASCII words joined by hyphens; ``&`` becomes ``and``; apostrophes vanish
    (``Guy's`` -> ``guys``); a leading ``NHS`` and a trailing ``ICB`` / ``ICS`` /
    ``Integrated Care System`` / ``Integrated Care Board`` are dropped (repeatedly, so
    ``"NHS Devon ICB"`` -> ``"devon"``). A name that is nothing but boilerplate keeps it.
    """
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    while True:
        stripped = _TRAILING.sub("", _LEADING.sub("", text)).strip()
        if stripped == text or not stripped:
            break
        text = stripped
    return "-".join(text.split())


@dataclass(frozen=True)
class Body:
    """One NHS body in the bundled catalogue (an ICB or a trust).

    :param ods: ODS code, upper case as published (``QMJ``, ``RAL``, ``Z9B2Z``).
    :param kind: ``icb`` or ``trust``.
    :param name: the body's current name (first of ``aliases``).
    :param ics: the Integrated Care System it belongs to, as the dataset names it. For an ICB,
        its own footprint (``"West and North London"``); for a trust, the ICS the dataset lists,
        which for trusts in a merged ICS is the *old* ICS (``"North Central London"``). None for
        bodies outside any one ICS (ambulance trusts, national bodies).
    :param ics_slug: ``slugify(ics)``: the body's ``area``.
    :param region: NHS England region (``"London"``).
    :param url: its board-papers page, or None when the dataset has none.
    :param layout: how the papers sit below ``url`` (see :mod:`monitor.catalog.layout`).
    :param needs_js: the site needs a real browser (script-built links or a bot wall).
    :param notes: the dataset's notes on the site, joined.
    :param predecessors: ODS codes of bodies merged into this one.
    :param extra_areas: areas an alert from this body ALSO counts as (predecessor ICSs, the
        ICB an old ICS merged into, a second ICS, joint-board partners).
    :param aliases: every name the dataset gives (current, short, former).
    :param org_type: the dataset's type (``"Ambulance Trusts"``; ``"Integrated Care Board"``).
    :param download_links: papers are linked through download handlers without a ``.pdf``
        ending (``/download_file/view/4017/475``, ``/download/<slug>/``) that redirect to the file.
    :param same_site: the papers are served from the landing page's own host.
    :param js_reason: why the site is unsupported when ``needs_js`` (for humans).
    :param joint_board: the joint / group board or ICB cluster it publishes with, if any.
    :param joint_url: that board's papers page, if the dataset gives one.
    :param joint_partners: ODS codes of the bodies it publishes one pack with.
    :param ics_areas: the ICS slugs it belongs to, for selection by ``ics:``: its own, a second
        ICS, its predecessors' (a merged ICB) and the ICB its old ICS merged into (a trust).
    :param link_fragments: extra URL fragments of its download links (``/documents/<id>/file``).
    :param merger_date: when the predecessors merged into it (ISO date), if they did.
    :param predecessor_names: names of predecessors the catalogue knows (ICBs), else codes.
    :param last_validated: when the dataset last checked the URL (ISO date).
    """

    ods: str
    kind: BodyKind
    name: str
    ics: str | None
    ics_slug: str | None
    region: str | None
    url: str | None
    layout: str
    needs_js: bool
    notes: str
    predecessors: tuple[str, ...] = ()
    extra_areas: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    org_type: str | None = None
    download_links: bool = False
    same_site: bool = True
    js_reason: str | None = None
    joint_board: str | None = None
    joint_url: str | None = None
    joint_partners: tuple[str, ...] = ()
    ics_areas: tuple[str, ...] = ()
    link_fragments: tuple[str, ...] = ()
    merger_date: str | None = None
    predecessor_names: tuple[str, ...] = ()
    last_validated: str | None = None

    @property
    def source_id(self) -> str:
        """The id of its expanded source: ``icb-<ods>`` / ``trust-<ods>``, lower case."""
        return f"{self.kind}-{self.ods.lower()}"

    @property
    def area(self) -> str | None:
        """Its ``area``: the ICS slug, else (bodies outside one ICS) the region's slug."""
        if self.ics_slug:
            return self.ics_slug
        return slugify(self.region) if self.region else None

    @property
    def supported(self) -> bool:
        """True when the monitor can watch it: a URL, and plain HTML is enough."""
        return self.url is not None and not self.needs_js

    @property
    def unsupported_reason(self) -> str | None:
        """Why it cannot be watched, in words a campaign admin can act on; None if it can."""
        if self.url is None:
            return "no board-papers URL in the catalogue; add it as an explicit board_papers source if you know one"
        if self.needs_js:
            return self.js_reason or "needs JavaScript: its papers page builds links with script; not supported yet"
        return None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field, plus ``source_id``, ``area``, ``areas``, ``supported``,
        ``unsupported_reason`` and ``watch`` (the board_papers settings it expands to, or None)."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        data["source_id"] = self.source_id
        data["area"] = self.area
        data["areas"] = body_areas(self)
        data["supported"] = self.supported
        data["unsupported_reason"] = self.unsupported_reason
        data["layout_description"] = LAYOUTS[self.layout].description
        data["watch"] = (source_settings(self.layout, self.download_links, self.link_fragments, self.same_site)
                         if self.supported else None)
        return data


def body_areas(body: Body) -> list[str]:
    """Every area an alert from ``body`` counts as: its own first, then ``extra_areas``.

    For a merged ICB that includes its predecessors' ICS slugs, so papers of West and North
    London ICB still reach a subscription to ``north-central-london``.
    """
    areas: list[str] = []
    for area in (body.area, *body.extra_areas):
        if area and area not in areas:
            areas.append(area)
    return areas
