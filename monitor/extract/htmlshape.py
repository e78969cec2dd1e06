"""A linear pre-scan that refuses HTML built to make the HTML parser slow or huge, before lexbor sees it.

lexbor follows the HTML standard's tree builder, and three of its steps cost far more than the
page's size when a page is built for them (figures measured with selectolax 1.0 on one core):

* every block start tag (``<div>``, ``<ul>``, ``<section>``…) looks down the stack of open elements
  for a ``<p>`` to close: 100,000 nested ``<div>`` (600 KB) took 22 s, and the cost grows faster
  than the square of the depth;
* a formatting element (``<b>``, ``<font>``…) left open when its block ends is re-created in every
  later block ("reconstruct the active formatting elements"): an 89 KB page became 10 million
  elements and 3.7 GB;
* one element's attributes are compared with each other: 100,000 attributes (900 KB) took 44 s.

:func:`check_html_shape` walks the tags once (comments, scripts and other raw text skipped) through a
small model of the tree builder (the stack of open elements with its scopes and implied end tags, SVG
and MathML, and the list of active formatting elements), and raises :class:`ParseError` past
:data:`MAX_DEPTH` open elements (Chromium's parser stops nesting at the same depth), :data:`MAX_ATTRIBUTES`
on one tag, :data:`MAX_FORMATTING` formatting elements open at once, or :data:`MAX_REBUILT` re-created
elements. Real pages stay far below all four (none of 3,000 real HTML files tripped one). The model was
fuzzed against lexbor (random tag soup repeated until deep; ``tests/test_hostile_inputs.py`` keeps a
differential test): with common tags lexbor never nested deeper than the model counts; rare combinations
(``<ruby>``, ``<template>`` inside tables…) can still nest a level per repetition the model misses.
The rules it follows are in :mod:`monitor.extract.htmltags`. Cost: one Python step per tag, ~5 MB/s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from monitor.errors import ParseError
from monitor.extract import htmltags as T

MAX_DEPTH = 512
MAX_ATTRIBUTES = 256
MAX_FORMATTING = 256
MAX_REBUILT = 250_000


_NON_SPACE = re.compile(r"\S")
_OWN_END_RULES = T.words("form br html head body")
_TAG = re.compile(r"<(?:(!--)|([!?])|(/?)([A-Za-z][^\t\n\f\r />]*))")
_ATTR = re.compile(r"""[^\s"'=>/][^\s=>/]*(?:\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*))?""")
_RAW_END: dict[str, re.Pattern[str]] = {name: re.compile(rf"</{name}", re.IGNORECASE) for name in T.RAW}
_REFUSED = "refused (a page built to stall the HTML parser or exhaust memory, or a broken one)"


@lru_cache(maxsize=4096)
def _boundaries_of(name: str) -> tuple[frozenset[str], ...]:
    return tuple(b for b in T.BOUNDARIES if name in b)


@dataclass(slots=True, eq=False)
class _Formatting:
    """An entry in the list of active formatting elements (``name`` empty: a marker)."""

    name: str
    signature: str
    alive: bool = True
    in_stack: bool = True
    order: int = 0  # place in the list: the parser re-creates entries in this order
    markers: int = 0  # markers in the list when it was added (none added since: it is after the last one)


@dataclass(slots=True)
class _Open:
    name: str
    ns: str  # "" for HTML, else "svg" or "math"
    entry: _Formatting | None = None
    integration: bool = False  # an SVG or MathML element whose content is parsed as HTML


