"""Extraction of real generated PDFs and DOCX, inline and in the worker pool, including hostile documents."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import time

import pytest

from monitor.errors import ExtractError
from monitor.extract.docx import extract_docx
from monitor.extract.pdf import extract_pdf
from monitor.extract.sniff import sniff_type
from monitor.extract.types import PageText
from monitor.extract.worker import ExtractionPool, extract_inline
from tests.docgen import (
    corrupt,
    make_docx,
    make_docx_bomb,
    make_encrypted_pdf,
    make_flate_bomb_pdf,
    make_image_pdf,
    make_large_pdf,
    make_pdf,
)

PAGES = [
    "Agenda item 1. Welcome and apologies.",
    "Item 2. The integrated performance report was noted.",
    "Item 3. The board agreed that the paediatric unit will relocate to the Royal Free site in 2026.",
]
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A one-page PDF whose content stream inflates to 1 GiB of zeros (about 1 MB on disk)."""
    return make_flate_bomb_pdf(1024)


def _text_of(pages: list[PageText], number: int) -> str:
    return next(page.text for page in pages if page.page == number)


def _wait_exited(pid: int, timeout: float = 5.0) -> None:
    """Wait until a child of this process has exited (without reaping it: the pool does that)."""
    deadline = time.monotonic() + timeout
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        assert time.monotonic() < deadline, f"worker {pid} did not exit"
        time.sleep(0.02)


# --- PDF, in this process ------------------------------------------------------------------------------------


def test_pdf_text_is_on_its_page() -> None:
    pages = extract_pdf(make_pdf(PAGES, title="Board papers"))
    assert [page.page for page in pages] == [1, 2, 3]
    assert "relocate to the Royal Free" in _text_of(pages, 3)
    assert "relocate" not in _text_of(pages, 1) + _text_of(pages, 2)
    assert _text_of(pages, 2) == PAGES[1]


def test_pdf_lines_and_line_end_hyphens() -> None:
    pages = extract_pdf(make_pdf(["First line\nThe unit will relo-\ncate next year."]))
    assert pages[0].text == "First line\nThe unit will relocate next year."


def test_corrupt_pdf() -> None:
    with pytest.raises(ExtractError, match=r"^corrupt PDF \("):
        extract_pdf(corrupt(make_pdf(PAGES)))
    with pytest.raises(ExtractError, match=r"^corrupt PDF \(the file is empty\)"):
        extract_pdf(b"")


def test_encrypted_pdf_needs_password() -> None:
    with pytest.raises(ExtractError, match=r"^encrypted PDF: a password is needed$"):
        extract_pdf(make_encrypted_pdf(PAGES))


def test_permissions_only_encryption_is_readable() -> None:
    pages = extract_pdf(make_encrypted_pdf(PAGES, user_password=""))
    assert "relocate" in _text_of(pages, 3)


@pytest.mark.parametrize("data", [make_image_pdf(3), make_pdf(["", " ", "Page 3"])], ids=["scanned", "blank"])
def test_no_text_layer(data: bytes) -> None:
    with pytest.raises(ExtractError, match=r"^no text layer \(scanned PDF\?\): OCR is not supported$"):
        extract_pdf(data)


def test_a_scanned_page_among_text_pages_is_kept_empty() -> None:
    pages = extract_pdf(make_pdf(["Some real text on the first page.", ""]))
    assert pages == [PageText(1, "Some real text on the first page."), PageText(2, "")]


def test_too_many_pages() -> None:
    with pytest.raises(ExtractError, match=r"^too many pages: 2001 > 2000"):
        extract_pdf(make_large_pdf(2001))


def test_very_large_pdf_within_the_limit() -> None:
    pages = extract_pdf(make_large_pdf(2500), max_pages=3000)
    assert len(pages) == 2500
    assert pages[-1].page == 2500 and pages[-1].text.startswith("Page 2500. The board received")


# --- DOCX ----------------------------------------------------------------------------------------------------


def test_docx_paragraphs_and_table_cells_in_order() -> None:
    data = make_docx(
        ["Paediatric services review", "The unit will close."], table=[["Site", "Change"], ["A", "Closes"]]
    )
    assert extract_docx(data) == [
        PageText(None, "Paediatric services review\nThe unit will close.\nSite\nChange\nA\nCloses")
    ]


def test_docx_merged_cells_appear_once() -> None:
    import io

    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "Merged heading"
    table.cell(0, 2).text = "Right"
    buffer = io.BytesIO()
    document.save(buffer)
    assert extract_docx(buffer.getvalue())[0].text == "Merged heading\nRight"


def test_docx_zip_bomb_by_ratio() -> None:
    with pytest.raises(ExtractError, match=r"^DOCX refused: .* compresses \d+:1 > 100:1 \(possible zip bomb\)"):
        extract_docx(make_docx_bomb(64))


