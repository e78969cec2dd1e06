"""Sentences out of extracted text: PDF line breaks joined, hyphenation repaired, bullets and abbreviations kept.

Text from a PDF arrives as lines. A line break inside a paragraph becomes a space; a blank line,
a bullet, a line ending in ``:`` and a short heading-like line end a sentence. A word hyphenated
across lines (``consul-`` / ``tation``) is joined, unless the second half is a usual compound head
(``midwife-`` / ``led``). Full stops after ``St``, ``Dr``, ``No`` (before a number), initials and the
like do not end a sentence.

:func:`split_sentences` gives the sentences as strings; :func:`segments` also says, for each
bullet item, which sentence introduced its list (``Changes may include:``), so that the classifier
can read the item in the light of its lead-in. :func:`blocks` and :func:`sentence_spans` are the two
steps of :func:`segments`, for a reader that splits only some blocks into sentences.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

#: Second halves of a line-broken word that keep their hyphen (``midwife-led``, ``long-term``).
_KEEP_HYPHEN_AFTER = frozenset(
    "led based term like wide site run funded owned specific related day week month year hour up in out off on "
    "to and or of the care bed beds patient patients centre level line time free friendly making being face hand "
    "week's day's hospital unit ward".split()
)
#: First halves that keep their hyphen (``self-referral``, ``non-urgent``, ``pre-consultation``).
_KEEP_HYPHEN_BEFORE = frozenset("self non pre post cross multi ex well long short full part step out".split())

#: Words whose full stop never ends a sentence.
_ABBREVIATIONS = frozenset(
    "st dr mr mrs ms mx prof cllr rev revd hon rt sgt capt lt col gen vs cf al approx fig figs para paras ref tel "
    "dept mt eg ie".split()
)
#: Words whose full stop does not end a sentence when a number follows (``No. 3``, ``p. 12``, ``Jan. 5``).
_ABBREVIATIONS_BEFORE_NUMBER = frozenset(
    "no nos p pp vol ch sec art reg para s jan feb mar apr jun jul aug sep sept oct nov dec".split()
)

_BULLET = re.compile(
    r"^\s*(?:[•●▪◦·‣∙■□➢►✓\-–—*]|\(?\d{1,2}[.)](?=\s)|\(?[a-hj-z][.)](?=\s)|\(?(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)\))\s+"
)
_INLINE_BULLETS = "•●▪■➢►"
_INLINE_BULLET = re.compile(rf"\s+[{_INLINE_BULLETS}]\s+")
#: A letter run never starts inside another one (a match ends after all of its word), so the look-behind only
#: spares the engine from retrying every letter of every word.
_HYPHEN_BREAK = re.compile(r"(?<![A-Za-z])([A-Za-z]+)-[ \t]*\n[ \t]*([a-z][\w'’]*)")
_HYPHEN_AT_LINE_END = re.compile(r"-[ \t]*\n")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TERMINAL = re.compile(r"[.!?:;,…\"”’)]\s*$")
#: A sentence's end: punctuation (spelt ``[.!?…][.!?…]*`` rather than ``[.!?…]+`` so that the search skips to
#: punctuation instead of trying every position), closing quotes or brackets, whitespace, and a capital or number.
_BOUNDARY = re.compile(r"([.!?…][.!?…]*)([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9£])")
#: A line ending like this is cut mid-phrase: the next line continues it.
_OPEN_END = re.compile(
    r"(?:[,&(–-]|\b(?:a|an|and|at|by|for|from|in|of|on|or|the|to|with|its|their|our))$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Segment:
    """One sentence (whitespace-normalised) and, for a bullet item, the index of the sentence leading its list."""

    text: str
    lead: int | None = None


def repair_hyphenation(text: str) -> str:
    """Join words hyphenated across a line break: ``consul-\\ntation`` -> ``consultation``."""

    def join(m: re.Match[str]) -> str:
        first, second = m.group(1), m.group(2)
        keep = second.lower() in _KEEP_HYPHEN_AFTER or first.lower() in _KEEP_HYPHEN_BEFORE
        return f"{first}-{second}" if keep else f"{first}{second}"

    return _HYPHEN_BREAK.sub(join, text) if _HYPHEN_AT_LINE_END.search(text) else text


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text.replace("\u00ad", ""))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    return repair_hyphenation(text)


def _is_heading(line: str, next_line: str, longest: int) -> bool:
    """A short line with no closing punctuation, followed by a capitalised line, ends its own block."""
    if longest < 40 or len(line) >= 0.6 * longest or _TERMINAL.search(line):
        return False
    return next_line[:1].isupper() or next_line[:1].isdigit()


class _Line(NamedTuple):
    """One line of text: whitespace-normalised, its indentation, and for a bullet the column its text starts at."""

    text: str
    indent: int
    bullet_column: int | None


#: What a bullet marker (see ``_BULLET``) can start with: a symbol, "(", a lower-case letter or numeral, a digit.
_BULLET_STARTS = frozenset("•●▪◦·‣∙■□➢►✓-–—*(abcdefghijklmnopqrstuvwxyz")


def _line(raw: str) -> _Line:
    if "\t" in raw:
        raw = raw.expandtabs(4)
    stripped = raw.lstrip()
    indent = len(raw) - len(stripped)
    first = stripped[:1]
    marker = _BULLET.match(raw) if (first in _BULLET_STARTS or first.isdecimal()) and _may_be_marker(stripped) else None
    body = raw[marker.end() :] if marker else raw
    plain = body.isascii() and "  " not in body and "\x0b" not in body and "\x0c" not in body  # no tab is left
    return _Line((body if plain else _SPACES.sub(" ", body)).strip(), indent, marker.end() if marker else None)


def _may_be_marker(stripped: str) -> bool:
    """Whether a line (without its indentation) that starts like a bullet marker may be one: a letter starts one
    only before ``.`` or ``)``, or as a roman numeral (``iv)``)."""
    return not stripped[0].isalpha() or stripped[0] in "ivx" or stripped[1:2] in (".", ")")


def _continues_bullet(previous: str, line: _Line, column: int, longest: int) -> bool:
    """A line after a bullet's line continues the bullet unless it looks like a new paragraph: it starts with a
    capital, further left than the bullet's text, after a bullet line that neither fills the width nor ends mid-phrase.
    """
    if line.indent >= column or not (line.text[:1].isupper() or line.text[:1].isdigit()):
        return True
    return (longest >= 40 and len(previous) >= 0.8 * longest) or bool(_OPEN_END.search(previous))


def blocks(text: str) -> list[tuple[str, bool]]:
    """The blocks of extracted text (paragraphs, bullet items, headings) that no sentence crosses, whitespace
    normalised, each with whether it is a bullet item; :func:`split_block` gives a block's sentences."""
    return _blocks(_clean(text))


