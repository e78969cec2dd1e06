"""The extraction worker process's side: read jobs on stdin, extract (and classify), answer on stdout.

Kept apart from :mod:`monitor.extract.worker` (the parent's pool) so a worker starts on few imports: no
asyncio, no subprocess; python-docx and the classifier are imported when a job first needs them. The
wire protocol is described there.
"""

from __future__ import annotations

import json
import os
import resource
import struct
from typing import Any, BinaryIO

from monitor import gcpolicy
from monitor.errors import ExtractError
from monitor.extract.sniff import DOC_TYPES
from monitor.extract.types import PageText

__all__ = ["LENGTH", "check_type", "extract_document", "serve"]

LENGTH = struct.Struct(">Q")


def extract_document(data: bytes, doc_type: str, *, max_pages: int = 2000) -> list[PageText]:
    """Extract text from one document in this process; extractors are imported on first use.

    :param doc_type: ``pdf``, ``docx``, ``html`` or ``text`` (see :func:`monitor.extract.sniff.sniff_type`).
    :raises ExtractError: the document cannot be read, or the type is not one of those.
    """
    check_type(doc_type)
    if doc_type == "pdf":
        from monitor.extract.pdf import extract_pdf

        return extract_pdf(data, max_pages=max_pages)
    if doc_type == "docx":
        from monitor.extract.docx import extract_docx

        return extract_docx(data)
    if doc_type == "html":
        return [PageText(None, _html_text(data))]
    return [PageText(None, _tidy(_decode(data)))]


def check_type(doc_type: str) -> None:
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


def serve(memory_mb: int) -> None:
    """Worker process entry point: cap memory, then answer requests on stdin until EOF."""
    inp, out = _claim_stdio()
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import monitor.extract.pdf  # noqa: F401  - pay the imports before any time limit runs (python-docx's and the
    # classifier's are paid by the first job that needs them: most workers only ever see PDFs)
    gcpolicy.settle()

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
            _CLASSIFIERS[key] = Classifier.from_settings(settings)
        return classification_to_wire(_CLASSIFIERS[key].classify(pages))
    except MemoryError:
        raise  # the job's memory error, as for extraction
    except Exception:  # a classifier bug must not cost the document its text: the daemon classifies it instead
        return None


def _read_frame(stream: BinaryIO) -> bytes | None:
    """One frame from a blocking stream, or ``None`` at end of input."""
    head = stream.read(LENGTH.size)
    if len(head) < LENGTH.size:
        return None
    (size,) = LENGTH.unpack(head)
    body = stream.read(size)
    return body if len(body) == size else None


def _write_frame(stream: BinaryIO, body: bytes) -> None:
    stream.write(LENGTH.pack(len(body)))
    stream.write(body)
    stream.flush()


