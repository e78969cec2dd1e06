"""Document extraction in worker processes with a time limit and a memory limit.

A hostile or broken document (corrupt, encrypted, a decompression bomb, thousands of pages) must cost
one document, never the daemon. :class:`ExtractionPool` runs the extractors in child processes that
cap their own address space (``RLIMIT_AS``) and CPU time (``RLIMIT_CPU``, a backstop), kills a child
that overruns the wall-clock limit, and starts a fresh one on the next use. Every failure reaches the
caller as :class:`~monitor.errors.ExtractError` with a message for a campaign admin.

Wire protocol (private): the parent writes frames ``8-byte big-endian length + body``: a JSON header
then the document bytes. The child answers one JSON frame. Replies are JSON, never pickle, so a child
subverted by a malicious PDF cannot run code in the parent by what it sends back.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import signal
import struct
import subprocess
import sys
from asyncio.streams import FlowControlMixin
from pathlib import Path
from typing import Any, BinaryIO

from monitor import faults
from monitor.errors import ExtractError
from monitor.extract.sniff import DOC_TYPES
from monitor.extract.types import ClassifiedPages, PageText

__all__ = ["ExtractionPool", "extract_document", "extract_inline", "serve"]

_LENGTH = struct.Struct(">Q")
_MAX_REPLY = 512 * 1024 * 1024
_START_TIMEOUT = 30.0
_STOP_GRACE = 2.0
_CPU_MARGIN = 5
_CRASH_SIGNALS = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS)
_CHILD_CODE = "import sys; from monitor.extract.worker import serve; serve(int(sys.argv[1]))"


# --- dispatch (both sides) -------------------------------------------------------------------------------------


def extract_document(data: bytes, doc_type: str, *, max_pages: int = 2000) -> list[PageText]:
    """Extract text from one document in this process; extractors are imported on first use.

    :param doc_type: ``pdf``, ``docx``, ``html`` or ``text`` (see :func:`monitor.extract.sniff.sniff_type`).
    :raises ExtractError: the document cannot be read, or the type is not one of those.
    """
    _check_type(doc_type)
    if doc_type == "pdf":
        from monitor.extract.pdf import extract_pdf

        return extract_pdf(data, max_pages=max_pages)
    if doc_type == "docx":
        from monitor.extract.docx import extract_docx

        return extract_docx(data)
    if doc_type == "html":
        return [PageText(None, _html_text(data))]
    return [PageText(None, _tidy(_decode(data)))]


async def extract_inline(data: bytes, doc_type: str, *, max_pages: int = 2000) -> list[PageText]:
    """Like :meth:`ExtractionPool.extract` but in a thread of this process, without limits (tests, dry runs)."""
    _check_type(doc_type)
    return await asyncio.to_thread(extract_document, data, doc_type, max_pages=max_pages)


def _check_type(doc_type: str) -> None:
    if doc_type not in DOC_TYPES:
        raise ExtractError(f"unsupported document type {doc_type!r} (expected one of: {', '.join(DOC_TYPES)})")


def _decode(data: bytes) -> str:
    """Bytes as text: UTF-8 (with or without BOM), else Windows-1252, which decodes anything."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _html_text(data: bytes) -> str:
    """The visible text of an HTML body, one block per line (script and style dropped)."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_decode(data))
    tree.strip_tags(["script", "style", "noscript", "template"])
    node = tree.body or tree.root
    return _tidy(node.text(separator="\n") if node is not None else "")


def _tidy(text: str) -> str:
    """Strip every line, collapse runs of blank lines to one."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# --- the child process -----------------------------------------------------------------------------------------


def serve(memory_mb: int) -> None:
    """Worker process entry point: cap memory, then answer requests on stdin until EOF."""
    inp, out = _claim_stdio()
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import monitor.extract.docx  # noqa: F401  - pay the imports before any time limit runs
    import monitor.extract.pdf  # noqa: F401

    _write_frame(out, json.dumps({"ready": True, "pid": os.getpid()}).encode())
    while True:
        header_raw = _read_frame(inp)
        data = _read_frame(inp) if header_raw is not None else None
        if header_raw is None or data is None:
            return  # the pool closed our stdin
        header = json.loads(header_raw)
        _limit_cpu(int(header["cpu_seconds"]))
        reply, fatal = _handle(data, header)
        _write_frame(out, reply)
        if fatal:
            return


def _claim_stdio() -> tuple[BinaryIO, BinaryIO]:
    """Keep stdin/stdout for the protocol only: stray output from C libraries goes to stderr instead."""
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return inp, out


def _limit_cpu(seconds: int) -> None:
    """Let this job use at most ``seconds`` more CPU time (SIGXCPU after), should the parent be gone."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(usage.ru_utime + usage.ru_stime) + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _handle(data: bytes, header: dict[str, Any]) -> tuple[bytes, bool]:
    """Run one job; return the encoded reply and whether this process must exit after sending it."""
    try:
        pages = extract_document(data, str(header["doc_type"]), max_pages=int(header["max_pages"]))
        body: dict[str, Any] = {"pages": [[page.page, page.text] for page in pages]}
        if header.get("classify") is not None:
            body["classification"] = _classified(pages, header["classify"])
        return json.dumps(body, ensure_ascii=False).encode("utf-8", "replace"), False
    except ExtractError as exc:
        return json.dumps({"error": str(exc)}).encode(), False
    except MemoryError:
        return b'{"error": "memory", "memory": true}', True
    except Exception as exc:  # a bug or an unforeseen library error: still one document's error
        message = f"extraction failed unexpectedly ({type(exc).__name__}: {exc})"[:300]
        return json.dumps({"error": message}).encode(), True


_CLASSIFIERS: dict[str, Any] = {}


def _classified(pages: list[PageText], settings: dict[str, Any]) -> dict[str, Any] | None:
    """The classification of a document's pages as plain JSON, or None if it failed (the daemon then
    classifies the pages itself). The classifier is built once per settings and kept."""
    from monitor.classify import Classifier
    from monitor.classify.result import classification_to_wire

    try:
        key = json.dumps(settings, sort_keys=True)
        if key not in _CLASSIFIERS:
            _CLASSIFIERS.clear()
            _CLASSIFIERS[key] = Classifier(extra_terms=settings.get("extra_terms") or {},
                                           ignore_phrases=settings.get("ignore_phrases") or ())
        return classification_to_wire(_CLASSIFIERS[key].classify(pages))
    except (ValueError, TypeError, AttributeError, re.error, RecursionError):
        return None


def _read_frame(stream: BinaryIO) -> bytes | None:
    """One frame from a blocking stream, or ``None`` at end of input."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    body = stream.read(size)
    return body if len(body) == size else None


def _write_frame(stream: BinaryIO, body: bytes) -> None:
    stream.write(_LENGTH.pack(len(body)))
    stream.write(body)
    stream.flush()


# --- the parent side -------------------------------------------------------------------------------------------


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
        self._writer.write(_LENGTH.pack(len(body)) + body + _LENGTH.pack(len(data)))
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
            (size,) = _LENGTH.unpack(await self._reader.readexactly(_LENGTH.size))
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
        _check_type(doc_type)
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
