"""The ``nhs-monitor`` command (and ``python -m monitor``): the collector's start-up schedule is set before
the command line module and what it imports load (see :mod:`monitor.gcpolicy`)."""

from __future__ import annotations


def main() -> None:
    from monitor import gcpolicy

    gcpolicy.start()
    from monitor.cli import entry

    entry()