def _blocks(text: str) -> list[tuple[str, bool]]:
    """Lines joined into blocks that no sentence crosses; each block says whether it is a bullet item."""
    lines = [_line(raw) for raw in text.split("\n")]
    longest = max((len(ln.text) for ln in lines), default=0)
    heading = 0.6 * longest if longest >= 40 else 0.0  # a heading is shorter than this (see _is_heading)
    blocks: list[tuple[str, bool]] = []
    current: list[str] = []
    column: int | None = None  # the text column of the bullet being read, if any

    def close() -> None:
        nonlocal current, column
        if current:
            blocks.append((" ".join(current), column is not None))
        current, column = [], None

    for i, line in enumerate(lines):
        body = line.text
        if not body:
            close()
            continue
        if line.bullet_column is not None or (
            column is not None and not _continues_bullet(lines[i - 1].text if i else "", line, column, longest)
        ):
            close()
        column = line.bullet_column if line.bullet_column is not None else column
        current.append(body)
        if body.endswith(":"):
            close()
        elif len(body) < heading and i + 1 < len(lines) and lines[i + 1].text:
            if _is_heading(body, lines[i + 1].text, longest):
                close()
    close()
    return blocks


def _is_abbreviation(before: str, punct: str, following: str) -> bool:
    """Whether the full stop after ``before`` belongs to an abbreviation rather than ending a sentence."""
    if punct != ".":
        return False
    if not before or before[-1].isspace():
        return False
    return _word_is_abbreviation(before.rsplit(None, 1)[-1], following)


