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
elements. Where the model must guess, it guesses deeper than the parser; real pages stay far below all four.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monitor.errors import ParseError

MAX_DEPTH = 512
MAX_ATTRIBUTES = 256
MAX_FORMATTING = 256
MAX_REBUILT = 250_000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Names on the model's stack: HTML elements by tag name, SVG and MathML ones as "svg:path", "math:mi".
_VOID = _words("area base basefont bgsound br col embed frame hr img image input keygen link meta param source "
               "track wbr")
_IGNORED = _words("html head body")  # merged into the one there is
_FORMATTING = _words("a b big code em font i nobr s small strike strong tt u")
_MARKERS = _words("td th caption applet marquee object template")  # formatting is not carried into them
_TABLE_ONLY = _words("td th tr tbody thead tfoot caption colgroup")  # ignored outside a table
_RAW = _words("script style xmp iframe noembed noframes textarea title plaintext")
_INTEGRATION = _words("svg:foreignobject svg:desc svg:title math:mi math:mo math:mn math:ms math:mtext")
_HTML_ANNOTATION = re.compile(r"encoding\s*=\s*[\"']?\s*(?:text/html|application/xhtml\+xml)", re.IGNORECASE)
_SCOPE_FOREIGN = _INTEGRATION | {"math:annotation-xml"}  # scope boundaries and special elements
_BREAKOUT = _words("b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li "
                   "listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var")
_FONT_ATTRS = re.compile(r"(?:^|\s)(?:color|face|size)\s*=", re.IGNORECASE)
_CLOSES_P = _words("address article aside blockquote center details dialog dir div dl fieldset figcaption figure "
                   "footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 h6 pre listing "
                   "form plaintext xmp table hr li dd dt")
_HEADINGS = _words("h1 h2 h3 h4 h5 h6")
_FRAMESET_OFF = _words("pre listing li dd dt button applet marquee object table area br embed img image keygen wbr "
                       "hr textarea xmp iframe select")  # after one of these, <frameset> is ignored
_IMPLIED_END = _words("dd dt li optgroup option p rb rp rt rtc")
# Start tags before which the parser does not re-create formatting elements (text inside them does).
_NO_REBUILD = ((_CLOSES_P - {"xmp"}) | _TABLE_ONLY | _IGNORED
               | _words("frameset template script style title textarea base basefont bgsound link meta noframes "
                        "noembed iframe rb rp rt rtc"))
# Scope boundaries (the standard's). ``frameset`` is one too here: one before the page's content replaces the body
# and the parser ignores every other tag; one after content is itself ignored. Either way nothing but
# </frameset> closes one.
_SCOPE = _words("applet caption html table td th marquee object template frameset") | _SCOPE_FOREIGN
_BUTTON_SCOPE = _SCOPE | {"button"}
_LIST_SCOPE = _SCOPE | {"ol", "ul"}
_TABLE_SCOPE = _words("html table template frameset")
_IN_TABLE = _words("td th caption template html frameset")  # <table> here starts a new table, else ends the last
_SPECIAL = _words("address applet area article aside base basefont bgsound blockquote body br button caption center "
                  "col colgroup dd details dir div dl dt embed fieldset figcaption figure footer form frame frameset "
                  "h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen li link listing main marquee "
                  "menu meta nav noembed noframes noscript object ol p param plaintext pre script search section "
                  "select source style summary table tbody td template textarea tfoot th thead title tr track ul wbr "
                  "xmp") | _SCOPE_FOREIGN
_ITEM_SCOPE = _SPECIAL - {"address", "div", "p"}  # where a new <li>, <dd> or <dt> looks for an open one
_BOUNDARIES = (_SCOPE, _BUTTON_SCOPE, _LIST_SCOPE, _TABLE_SCOPE, _IN_TABLE, _SPECIAL, _ITEM_SCOPE)
# End tags the parser honours when their element is in (default) scope; any other end tag closes its element
# only if no special element was opened after it.
_BLOCK_ENDS = _words("address article aside blockquote button center details dialog dir div dl fieldset figcaption "
                     "figure footer header hgroup listing main menu nav ol pre search section summary ul applet "
                     "marquee object form dd dt h1 h2 h3 h4 h5 h6 template select")
