"""The bundled catalogue of NHS bodies: 36 ICBs and 202 trusts with their board-papers pages.

Data: ``data/icb_urls.json`` and ``data/trust_urls.json`` from the public dataset
``Davewest84/nhs-trust-icb-data`` (CC0 1.0, 2026-08 refresh; see ``data/ATTRIBUTION.md``).

- :func:`load_catalog` reads it (once) into :class:`Body` records;
- :func:`search` finds bodies by name, ODS code, ICS or region; :func:`format_table` shows them;
- :func:`expand` turns ``catalog:`` config entries (:class:`CatalogEntry`) into one
  ``board_papers`` source per body, with ``follow``/``documents`` derived from the dataset's
  notes (:mod:`monitor.catalog.layout`) and merged bodies' predecessor areas (:func:`body_areas`).
"""

from monitor.catalog.expand import SOURCE_OPTIONS, CatalogEntry, CatalogLookupError, Expansion, expand, source_for
from monitor.catalog.layout import LAYOUTS, source_settings
from monitor.catalog.load import PREDECESSOR_ICBS, build_catalog, load_catalog
from monitor.catalog.model import Body, BodyKind, body_areas, slugify
from monitor.catalog.search import format_table, search, supported_label

__all__ = [
    "LAYOUTS",
    "PREDECESSOR_ICBS",
    "SOURCE_OPTIONS",
    "Body",
    "BodyKind",
    "CatalogEntry",
    "CatalogLookupError",
    "Expansion",
    "body_areas",
    "build_catalog",
    "expand",
    "format_table",
    "load_catalog",
    "search",
    "slugify",
    "source_for",
    "source_settings",
    "supported_label",
]
