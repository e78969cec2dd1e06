"""Extraction throughput and memory, on demand: ``.venv/bin/python -m bench.extract_bench [--pages 300]``.

Generates a board-pack-like text PDF with fpdf2 and extracts it through the worker pool (pypdfium2 in
a child process), in a thread of this process, and through pdfminer.six in a fresh process; prints
pages per second and peak RSS. Also times how fast a 1 GiB decompression bomb is refused. No asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from monitor.errors import ExtractError
from monitor.extract.pdf import extract_pdf
from monitor.extract.worker import ExtractionPool
from tests.docgen import make_flate_bomb_pdf, make_pdf

PARAGRAPHS = [
    "The board received the integrated performance report for month {n}. Elective recovery remains behind "
    "plan, with {n}2 patients waiting more than 65 weeks; the trust expects to clear the backlog by the end "
    "of the third quarter subject to industrial action.",
    "Urgent and emergency care: four-hour performance was 7{n}% against the 78% standard. Ambulance "
    "handover delays over 60 minutes fell for the third month running, and the new same day emergency care "
    "unit opened on schedule.",
    "Finance: the system reported a year-to-date deficit of {n}.4 million pounds, 1.2 million adverse to "
    "plan, driven by temporary staffing and the cost of escalation beds kept open through the spring.",
    "Estates: the board noted the outcome of the options appraisal for the maternity and neonatal services "
    "and asked the executive team to return with a full business case and an engagement plan.",
]
POOL_CHILD_PDFMINER = """
import sys, time
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTTextContainer
t = time.perf_counter()
pages = 0
chars = 0
for layout in extract_pages(sys.argv[1]):
    pages += 1
    chars += sum(len(el.get_text()) for el in layout if isinstance(el, LTTextContainer))
print(pages, chars, time.perf_counter() - t)
"""


def board_pack(n_pages: int) -> bytes:
    """About 2,500 characters of report prose per page."""
    pages = []
    for number in range(1, n_pages + 1):
        body = "\n".join(p.format(n=number % 10) for p in PARAGRAPHS * 2)
        pages.append(f"Board meeting in public - item {number}\n{body}")
    return make_pdf(pages, title="Benchmark board pack")


def vm_hwm_kb(pid: int) -> int:
    """Peak RSS of a live process from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def bench_pool(data: bytes, runs: int) -> tuple[float, int, int]:
    """Best wall time for one extraction in a warm worker, its page count, and the worker's peak RSS (KB)."""
    async with ExtractionPool(timeout=300, memory_mb=1024, max_pages=10_000) as pool:
        await pool.extract(b"warm up", "text")
        best = float("inf")
        pages = 0
        for _ in range(runs):
            started = time.perf_counter()
            pages = len(await pool.extract(data, "pdf"))
            best = min(best, time.perf_counter() - started)
        peak = max(vm_hwm_kb(pid) for pid in pool.worker_pids)
    return best, pages, peak


async def bench_bomb() -> tuple[float, str]:
    data = make_flate_bomb_pdf(1024)
    async with ExtractionPool(timeout=60, memory_mb=512) as pool:
        await pool.extract(b"warm up", "text")
        started = time.perf_counter()
        try:
            await pool.extract(data, "pdf")
            outcome = "extracted (!)"
        except ExtractError as exc:
            outcome = str(exc)
        return time.perf_counter() - started, outcome


def bench_inline(data: bytes, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        extract_pdf(data, max_pages=10_000)
        best = min(best, time.perf_counter() - started)
    return best


def bench_pdfminer(data: bytes) -> tuple[float, int, int] | None:
    """pdfminer.six in a fresh process: seconds, pages, peak RSS (KB); None when it is not installed."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        proc = subprocess.Popen([sys.executable, "-c", POOL_CHILD_PDFMINER, handle.name], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        output = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
    if proc.returncode != 0:
        return None
    pages, _, seconds = output.split()
    return float(seconds), int(pages), usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    data = board_pack(args.pages)
    print(
        f"generated {args.pages}-page PDF ({len(data) / 1e6:.1f} MB) with fpdf2 in {time.perf_counter() - started:.1f}s"
    )

    seconds, pages, peak_kb = asyncio.run(bench_pool(data, args.runs))
    print(
        f"worker pool (pypdfium2):  {pages} pages in {seconds:.2f}s = {pages / seconds:,.0f} pages/s; "
        f"worker peak RSS {peak_kb / 1024:.0f} MB"
    )
    seconds = bench_inline(data, args.runs)
    print(f"inline thread (pypdfium2): {args.pages} pages in {seconds:.2f}s = {args.pages / seconds:,.0f} pages/s")
    miner = bench_pdfminer(data)
    if miner is None:
        print("pdfminer.six: not installed")
    else:
        seconds, pages, peak_kb = miner
        print(
            f"pdfminer.six (fresh process): {pages} pages in {seconds:.2f}s = {pages / seconds:,.0f} pages/s; "
            f"peak RSS {peak_kb / 1024:.0f} MB"
        )
    seconds, outcome = asyncio.run(bench_bomb())
    print(f"1 GiB FlateDecode bomb (limit 512 MB): {outcome!r} after {seconds:.2f}s")


if __name__ == "__main__":
    main()
