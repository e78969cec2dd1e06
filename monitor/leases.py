"""Keeping the leases of checks that are still running.

A worker leases each source it checks (``Repo.claim_due``) for ``lease_seconds()`` (15 min), so that
other workers on the same store leave it alone and a dead worker's sources are taken over when its
leases run out. A check can outlast its lease (a board page with many new papers, a slow site), and
then another worker, or this daemon's own next tick, would start a second check of the same source.
:class:`LeaseKeeper` knows which sources this worker is checking and extends their leases while the
checks run: each lease is renewed once a third of it has passed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from monitor.store.repo import Repo, now_utc

log = logging.getLogger("monitor")

_MAX_SLEEP = 60.0


class LeaseKeeper:
    """The sources this worker is checking, and the renewal of their leases (:meth:`run` in a task)."""

    def __init__(self, repo: Repo, owner: str, lease: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.repo = repo
        self.owner = owner
        self.lease = lease
        self.every = lease / 3
        self._clock = clock
        self._held: dict[str, float] = {}  # source id -> when its lease was taken or last renewed (clock)

    def __contains__(self, source_id: object) -> bool:
        return source_id in self._held

    def __len__(self) -> int:
        return len(self._held)

    @contextmanager
    def holding(self, source_id: str) -> Iterator[None]:
        """While the check of ``source_id`` runs (its lease was just taken)."""
        self._held[source_id] = self._clock()
        try:
            yield
        finally:
            self._held.pop(source_id, None)

    def renew_due(self) -> int:
        """Renew the leases taken or renewed at least a third of a lease ago; how many the store renewed."""
        now = self._clock()
        due = [sid for sid, at in self._held.items() if now - at >= self.every]
        if not due:
            return 0
        try:
            renewed = self.repo.renew_leases(due, self.owner, now_utc(), self.lease)
        except Exception as e:
            log.warning("could not renew the leases of %d running checks (each runs out %.0fs after it was "
                        "taken or last renewed; another worker may then check the same source): %s",
                        len(due), self.lease, e)
            return 0
        for sid in due:
            if sid in self._held:
                self._held[sid] = now
        if renewed < len(due):
            log.warning("%d of %d running checks had lost their source's lease to another worker (a check "
                        "longer than the lease, %.0fs, or a clock jump)", len(due) - renewed, len(due), self.lease)
        return renewed

    async def run(self) -> None:
        """Renew due leases until cancelled, waking often enough to renew each before half of it has passed."""
        while True:
            await asyncio.sleep(min(self.every / 2, _MAX_SLEEP))
            self.renew_due()
