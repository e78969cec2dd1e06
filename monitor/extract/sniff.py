"""Decide what kind of document a download is: magic bytes first, then content type, then URL extension."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import unquote, urlsplit

__all__ = ["DOC_TYPES", "sniff_type"]

#: Every value :func:`sniff_type` can return (besides ``None``).
DOC_TYPES = ("pdf", "docx", "html", "text")

_DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/acrobat": "pdf",
    _DOCX_MIME: "docx",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
}
_EXTENSIONS = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".txt": "text"}
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE | re.DOTALL
)
_ZIP_MAGIC = b"PK\x03\x04"


def sniff_type(content_type: str | None, data: bytes, url: str = "") -> str | None:
    """Return ``"pdf"``, ``"docx"``, ``"html"``, ``"text"`` or ``None`` (not a document we read).

    :param content_type: the response's Content-Type header, if any (parameters are ignored).
    :param data: the body, or at least its first few KB (a DOCX needs the whole zip to be recognised).
    :param url: the final URL, whose extension is the last resort.
    """
    by_magic = _from_magic(data)
    if by_magic is not None:
        return by_magic or None
    return _from_content_type(content_type) or _from_url(url)


def _from_magic(data: bytes) -> str | None:
    """The type the bytes prove; ``""`` when they prove it is something we do not read; ``None`` if unsure."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(data)
    if _HTML_START.match(head):
        return "html"
    return None


def _zip_kind(data: bytes) -> str | None:
    """``"docx"`` for a Word zip, ``""`` for another readable zip (xlsx, pptx…), ``None`` if unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return None
    return "docx" if "word/document.xml" in names else ""


def _from_content_type(content_type: str | None) -> str | None:
    """The type a Content-Type header names, if it is one we read."""
    if not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    return _CONTENT_TYPES.get(mime)


def _from_url(url: str) -> str | None:
    """The type a URL path's extension names (query and fragment ignored)."""
    if not url:
        return None
    path = unquote(urlsplit(url).path).lower()
    for extension, kind in _EXTENSIONS.items():
        if path.endswith(extension):
            return kind
    return None