_END_SCOPE: dict[str, frozenset[str]] = {"p": _BUTTON_SCOPE, "li": _LIST_SCOPE, **{
    name: _TABLE_SCOPE for name in "td th tr tbody thead tfoot table caption colgroup".split()}}
_SECTIONS = _words("tbody thead tfoot")
_CELLS = _words("td th")
_ROW = frozenset({"tr"})
_P = frozenset({"p"})
_RUBY = frozenset({"ruby"})
# A start tag that closes an open sibling (in that scope): <li> ends the last <li>, <td> the last cell…
_SIBLINGS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), _ITEM_SCOPE),
    "dd": (_words("dd dt"), _ITEM_SCOPE), "dt": (_words("dd dt"), _ITEM_SCOPE),
    "td": (_CELLS, _TABLE_SCOPE), "th": (_CELLS, _TABLE_SCOPE), "tr": (_ROW, _TABLE_SCOPE),
    "tbody": (_SECTIONS, _TABLE_SCOPE), "thead": (_SECTIONS, _TABLE_SCOPE), "tfoot": (_SECTIONS, _TABLE_SCOPE),
    "table": (frozenset({"table"}), _IN_TABLE),
    "button": (frozenset({"button"}), _SCOPE),
}
_SELECT = frozenset({"select"})
_NON_SPACE = re.compile(r"\S")
_TAG = re.compile(r"<(?:(!--)|([!?])|(/?)([A-Za-z][^\t\n\f\r />]*))")
_ATTR = re.compile(r"""[^\s"'=>/][^\s=>/]*(?:\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*))?""")
_RAW_END: dict[str, re.Pattern[str]] = {name: re.compile(rf"</{name}", re.IGNORECASE) for name in _RAW}
_REFUSED = "refused (a page built to stall the HTML parser or exhaust memory, or a broken one)"


