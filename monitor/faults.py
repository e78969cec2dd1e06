"""Fault injection for crash tests: ``point(name)`` SIGKILLs this process the Nth time ``name`` is reached.

The crash tests prove that a ``kill -9`` at any moment loses no alert and repeats at most the message
in flight (contract section 5). Random kill timings rarely land inside a short store transaction, so
the code marks the moments that matter with ``faults.point("…")`` and a test arms one of them::

    NHS_MONITOR_CRASH_AT=outbox.sent:2 nhs-monitor run --once    # dies after its second send, before marking it

The variable holds ``name:N`` (N defaults to 1), or several of them separated by commas: the first one
reached kills the process. It is read once, when this module is imported; when it is unset,
``point`` is one falsy test and a return. Unknown names are logged and ignored.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Mapping
from typing import Final

__all__ = ["CRASH_ENV", "POINTS", "armed", "point"]

log = logging.getLogger("monitor.faults")
CRASH_ENV: Final = "NHS_MONITOR_CRASH_AT"

POINTS: Final[Mapping[str, str]] = {
    "pipeline.checked": "a source was fetched, extracted, diffed and classified; nothing of it is stored yet",
    "repo.commit": "inside the check's store transaction (items, alerts, deliveries), before the commit",
    "repo.committed": "the check's transaction is committed; nothing of it has been sent",
    "extract.request": "a document was handed to an extraction worker, whose reply is awaited",
    "outbox.send": "a delivery is claimed and about to be sent",
    "outbox.sent": "a delivery was sent and is not yet marked sent (the message in flight)",
}


def parse(raw: str) -> dict[str, int]:
    """``"a:2,b"`` -> ``{"a": 2, "b": 1}``; malformed or unknown parts are logged and left out."""
    plan: dict[str, int] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        name, _, count = part.partition(":")
        n = int(count) if count.strip().isdigit() else (1 if not count.strip() else 0)
        if name not in POINTS or n < 1:
            log.warning("ignoring %s part %r (expected NAME[:N] with N >= 1, NAME one of: %s)", CRASH_ENV, part,
                        ", ".join(POINTS))
            continue
        plan[name] = n
    return plan


_PLAN: Final[dict[str, int]] = parse(os.environ.get(CRASH_ENV, ""))
_seen: dict[str, int] = {}


def armed() -> dict[str, int]:
    """The points this process will die at (name -> the visit that kills), from ``NHS_MONITOR_CRASH_AT``."""
    return dict(_PLAN)


def point(name: str) -> None:
    """Mark a moment a crash test may kill this process at; free unless ``NHS_MONITOR_CRASH_AT`` names it."""
    if not _PLAN or name not in _PLAN:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == _PLAN[name]:
        log.critical("fault injection: SIGKILL at %s #%d (%s)", name, _seen[name], POINTS[name])
        os.kill(os.getpid(), signal.SIGKILL)
