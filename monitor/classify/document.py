"""A document's sentences as the classifier reads them: every one, or only those the screen lets through.

:func:`all_sentences` splits every page into sentences. :func:`screened_sentences` gives the same
sentences, each with the same neighbours, but skips those in which no rule's literals occur
(:mod:`monitor.classify.screen`): a block (paragraph, bullet item) in which no alternative of a rule's cue
has its first literals is never split, and a sentence without the second literals of such an alternative
is never judged. Its sentences are numbered by block and place in block, which
orders them as :func:`all_sentences` does; :meth:`Layout.within` says how many sentences apart two
are, splitting the blocks between them when asked.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from monitor.classify.rules import refers_back
from monitor.classify.screen import Screen, screenable
from monitor.classify.sentences import blocks, segments, sentence_spans
from monitor.extract.types import PageText

#: A sentence's number in :func:`screened_sentences` is its block's number times this, plus its place in the block.
_BLOCK = 1 << 32


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence to judge: its number (order in the document), page, text, the sentence before it on its page,
    and for a bullet item the sentence that led its list. (:func:`screened_sentences` leaves ``previous`` empty
    for a sentence that does not refer back: the rules would not read it.)"""

    index: int
    page: int | None
    text: str
    previous: str
    lead: str


class Spacing(Protocol):
    """How far apart two sentences of one document are."""

    def within(self, a: int, b: int, limit: int) -> bool:
        """Whether the sentences numbered ``a`` and ``b`` are at most ``limit`` sentences apart."""
        ...


class Counted:
    """Sentences numbered 0, 1, 2... as :func:`all_sentences` numbers them."""

    def within(self, a: int, b: int, limit: int) -> bool:
        """Whether the sentences numbered ``a`` and ``b`` are at most ``limit`` sentences apart."""
        return abs(a - b) <= limit


def all_sentences(pages: Sequence[PageText]) -> list[Sentence]:
    """Every sentence of every page, numbered 0, 1, 2..."""
    out: list[Sentence] = []
    for page in pages:
        segs = segments(page.text)
        for i, seg in enumerate(segs):
            previous = segs[i - 1].text if i else ""
            lead = segs[seg.lead].text if seg.lead is not None else ""
            out.append(Sentence(len(out), page.page, seg.text, previous, lead))
    return out


@dataclass(slots=True)
class _Block:
    """A block of a page and, once wanted, where its sentences are."""

    text: str
    spans: list[tuple[int, int]] | None = None

    def sentences(self) -> list[tuple[int, int]]:
        if self.spans is None:
            self.spans = sentence_spans(self.text)
        return self.spans

    def last(self) -> str:
        start, end = self.sentences()[-1]
        return self.text[start:end]


@dataclass
class Layout:
    """The blocks of a document in order, split into sentences only when needed."""

    blocks: list[_Block] = field(default_factory=list)

    def within(self, a: int, b: int, limit: int) -> bool:
        """Whether the sentences numbered ``a`` and ``b`` are at most ``limit`` sentences apart."""
        (first, i), (last, j) = sorted((divmod(a, _BLOCK), divmod(b, _BLOCK)))
        gap = j - i
        for n in range(first, last):
            if gap > limit:
                return False
            gap += len(self.blocks[n].sentences())
        return gap <= limit


@dataclass(frozen=True, slots=True)
class Screened:
    """A sentence the screen let through, and the keys of the rules worth trying on it (``None``: every rule)."""

    sentence: Sentence
    rules: frozenset[int] | None


def screened_sentences(pages: Sequence[PageText], screen: Screen) -> tuple[list[Screened], Layout]:
    """The sentences in which some rule's literals occur, numbered by block, with the layout that spaces them."""
    layout = Layout()
    out: list[Screened] = []
    for page in pages:
        out.extend(_screened_page(layout, page, screen))
    return out, layout


def _screened_page(layout: Layout, page: PageText, screen: Screen) -> list[Screened]:
    """The screened sentences of one page, whose blocks join the layout. The page's blocks are searched as one
    text, a line break apart: a literal found across the break only lets through a block that did not need to."""
    page_blocks = blocks(page.text)
    first = len(layout.blocks)
    layout.blocks.extend(_Block(text) for text, _ in page_blocks)
    joined = "\n".join(text for text, _ in page_blocks)
    lowered = joined.lower()
    found = _found(lowered, screen) if screenable(joined) else None
    out: list[Screened] = []
    lead: int | None = None  # the block whose last sentence leads the current list
    offset = 0
    for number, (text, is_bullet) in enumerate(page_blocks, first):
        lead = lead if is_bullet else None
        end = offset + len(text)
        here = None if found is None else found.within(offset, end)
        if here is None or here.starts:
            context = _Context(number, first, page.page, layout.blocks[lead].last() if lead is not None else "")
            out.extend(_screened_block(layout, context, lowered[offset:end], here, screen))
        if text.endswith(":"):
            lead = number
        offset = end + 1
    return out


@dataclass(frozen=True, slots=True)
class _Found:
    """Where in a text the alternatives' first literals match (in order), and whose they are at each place."""

    starts: list[int]
    alternatives: list[tuple[int, ...]]

    def within(self, start: int, end: int) -> _Found:
        """Those from ``start`` up to ``end``, their places counted from ``start``."""
        i, j = bisect_left(self.starts, start), bisect_left(self.starts, end)
        return _Found([s - start for s in self.starts[i:j]], self.alternatives[i:j])


def _found(lowered: str, screen: Screen) -> _Found:
    """Where the first literals of some alternative match in ``lowered``, and whose."""
    starts: list[int] = []
    alternatives: list[tuple[int, ...]] = []
    for start in screen.starts(lowered):
        here = screen.alternatives_at(lowered, start)
        if here:
            starts.append(start)
            alternatives.append(here)
    return _Found(starts, alternatives)


@dataclass(frozen=True, slots=True)
class _Context:
    """A block's number, the number of the first block of its page, its page, and the sentence leading its list."""

    number: int
    first: int
    page: int | None
    lead: str


def _screened_block(
    layout: Layout, context: _Context, lowered: str, found: _Found | None, screen: Screen
) -> list[Screened]:
    """The screened sentences of one block, given where the alternatives' first literals are in it (``None``: the
    block cannot be screened, so every sentence is tried with every rule)."""
    number = context.number
    block = layout.blocks[number]
    spans = block.sentences()
    out: list[Screened] = []
    at = 0  # the first of found.starts not yet passed
    for i, (start, end) in enumerate(spans):
        rules = None
        if found is not None:
            starts = found.starts
            if at == len(starts):
                break
            if starts[at] >= end:
                continue
            here: set[tuple[int, ...]] = set()  # the alternatives found at each place in the sentence
            while at < len(starts) and starts[at] < end:
                if starts[at] >= start:
                    here.add(found.alternatives[at])
                at += 1
            rules = screen.rules_of(lowered[start:end], here) if here else frozenset()
            if not rules:
                continue
        text = block.text[start:end]
        if not refers_back(text):
            previous = ""  # the rules would not read it
        elif i:
            previous = block.text[spans[i - 1][0] : spans[i - 1][1]]
        else:
            previous = layout.blocks[number - 1].last() if number > context.first else ""
        sentence = Sentence(number * _BLOCK + i, context.page, text, previous, context.lead)
        out.append(Screened(sentence, rules))
    return out