@dataclass(slots=True)
class _Model:
    """Just enough of the tree builder to bound the stack of open elements and the re-created formatting
    elements."""

    stack: list[_Open] = field(default_factory=list)
    positions: dict[str, list[int]] = field(default_factory=dict)
    marks: dict[frozenset[str], list[int]] = field(default_factory=lambda: {b: [] for b in T.BOUNDARIES})
    html_marks: list[int] = field(default_factory=list)
    active: list[_Formatting] = field(default_factory=list)
    by_name: dict[str, list[_Formatting]] = field(default_factory=dict)
    by_signature: dict[str, list[_Formatting]] = field(default_factory=dict)
    out_of_stack: list[_Formatting] = field(default_factory=list)
    alive: int = 0
    rebuilt: int = 0
    markers: int = 0
    in_form: bool = False
    content: bool = False  # text or certain tags seen: from then on the parser ignores <frameset>
    framed: bool = False  # a <frameset> was seen first: the parser may ignore all but framesets from there

    # -- the stack of open elements ------------------------------------------------------------
    def push(self, name: str, ns: str = "", entry: _Formatting | None = None, integration: bool = False) -> None:
        self._place(_Open(name, ns, entry, integration or name in T.INTEGRATION))
        if name in T.MARKERS:
            self.active.append(_Formatting("", "", alive=False))
            self.markers += 1
        if len(self.stack) > MAX_DEPTH:
            raise ParseError(f"the page nests its elements more than {MAX_DEPTH} deep; {_REFUSED}")

    def _place(self, item: _Open) -> None:
        where = len(self.stack)
        self.positions.setdefault(item.name, []).append(where)
        for boundaries in _boundaries_of(item.name):
            self.marks[boundaries].append(where)
        if not item.ns:
            self.html_marks.append(where)
        self.stack.append(item)

    def restack(self, items: list[_Open]) -> None:
        """Replace the stack (the adoption agency moves elements within it)."""
        self.stack, self.positions, self.html_marks = [], {}, []
        self.marks = {b: [] for b in T.BOUNDARIES}
        for item in items:
            self._place(item)

    def pop(self) -> _Open:
        item = self.stack.pop()
        self.positions[item.name].pop()
        for boundaries in _boundaries_of(item.name):
            self.marks[boundaries].pop()
        if not item.ns:
            self.html_marks.pop()
        if item.name in T.MARKERS:
            self.clear_to_marker()
        if item.entry is not None and item.entry.alive:
            item.entry.in_stack = False
            self.out_of_stack.append(item.entry)
        return item

    def pop_to(self, where: int) -> None:
        """Pop the element at position ``where`` and everything above it."""
        while len(self.stack) > where:
            self.pop()

    def pop_until(self, name: str) -> None:
        where = self.positions.get(name)
        if where:
            self.pop_to(where[-1])

    def is_open(self, name: str) -> bool:
        return bool(self.positions.get(name))

    def latest(self, names: frozenset[str]) -> tuple[int, str]:
        """(position, name) of the most recently opened of ``names``; (-1, "") if none is open."""
        best = (-1, "")
        for name in names:
            where = self.positions.get(name)
            if where and where[-1] > best[0]:
                best = (where[-1], name)
        return best

    def in_scope(self, names: frozenset[str], boundaries: frozenset[str]) -> str | None:
        """The most recent open element of ``names`` if no scope boundary (one of ``T.BOUNDARIES``) was opened
        after it."""
        where, name = self.latest(names)
        marks = self.marks[boundaries]
        return name if where >= 0 and where >= (marks[-1] if marks else -1) else None

    @property
    def top(self) -> str:
        return self.stack[-1].name if self.stack else ""

    def in_foreign(self) -> bool:
        return bool(self.stack) and bool(self.stack[-1].ns) and not self.stack[-1].integration

    def raw_text_allowed(self) -> bool:
        """Whether a <script>, <style>… holds raw text: not inside a frameset, where such tags are ignored."""
        return not self.positions.get("frameset")

    # -- active formatting elements -------------------------------------------------------------
    def rebuild(self) -> None:
        """Re-create the formatting elements a block end closed (the parser does so before text and most tags)."""
        pending, self.out_of_stack = self.out_of_stack, []
        for entry in sorted(pending, key=lambda e: e.order):
            if entry.alive and not entry.in_stack:
                entry.in_stack = True
                self.charge(1)
                self.push(entry.name, "", entry)

    def charge(self, copies: int) -> None:
        """Count elements the parser creates beyond the page's own tags."""
        self.rebuilt += copies
        if self.rebuilt > MAX_REBUILT:
            raise ParseError(f"the page's unclosed or misnested formatting tags would make the parser create more "
                             f"than {MAX_REBUILT:,} extra elements; {_REFUSED}")

    def open_formatting(self, name: str, signature: str, *, adopt: bool = True) -> None:
        if adopt and self._ends_open(name):
            self.close_formatting(name, by_start_tag=True)  # a new <a> ends an open one
            self.rebuild()
        same = [e for e in self.by_signature.get(signature, []) if e.alive]
        if len(same) >= 3:  # "Noah's Ark": at most three identical entries
            self.kill(same.pop(0))
        entry = _Formatting(name, signature, order=len(self.active), markers=self.markers)
        self.by_signature[signature] = [*same, entry]
        self.by_name.setdefault(name, []).append(entry)
        self.active.append(entry)
        self.alive += 1
        if self.alive > MAX_FORMATTING:
            raise ParseError(f"the page leaves more than {MAX_FORMATTING} formatting tags (b, i, font…) open at "
                             f"once; {_REFUSED}")
        self.push(name, "", entry)

    def _ends_open(self, name: str) -> bool:
        """A new <a> ends an <a> added since the last marker; a new <nobr> ends one in scope."""
        latest = self.latest_entry(name) if name in ("a", "nobr") else None
        if latest is None:
            return False
        in_scope = bool(self.in_scope(frozenset({name}), T.SCOPE))  # (lexbor: not across a <select>)
        return in_scope and (latest.markers == self.markers or name == "nobr")

    def close_formatting(self, name: str, *, by_start_tag: bool = False) -> None:
        """``</b>`` (or a new ``<a>`` while one is open): the adoption agency, one round of it."""
        entry = self.latest_entry(name)
        where = next((i for i in reversed(self.positions.get(name, [])) if self.stack[i].entry is entry), -1)
        if entry is None or where < 0:
            if entry is not None:
                self.kill(entry)  # no longer open: only forgotten
            elif not by_start_tag:
                _end_element(self, name)
            return
        if not by_start_tag and not self.in_scope(frozenset({name}), T.SCOPE):
            return  # not in scope: the parser ignores the end tag
        block = next((i for i in range(where + 1, len(self.stack)) if self.stack[i].name in T.SPECIAL), -1)
        if block < 0:
            self.kill(entry)
            self.pop_to(where)
            return
        # The block and what is inside it move out of the element; the formatting elements between them are
        # copied (the parser does up to 8 rounds of 3 copies), other elements between them are closed.
        between = self.stack[where + 1:block]
        self.charge(8 * (1 + min(3, sum(item.entry is not None for item in between))))
        kept = [*self.stack[:where], *(i for i in between if i.entry is not None and i.entry.alive),
                self.stack[block]]
        if by_start_tag:
            self.kill(entry)
        else:
            kept.append(_Open(name, "", entry))  # a copy of the element now wraps the block's content
        self.restack([*kept, *self.stack[block + 1:]])

    def clear_to_marker(self) -> None:
        while self.active:
            entry = self.active.pop()
            if not entry.name:
                self.markers -= 1
                return
            self.kill(entry)

    def latest_entry(self, name: str) -> _Formatting | None:
        entries = self.by_name.get(name, [])
        while entries and not entries[-1].alive:
            entries.pop()
        return entries[-1] if entries else None

    def kill(self, entry: _Formatting) -> None:
        if entry.alive:
            entry.alive = False
            self.alive -= 1


