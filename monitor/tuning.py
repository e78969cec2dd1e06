"""Timing knobs read from the environment (for tests and demos): one parser for all of them."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping

log = logging.getLogger("monitor")


def env_seconds(name: str, default: float, low: float, high: float,
                environ: Mapping[str, str] | None = None) -> float:
    """Seconds from env ``name`` if set and within [low, high], else ``default`` (a bad value is logged once)."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    return _parse(name, raw, default, low, high)


@functools.cache
def _parse(name: str, raw: str, default: float, low: float, high: float) -> float:
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not low <= value <= high:
        log.warning("ignoring %s=%r (expected seconds from %g to %g); using %gs", name, raw, low, high, default)
        return default
    return value
