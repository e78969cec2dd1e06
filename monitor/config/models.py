"""The configuration file's models (contract section 2). Unknown keys are errors everywhere."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.config.http import HttpSettings
from monitor.config.units import Duration, Percent
from monitor.sources import SourceConfig

CATEGORIES = ("merger", "service_change", "unconsulted", "consultation", "petition")
Category = Literal["merger", "service_change", "unconsulted", "consultation", "petition"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Defaults(Strict):
    """Defaults for every source."""

    interval: Duration = Field(default=6 * 3600.0, description="Default check interval of a source.")
    jitter: Percent = Field(default=0.1, description="Random spread added to each interval (10% = up to 10% later).")


class StatusSettings(Strict):
    """The optional status endpoint: /healthz, /metrics, /alerts.json, /alerts.atom."""

    listen: str = Field(default="127.0.0.1:8080", description="host:port of the status endpoint.")

    @field_validator("listen")
    @classmethod
    def _host_port(cls, v: str) -> str:
        host, sep, port = v.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"{v!r} is not host:port (for example 127.0.0.1:8080)")
        return v

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]") or "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class AdminSettings(Strict):
    """Who is told when a source keeps failing (and recovers) or a delivery is given up."""

    channels: list[str] = Field(description="Channels told about failing sources and given-up deliveries.")
    failure_threshold: int = Field(default=3, ge=1, description="Failed checks in a row before admins are told.")


class DeliverySettings(Strict):
    """Retries and give-up of sends."""

    retry: list[Duration] = Field(
        default_factory=lambda: [60.0, 300.0, 1800.0, 7200.0, 21600.0],
        description="Backoff between attempts of a failed send; the last value repeats.",
    )
    give_up_after: Duration = Field(default=2 * 86400.0, description="Age after which a failing send is 'failed'.")
    send_timeout: Duration = Field(default=30.0, description="Longest one send may take before it counts as failed.")


class ExtractionSettings(Strict):
    """The document extraction worker processes."""

    workers: int = Field(default=1, ge=1, le=16, description="Extraction worker processes.")
    timeout: Duration = Field(default=120.0, description="Longest one document's extraction may take.")
    memory: int = Field(default=768, ge=64, description="Memory limit of a worker, in MB.")
    max_pages: int = Field(default=2000, ge=1, description="Documents with more pages are refused.")


class ClassifierSettings(Strict):
    """Admin tuning of the built-in classifier rules."""

    extra_terms: dict[Literal["merger", "service_change", "unconsulted", "consultation"], list[str]] = Field(
        default_factory=dict, description="More cue phrases per category (case-insensitive)."
    )
    ignore_phrases: list[str] = Field(default_factory=list, description="Text that must never trigger an alert.")


class Subscription(Strict):
    """Who gets which alerts, where and when."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Unique name of the subscription.")
    channels: list[str] = Field(min_length=1, description="Channel names to deliver to.")
    categories: list[Category] = Field(default_factory=lambda: list(CATEGORIES), description="Default: all.")
    areas: list[str] = Field(default_factory=list, description="Areas to receive; default: every area.")
    keywords: list[str] = Field(default_factory=list, description="Alert only if one of these also appears.")
    delivery: str = Field(default="instant", description='"instant", "daily 08:00", "weekly mon 08:00" or a cron.')
    timezone: str = Field(default="Europe/London", description="Time zone of a digest schedule.")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as Europe/London)") from None
        return v

    @field_validator("delivery")
    @classmethod
    def _delivery(cls, v: str) -> str:
        from monitor.notify.digest import parse_delivery

        parse_delivery(v)
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


ChannelValue = Annotated[str | list[str], Field(description="An Apprise URL or a list of them.")]


class Config(Strict):
    """The whole file. ``path`` and ``secrets`` are set by the loader."""

    version: Literal[1] = Field(description="Config format version; must be 1.")
    database_url: str = Field(default="sqlite:///data/monitor.db", description="env DATABASE_URL wins.")
    http: HttpSettings = Field(default_factory=HttpSettings, description="The shared HTTP client.")
    defaults: Defaults = Field(default_factory=Defaults, description="Defaults for every source.")
    status: StatusSettings | None = Field(default=None, description="Optional status endpoint.")
    admin: AdminSettings | None = Field(default=None, description="Optional admin notices.")
    delivery: DeliverySettings = Field(default_factory=DeliverySettings, description="Retries and give-up.")
    extraction: ExtractionSettings = Field(default_factory=ExtractionSettings, description="PDF/DOCX workers.")
    channels: dict[str, ChannelValue] = Field(default_factory=dict, description="Name -> Apprise URL(s).")
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings, description="Classifier tuning.")
    subscriptions: list[Subscription] = Field(default_factory=list, description="Who gets what.")
    sources: list[SourceConfig] = Field(default_factory=list, description="What is watched.")
    catalog: list[dict[str, Any]] = Field(default_factory=list, description="Catalogue entries (expanded).")

    path: str | None = Field(default=None, exclude=True)
    secrets: frozenset[str] = Field(default=frozenset(), exclude=True)
    unsupported: list[str] = Field(default_factory=list, exclude=True)

    def channel_urls(self, name: str) -> list[str]:
        value = self.channels[name]
        return [value] if isinstance(value, str) else list(value)

    def source(self, source_id: str) -> Any:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    def interval_of(self, src: Any) -> float:
        return float(src.interval if src.interval is not None else self.defaults.interval)

    def jitter_of(self, src: Any) -> float:
        return float(src.jitter if src.jitter is not None else self.defaults.jitter)
