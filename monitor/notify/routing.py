"""Which subscriptions and channels an alert goes to (categories, areas, keywords, delivery mode)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from monitor.config.models import Subscription


def contains_any(text: str, words: Sequence[str]) -> bool:
    """Case-insensitive: does ``text`` contain one of ``words``? (True when there are none.)"""
    if not words:
        return True
    low = text.lower()
    return any(w.lower() in low for w in words)


def subscription_matches(sub: Subscription, categories: Sequence[str], areas: Iterable[str | None], text: str) -> bool:
    """A subscription wants an alert when a category, an area and (if set) a keyword match."""
    if categories and not set(categories) & set(sub.categories):
        return False
    if sub.areas and not set(sub.areas) & {a for a in areas if a}:
        return False
    return contains_any(text, sub.keywords)


def targets(subscriptions: Sequence[Subscription], categories: Sequence[str], areas: Iterable[str | None],
            text: str) -> list[tuple[str, str, str]]:
    """(subscription, channel, mode) for every delivery an alert needs."""
    area_list = list(areas)
    out = []
    for sub in subscriptions:
        if subscription_matches(sub, categories, area_list, text):
            mode = "instant" if sub.delivery.strip().lower() == "instant" else "digest"
            out.extend((sub.name, ch, mode) for ch in sub.channels)
    return out
