"""Document extraction in worker processes with a time limit and a memory limit.

A hostile or broken document (corrupt, encrypted, a decompression bomb, thousands of pages) must cost
one document, never the daemon. :class:`ExtractionPool` runs the extractors in child processes that
cap their own address space (``RLIMIT_AS``) and CPU time (``RLIMIT_CPU``, a backstop), kills a child
that overruns the wall-clock limit, and starts a fresh one on the next use. Every failure reaches the
caller as :class:`~monitor.errors.ExtractError` with a message for a campaign admin.

Wire protocol (private): the parent writes frames ``8-byte big-endian length + body``: a JSON header
then the document bytes. The child (:mod:`monitor.extract.child`) answers one JSON frame: the pages and,
when the pool was given classifier settings, their classification. Replies are JSON, never pickle, so a
child subverted by a malicious PDF cannot run code in the parent by what it sends back; its
classification is checked field by field.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from asyncio.streams import FlowControlMixin
from pathlib import Path
from typing import Any

from monitor import faults
from monitor.errors import ExtractError
from monitor.extract.child import LENGTH, check_type, extract_document, serve
from monitor.extract.types import ClassifiedPages, PageText

__all__ = ["ExtractionPool", "extract_document", "extract_inline", "serve"]

_MAX_REPLY = 512 * 1024 * 1024
_START_TIMEOUT = 30.0
_STOP_GRACE = 2.0
_CPU_MARGIN = 5
_CRASH_SIGNALS = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS)
_CHILD_CODE = (
    "import sys; from monitor import gcpolicy; gcpolicy.start(); "
    "from monitor.extract.child import serve; serve(int(sys.argv[1]))"
)


async def extract_inline(data: bytes, doc_type: str, *, max_pages: int = 2000) -> list[PageText]:
    """Like :meth:`ExtractionPool.extract` but in a thread of this process, without limits (tests, dry runs)."""
    check_type(doc_type)
    return await asyncio.to_thread(extract_document, data, doc_type, max_pages=max_pages)



class _WorkerGone(Exception):
    """The worker's pipes closed: it exited or was killed."""


