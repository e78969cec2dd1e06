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


def classification_to_wire(result: Classification) -> dict[str, Any]:
    """Everything in ``result`` as plain JSON (an extraction worker's reply carries it to the daemon)."""
    return {
        "categories": list(result.categories),
        "findings": [[f.category, f.text, f.page, list(f.terms), list(f.organisations)] for f in result.findings],
        "organisations": list(result.organisations),
    }


def classification_from_wire(data: Any) -> Classification:
    """The inverse of :func:`classification_to_wire`, checking every field (the sender is a worker process
    that has read untrusted documents). :raises ValueError: on anything malformed."""
    if not isinstance(data, dict):
        raise ValueError("classification is not an object")
    categories = _strings(data.get("categories"))
    if any(c not in CATEGORIES for c in categories):
        raise ValueError("unknown category")
    findings = []
    for row in data.get("findings") or []:
        if not (isinstance(row, list) and len(row) == 5):
            raise ValueError("malformed finding")
        category, text, page, terms, organisations = row
        if category not in CATEGORIES or not isinstance(text, str) or not (page is None or type(page) is int):
            raise ValueError("malformed finding")
        findings.append(Finding(category, text, page, tuple(_strings(terms)), tuple(_strings(organisations))))
    return Classification(categories, findings, _strings(data.get("organisations")))


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError("expected a list of strings")
    return list(value)