def _word_is_abbreviation(word: str, following: str) -> bool:
    """Whether a full stop after ``word`` (no whitespace in it), before ``following``, belongs to an abbreviation."""
    word = word.lstrip("(\"'“‘[").lower()
    if word in _ABBREVIATIONS:
        return True
    if word in _ABBREVIATIONS_BEFORE_NUMBER and following[:1].isdigit():
        return True
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith"
    return "." in word and word not in ("a.m", "p.m")


def _ends_abbreviation(block: str, cut: int, at: int, following: str) -> bool:
    """:func:`_is_abbreviation` of ``block[cut:at]`` and a full stop at ``at``, without copying the text before it:
    its last word follows the last space (a word of letters only, the usual one, is an abbreviation when listed
    or a single letter)."""
    space = block.rfind(" ", cut, at)
    tail = block[space + 1 if space >= 0 else cut : at]
    if tail.isalpha():
        word = tail.lower()
        if word in _ABBREVIATIONS_BEFORE_NUMBER and following.isdigit():
            return True
        return len(word) == 1 or word in _ABBREVIATIONS
    if not tail or tail[-1].isspace():
        return False
    return _word_is_abbreviation(tail.rsplit(None, 1)[-1], following)


def _sentence_spans(block: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Add where the sentences of ``block[start:end]`` are to ``spans``: split at sentence-ending punctuation,
    abbreviations respected, whitespace at either end left out."""
    cut = start
    for m in _BOUNDARY.finditer(block, start, end):
        if m.group(1) == "." and _ends_abbreviation(block, cut, m.start(), block[m.end()]):
            continue
        if block[cut].isspace():
            _add_stripped(spans, block, cut, m.end())
        else:  # the common case: the sentence ends with its punctuation and closing quotes
            spans.append((cut, m.end(2)))
        cut = m.end()
    _add_stripped(spans, block, cut, end)


def _add_stripped(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    """Add the span of ``text[start:end].strip()`` to ``spans``, unless it is empty."""
    piece = text[start:end]
    left, right = start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())
    if right > left:
        spans.append((left, right))


def sentence_spans(block: str) -> list[tuple[int, int]]:
    """Where the sentences of one block are (at least one): inline bullets and sentence-ending punctuation
    split it; ``block[start:end]`` is each sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    if not block.isascii() and any(bullet in block for bullet in _INLINE_BULLETS):
        for m in _INLINE_BULLET.finditer(block):
            _sentence_spans(block, start, m.start(), spans)
            start = m.end()
    _sentence_spans(block, start, len(block), spans)
    return spans


def split_block(block: str) -> list[str]:
    """The sentences of one block (at least one)."""
    return [block[start:end] for start, end in sentence_spans(block)]


def segments(text: str) -> list[Segment]:
    """Sentences of ``text`` with, for bullet items, the index of the sentence that introduced the list."""
    out: list[Segment] = []
    lead: int | None = None
    for block, is_bullet in blocks(text):
        parts = split_block(block)
        if not is_bullet:
            lead = None
        for part in parts:
            out.append(Segment(part, lead if is_bullet else None))
        if block.endswith(":"):
            lead = len(out) - 1
    return out


def split_sentences(text: str) -> list[str]:
    """Split extracted text into whitespace-normalised sentences (PDF line breaks, hyphenation, bullets)."""
    return [s.text for s in segments(text)]