class _Worker:
    """One worker process and its pipes, used by one job at a time."""

    def __init__(self, *, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._read_transport: asyncio.BaseTransport | None = None
        self._reaper: asyncio.Future[tuple[int, int]] | None = None

    @property
    def pid(self) -> int | None:
        """The live process id, if any."""
        return self._proc.pid if self._proc is not None and self._reaper is None else None

    def ready(self) -> bool:
        """Whether a process is running and not known to have exited."""
        if self._proc is None or self._reaper is not None:
            return False
        try:  # WNOWAIT: look without reaping, so wait4 can still read its resource usage
            return os.waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        except ChildProcessError:
            return False

    async def start(self) -> None:
        """Start a fresh process and wait for its greeting."""
        await self.stop()
        loop = asyncio.get_running_loop()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD_CODE, str(self.memory_mb)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=_child_env(),
                start_new_session=True,  # a Ctrl-C meant for the daemon must not kill a job mid-document
            )
        except OSError as exc:
            raise ExtractError(f"could not start an extraction worker ({exc.strerror or exc})") from None
        assert proc.stdin is not None and proc.stdout is not None
        self._proc, self._reader = proc, asyncio.StreamReader()
        reader = self._reader
        self._read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), proc.stdout
        )
        transport, protocol = await loop.connect_write_pipe(FlowControlMixin, proc.stdin)
        self._writer = asyncio.StreamWriter(transport, protocol, None, loop)
        try:
            async with asyncio.timeout(_START_TIMEOUT):
                await self._read_reply()
        except (TimeoutError, _WorkerGone, ValueError):
            code, _ = await self.stop()
            raise ExtractError(
                f"extraction worker failed to start (exit status {code}): check the Python environment "
                f"and the memory limit ({self.memory_mb} MB); the worker's stderr has details"
            ) from None

    async def request(self, header: dict[str, Any], data: bytes) -> dict[str, Any]:
        """Send one job and wait for its reply (no time limit here: the caller sets one)."""
        assert self._writer is not None
        body = json.dumps(header).encode()
        self._writer.write(LENGTH.pack(len(body)) + body + LENGTH.pack(len(data)))
        self._writer.write(data)
        try:
            await self._writer.drain()
        except ConnectionError:
            raise _WorkerGone from None
        faults.point("extract.request")
        return await self._read_reply()

    async def _read_reply(self) -> dict[str, Any]:
        assert self._reader is not None
        try:
            (size,) = LENGTH.unpack(await self._reader.readexactly(LENGTH.size))
            if size > _MAX_REPLY:
                raise ValueError(f"reply of {size} bytes")
            reply = json.loads(await self._reader.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError):
            raise _WorkerGone from None
        if not isinstance(reply, dict):
            raise ValueError("reply is not an object")
        return reply

    def kill(self) -> None:
        """Send SIGKILL unless the process has already been reaped."""
        if self._proc is not None and self._proc.returncode is None:
            try:
                os.kill(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    async def stop(self, *, graceful: bool = False) -> tuple[int, int]:
        """End the process (EOF first if ``graceful``, then SIGKILL) and reap it.

        :returns: its exit code (negative: killed by that signal) and peak RSS in KB.
        """
        proc = self._proc
        if proc is None:
            return 0, 0
        if graceful and self._writer is not None:
            self._writer.close()
        else:
            self.kill()
        if self._reaper is None:
            self._reaper = asyncio.ensure_future(asyncio.to_thread(_reap, proc))
        reaper = self._reaper
        if graceful:
            try:
                return await asyncio.wait_for(asyncio.shield(reaper), _STOP_GRACE)
            except TimeoutError:
                self.kill()
        result = await asyncio.shield(reaper)
        if self._proc is proc:
            self._release()
        return result

    def _release(self) -> None:
        for transport in (self._writer.transport if self._writer else None, self._read_transport):
            if transport is not None:
                transport.close()
        self._proc = self._reader = self._writer = self._read_transport = self._reaper = None


def _reap(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    """Wait for a child to exit; return its exit code and peak RSS (KB)."""
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:  # reaped elsewhere: the code is unknown
        proc.returncode = proc.returncode if proc.returncode is not None else 0
        return proc.returncode, 0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss


def _child_env() -> dict[str, str]:
    """The parent's environment, with this package importable even when it is not installed."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


class ExtractionPool:
    """Extract documents in worker processes, each job under a time limit and a memory limit.

    A worker that times out, runs out of memory or crashes is killed and replaced on next use; the
    failure is raised as that document's :class:`ExtractError`. Use one pool per event loop::

        async with ExtractionPool(workers=2, timeout=60, memory_mb=512) as pool:
            pages = await pool.extract(pdf_bytes, "pdf")

    :param workers: how many documents may be extracted at once (one process each, started on first use).
    :param timeout: wall-clock seconds one document may take.
    :param memory_mb: address-space limit of each worker process.
    :param max_pages: PDFs with more pages are refused.
    :param classify: classifier settings (``extra_terms``, ``ignore_phrases``): each document is also classified
        in its worker, in parallel with the daemon's other work, and :meth:`extract` returns
        :class:`~monitor.extract.types.ClassifiedPages`. ``None``: extraction only.
    """

    def __init__(self, *, workers: int = 1, timeout: float = 60.0, memory_mb: int = 512, max_pages: int = 2000,
                 classify: dict[str, Any] | None = None) -> None:
        if workers < 1 or timeout <= 0 or memory_mb < 64 or max_pages < 1:
            raise ValueError("need workers >= 1, timeout > 0, memory_mb >= 64 and max_pages >= 1")
        self.classify = classify
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.max_pages = max_pages
        self._workers = [_Worker(memory_mb=memory_mb) for _ in range(workers)]
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        for worker in self._workers:
            self._idle.put_nowait(worker)
        self._closed = False

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the workers currently running (for monitoring and tests)."""
        return [pid for pid in (w.pid for w in self._workers) if pid is not None]

    async def extract(self, data: bytes, doc_type: str) -> list[PageText]:
        """Extract one document's text in a worker process.

        :param doc_type: ``pdf``, ``docx``, ``html`` or ``text``.
        :raises ExtractError: the document cannot be read, or it overran the time or memory limit,
            or crashed its worker.
        :raises RuntimeError: the pool is closed.
        """
        check_type(doc_type)
        self._check_open()
        worker = await self._idle.get()
        try:
            self._check_open()
            return await self._extract_on(worker, data, doc_type)
        finally:
            self._idle.put_nowait(worker)

    async def aclose(self) -> None:
        """Stop every worker: idle ones are asked to exit, busy ones are killed."""
        if self._closed:
            return
        self._closed = True
        await asyncio.gather(*(w.stop(graceful=True) for w in self._workers))

    async def __aenter__(self) -> ExtractionPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the extraction pool is closed")

    async def _extract_on(self, worker: _Worker, data: bytes, doc_type: str) -> list[PageText]:
        if not worker.ready():
            await worker.start()
        header = {"doc_type": doc_type, "max_pages": self.max_pages, "cpu_seconds": int(self.timeout) + _CPU_MARGIN,
                  "classify": self.classify}
        try:
            async with asyncio.timeout(self.timeout):
                reply = await worker.request(header, data)
        except TimeoutError:
            await worker.stop()
            raise ExtractError(f"extraction timed out after {self.timeout:g}s") from None
        except _WorkerGone:
            code, peak_kb = await worker.stop()
            self._check_open()
            raise self._death_error(code, peak_kb) from None
        except ValueError:
            await worker.stop()
            raise ExtractError("extraction worker sent a malformed reply") from None
        except BaseException:  # cancelled mid-job: the worker's next reply would be out of step
            worker.kill()
            raise
        return await self._pages(worker, reply)

    async def _pages(self, worker: _Worker, reply: dict[str, Any]) -> list[PageText]:
        """Turn a reply into pages, or raise the error it carries."""
        if reply.get("memory"):
            await worker.stop()
            raise self._memory_error()
        if "error" in reply:
            raise ExtractError(str(reply["error"]))
        try:
            pages = [PageText(None if page is None else int(page), str(text)) for page, text in reply["pages"]]
        except (KeyError, TypeError, ValueError):
            await worker.stop()
            raise ExtractError("extraction worker sent a malformed reply") from None
        if self.classify is None or reply.get("classification") is None:
            return pages
        from monitor.classify.result import classification_from_wire

        try:
            return ClassifiedPages(pages, classification_from_wire(reply["classification"]), self.classify)
        except ValueError:
            return pages  # the daemon classifies the pages itself

    def _death_error(self, code: int, peak_kb: int) -> ExtractError:
        """Explain a worker that died mid-job."""
        if code >= 0:
            return ExtractError(f"extraction worker crashed (exit status {code})")
        signum = -code
        if signum == signal.SIGXCPU:
            return ExtractError(f"extraction timed out after {self.timeout:g}s (CPU limit)")
        # PDFium aborts when an allocation fails; near the cap, that is what a SIGABRT/SIGSEGV means.
        if signum in _CRASH_SIGNALS and peak_kb * 1024 >= self.memory_mb * 1024 * 1024 // 2:
            return self._memory_error()
        return ExtractError(f"extraction worker crashed (signal {signum})")

    def _memory_error(self) -> ExtractError:
        return ExtractError(f"extraction ran out of memory (limit {self.memory_mb} MB)")
