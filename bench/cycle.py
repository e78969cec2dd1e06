"""Whole-cycle benchmark: 1,000 sources on a loopback site, timed as ``nhs-monitor run --once`` processes.

    .venv/bin/python -m bench.cycle [--repeat 5] [--dir /tmp/nhs-bench] [--only quiet,changed] [--no-urlwatch]

Generates (once) the site of ``bench/sitegen.py``: 600 feeds, 300 board listing pages (~200 KB, ~600 PDF
links each) and 100 petitions search pages, serves it with nginx on 127.0.0.1 (``apt-get install -y
nginx``; without it a Python server stands in, with a warning), writes a config for the 1,000 sources
and times whole processes (median of ``--repeat``: wall, CPU of the process and its extraction
workers, peak RSS of the main process and of each worker) in these scenarios:

1. ``cold``: empty (migrated) store: every page fetched, parsed and baselined;
2. ``quiet``: nothing changed, the server honours validators: every request answers 304;
3. ``novalid``: nothing changed, the server ignores validators: every body comes back, none is re-parsed;
4. ``changed``: 15 listing pages gain a new ~300-page PDF, 60 feeds gain 2 items, every petitions page
   changes its counts; ``nopdf`` is the same change with a meeting-page link instead of the PDF (the
   cycle's non-PDF part).

With urlwatch installed (the ``bench`` extra) it runs urlwatch on the same 1,000 URLs in turn with ours
(A B A B) and prints the ratios. Then unit figures, measured in this process. Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import sitegen
from bench.servers import INSTALL_HINT, Server
from bench.sitegen import Layout

VENV_BIN = Path(sys.executable).parent
SCENARIOS = ("cold", "quiet", "novalid", "changed", "nopdf")
URLWATCH_SCENARIOS = ("cold", "quiet", "novalid", "changed")
HTTP_NOTE = ("bench config: http.per_host_delay 0s, per_host_concurrency 16, concurrency 16, robots on "
             "(all 1,000 sources share one loopback host; the defaults 1s / 2 are for real sites)")


@dataclass(slots=True)
class Run:
    wall: float
    cpu: float
    main_cpu: float
    main_rss_mb: float
    worker_rss_mb: float
    ok: bool
    note: str = ""


@dataclass(slots=True)
class Figures:
    runs: list[Run] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs) if self.runs else float("nan")

    def peak(self, attr: str) -> float:
        return max((getattr(r, attr) for r in self.runs), default=float("nan"))


# ---------------------------------------------------------------- measuring one process

class Watch(threading.Thread):
    """Polls /proc for the peak RSS (VmHWM) of a process and of its children, and the process's own CPU.

    A child is counted once it has exec'd: between fork and exec its VmHWM is the parent's (as is the
    ``ru_maxrss`` a reaped child reports, which keeps that pre-exec peak)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.main_kb = 0
        self.child_kb = 0
        self.main_cpu = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self.done.is_set():
            self.main_kb = max(self.main_kb, _hwm(self.pid))
            try:
                fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
                self.main_cpu = (int(fields[11]) + int(fields[12])) / tick
            except (OSError, IndexError):
                pass
            for child in _children(self.pid):
                if _cmdline(child) != _cmdline(self.pid):  # not a fork that has yet to exec (its VmHWM is ours)
                    self.child_kb = max(self.child_kb, _hwm(child))
            self.done.wait(0.01)


def _hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def timed(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run ``cmd``; wall time, CPU (with waited-for children), peak RSS of it and of its children."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, cwd=cwd)
    watch = Watch(proc.pid)
    watch.start()
    err_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read() if proc.stderr else b""))
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    watch.done.set()
    watch.join()
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = b"".join(err_chunks).decode("utf-8", "replace")
    failed = [line for line in err.splitlines() if " failed: " in line or "Traceback" in line]
    note = f"exit {proc.returncode}" if proc.returncode else ""
    if failed:
        note += f" {len(failed)} failures, e.g. {failed[0][:160]}"
    return Run(wall, usage.ru_utime + usage.ru_stime, watch.main_cpu, max(watch.main_kb, 0) / 1024,
               watch.child_kb / 1024, proc.returncode == 0 and not failed, note.strip())


# ---------------------------------------------------------------- our side

