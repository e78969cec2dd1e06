"""The ``http:`` section: how the shared client behaves."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from monitor.config.units import Duration, Size

DEFAULT_USER_AGENT = "nhs-service-monitor/0.1 (+https://github.com/nhs-service-monitor)"


class HttpSettings(BaseModel):
    """Settings of the one shared HTTP client."""

    model_config = ConfigDict(extra="forbid")

    user_agent: str = Field(default=DEFAULT_USER_AGENT, description="User-Agent sent with every request.")
    timeout: Duration = Field(default=30.0, description="Per-request timeout (connect, read, whole response).")
    max_bytes: Size = Field(default=50_000_000, description="Largest response body accepted, after decompression.")
    concurrency: int = Field(default=16, ge=1, le=512, description="Requests in flight in the whole process.")
    per_host_concurrency: int = Field(default=2, ge=1, le=64, description="Requests in flight per host.")
    per_host_delay: Duration = Field(default=1.0, description="Pause between two requests to one host.")
    robots: bool = Field(default=True, description="Obey robots.txt.")
    max_redirects: int = Field(default=5, ge=0, le=20, description="Redirects followed per request.")
    retry_after_cap: Duration = Field(default=21600.0, description="Longest Retry-After honoured for a source.")
