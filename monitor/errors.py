"""Error types. Library code raises these; only ``cli.py`` chooses exit codes."""

from __future__ import annotations


class MonitorError(Exception):
    """Base class: the message is written for a campaign admin, never contains secrets."""


class ConfigError(MonitorError):
    """The configuration file is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class FetchError(MonitorError):
    """A URL could not be fetched (network, HTTP status, size cap, robots, address policy)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ParseError(MonitorError):
    """A fetched body could not be understood (broken feed, bad JSON, bad HTML)."""


class ExtractError(MonitorError):
    """A document's text could not be extracted (corrupt, encrypted, no text layer, limits)."""


class StoreError(MonitorError):
    """The store is unreachable or locked for too long."""