def test_docx_zip_bomb_by_size() -> None:
    with pytest.raises(ExtractError, match=r"^DOCX refused: it unpacks to 201 MB > 200 MB \(possible zip bomb\)"):
        extract_docx(make_docx_bomb(201))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip at all", r"^corrupt DOCX \(not a readable zip archive"),
        (make_docx(["x"])[:2000], r"^corrupt DOCX \(not a readable zip archive"),
        (corrupt(make_docx(["Some text"])), r"^corrupt DOCX"),
    ],
    ids=["junk", "truncated", "scrambled"],
)
def test_corrupt_docx(data: bytes, message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        extract_docx(data)


def test_zip_that_is_not_word() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ExtractError, match=r"^not a Word document"):
        extract_docx(buffer.getvalue())


# --- sniffing ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "data", "url", "expected"),
    [
        ("application/octet-stream", make_pdf(["x"]), "https://x.nhs.uk/download/123", "pdf"),
        ("text/html", b"\r\n\r\n" + make_pdf(["x"]), "", "pdf"),  # %PDF- a few bytes in
        (None, make_docx(["x"]), "", "docx"),
        ("application/zip", make_docx(["x"]), "https://x.nhs.uk/file.zip", "docx"),
        ("application/pdf", b"<!DOCTYPE html><html><body>Not found</body></html>", "/a.pdf", "html"),
        ("application/octet-stream", b"\xef\xbb\xbf  <html lang=en>", "", "html"),
        ("application/pdf; charset=binary", b"garbage", "", "pdf"),
        ("Application/PDF", b"", "", "pdf"),
        (DOCX_MIME, b"", "", "docx"),
        ("text/plain; charset=utf-8", b"minutes", "", "text"),
        ("application/octet-stream", b"????", "https://x.nhs.uk/papers/Board%20Pack.PDF?v=2", "pdf"),
        (None, b"????", "https://x.nhs.uk/papers/item7.docx#page=2", "docx"),
        (None, b"????", "https://x.nhs.uk/papers/item7.doc", None),
        ("application/vnd.ms-excel", b"????", "https://x.nhs.uk/data.xlsx", None),
        ("image/png", b"\x89PNG\r\n", "https://x.nhs.uk/logo.png", None),
    ],
)
def test_sniff_type(content_type: str | None, data: bytes, url: str, expected: str | None) -> None:
    assert sniff_type(content_type, data, url) == expected


def test_sniff_other_office_zip_is_not_a_document() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert sniff_type(DOCX_MIME, buffer.getvalue(), "https://x/a.docx") is None


# --- inline dispatch -----------------------------------------------------------------------------------------


async def test_extract_inline_dispatches_every_type() -> None:
    assert (await extract_inline(make_pdf(PAGES), "pdf"))[2].page == 3
    assert (await extract_inline(make_docx(["Hello"]), "docx")) == [PageText(None, "Hello")]
    html = b"<html><head><style>p{}</style></head><body><h1>Board</h1><script>x()</script><p>Closure</p></body></html>"
    assert await extract_inline(html, "html") == [PageText(None, "Board\nClosure")]
    assert await extract_inline("Caf\u00e9\r\n\r\n\r\nclosed".encode(), "text") == [
        PageText(None, "Caf\u00e9\n\nclosed")
    ]
    assert await extract_inline(b"Caf\xe9", "text") == [PageText(None, "Caf\u00e9")]  # Windows-1252 fallback
    with pytest.raises(ExtractError, match=r"^unsupported document type 'xlsx'"):
        await extract_inline(b"", "xlsx")


# --- the worker pool -----------------------------------------------------------------------------------------


async def test_pool_extracts_every_type_on_known_pages() -> None:
    async with ExtractionPool(workers=2, timeout=20) as pool:
        results = await asyncio.gather(
            pool.extract(make_pdf(PAGES), "pdf"),
            pool.extract(make_docx(["Docx text"]), "docx"),
            pool.extract(b"<p>Html text</p>", "html"),
            pool.extract(b"Plain text", "text"),
            pool.extract(make_pdf(["Only page"]), "pdf"),
        )
        assert len(pool.worker_pids) == 2
    assert results[0] == extract_pdf(make_pdf(PAGES))
    assert results[1:] == [
        [PageText(None, "Docx text")],
        [PageText(None, "Html text")],
        [PageText(None, "Plain text")],
        [PageText(1, "Only page")],
    ]


