"""When the cycle collector runs in a monitor process (the daemon, ``run --once``, an extraction worker).

CPython's cycle collector starts a young-generation pass every 700 container allocations and, every
tenth of those, a pass over everything alive. A process that has just imported SQLAlchemy, pydantic,
aiohttp and the classifier holds a few hundred thousand long-lived objects, all of them cycle-free module
state, and the default schedule walks them again and again: in the benchmark's quiet cycle of 1,000
sources the collector took 0.11 s of 0.95 s, in the changed cycle 0.26 s of the main process's CPU.

The schedule here, for processes started through :func:`start` (the ``nhs-monitor`` command and the
extraction workers; a library user or a test that imports :mod:`monitor` keeps its own):

* :func:`start`, before the imports: collections wait (high thresholds, not switched off, so a command
  that never reaches :func:`settle` still collects).
* :func:`settle`, once the process has what it needs and is about to work: ``gc.freeze()`` moves every
  object alive into the permanent generation, which later passes never walk (the start-up state lives as
  long as the process), and a young pass runs every 10,000 allocations rather than 700. Garbage in cycles
  is still found, a little later: a daemon checking the benchmark's 1,000 sources every 20 s for 10
  minutes levelled off at ~89.5 MB resident, against ~85.5 MB on Python's default schedule.

``docs/performance.md`` has the figures before and after.
"""

from __future__ import annotations

import gc

STARTUP_THRESHOLDS = (200_000, 100, 100)
WORKING_THRESHOLDS = (10_000, 10, 10)

_started = False
_settled = False


def start() -> None:
    """Before a process's imports: defer collections until :func:`settle`."""
    global _started
    _started = True
    gc.set_threshold(*STARTUP_THRESHOLDS)


def settle() -> None:
    """Once start-up is over: freeze what is alive and collect on the working schedule.

    Does nothing in a process that did not call :func:`start` (tests, library use), and nothing the
    second time."""
    global _settled
    if not _started or _settled:
        return
    _settled = True
    gc.freeze()
    gc.set_threshold(*WORKING_THRESHOLDS)
