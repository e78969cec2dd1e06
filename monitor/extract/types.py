"""Plain text with its page: the unit that flows from extraction to classification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


class ClassifiedPages(list[PageText]):
    """A document's pages as extracted, with the classification the extraction worker made of them.

    ``settings`` are the classifier settings it was made with (see ``ExtractionPool(classify=...)``): a
    classification is only used by a pipeline whose classifier has the same settings. Any other list of
    pages (a revision's added text, pages extracted in-process) is classified by the pipeline itself.
    """

    def __init__(self, pages: list[PageText], classification: Any, settings: dict[str, Any]) -> None:
        super().__init__(pages)
        self.classification = classification
        self.settings = settings