def _count_attributes(attrs: str) -> int:
    if len(attrs) < 2 * MAX_ATTRIBUTES:  # every attribute takes a name and a separator
        return 0
    count = 0
    for _ in _ATTR.finditer(attrs):
        count += 1
        if count > MAX_ATTRIBUTES:
            break
    return count


def _close_implied(model: _Model, name: str) -> None:
    """What an HTML start tag closes before it opens: a sibling list item, cell or row, a paragraph, a heading."""
    if model.top == "colgroup" and name != "col":
        model.pop()
    if name in T.TABLE_LEVEL and model.in_scope(T.TABLE, T.TABLE_SCOPE):
        where = model.latest(T.TABLE_LEVEL[name])[0]
        model.pop_to(where + 1)
    if name in T.SIBLINGS:
        siblings, boundaries = T.SIBLINGS[name]
        open_sibling = model.in_scope(siblings, boundaries)
        if open_sibling:
            model.pop_until(open_sibling)
    elif name in ("rb", "rtc", "rp", "rt") and model.in_scope(T.RUBY, T.SCOPE):
        keep = {"rtc"} if name in ("rp", "rt") else set()
        if model.top in T.IMPLIED_END and model.top not in keep:  # lexbor closes one element here
            model.pop()
    if name in T.CLOSES_P and model.in_scope(T.P, T.BUTTON_SCOPE):
        model.pop_until("p")
    if (name in T.HEADINGS and model.top in T.HEADINGS) or (name in ("option", "optgroup") and model.top == "option"):
        model.pop()