async def test_pool_reports_document_errors_and_keeps_its_worker() -> None:
    async with ExtractionPool(timeout=20) as pool:
        with pytest.raises(ExtractError, match=r"^encrypted PDF: a password is needed$"):
            await pool.extract(make_encrypted_pdf(PAGES), "pdf")
        pid = pool.worker_pids
        with pytest.raises(ExtractError, match=r"^corrupt PDF"):
            await pool.extract(corrupt(make_pdf(PAGES)), "pdf")
        with pytest.raises(ExtractError, match=r"^no text layer"):
            await pool.extract(make_image_pdf(1), "pdf")
        with pytest.raises(ExtractError, match=r"possible zip bomb"):
            await pool.extract(make_docx_bomb(64), "docx")
        with pytest.raises(ExtractError, match=r"^unsupported document type"):
            await pool.extract(b"", "doc")
        assert pool.worker_pids == pid


async def test_pool_max_pages() -> None:
    async with ExtractionPool(timeout=20, max_pages=10) as pool:
        with pytest.raises(ExtractError, match=r"^too many pages: 11 > 10"):
            await pool.extract(make_large_pdf(11), "pdf")
        assert len(await pool.extract(make_large_pdf(10), "pdf")) == 10


async def test_decompression_bomb_hits_the_memory_limit_not_this_process(bomb: bytes) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    async with ExtractionPool(timeout=30, memory_mb=256) as pool:
        started = time.monotonic()
        with pytest.raises(ExtractError, match=r"^extraction ran out of memory \(limit 256 MB\)$"):
            await pool.extract(bomb, "pdf")
        assert time.monotonic() - started < 20
        assert pool.worker_pids == []  # the dead worker was reaped, not left as a zombie
        assert await pool.extract(make_pdf(PAGES), "pdf") == extract_pdf(make_pdf(PAGES))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100


async def test_decompression_bomb_hits_the_time_limit(bomb: bytes) -> None:
    async with ExtractionPool(timeout=0.5, memory_mb=4096) as pool:
        await pool.extract(b"warm up", "text")
        first = pool.worker_pids
        started = time.monotonic()
        with pytest.raises(ExtractError, match=r"^extraction timed out after 0.5s$"):
            await pool.extract(bomb, "pdf")
        assert time.monotonic() - started < 3
        assert await pool.extract(make_pdf(PAGES), "pdf") == extract_pdf(make_pdf(PAGES))
        assert pool.worker_pids and pool.worker_pids != first


async def test_killed_idle_worker_is_replaced_transparently() -> None:
    async with ExtractionPool(timeout=20) as pool:
        await pool.extract(b"warm up", "text")
        [pid] = pool.worker_pids
        os.kill(pid, signal.SIGKILL)
        _wait_exited(pid)
        assert await pool.extract(make_pdf(PAGES), "pdf") == extract_pdf(make_pdf(PAGES))
        [new_pid] = pool.worker_pids
        assert new_pid != pid


async def test_worker_killed_mid_job_is_that_documents_crash(bomb: bytes) -> None:
    async with ExtractionPool(timeout=30, memory_mb=4096) as pool:
        await pool.extract(b"warm up", "text")
        [pid] = pool.worker_pids
        job = asyncio.create_task(pool.extract(bomb, "pdf"))
        await asyncio.sleep(0.5)  # the bomb takes seconds to inflate
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(ExtractError, match=r"^extraction worker crashed \(signal 9\)$"):
            await job
        assert await pool.extract(b"after", "text") == [PageText(None, "after")]


async def test_cancelled_job_kills_its_worker(bomb: bytes) -> None:
    async with ExtractionPool(timeout=30, memory_mb=4096) as pool:
        await pool.extract(b"warm up", "text")
        [pid] = pool.worker_pids
        job = asyncio.create_task(pool.extract(bomb, "pdf"))
        await asyncio.sleep(0.3)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        _wait_exited(pid)
        assert await pool.extract(b"after", "text") == [PageText(None, "after")]
        assert pool.worker_pids != [pid]


async def test_closed_pool_refuses_work_and_leaves_no_process() -> None:
    pool = ExtractionPool()
    await pool.extract(b"x", "text")
    [pid] = pool.worker_pids
    await pool.aclose()
    assert pool.worker_pids == []
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG)
    with pytest.raises(RuntimeError, match="closed"):
        await pool.extract(b"x", "text")
    await pool.aclose()  # idempotent


async def test_worker_that_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHOME", "/nonexistent")  # a broken Python installation
    async with ExtractionPool(memory_mb=64) as pool:
        with pytest.raises(ExtractError, match=r"^extraction worker failed to start \(exit status 1\)"):
            await pool.extract(b"x", "text")
        monkeypatch.delenv("PYTHONHOME")
        assert await pool.extract(b"x", "text") == [PageText(None, "x")]  # tried afresh next time


def test_pool_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        ExtractionPool(workers=0)
    with pytest.raises(ValueError):
        ExtractionPool(timeout=0)
