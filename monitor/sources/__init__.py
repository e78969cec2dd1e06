"""The registry of source kinds: one module and one small class per kind, gathered in one dict.

``SOURCE_KINDS`` maps the YAML ``kind`` to its class; ``SourceConfig`` is the pydantic
discriminated union of their config models, so the YAML key, class and module share a name.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from monitor.sources.base import Source
from monitor.sources.board_papers import BoardPapersSource
from monitor.sources.feed import FeedSource
from monitor.sources.page import PageSource
from monitor.sources.petition import PetitionSource
from monitor.sources.petitions import PetitionsSource

BUILTIN_KINDS: tuple[type[Source], ...] = (BoardPapersSource, FeedSource, PageSource, PetitionsSource, PetitionSource)


def build_registry(kinds: tuple[type[Source], ...] = BUILTIN_KINDS) -> dict[str, type[Source]]:
    """The registry: ``kind`` -> class. Tests build one with extra kinds through the same call."""
    registry: dict[str, type[Source]] = {}
    for cls in kinds:
        if cls.kind in registry:
            raise ValueError(f"source kind {cls.kind!r} registered twice")
        registry[cls.kind] = cls
    return registry


SOURCE_KINDS = build_registry()

SourceConfig = Annotated[
    Union[tuple(cls.Config for cls in SOURCE_KINDS.values())],  # noqa: UP007
    Field(discriminator="kind"),
]


def make_source(config: object, registry: dict[str, type[Source]] = SOURCE_KINDS) -> Source:
    """Instantiate the source class for a validated config."""
    kind = getattr(config, "kind")  # noqa: B009
    return registry[kind](config)  # type: ignore[arg-type]
