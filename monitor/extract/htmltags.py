"""The HTML tree builder's rules as data, for :mod:`monitor.extract.htmlshape`: which tags are void,
formatting, special, scope boundaries, which close what. The standard's lists, adjusted where lexbor 2 (the
parser selectolax uses) differs, as fuzzing it against the model found.
"""

from __future__ import annotations

import re


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Names on the model's stack: HTML elements by tag name, SVG and MathML ones as "svg:path", "math:mi".
VOID = words("area base basefont bgsound br col embed frame hr img image input keygen link meta param source "
             "track wbr")
IGNORED = words("html head body")  # merged into the one there is
FORMATTING = words("a b big code em font i nobr s small strike strong tt u")
MARKERS = words("td th caption applet marquee object template")  # formatting is not carried into them
TABLE_ONLY = words("td th tr tbody thead tfoot caption colgroup")  # ignored outside a table
RAW = words("script style xmp iframe noembed noframes textarea title plaintext")
INTEGRATION = words("svg:foreignobject svg:desc svg:title math:mi math:mo math:mn math:ms math:mtext")
HTML_ANNOTATION = re.compile(r"encoding\s*=\s*[\"']?\s*(?:text/html|application/xhtml\+xml)", re.IGNORECASE)
SCOPE_FOREIGN = INTEGRATION | {"math:annotation-xml"}  # scope boundaries and special elements
# (lexbor 2 leaves <sup> out of the standard's list)
BREAKOUT = words("b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li "
                 "listing menu meta nobr ol p pre ruby s small span strong strike sub table tt u ul var")
FONT_ATTRS = re.compile(r"(?:^|\s)(?:color|face|size)\s*=", re.IGNORECASE)
CLOSES_P = words("address article aside blockquote center details dialog dir div dl fieldset figcaption figure "
                 "footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 h6 pre listing "
                 "form plaintext xmp table hr li dd dt")
HEADINGS = words("h1 h2 h3 h4 h5 h6")
FRAMESET_OFF = words("pre listing li dd dt button applet marquee object table area br embed img image keygen wbr "
                     "hr textarea xmp iframe select")  # after one of these, <frameset> is ignored
IMPLIED_END = words("dd dt li optgroup option p rb rp rt rtc")
# Start tags before which the parser does not re-create formatting elements (text inside them does).
NO_REBUILD = ((CLOSES_P - {"xmp"}) | TABLE_ONLY | IGNORED
              | words("frameset template script style title textarea base basefont bgsound link meta noframes "
                      "noembed iframe rb rp rt rtc"))
# Scope boundaries (the standard's, and two more). In lexbor 2 a ``select`` is one: nothing inside it closes
# what is outside it. So is ``frameset`` here: one before the page's content replaces the body and the parser
# ignores every other tag; one after content is itself ignored. Either way nothing but </frameset> closes one.
SCOPE = words("applet caption html table td th marquee object template frameset select") | SCOPE_FOREIGN
BUTTON_SCOPE = SCOPE | {"button"}
LIST_SCOPE = SCOPE | {"ol", "ul"}
TABLE_SCOPE = words("html table template frameset select")
IN_TABLE = words("td th caption template html frameset select")  # <table> here starts a new table, else ends the last
SPECIAL = words("address applet area article aside base basefont bgsound blockquote body br button caption center "
                "col colgroup dd details dir div dl dt embed fieldset figcaption figure footer form frame frameset "
                "h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen li link listing main marquee "
                "menu meta nav noembed noframes noscript object ol p param plaintext pre script search section "
                "select source style summary table tbody td template textarea tfoot th thead title tr track ul wbr "
                "xmp") | SCOPE_FOREIGN
ITEM_SCOPE = SPECIAL - {"address", "div", "p"}  # where a new <li>, <dd> or <dt> looks for an open one
BOUNDARIES = (SCOPE, BUTTON_SCOPE, LIST_SCOPE, TABLE_SCOPE, IN_TABLE, SPECIAL, ITEM_SCOPE)
# End tags the parser honours when their element is in (default) scope; any other end tag closes its element
# only if no special element was opened after it.
BLOCK_ENDS = words("address article aside blockquote button center details dialog dir div dl fieldset figcaption "
                   "figure footer header hgroup listing main menu nav ol pre search section summary ul applet "
                   "marquee object form dd dt h1 h2 h3 h4 h5 h6 template select")
END_SCOPE: dict[str, frozenset[str]] = {"p": BUTTON_SCOPE, "li": LIST_SCOPE, **{
    name: TABLE_SCOPE for name in "td th tr tbody thead tfoot table caption colgroup".split()}}
SECTIONS = words("tbody thead tfoot")
CELLS = words("td th")
ROW = frozenset({"tr"})
P = frozenset({"p"})
RUBY = frozenset({"ruby"})
# A start tag that closes an open sibling (in that scope): <li> ends the last <li>, <td> the last cell…
SIBLINGS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), ITEM_SCOPE),
    "dd": (words("dd dt"), ITEM_SCOPE), "dt": (words("dd dt"), ITEM_SCOPE),
    "table": (frozenset({"table"}), IN_TABLE),
    "button": (frozenset({"button"}), SCOPE),
}
SELECT = frozenset({"select"})
TABLE = frozenset({"table"})
# Table parts clear the stack back to their level: a caption or section to the table, a row to its section,
# a cell to its row (whatever was left open in the last cell is closed).
TABLE_LEVEL: dict[str, frozenset[str]] = {
    **{name: TABLE for name in ("caption", "colgroup", "col", "tbody", "thead", "tfoot")},
    "tr": SECTIONS | TABLE, "td": ROW | SECTIONS | TABLE, "th": ROW | SECTIONS | TABLE,
}
