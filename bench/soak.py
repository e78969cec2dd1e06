"""Soak: the daemon (``nhs-monitor run``) on the cycle benchmark's 1,000 sources, its memory and CPU over time.

    .venv/bin/python -m bench.soak [--minutes 10] [--interval 20] [--default-gc] [--validators]

Needs the store the cycle benchmark leaves (``python -m bench.cycle --only cold --repeat 1`` makes it).
Serves the unchanged site (by default ignoring validators, so every body comes back and is hashed, the
busier steady state), makes every source due at once, runs the daemon with a short interval and tick, and
prints its resident memory (VmRSS, VmHWM) and CPU every 10 s. ``--default-gc`` runs the same daemon on
Python's default collector schedule instead of :mod:`monitor.gcpolicy`'s, for comparison. Prints; asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.cycle import Ours, prepared_site
from bench.servers import Server

DEFAULT_GC = ("import sys; from monitor.cli import entry; sys.argv = ['nhs-monitor', *sys.argv[1:]]; entry()")


def _status(pid: int) -> str:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return f"rss {fields['VmRSS'].strip():>10}  peak {fields['VmHWM'].strip():>10}  cpu {cpu:7.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default="/tmp/nhs-bench", help="the cycle benchmark's work directory")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval", type=int, default=20, help="every source's check interval, seconds")
    parser.add_argument("--validators", action="store_true", help="the server answers 304s (the quiet cycle)")
    parser.add_argument("--default-gc", action="store_true", help="Python's default collector schedule")
    args = parser.parse_args()
    root, layout = prepared_site(args.dir)
    server = Server(root / "server")
    try:
        server.serve(layout.base, validators=args.validators)
        ours = Ours(root, server.base)
        if not (ours.work / "baseline.db").exists():
            sys.exit("no baseline store: run `python -m bench.cycle --only cold --repeat 1` first")
        ours.restore("baseline")
        db = sqlite3.connect(ours.db)
        db.execute("UPDATE sources SET next_due = '2000-01-01 00:00:00'")
        db.commit()
        db.close()
        config = ours.work / "soak.yaml"
        config.write_text(ours.config.read_text().replace("  interval: 1h", f"  interval: {args.interval}s\n  jitter: 0%"))
        cmd = [sys.executable, "-c", DEFAULT_GC] if args.default_gc else [str(Path(sys.executable).parent / "nhs-monitor")]
        env = {**ours.env, "NHS_MONITOR_TICK": "1", "NHS_MONITOR_CONFIG": str(config)}
        proc = subprocess.Popen([*cmd, "--config", str(config), "--log-level", "WARNING", "run"], env=env)
        schedule = "Python's default" if args.default_gc else "monitor.gcpolicy"
        print(f"daemon pid {proc.pid}: 1,000 sources every {args.interval}s, collector schedule: {schedule}")
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < args.minutes * 60 and proc.poll() is None:
                time.sleep(10)
                print(f"{time.monotonic() - t0:6.0f}s  {_status(proc.pid)}", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            print("exit status", proc.wait(30))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
