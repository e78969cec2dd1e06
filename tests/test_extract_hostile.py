"""Property tests: mutated real PDFs and DOCX either give pages or ExtractError, in bounded time, nothing else.

PDFs go through the worker pool (a PDFium crash must stay in the worker); DOCX, HTML and text are pure
Python (plus lxml) and also run in this process.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
import zipfile
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import ExtractError
from monitor.extract.docx import extract_docx
from monitor.extract.types import PageText
from monitor.extract.worker import ExtractionPool, extract_document
from tests.docgen import make_docx, make_encrypted_pdf, make_large_pdf, make_pdf

T = TypeVar("T")
TIMEOUT = 10.0
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PDFS = [
    make_pdf(["Item 1. The paediatric unit will relocate.", "Item 2. Finance report."], title="Board"),
    make_large_pdf(3),  # uncompressed content streams: mutations hit text operators
    make_encrypted_pdf(["Permissions-only encryption."], user_password=""),
]
DOCXS = [make_docx(["The unit will close.", "Second paragraph."], table=[["Site", "Change"], ["A", "Closes"]])]


class PoolThread:
    """A pool living on an event loop in its own thread, callable from synchronous hypothesis tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.pool = self.run(self._make())

    async def _make(self) -> ExtractionPool:
        return ExtractionPool(timeout=TIMEOUT, memory_mb=512)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=TIMEOUT + 30)

    def close(self) -> None:
        self.run(self.pool.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="module")
def pool() -> Iterator[PoolThread]:
    runner = PoolThread()
    yield runner
    runner.close()


@st.composite
def mutated(draw: st.DrawFn, bases: list[bytes]) -> bytes:
    """A base document with bit flips, overwritten runs, deletions or a truncation."""
    data = bytearray(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "overwrite", "delete", "truncate"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "overwrite":
            run = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(run)] = run
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


@st.composite
def docx_with_broken_xml(draw: st.DrawFn) -> bytes:
    """A well-formed zip whose document.xml has been mutated: python-docx and lxml see the damage."""
    source = zipfile.ZipFile(io.BytesIO(DOCXS[0]))
    xml = source.read("word/document.xml")
    broken = draw(mutated([xml]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, broken if info.filename == "word/document.xml" else source.read(info))
    return out.getvalue()


def _check_outcome(result: list[PageText] | ExtractError, elapsed: float) -> None:
    assert elapsed < TIMEOUT + 5
    if isinstance(result, ExtractError):
        assert str(result), "an ExtractError needs a message"
        assert "unexpectedly" not in str(result), f"an extractor raised a non-ExtractError: {result}"
        return
    assert all(isinstance(page, PageText) and isinstance(page.text, str) for page in result)


def _in_pool(pool: PoolThread, data: bytes, doc_type: str) -> tuple[list[PageText] | ExtractError, float]:
    started = time.monotonic()
    try:
        return pool.run(pool.pool.extract(data, doc_type)), time.monotonic() - started
    except ExtractError as exc:
        return exc, time.monotonic() - started


@SETTINGS
@given(data=mutated(PDFS))
def test_mutated_pdf_in_pool(pool: PoolThread, data: bytes) -> None:
    _check_outcome(*_in_pool(pool, data, "pdf"))


@SETTINGS
@given(data=st.one_of(mutated(DOCXS), docx_with_broken_xml()))
def test_mutated_docx_in_pool(pool: PoolThread, data: bytes) -> None:
    _check_outcome(*_in_pool(pool, data, "docx"))


@SETTINGS
@given(data=st.one_of(mutated(DOCXS), docx_with_broken_xml()))
def test_mutated_docx_inline(data: bytes) -> None:
    started = time.monotonic()
    try:
        result: list[PageText] | ExtractError = extract_docx(data)
    except ExtractError as exc:
        result = exc
    _check_outcome(result, time.monotonic() - started)


@SETTINGS
@given(data=st.binary(max_size=2048), doc_type=st.sampled_from(["html", "text"]))
def test_any_bytes_as_html_or_text_give_one_page(data: bytes, doc_type: str) -> None:
    [page] = extract_document(data, doc_type)
    assert page.page is None and "\r" not in page.text


def test_mutations_really_reach_the_extractors(pool: PoolThread) -> None:
    """Guard against a vacuous property: a damaged PDF is refused and the intact one still reads."""
    damaged = PDFS[0][: len(PDFS[0]) // 3]
    result, _ = _in_pool(pool, damaged, "pdf")
    assert isinstance(result, ExtractError)
    assert _in_pool(pool, PDFS[0], "pdf")[0] == extract_document(PDFS[0], "pdf")
