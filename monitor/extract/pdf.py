"""PDF text extraction with pypdfium2, page by page.

PDFium is not thread-safe, so every call into it holds one process-wide lock. For hostile input
(decompression bombs, endless pages) run this through :class:`monitor.extract.worker.ExtractionPool`,
which confines it to a worker process with time and memory limits.
"""

from __future__ import annotations

import re
import threading

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from monitor.errors import ExtractError
from monitor.extract.types import PageText

__all__ = ["MIN_PAGE_LETTERS", "extract_pdf"]

#: A page with fewer letters than this counts as having no text (a scan, a blank page, a lone "Page 3").
MIN_PAGE_LETTERS = 5

_PDFIUM_LOCK = threading.Lock()
# Control characters other than tab and newline, plus the non-characters PDFium uses as markers.
_JUNK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
#: Runs of spaces, tabs and no-break spaces that are not a single space already, each to become one (a class
#: first, so the search skips to spaces).
_SPACE_RUNS_TO_TIDY = re.compile(r"[ \t\xa0](?:[ \t\xa0]+|(?<=[\t\xa0]))")
#: Whitespace other than the space and the line break.
_OTHER_SPACE = re.compile(r"[^\S \n]")


def extract_pdf(data: bytes, *, max_pages: int = 2000) -> list[PageText]:
    """Return the text of every page of a PDF, with 1-based page numbers.

    :param data: the PDF file's bytes.
    :param max_pages: refuse documents with more pages than this.
    :raises ExtractError: corrupt or encrypted PDF, too many pages, or no text layer at all.
    """
    with _PDFIUM_LOCK:
        pdf = _open(data)
        try:
            count = len(pdf)
            if count > max_pages:
                raise ExtractError(f"too many pages: {count} > {max_pages} (the max_pages limit)")
            texts = [_page_text(pdf, index) for index in range(count)]
        finally:
            pdf.close()
    readable = [text for text in texts if text is not None]
    if not readable:
        raise ExtractError(f"corrupt PDF (none of its {len(texts)} pages could be read)")
    if all(_letters(text) < MIN_PAGE_LETTERS for text in readable):
        raise ExtractError("no text layer (scanned PDF?): OCR is not supported")
    return [PageText(number, text or "") for number, text in enumerate(texts, start=1)]


def _open(data: bytes) -> pdfium.PdfDocument:
    """Open a PDF from memory, turning PDFium's load errors into messages an admin can act on."""
    if not data:
        raise ExtractError("corrupt PDF (the file is empty)")
    try:
        return pdfium.PdfDocument(bytes(data))
    except pdfium.PdfiumError as exc:
        code = exc.err_code
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise ExtractError("encrypted PDF: a password is needed") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise ExtractError("encrypted PDF: unsupported security scheme") from None
        if code == pdfium_c.FPDF_ERR_SUCCESS:
            raise ExtractError("corrupt PDF (it has no pages)") from None
        raise ExtractError(f"corrupt PDF ({_reason(code)})") from None


def _reason(code: int | None) -> str:
    """PDFium's load error code as a short phrase."""
    reasons = {
        pdfium_c.FPDF_ERR_FORMAT: "not a PDF or damaged beyond repair",
        pdfium_c.FPDF_ERR_FILE: "cannot be read",
        pdfium_c.FPDF_ERR_PAGE: "page tree or content is damaged",
    }
    return reasons.get(code if code is not None else -1, f"PDFium error {code}")


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str | None:
    """Text of one page (``None`` if the page itself is unreadable); closes the page and its text page."""
    try:
        page = pdf[index]
    except Exception:  # a damaged page must not sink the whole document
        return None
    try:
        textpage = page.get_textpage()
        try:
            return _clean(textpage.get_text_range())
        finally:
            textpage.close()
    except Exception:  # PDFium helpers raise assorted errors on damaged pages
        return None
    finally:
        page.close()


def _clean(text: str) -> str:
    """Normalise PDFium output: LF line breaks, no markers or control characters, tidy spaces.

    The same as tidying each line (space runs to one space, whitespace at either end stripped) and stripping the
    whole, done on the whole text: most pages have nothing to remove but the line breaks' CRs.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not (text.isascii() and text.replace("\n", "").replace("\t", "").isprintable()):
        text = _JUNK.sub("", text)  # U+FFFE marks a hyphen PDFium removed at a line end: join the word
    if "  " in text or "\t" in text or "\xa0" in text:
        text = _SPACE_RUNS_TO_TIDY.sub(" ", text)
    if _OTHER_SPACE.search(text):  # whitespace that strip() removes at a line's ends, besides the space
        return "\n".join(line.strip() for line in text.split("\n")).strip()
    # Only single spaces are left: at most one at either end of a line.
    return text.replace(" \n", "\n").replace("\n ", "\n").strip()


def _letters(text: str) -> int:
    """Number of letters (digits and punctuation do not make a text layer)."""
    return sum(1 for char in text if char.isalpha())
