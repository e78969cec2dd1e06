"""What a new revision of a document or page adds: pure functions, sentence granularity.

Both revisions are cut into sentences. A sentence of the new revision is *added* when no sentence of
the old revision has the same normalised words (case, punctuation and spacing ignored), wherever it
was: a sentence that only moved to another page is not added. Added sentences keep the page they
start on in the new revision and come back as readable text: neighbours from one paragraph joined by
a space, separate paragraphs on separate lines.

Paged text (PDF pages) is reflowed first: wrapped lines are joined into paragraphs (also across a
page break, so a sentence split by it is whole), words hyphenated at a line end are rejoined, and
running headers/footers and page numbers are compared with their numbers blanked, so renumbered
pages add nothing (a new running header is still added, once). Non-paged
text (web pages, DOCX) keeps each line as its own paragraph.
"""

from __future__ import annotations

import bisect
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.extract.types import PageText

__all__ = ["added_lines", "added_text", "sentences"]

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(\s+)(?=[\"'“‘(\[]?[A-Z0-9•])")
_BULLET = re.compile(r"^(?:[•▪◦●■\-–*]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")
_PAGE_NUMBER = re.compile(r"^\W*(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\W*$", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")
_SHORT_LINE = 0.6  # a line shorter than this share of the document's long lines ends its paragraph
_BOILERPLATE_SHARE = 0.6  # a line (digits ignored) on at least this share of pages is a header/footer
_BOILERPLATE_MIN_PAGES = 3
_FURNITURE = object()


@dataclass(frozen=True, slots=True)
class _Sentence:
    page: int | None
    paragraph: int
    text: str
    key: str


def added_text(old: Sequence[PageText], new: Sequence[PageText]) -> list[PageText]:
    """Return the text of ``new`` that ``old`` does not have, one :class:`PageText` per page that has any.

    :param old: the previous revision's pages (empty for a first revision: then everything is added).
    :param new: the new revision's pages.
    """
    seen = {sentence.key for sentence in _sentences(old)}
    pages: dict[int | None, list[str]] = {}
    previous: _Sentence | None = None
    for sentence in _sentences(new):
        if sentence.key in seen:
            previous = None
            continue
        seen.add(sentence.key)  # a sentence repeated within the new revision is added once
        parts = pages.setdefault(sentence.page, [])
        joined = previous is not None and previous.paragraph == sentence.paragraph and previous.page == sentence.page
        if joined and parts:
            parts[-1] = f"{parts[-1]} {sentence.text}"
        else:
            parts.append(sentence.text)
        previous = sentence
    return [PageText(page, "\n".join(parts)) for page, parts in sorted(pages.items(), key=_page_order)]


def added_lines(old: str, new: str) -> str:
    """The sentences of plain text ``new`` that ``old`` does not have, one paragraph per line."""
    return "\n".join(page.text for page in added_text([PageText(None, old)], [PageText(None, new)]))


def sentences(pages: Sequence[PageText]) -> list[PageText]:
    """Cut pages into sentences (reflowed as described above), each with the page it starts on."""
    found = [PageText(sentence.page, sentence.text) for sentence in _sentences(pages)]
    return sorted(found, key=lambda sentence: sentence.page or 0)


def _sentences(pages: Sequence[PageText]) -> Iterator[_Sentence]:
    for number, lines in enumerate(_paragraphs(pages)):
        if lines[0][0] is _FURNITURE:  # compare a header or footer with its numbers blanked
            page, line = lines[1]
            yield _Sentence(page, number, line, _key(_shape(line)))
            continue
        text, offsets = _join(lines)
        for start, piece in _split_sentences(text):
            key = _key(piece)
            if key:
                page = lines[bisect.bisect_right(offsets, start) - 1][0]
                yield _Sentence(page, number, piece.strip(), key)


def _page_order(item: tuple[int | None, list[str]]) -> int:
    return item[0] or 0


def _split_sentences(paragraph: str) -> Iterator[tuple[int, str]]:
    """Cut at the space after a full stop, question or exclamation mark that a capital or digit follows."""
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        yield start, paragraph[start : match.start(1)]
        start = match.end(1)
    yield start, paragraph[start:]


def _paragraphs(pages: Sequence[PageText]) -> Iterator[list[tuple[Any, str]]]:
    """Paragraphs as lists of (page, line); a paragraph may run on across a page break.

    Headers, footers and page numbers come out after the paragraph they interrupt, each as
    ``[(_FURNITURE, ""), (page, line)]``.
    """
    boilerplate = _boilerplate(pages)
    body = [line.strip() for page in pages if page.page is not None for line in page.text.splitlines()]
    short = _SHORT_LINE * _long_line_length([line for line in body if line and not _furniture(line, boilerplate)])
    flow = _Flow()
    for page in pages:
        lines = [line.strip() for line in page.text.splitlines()]
        if page.page is None:  # non-paged text: every line is a paragraph
            yield from flow.flush()
            yield from ([(None, line)] for line in lines if line)
            continue
        for line in lines:
            if line and _furniture(line, boilerplate):
                flow.furniture.append([(_FURNITURE, ""), (page.page, line)])
                continue
            if not line or _BULLET.match(line):  # a blank line or a bullet starts a new paragraph
                yield from flow.flush()
            if line:
                flow.lines.append((page.page, line))
                if len(line) < short:  # a short line ends its paragraph (or is a heading)
                    yield from flow.flush()
    yield from flow.flush()


@dataclass(slots=True)
class _Flow:
    """The paragraph being built, and the page furniture met meanwhile."""

    lines: list[tuple[Any, str]] = field(default_factory=list)
    furniture: list[list[tuple[Any, str]]] = field(default_factory=list)

    def flush(self) -> Iterator[list[tuple[Any, str]]]:
        if self.lines:
            yield self.lines
        yield from self.furniture
        self.lines, self.furniture = [], []


def _furniture(line: str, boilerplate: set[str]) -> bool:
    """A running header or footer, or a page number."""
    return _shape(line) in boilerplate or bool(_PAGE_NUMBER.match(line))


def _join(lines: list[tuple[Any, str]]) -> tuple[str, list[int]]:
    """Join wrapped lines into one paragraph (rejoining words hyphenated at a line end); each line's offset."""
    text, offsets = "", []
    for _, line in lines:
        if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and line[:1].islower():
            text = text[:-1]
        elif text:
            text += " "
        offsets.append(len(text))
        text += line
    return text, offsets


def _long_line_length(lines: list[str]) -> float:
    """The length of a typical full line in a document (upper quartile of line lengths)."""
    if len(lines) < 2:
        return float(len(lines[0])) if lines else 0.0
    return statistics.quantiles([len(line) for line in lines], n=4)[-1]


def _boilerplate(pages: Sequence[PageText]) -> set[str]:
    """Line shapes repeated on most pages of a paged document: running headers and footers."""
    paged = [page for page in pages if page.page is not None]
    if len(paged) < _BOILERPLATE_MIN_PAGES:
        return set()
    counts = Counter(shape for page in paged for shape in {_shape(line) for line in page.text.splitlines()} if shape)
    threshold = max(_BOILERPLATE_MIN_PAGES, _BOILERPLATE_SHARE * len(paged))
    return {shape for shape, count in counts.items() if count >= threshold}


def _shape(line: str) -> str:
    """A line with its numbers blanked, for spotting headers like 'Page 3 of 40' on every page."""
    return _DIGITS.sub("#", " ".join(line.split()).casefold())


def _key(text: str) -> str:
    """The words of a sentence, for comparison: case, accents' forms, punctuation and spacing ignored."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
