"""What every source kind shares: its config model, the check context and the check's result.

A source kind is a small class with a ``kind`` name, a pydantic ``Config`` model (whose
``kind`` literal is the discriminator of the YAML) and an ``async check(ctx)`` that fetches,
extracts and diffs against what the store already knows, returning an :class:`Observation`.
Classification, alerting and storing are the pipeline's job (``monitor/pipeline.py``).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from monitor.config.units import Duration, Percent
from monitor.extract.types import PageText


class CheckOutcome(StrEnum):
    """The closed vocabulary of what one check found."""

    BASELINE = "baseline"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not_modified"
    CHANGED = "changed"
    ERROR = "error"


class SourceConfigBase(BaseModel):
    """Options every source takes (contract section 2)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]+$", description="Unique, stable id: history is keyed on it.")
    kind: str
    area: str | None = Field(default=None, description="Area slug used by subscriptions.")
    interval: Duration | None = Field(default=None, description="How often to check; default: defaults.interval.")
    jitter: Percent | None = Field(default=None, description="Random spread of the interval; default: defaults.jitter.")
    enabled: bool = Field(default=True, description="A disabled source is kept but never checked.")
    alert_on: Literal["classified", "any"] = Field(
        default="classified", description="classified: alert only when a category is found; any: every new item."
    )
    keywords: list[str] = Field(default_factory=list, description="Alert only if one of these also appears.")
    baseline: Literal["silent", "alert"] = Field(default="silent", description="First check: record only, or alert.")
    robots: bool | None = Field(default=None, description="Obey robots.txt; default: http.robots.")
    name: str | None = Field(default=None, description="Human name (set by catalogue expansion).")


@dataclass(slots=True)
class ItemRecord:
    """What the store knows about one item of a source (an entry, a document, a petition, a page)."""

    key: str
    content_hash: str | None
    data: dict[str, Any]
    url: str | None = None
    title: str | None = None


@dataclass(slots=True)
class ItemUpdate:
    """An item to insert or update; ``text`` (when given) is kept compressed as a revision."""

    key: str
    kind: str
    url: str | None = None
    title: str | None = None
    content_hash: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    text: list[PageText] | None = None
    error: str | None = None


@dataclass(slots=True)
class EventDraft:
    """A candidate alert. The pipeline classifies ``text`` and decides whether it becomes one.

    ``dedupe_key`` names the real-world event: two sources that see the same event produce
    the same key and the store keeps one alert.
    """

    event: str
    title: str
    url: str | None
    text: list[PageText]
    dedupe_key: str
    fixed_categories: tuple[str, ...] = ()
    always_alert: bool = False
    petition: dict[str, Any] | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Observation:
    """The result of one successful check, before classification."""

    outcome: CheckOutcome
    http_status: int | None = None
    items: list[ItemUpdate] = field(default_factory=list)
    events: list[EventDraft] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    walked: list[str] = field(default_factory=list)


Extractor = Callable[[bytes, str], Awaitable[list[PageText]]]


@dataclass(slots=True)
class CheckContext:
    """Everything a source's check may use. Sources never touch the store directly.

    :param fetcher: the shared :class:`monitor.fetch.client.Fetcher`.
    :param state: the source's persisted state from its last successful check (validators...).
    :param items: what the store knows of this source's items, by key.
    :param baseline: True on the first successful check (record, do not alert).
    :param load_text: returns the stored text of an item's latest revision (for diffs).
    :param extract: runs document extraction (``bytes, doc_type -> pages``) in the worker pool.
    :param known_elsewhere: True if another source already has an item for this URL (documents
        linked from two listing pages are downloaded once).
    """

    fetcher: Any
    state: dict[str, Any]
    items: Mapping[str, ItemRecord]
    baseline: bool
    now: datetime
    load_text: Callable[[str], list[PageText] | None]
    extract: Extractor
    known_elsewhere: Callable[[str], ItemRecord | None] = lambda url: None
    dry_run: bool = False
    robots: bool = True


class Source(ABC):
    """One configured source of a given kind."""

    kind: ClassVar[str]
    Config: ClassVar[type[SourceConfigBase]]

    def __init__(self, config: SourceConfigBase) -> None:
        self.config = config

    @property
    def id(self) -> str:
        return self.config.id

    @abstractmethod
    async def check(self, ctx: CheckContext) -> Observation:
        """Fetch, extract and diff against ``ctx``; raise MonitorError subclasses on failure."""


def content_hash(data: bytes | str) -> str:
    """A stable hash for change detection."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()
