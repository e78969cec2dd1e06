"""DOCX text extraction with python-docx: body paragraphs and table cells, in document order.

The zip container is checked before python-docx sees it, so a zip bomb is refused from the sizes its
directory declares (Python's zipfile never inflates a member past its declared size: a member that
lies fails its CRC check and is reported as corrupt).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from monitor.errors import ExtractError
from monitor.extract.types import PageText

__all__ = ["MAX_MEMBERS", "MAX_RATIO", "MAX_UNCOMPRESSED", "extract_docx"]

#: Largest total unpacked size of all zip members.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
#: Largest unpacked/packed ratio for archives (or members) that unpack to more than ``_RATIO_FLOOR``.
MAX_RATIO = 100
#: Most members an archive may have.
MAX_MEMBERS = 5000
_RATIO_FLOOR = 10 * 1024 * 1024
_MB = 1024 * 1024


def extract_docx(data: bytes) -> list[PageText]:
    """Return a DOCX document's text as one non-paged :class:`PageText`, one paragraph or cell per line.

    :raises ExtractError: not a zip, not a Word document, a zip bomb, or XML python-docx cannot read.
    """
    check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
        lines = [line for line in _block_lines(document.iter_inner_content(), set()) if line]
    except MemoryError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on damaged parts
        raise ExtractError(f"corrupt DOCX ({_short(exc)})") from None
    return [PageText(None, "\n".join(lines))]


def check_zip(data: bytes) -> None:
    """Refuse archives that are not a Word document or would unpack to too much data.

    :raises ExtractError: with the reason.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise ExtractError(f"corrupt DOCX (not a readable zip archive: {_short(exc)})") from None
    if len(members) > MAX_MEMBERS:
        raise ExtractError(f"DOCX refused: {len(members)} zip members > {MAX_MEMBERS} (possible zip bomb)")
    if not any(member.filename == "word/document.xml" for member in members):
        raise ExtractError("not a Word document: the zip has no word/document.xml")
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED:
        raise ExtractError(
            f"DOCX refused: it unpacks to {total // _MB} MB > {MAX_UNCOMPRESSED // _MB} MB (possible zip bomb)"
        )
    packed = sum(member.compress_size for member in members)
    for name, size, compressed in [("archive", total, packed)] + [
        (m.filename, m.file_size, m.compress_size) for m in members
    ]:
        if size > _RATIO_FLOOR and size > MAX_RATIO * max(compressed, 1):
            ratio = size // max(compressed, 1)
            raise ExtractError(f"DOCX refused: {name} compresses {ratio}:1 > {MAX_RATIO}:1 (possible zip bomb)")


def _block_lines(blocks: Iterator[Any], seen: set[Any]) -> Iterator[str]:
    """Lines of paragraphs and tables (cells recursively, merged cells once) in document order."""
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text.strip()
        elif isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    if cell._tc in seen:  # a merged cell appears once per grid column it spans
                        continue
                    seen.add(cell._tc)
                    yield from _block_lines(cell.iter_inner_content(), seen)


def _short(exc: BaseException) -> str:
    """An exception as a one-line phrase of bounded length."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
