"""Generate real test documents: PDFs (fpdf2, or hand-built bytes for hostile cases) and DOCX (python-docx).

Every function returns the file's bytes. Text given to the fpdf2 helpers is made latin-1-safe (the
core Helvetica font has no other glyphs), so curly quotes and dashes become their ASCII look-alikes.
"""

from __future__ import annotations

import io
import random
import zipfile
import zlib

import docx
from fpdf import FPDF
from PIL import Image, ImageDraw

__all__ = [
    "build_pdf",
    "corrupt",
    "deflate_zeros",
    "latin1_safe",
    "make_docx",
    "make_docx_bomb",
    "make_encrypted_pdf",
    "make_flate_bomb_pdf",
    "make_image_pdf",
    "make_large_pdf",
    "make_pdf",
]

_LOOKALIKES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2022": "-"}
)
_MB = 1024 * 1024
FILLER = (
    "The board received the integrated performance report and noted the position on elective recovery, "
    "urgent and emergency care and the financial plan for the year. "
)


def latin1_safe(text: str) -> str:
    """Map typographic punctuation to ASCII and anything else outside latin-1 to '?'."""
    text = text.replace("\u2026", "...").translate(_LOOKALIKES)
    return text.encode("latin-1", errors="replace").decode("latin-1")


def _fpdf(title: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=11)
    if title:
        pdf.set_title(latin1_safe(title))
    return pdf


def _write_pages(pdf: FPDF, pages: list[str]) -> bytes:
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 5, latin1_safe(text))  # a page too long for A4 flows onto the next one
    return bytes(pdf.output())


def make_pdf(pages: list[str], *, title: str = "") -> bytes:
    """A text PDF with one A4 page per string (Helvetica 11pt, wrapped; ``\\n`` starts a new line)."""
    return _write_pages(_fpdf(title), pages)


def make_encrypted_pdf(
    pages: list[str], *, user_password: str = "secret", owner_password: str = "owner", title: str = ""
) -> bytes:
    """Like :func:`make_pdf` but encrypted; ``user_password=""`` gives a permissions-only PDF anyone can open."""
    pdf = _fpdf(title)
    pdf.set_encryption(owner_password=owner_password, user_password=user_password)
    return _write_pages(pdf, pages)


def make_image_pdf(n_pages: int = 2) -> bytes:
    """A 'scanned' PDF: every page is an image of a text-like page, with no text layer."""
    picture = Image.new("L", (420, 594), 250)
    draw = ImageDraw.Draw(picture)
    for top in range(40, 560, 18):
        draw.rectangle((40, top, 380 - (top % 70), top + 8), fill=40)  # lines of 'print'
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    pdf = FPDF(format="A4")
    for _ in range(n_pages):
        pdf.add_page()
        pdf.image(io.BytesIO(buffer.getvalue()), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def make_docx(paragraphs: list[str], *, table: list[list[str]] | None = None) -> bytes:
    """A DOCX with these body paragraphs, then (optionally) a table with these rows of cells."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for row_cells, row in zip(grid.rows, table, strict=False):
            for cell, text in zip(row_cells.cells, row, strict=False):
                cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_docx_bomb(uncompressed_mb: int = 64) -> bytes:
    """A real DOCX whose ``word/document.xml`` is padded with whitespace to ``uncompressed_mb`` (about 1000:1)."""
    source = zipfile.ZipFile(io.BytesIO(make_docx(["Harmless looking paragraph."])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != "word/document.xml":
                bomb.writestr(info.filename, data)
                continue
            with bomb.open("word/document.xml", "w") as member:
                member.write(data.rstrip())
                chunk = b" " * _MB
                for _ in range(uncompressed_mb):
                    member.write(chunk)
    return out.getvalue()


def build_pdf(objects: list[bytes]) -> bytes:
    """Assemble a PDF from object bodies numbered 1.. in order (object 1 must be the catalog)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), extra, data)


def make_large_pdf(n_pages: int, *, filler: str = FILLER) -> bytes:
    """A hand-built text PDF of ``n_pages`` pages, each 'Page N. <filler>' (fast even for 5,000 pages)."""
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(n_pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    safe = latin1_safe(filler).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    for number in range(1, n_pages + 1):
        text = f"Page {number}. {safe}".encode("latin-1")
        content = b"BT /F1 10 Tf 50 780 Td 12 TL (%s) Tj ET" % text
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % (len(objects) + 2)
        )
        objects.append(_stream(content))
    return build_pdf(objects)


def deflate_zeros(n_mb: int) -> bytes:
    """A zlib stream that inflates to ``n_mb`` MiB of zero bytes, about 1 KB per MiB, built in microseconds.

    Deflate blocks that end in a full flush do not depend on earlier data, so one block is repeated.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(_MB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    adler = (((n_mb * _MB) % 65521) << 16) | 1  # Adler-32 of zeros: a stays 1, b counts the bytes
    return b"\x78\xda" + block * n_mb + b"\x03\x00" + adler.to_bytes(4, "big")


def make_flate_bomb_pdf(uncompressed_mb: int = 1024) -> bytes:
    """A one-page PDF whose content stream is ``uncompressed_mb`` MiB of zeros, FlateDecode-compressed (~1 MB)."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
            _stream(deflate_zeros(uncompressed_mb), b"/Filter /FlateDecode "),
        ]
    )


def corrupt(data: bytes, *, seed: int = 0) -> bytes:
    """Keep the first 16 bytes (so it still looks like its type) and scramble the rest beyond repair."""
    rng = random.Random(seed)
    return data[:16] + bytes(byte ^ rng.randrange(1, 256) for byte in data[16:])
