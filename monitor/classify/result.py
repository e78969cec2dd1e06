"""What the classifier returns: categories, and the sentences that are their evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CATEGORIES: tuple[str, ...] = ("merger", "service_change", "unconsulted", "consultation")


@dataclass(frozen=True)
class Finding:
    """One piece of evidence: a single sentence, its page, the cue terms and the bodies and places it names."""

    category: str
    text: str
    page: int | None
    terms: tuple[str, ...]
    organisations: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The contract's evidence object (``organisations`` travel on the classification)."""
        return {"category": self.category, "text": self.text, "page": self.page, "terms": list(self.terms)}


@dataclass(frozen=True)
class Classification:
    """The categories found in a text (in :data:`CATEGORIES` order) with their evidence, best first."""

    categories: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``{"categories": [...], "evidence": [{"category", "text", "page", "terms"}], "organisations": [...]}``."""
        return {
            "categories": list(self.categories),
            "evidence": [f.to_json() for f in self.findings],
            "organisations": list(self.organisations),
        }
