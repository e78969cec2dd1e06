"""Plain text with its page: the unit that flows from extraction to classification."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PageText:
    """Text of one page (``page`` is 1-based for paged documents, ``None`` for non-paged text)."""

    page: int | None
    text: str


def as_pages(text: str | list[PageText] | tuple[PageText, ...]) -> list[PageText]:
    """Normalise plain text or pages to a list of pages."""
    if isinstance(text, str):
        return [PageText(None, text)]
    return list(text)