def _ignored(model: _Model, name: str) -> bool:
    if name == "form":  # a form inside a form is ignored (</form> forgets the form but may leave it open)
        ignored, model.in_form = model.in_form, True
        return ignored
    if name == "select" and model.in_scope(T.SELECT, T.SCOPE):
        model.pop_until("select")  # a <select> inside a select ends it, and is dropped
        return True
    return name in T.IGNORED or (name in T.TABLE_ONLY and not model.is_open("table"))


def _breaks_out(name: str, attrs: str) -> bool:
    """An HTML tag inside SVG or MathML that ends the foreign content."""
    return name in T.BREAKOUT or (name == "font" and bool(T.FONT_ATTRS.search(attrs)))


def _start_foreign(model: _Model, name: str, attrs: str) -> bool:
    """An SVG or MathML start tag (inside one, or ``<svg>``/``<math>`` itself); False for an HTML one."""
    closed = attrs.endswith("/")  # self-closing: honoured in SVG and MathML only
    if model.in_foreign():
        if not _breaks_out(name, attrs):  # (a <math> inside SVG is an SVG element, and the other way round)
            top = model.stack[-1]
            ns = "svg" if name == "svg" and top.name == "math:annotation-xml" else top.ns
            if not closed:
                html_inside = ns == "math" and name == "annotation-xml" and bool(T.HTML_ANNOTATION.search(attrs))
                model.push(f"{ns}:{name}", ns, integration=html_inside)
            return True
        while model.in_foreign():
            model.pop()
    if name in ("svg", "math"):
        model.rebuild()
        if not closed:
            model.push(f"{name}:{name}", name)
        return True
    return False


def _start(model: _Model, name: str, attrs: str) -> bool:
    """Model one start tag; True when it opens an HTML raw-text element (``<script>``, ``<style>``…)."""
    if _count_attributes(attrs) > MAX_ATTRIBUTES:
        raise ParseError(f"a <{name}> tag on the page has more than {MAX_ATTRIBUTES} attributes; {_REFUSED}")
    if name == "frameset":
        if not model.content:  # it replaces the body, and then the parser ignores every other tag (and text)
            model.push(name)
            model.framed = True
        return False
    if _start_foreign(model, name, attrs):
        return False
    model.content = model.content or (name in T.FRAMESET_OFF and not model.framed)
    if _ignored(model, name):
        return False
    if name in ("input", "keygen") and model.in_scope(T.SELECT, T.SCOPE):
        model.pop_until("select")  # they end the select, then are read as usual
    _close_implied(model, name)
    if name not in T.NO_REBUILD:
        model.rebuild()
    if name in T.FORMATTING:
        model.open_formatting(name, name + " " + attrs.strip())
        return False
    if name in T.CELLS and not model.in_scope(T.ROW, T.TABLE_SCOPE):
        model.push("tr")  # <table><td>: the parser adds the row
    if name not in T.VOID:
        model.push(name)
    return name in T.RAW


