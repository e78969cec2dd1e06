"""Durations (``30s``, ``15m``, ``6h``, ``1d``), sizes (``512KB``, ``50MB``) and percentages as pydantic types."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def parse_duration(value: object) -> float:
    """Seconds from ``"6h"`` and friends; a bare number is seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 15m, 6h or 1d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"{value!r} is not a duration; use a number with s, m, h or d (30s, 15m, 6h, 1d)")
    return float(m.group(1)) * _DURATION_UNITS[m.group(2)]


def parse_size(value: object) -> int:
    """Bytes from ``"50MB"``; a bare number is bytes."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 512KB or 50MB")
    if isinstance(value, int):
        return value
    m = _SIZE.match(str(value))
    if not m:
        raise ValueError(f"{value!r} is not a size; use a number with KB, MB or GB (512KB, 50MB)")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


def parse_percent(value: object) -> float:
    """A fraction from ``"10%"`` or ``0.1``."""
    if isinstance(value, bool):
        raise ValueError("expected a percentage such as 10%")
    if isinstance(value, int | float):
        frac = float(value)
    else:
        text = str(value).strip()
        try:
            frac = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage; write it like 10%") from None
    if not 0 <= frac <= 1:
        raise ValueError("a percentage must be between 0% and 100%")
    return frac


def format_duration(seconds: float) -> str:
    for unit in ("d", "h", "m"):
        n = _DURATION_UNITS[unit]
        if seconds >= n and seconds % n == 0:
            return f"{int(seconds // n)}{unit}"
    return f"{seconds:g}s"


Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]
Percent = Annotated[float, BeforeValidator(parse_percent)]