class Ours:
    """Config, store snapshots and runs of ``nhs-monitor run --once``."""

    def __init__(self, work: Path, base_url: str) -> None:
        self.work = work / "ours"
        self.work.mkdir(parents=True, exist_ok=True)
        self.db = self.work / "monitor.db"
        self.config = self.work / "monitor.yaml"
        text = config_yaml(base_url, self.db)
        self.port_changed = not self.config.exists() or self.config.read_text() != text  # snapshots are stale
        self.config.write_text(text)
        self.env = {**os.environ, "NHS_MONITOR_CONFIG": str(self.config)}
        self.env.pop("DATABASE_URL", None)

    def cmd(self, *args: str) -> list[str]:
        return [str(VENV_BIN / "nhs-monitor"), "--config", str(self.config), "--log-level", "WARNING", *args]

    def migrate_template(self) -> None:
        self.clear()
        subprocess.run(self.cmd("db", "upgrade"), check=True, env=self.env, stdout=subprocess.DEVNULL)
        self.save("empty")

    def run(self) -> Run:
        return timed(self.cmd("run", "--once"), env=self.env)

    def clear(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)

    def save(self, name: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{self.db}{suffix}")
            dst = self.work / f"{name}.db{suffix}"
            dst.unlink(missing_ok=True)
            if src.exists():
                shutil.copy2(src, dst)

    def restore(self, name: str) -> None:
        self.clear()
        for suffix in ("", "-wal", "-shm"):
            src = self.work / f"{name}.db{suffix}"
            if src.exists():
                shutil.copy2(src, Path(f"{self.db}{suffix}"))


def config_yaml(base: str, db: Path) -> str:
    lines = [
        "version: 1", f"database_url: sqlite:///{db}",
        "http:", "  timeout: 30s", "  concurrency: 16", "  per_host_concurrency: 16", "  per_host_delay: 0s",
        "defaults:", "  interval: 1h", "extraction:", "  workers: 2", "sources:",
    ]
    for i in range(sitegen.N_FEEDS):
        lines += [f"  - id: feed-{i:03d}", "    kind: feed", f"    url: {base}{Layout.feed(i)}",
                  "    area: bench"]
    for i in range(sitegen.N_BOARDS):
        lines += [f"  - id: board-{i:03d}", "    kind: board_papers", f"    url: {base}{Layout.board(i)}",
                  "    area: bench", "    documents:", "      within: main"]
    for i in range(sitegen.N_PETITIONS):
        lines += [f"  - id: petitions-{i:03d}", "    kind: petitions", "    query: hospital", "    state: open",
                  f"    base_url: {base}{Layout.petitions_base(i)}", "    area: bench"]
    return "\n".join(lines) + "\n"


def urls(base: str) -> list[str]:
    out = [base + Layout.feed(i) for i in range(sitegen.N_FEEDS)]
    out += [base + Layout.board(i) for i in range(sitegen.N_BOARDS)]
    out += [f"{base}{Layout.petitions_page(i)}?q=hospital&state=open" for i in range(sitegen.N_PETITIONS)]
    return out


# ---------------------------------------------------------------- urlwatch

class Urlwatch:
    """urlwatch on the same URLs: a jobs file, its own config and a cache we snapshot like our store."""

    def __init__(self, work: Path, base_url: str) -> None:
        self.exe = shutil.which("urlwatch", path=str(VENV_BIN)) or shutil.which("urlwatch")
        self.work = work / "urlwatch"
        self.work.mkdir(parents=True, exist_ok=True)
        self.cache = self.work / "cache.db"
        (self.work / "urls.yaml").write_text("".join(f"---\nname: u{n}\nurl: {u}\n"
                                                     for n, u in enumerate(urls(base_url)))[4:])
        (self.work / "hooks.py").write_text("")

    @property
    def available(self) -> bool:
        return self.exe is not None

    def run(self) -> Run:
        assert self.exe
        w = self.work
        run = timed([self.exe, "--urls", str(w / "urls.yaml"), "--config", str(w / "urlwatch.yaml"),
                     "--hooks", str(w / "hooks.py"), "--cache", str(self.cache)], cwd=w)
        run.ok = run.ok or run.note.startswith("exit")  # urlwatch's exit status says "changes found"
        return run

    def clear(self) -> None:
        self.cache.unlink(missing_ok=True)

    def save(self, name: str) -> None:
        shutil.copy2(self.cache, self.work / f"{name}.db")

    def restore(self, name: str) -> None:
        shutil.copy2(self.work / f"{name}.db", self.cache)


# ---------------------------------------------------------------- the scenarios

@dataclass(slots=True)
class Bench:
    layout: Layout
    server: Server
    ours: Ours
    urlwatch: Urlwatch | None
    repeat: int
    results: dict[tuple[str, str], Figures] = field(default_factory=dict)

    def record(self, who: str, scenario: str, run: Run) -> None:
        self.results.setdefault((who, scenario), Figures()).runs.append(run)
        flag = "" if run.ok else f"  !! {run.note}"
        print(f"  {who:8} {scenario:8} wall {run.wall:6.2f}s  cpu {run.cpu:6.2f}s  main rss {run.main_rss_mb:5.0f} MiB"
              f"  worker rss {run.worker_rss_mb:5.0f} MiB{flag}", flush=True)

    def side_by_side(self, scenario: str, prepare_ours: object, prepare_uw: object, with_uw: bool = True) -> None:
        for _ in range(self.repeat):
            prepare_ours()  # type: ignore[operator]
            self.record("ours", scenario, self.ours.run())
            if with_uw and self.urlwatch:
                prepare_uw()  # type: ignore[operator]
                self.record("urlwatch", scenario, self.urlwatch.run())

    def cold(self) -> None:
        self.server.serve(self.layout.base)
        uw = self.urlwatch
        self.side_by_side("cold", lambda: self.ours.restore("empty"), lambda: uw.clear() if uw else None)
        self.ours.run()  # one untimed quiet cycle: the steady state a daemon is in between changes
        self.ours.save("baseline")
        if uw:
            uw.save("baseline")

    def quiet(self, validators: bool) -> None:
        self.server.serve(self.layout.base, validators=validators)
        name = "quiet" if validators else "novalid"
        self.ours.restore("baseline")
        if self.urlwatch:
            self.urlwatch.restore("baseline")
        self.side_by_side(name, lambda: None, lambda: None)

    def changed(self, pdf: bool) -> None:
        self.server.serve(self.layout.changed if pdf else self.layout.changed_nopdf)
        uw = self.urlwatch
        self.side_by_side("changed" if pdf else "nopdf", lambda: self.ours.restore("baseline"),
                          lambda: uw.restore("baseline") if uw else None, with_uw=pdf)


def report(bench: Bench) -> None:
    print("\nscenario   who        wall(med)  cpu(med)  main RSS(max)  worker RSS(max)  ok  urlwatch/ours wall, cpu")
    for scenario in SCENARIOS:
        ours = bench.results.get(("ours", scenario))
        if not ours:
            continue
        theirs = bench.results.get(("urlwatch", scenario))
        for who, fig in (("ours", ours), ("urlwatch", theirs)):
            if fig is None:
                continue
            ratio = ""
            if who == "urlwatch":
                ratio = (f"{fig.median('wall') / ours.median('wall'):5.2f}x, "
                         f"{fig.median('cpu') / ours.median('cpu'):5.2f}x")
            ok = all(r.ok for r in fig.runs)
            print(f"{scenario:10} {who:9} {fig.median('wall'):8.2f}s {fig.median('cpu'):8.2f}s {fig.peak('main_rss_mb'):10.0f}"
                  f" MiB {fig.peak('worker_rss_mb'):12.0f} MiB  {'yes' if ok else 'NO '}  {ratio}")
    nopdf, uw_changed = bench.results.get(("ours", "nopdf")), bench.results.get(("urlwatch", "changed"))
    if nopdf and uw_changed:
        print(f"non-PDF part of the changed cycle: {nopdf.median('wall'):.2f}s wall vs urlwatch changed / 1.5 = "
              f"{uw_changed.median('wall') / 1.5:.2f}s")


def compile_bytecode() -> None:
    """Write the package's .pyc files, as ``pip install`` does for a deployed daemon: an editable install under
    ``PYTHONDONTWRITEBYTECODE=1`` (set on this machine) would otherwise compile every module in every run."""
    import compileall

    root = Path(__file__).resolve().parents[1]
    for package in ("monitor", "migrations"):
        compileall.compile_dir(str(root / package), quiet=1)


def prepared_site(directory: str) -> tuple[Path, Layout]:
    """The work directory and its site (generated the first time), with the package's bytecode compiled."""
    root = Path(directory)
    compile_bytecode()
    return root, sitegen.build(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default="/tmp/nhs-bench", help="work directory (the site is generated once)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--no-urlwatch", action="store_true")
    parser.add_argument("--python-server", action="store_true", help="use the Python fallback server")
    parser.add_argument("--no-units", action="store_true", help="skip the unit figures")
    args = parser.parse_args()
    root, layout = prepared_site(args.dir)
    server = Server(root / "server", prefer_nginx=not args.python_server)
    if not server.nginx:
        print(f"WARNING: {INSTALL_HINT}; using the Python fallback server (slower, figures not comparable)")
    wanted = args.only.split(",")
    urlwatch = None if args.no_urlwatch else Urlwatch(root, server.base)
    if urlwatch and not urlwatch.available:
        print("urlwatch is not installed (pip install -e '.[bench]'): no side-by-side figures")
        urlwatch = None
    bench = Bench(layout, server, Ours(root, server.base), urlwatch, args.repeat)
    print(f"server: {server.kind} on {server.base}; {len(urls(server.base))} sources; python {sys.version.split()[0]};"
          f" {os.cpu_count()} cores\n{HTTP_NOTE}")
    try:
        bench.ours.migrate_template()
        fresh = (root / "ours" / "baseline.db").exists() and (urlwatch is None or (urlwatch.work / "baseline.db").exists())
        if "cold" in wanted or not fresh or bench.ours.port_changed:
            bench.cold()
        if "quiet" in wanted:
            bench.quiet(True)
        if "novalid" in wanted:
            bench.quiet(False)
        if "changed" in wanted:
            bench.changed(True)
        if "nopdf" in wanted:
            bench.changed(False)
        report(bench)
        if not args.no_units:
            from bench.units import unit_figures

            server.serve(layout.base)
            unit_figures(layout, server.base)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