@dataclass(slots=True, eq=False)
class _Formatting:
    """An entry in the list of active formatting elements (``name`` empty: a marker)."""

    name: str
    signature: str
    alive: bool = True
    in_stack: bool = True
    order: int = 0  # place in the list: the parser re-creates entries in this order


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
    marks: dict[frozenset[str], list[int]] = field(default_factory=lambda: {b: [] for b in _BOUNDARIES})
    html_marks: list[int] = field(default_factory=list)
    active: list[_Formatting] = field(default_factory=list)
    by_name: dict[str, list[_Formatting]] = field(default_factory=dict)
    by_signature: dict[str, list[_Formatting]] = field(default_factory=dict)
    out_of_stack: list[_Formatting] = field(default_factory=list)
    alive: int = 0
    rebuilt: int = 0
    in_form: bool = False
    content: bool = False  # text or certain tags seen: from then on the parser ignores <frameset>
    framed: bool = False  # a <frameset> was seen first: the parser may ignore all but framesets from there

    # -- the stack of open elements ------------------------------------------------------------
    def push(self, name: str, ns: str = "", entry: _Formatting | None = None, integration: bool = False) -> None:
        where = len(self.stack)
        self.positions.setdefault(name, []).append(where)
        for boundaries in _BOUNDARIES:
            if name in boundaries:
                self.marks[boundaries].append(where)
        if not ns:
            self.html_marks.append(where)
        self.stack.append(_Open(name, ns, entry, integration or name in _INTEGRATION))
        if name in _MARKERS:
            self.active.append(_Formatting("", "", alive=False))
        if len(self.stack) > MAX_DEPTH:
            raise ParseError(f"the page nests its elements more than {MAX_DEPTH} deep; {_REFUSED}")

    def pop(self) -> _Open:
        item = self.stack.pop()
        self.positions[item.name].pop()
        for boundaries in _BOUNDARIES:
            if item.name in boundaries:
                self.marks[boundaries].pop()
        if not item.ns:
            self.html_marks.pop()
        if item.name in _MARKERS:
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
        """The most recent open element of ``names`` if no scope boundary (one of ``_BOUNDARIES``) was opened
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

    def open_formatting(self, name: str, signature: str) -> None:
        if name in ("a", "nobr") and self._latest_entry(name) is not None:
            self.close_formatting(name, by_start_tag=True)  # a new <a> ends an open one
            self.rebuild()
        same = [e for e in self.by_signature.get(signature, []) if e.alive]
        if len(same) >= 3:  # "Noah's Ark": at most three identical entries
            self._kill(same.pop(0))
        entry = _Formatting(name, signature, order=len(self.active))
        self.by_signature[signature] = [*same, entry]
        self.by_name.setdefault(name, []).append(entry)
        self.active.append(entry)
        self.alive += 1
        if self.alive > MAX_FORMATTING:
            raise ParseError(f"the page leaves more than {MAX_FORMATTING} formatting tags (b, i, font…) open at "
                             f"once; {_REFUSED}")
        self.push(name, "", entry)

    def close_formatting(self, name: str, *, by_start_tag: bool = False) -> None:
        """``</b>`` (or a new ``<a>``): the adoption agency. A block opened inside the element stays open
        (the parser moves it out and carries a copy of the element into it), so then the stack is kept."""
        entry = self._latest_entry(name)
        where = self.positions.get(name)
        if where and not by_start_tag and not self.in_scope(frozenset({name}), _SCOPE):
            return  # not in scope: the parser ignores the end tag
        above = [self.stack[i] for i in range(where[-1] + 1, len(self.stack))] if where else []
        if any(item.name in _SPECIAL for item in above):
            # at most 8 rounds, each copying the element and up to 3 formatting elements between it and the block
            self.charge(8 * (1 + min(3, sum(item.entry is not None for item in above))))
            if entry is not None and by_start_tag:
                self._kill(entry)
            return
        if entry is not None:
            self._kill(entry)
        self.pop_until(name)

    def clear_to_marker(self) -> None:
        while self.active:
            entry = self.active.pop()
            if not entry.name:
                return
            self._kill(entry)

    def _latest_entry(self, name: str) -> _Formatting | None:
        entries = self.by_name.get(name, [])
        while entries and not entries[-1].alive:
            entries.pop()
        return entries[-1] if entries else None

    def _kill(self, entry: _Formatting) -> None:
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
    if name in _SIBLINGS:
        siblings, boundaries = _SIBLINGS[name]
        open_sibling = model.in_scope(siblings, boundaries)
        if open_sibling:
            model.pop_until(open_sibling)
    elif name in ("rb", "rtc", "rp", "rt") and model.in_scope(_RUBY, _SCOPE):
        keep = {"rtc"} if name in ("rp", "rt") else set()
        if model.top in _IMPLIED_END and model.top not in keep:  # lexbor closes one element here
            model.pop()
    if name in _CLOSES_P and model.in_scope(_P, _BUTTON_SCOPE):
        model.pop_until("p")
    if (name in _HEADINGS and model.top in _HEADINGS) or (name in ("option", "optgroup") and model.top == "option"):
        model.pop()


def _ignored(model: _Model, name: str) -> bool:
    if name == "form":  # a form inside a form is ignored (</form> forgets the form but may leave it open)
        ignored, model.in_form = model.in_form, True
        return ignored
    if name == "select" and model.in_scope(_SELECT, _SCOPE):
        model.pop_until("select")  # a <select> inside a select ends it, and is dropped
        return True
    return name in _IGNORED or (name in _TABLE_ONLY and not model.is_open("table"))


def _breaks_out(name: str, attrs: str) -> bool:
    """An HTML tag inside SVG or MathML that ends the foreign content."""
    return name in _BREAKOUT or (name == "font" and bool(_FONT_ATTRS.search(attrs)))


def _start_foreign(model: _Model, name: str, attrs: str) -> bool:
    """An SVG or MathML start tag (inside one, or ``<svg>``/``<math>`` itself); False for an HTML one."""
    closed = attrs.endswith("/")  # self-closing: honoured in SVG and MathML only
    if model.in_foreign():
        if not _breaks_out(name, attrs):  # (a <math> inside SVG is an SVG element, and the other way round)
            top = model.stack[-1]
            ns = "svg" if name == "svg" and top.name == "math:annotation-xml" else top.ns
            if not closed:
                html_inside = ns == "math" and name == "annotation-xml" and bool(_HTML_ANNOTATION.search(attrs))
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


def _start_in_select(model: _Model, name: str, attrs: str) -> bool:
    """Inside a <select> the parser closes nothing but options (lexbor keeps other tags inside it); True when
    handled here."""
    if name in ("input", "keygen"):
        model.pop_until("select")  # they end the select, then are read as usual
        return False
    if name in ("option", "optgroup") and model.top == "option":
        model.pop()
    if name == "optgroup" and model.top == "optgroup":
        model.pop()
    if name in _FORMATTING:
        model.open_formatting(name, name + " " + attrs.strip())
    elif name not in _VOID:
        model.push(name)
    return True


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
    model.content = model.content or (name in _FRAMESET_OFF and not model.framed)
    if _ignored(model, name):
        return False
    if model.is_open("select") and _start_in_select(model, name, attrs):
        return False
    _close_implied(model, name)
    if name not in _NO_REBUILD:
        model.rebuild()
    if name in _FORMATTING:
        model.open_formatting(name, name + " " + attrs.strip())
        return False
    if name in _CELLS and not model.in_scope(_ROW, _TABLE_SCOPE):
        model.push("tr")  # <table><td>: the parser adds the row
    if name not in _VOID:
        model.push(name)
    return name in _RAW


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
    if model.in_foreign() and _end_foreign(model, name):
        return
    if (name in _RAW or name == "colgroup") and model.top == name:  # (raw text was skipped)
        model.pop()
        return
    if name == "colgroup":
        return
    if name == "br":  # </br> is read as <br>
        _start(model, name, "")
        return
    if name in _IGNORED:
        return
    if name == "form":
        model.in_form = False  # the parser takes the form off the stack without closing what is inside it
        return
    if model.is_open("select") and name != "select":
        if name in ("option", "optgroup") and model.top == name:
            model.pop()
        return  # inside a <select> other end tags are ignored
    if name in _FORMATTING:
        model.close_formatting(name)
        return
    scope = _END_SCOPE.get(name) or (_SCOPE if name in _BLOCK_ENDS else _SPECIAL)
    if model.in_scope(frozenset({name}), scope):
        model.pop_until(name)


def check_html_shape(html: str) -> None:
    """Raise :class:`ParseError` when parsing ``html`` would take time or memory out of proportion to its size.

    One pass over the tags; comments, ``<script>``, ``<style>`` and other raw text are skipped.
    """
    model = _Model()
    pos, size = 0, len(html)
    while pos < size:
        m = _TAG.search(html, pos)
        if m is None or m.start() > pos:  # text
            model.rebuild()
            model.content = model.content or (not model.framed and _NON_SPACE.search(html, pos, m.start() if m
                                                                                     else size) is not None)
        if m is None:
            return
        if m.group(1):  # <!-- comment -->
            end = html.find("-->", m.end())
            pos = end + 3 if end >= 0 else size
            continue
        gt = html.find(">", m.end())
        if gt < 0:
            return
        pos = gt + 1
        if m.group(2):  # <!DOCTYPE …>, <?…>
            continue
        name = m.group(4).lower()
        if m.group(3):
            _end(model, name)
        elif _start(model, name, html[m.end():gt]) and model.raw_text_allowed():
            closing = _RAW_END[name].search(html, pos)
            pos = closing.start() if closing else size