def _end_foreign(model: _Model, name: str) -> bool:
    """An end tag inside SVG or MathML closes the foreign element of that name above the last HTML element
    (True); ``</p>`` and ``</br>`` end the foreign content, other tags are read as HTML (False)."""
    if name in ("p", "br"):
        while model.in_foreign():
            model.pop()
        return False
    where = model.latest(frozenset({f"svg:{name}", f"math:{name}"}))[0]
    if where >= 0 and where > (model.html_marks[-1] if model.html_marks else -1):
        model.pop_to(where)
        return True
    return False


def _end(model: _Model, name: str) -> None:
    top = model.stack[-1] if model.stack else None
    if top is not None and top.name == name and name not in _OWN_END_RULES and \
            (top.entry is None or top.entry is model.latest_entry(name)):
        if top.entry is not None:  # </b> closing the current <b>: the list forgets it
            model.kill(top.entry)
        model.pop()  # the common case: the end tag closes the current element
        return
    if model.in_foreign() and _end_foreign(model, name):
        return
    if (name in T.RAW or name == "colgroup") and model.top == name:  # (raw text was skipped)
        model.pop()
        return
    if name == "colgroup":
        return
    if name == "br":  # </br> is read as <br>
        _start(model, name, "")
        return
    if name in T.IGNORED:
        return
    if name == "form":
        model.in_form = False  # the parser takes the form off the stack without closing what is inside it
        return
    if name in T.FORMATTING:
        model.close_formatting(name)
    else:
        _end_element(model, name)


def _end_element(model: _Model, name: str) -> None:
    """An HTML end tag that is not a formatting element's: pops to its element if that is in the right scope."""
    if name in T.HEADINGS:  # </h1> closes whichever heading is open
        heading = model.in_scope(T.HEADINGS, T.SCOPE)
        if heading:
            model.pop_until(heading)
        return
    scope = T.END_SCOPE.get(name) or (T.SCOPE if name in T.BLOCK_ENDS else T.SPECIAL)
    if model.in_scope(frozenset({name}), scope):
        model.pop_until(name)


def check_html_shape(html: str) -> None:
    """Raise :class:`ParseError` when parsing ``html`` would take time or memory out of proportion to its size.

    One pass over the tags; comments, ``<script>``, ``<style>`` and other raw text are skipped.
    """
    model = _Model()
    pos, size = 0, len(html)
    search = _TAG.search
    while pos < size:
        m = search(html, pos)
        text_end = m.start() if m is not None else size
        if text_end > pos:
            _text(model, html, pos, text_end)
        if m is None:
            return
        comment, declaration, slash, tag = m.groups()
        after = m.end()
        if comment:  # <!-- comment -->
            end = html.find("-->", after)
            pos = end + 3 if end >= 0 else size
            continue
        gt = html.find(">", after)
        if gt < 0:
            return
        pos = gt + 1
        if declaration:  # <!DOCTYPE …>, <?…>
            continue
        name = tag.lower()
        if slash:
            _end(model, name)
        elif _start(model, name, html[after:gt]) and model.raw_text_allowed():
            closing = _RAW_END[name].search(html, pos)
            pos = closing.start() if closing else size


def _text(model: _Model, html: str, start: int, end: int) -> None:
    if model.out_of_stack:
        model.rebuild()
    if not model.content and not model.framed and _NON_SPACE.search(html, start, end) is not None:
        model.content = True
