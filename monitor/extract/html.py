"""HTML pages: their visible text, their links (with heading and date context), their date.

Built on selectolax's lexbor engine. Every function takes the page as ``bytes`` (decoded
honouring a BOM or ``<meta charset>``, else UTF-8, else cp1252), ``str`` or an already
parsed tree, so a caller that needs several of them parses a page once (:func:`parse_html`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from monitor.errors import ParseError
from monitor.extract.htmlshape import check_html_shape

Html = bytes | str | LexborHTMLParser

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object", "canvas", "head", "title",
                   "meta", "link", "select", "button", "input", "textarea", "-comment"})
_NOISE = frozenset({"nav", "header", "footer", "aside"})
_NOISE_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})
_NOISE_NAMES = re.compile(r"cookie|breadcrumb|skip-?link|skip-?to", re.IGNORECASE)
_BLOCK = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section summary table tbody thead tfoot tr ul br".split()
)
_CELLS = frozenset({"td", "th"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "caption", "summary", "legend"})
_CONTEXT_BLOCKS = frozenset({"li", "tr", "p", "dd", "dt"})
_CONTEXT_MAX = 160
_CONTEXT_HOPS = 32
_CONTEXT_NODES = 200
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_WS = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)

_MONTH = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), start=1)}
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DATE_DMY = re.compile(r"(?<![\d.])(\d{1,2})[/.\-_](\d{1,2})[/.\-_](\d{4}|\d{2})(?![\d/])")
_DATE_LONG = re.compile(
    r"(?<![a-z\d])(\d{1,2})(?:st|nd|rd|th)?[\s\-_,]+(?:of\s+)?" + _MONTH + r"[\s\-_,]+(\d{4})(?!\d)", re.IGNORECASE
)
_DATE_US = re.compile(r"(?<![a-z])" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)", re.IGNORECASE)
_DATE_COMPACT = re.compile(r"(?<!\d)(\d{8})(?!\d)")

_SIZE_NOTE = re.compile(
    r"[(\[]?\s*\b(?:pdf|docx?|word|xlsx?|excel|pptx?|powerpoint|file)\b\s*(?:file)?\s*[,:\-\u2013]?\s*"
    r"\d+(?:[.,]\d+)?\s*(?:bytes|b|kb|mb|gb)\b\s*[)\]]?",
    re.IGNORECASE,
)
_ICON_NOTE = re.compile(r"\b(?:pdf|word|docx?)\s+icon\b|[(\[]?\s*opens?\s+in\s+(?:a\s+)?new\s+(?:window|tab)\s*[)\]]?",
                        re.IGNORECASE)
_BARE_TYPE = re.compile(r"[(\[]\s*(?:pdf|docx?|word)\s*[)\]]", re.IGNORECASE)
_GENERIC_WORDS = frozenset(
    "a agenda agendas and amp board click combined doc document documents download downloads file files for full "
    "here link meeting meetings minutes more of open pack papers paper pdf public read supporting the this view "
    "word docx kb mb icon".split()
)
# Section headings that say nothing of the meeting: a link under one takes the heading before it.
_SECTION_HEADINGS = frozenset({
    "items", "documents", "downloads", "download", "media", "attachments", "files", "papers", "latest papers",
    "related documents", "additional documents", "supporting documents", "related links", "resources",
    "publications", "agenda", "meeting papers", "documents and papers",
})
_CALENDAR_WORDS = frozenset(
    "january february march april may june july august september october november december jan feb mar apr jun jul "
    "aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday st nd rd th".split()
)


@dataclass(frozen=True, slots=True)
class Link:
    """A link on a page.

    :param url: absolute, normalised, without fragment.
    :param text: the link text, cleaned of file-size and icon notes.
    :param heading: the nearest preceding heading (h1-h6, table caption, accordion summary) that names
        more than a section ("Documents", "Items" are passed over).
    :param date: the date the link's text, row, heading, page or file name carries, if any.
    :param context: the text of the link's row or list item outside its links (e.g. a meeting date).
    """

    url: str
    text: str
    heading: str | None = None
    date: date | None = None
    context: str = ""

    @property
    def generic(self) -> bool:
        """True when the link text says nothing of the document ("agenda and papers", "PDF 297 KB", a date)."""
        return is_generic(self.text)

    @property
    def title(self) -> str:
        """The link text; for generic link text the heading and row context before it, else the file name."""
        if self.text and not self.generic:
            return self.text
        parts: list[str] = []
        for part in (self.heading, self.context):
            if part and not any(part.lower() in p.lower() for p in parts):
                parts.append(part)
        if not parts:
            return file_name(self.url)
        if self.text and not any(self.text.lower() in p.lower() for p in parts):
            parts.append(self.text)
        return " \u2013 ".join(parts)


def decode_html(data: bytes | str, charset: str | None = None) -> str:
    """Text of an HTML body: BOM, then the declared ``charset`` (HTTP header), then ``<meta charset>``,
    then UTF-8 if it decodes, else cp1252 (what browsers assume for undeclared Western pages)."""
    if isinstance(data, str):
        return data
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(enc, "replace")
    meta = _META_CHARSET.search(data[:2048])
    for label in (charset, meta.group(1).decode("ascii") if meta else None):
        codec = _codec(label)
        if codec:
            return data.decode(codec, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    # The HTML standard reads latin-1 and ASCII labels as windows-1252.
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def parse_html(html: Html, charset: str | None = None) -> LexborHTMLParser:
    """A parsed tree (bytes are decoded with :func:`decode_html`)."""
    if isinstance(html, LexborHTMLParser):
        return html
    text = decode_html(html, charset)
    check_html_shape(text)  # ParseError for a page built to stall the parser (deep nesting, tag amplification)
    return LexborHTMLParser(text)


def check_selector(selector: str) -> str:
    """``selector`` if lexbor can parse it, else ValueError (for config validation)."""
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError:
        raise ValueError(f"{selector!r} is not a CSS selector this parser understands") from None
    return selector


def _select(tree: LexborHTMLParser, selector: str, what: str) -> list[LexborNode]:
    try:
        nodes = tree.css(selector)
    except SelectolaxError:
        raise ParseError(f"{what} {selector!r} is not a valid CSS selector") from None
    if not nodes:
        raise ParseError(f"{what} {selector!r} matches nothing on the page; check the selector against the page")
    return list(nodes)


def clean(text: str) -> str:
    """Collapse whitespace (including no-break spaces)."""
    return _WS.sub(" ", text.replace("\xa0", " ")).strip()


def _is_noise(node: LexborNode) -> bool:
    if node.tag in _NOISE:
        return True
    attrs = node.attributes
    if "hidden" in attrs or attrs.get("aria-hidden") == "true" or attrs.get("role") in _NOISE_ROLES:
        return True
    names = f"{attrs.get('id') or ''} {attrs.get('class') or ''}"
    return bool(_NOISE_NAMES.search(names))


def _walk_text(root: LexborNode, out: list[str]) -> None:
    """Append the visible text under ``root``; blocks become line breaks, cells are spaced."""
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag
        if leaving:
            out.append("\n" if tag in _BLOCK else " ")
            continue
        if tag == "-text":
            out.append(node.text_content or "")
            continue
        if tag in _SKIP or (node is not root and _is_noise(node)):
            continue
        if tag in _BLOCK or tag in _CELLS:
            out.append("\n" if tag in _BLOCK else " ")
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))


def visible_text(html: Html, selector: str | None = None) -> str:
    """The text a reader sees: scripts, styles, navigation, headers, footers and hidden parts left out.

    Block elements end lines; runs of spaces collapse; empty lines are dropped.
    With ``selector``, only the matching elements' text (ParseError if it matches nothing).
    """
    tree = parse_html(html)
    roots = _select(tree, selector, "selector") if selector else [tree.body or tree.root]
    out: list[str] = []
    for root in roots:
        if root is not None:
            _walk_text(root, out)
            out.append("\n")
    lines = (clean(line) for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)


def page_title(html: Html) -> str | None:
    """The page's ``<title>``, else its first ``<h1>``."""
    tree = parse_html(html)
    for sel in ("title", "h1"):
        node = tree.css_first(sel)
        if node is not None and clean(node.text()):
            return clean(node.text())
    return None


def page_date(html: Html) -> date | None:
    """The date a ModernGov page declares (``<meta name="DC.date" content="2026-01-15">``)."""
    tree = parse_html(html)
    for meta in tree.css("meta[name]"):
        if (meta.attributes.get("name") or "").lower() == "dc.date":
            return parse_date(meta.attributes.get("content") or "")
    return None


_SCRIPT_LINKS = re.compile(
    r"\.pdf\b|\.docx?\b|download_file|createElement\(\s*[\"']a[\"']\s*\)|setAttribute\(\s*[\"']href|<a\s[^<>]*href",
    re.IGNORECASE,
)


def has_script_links(html: Html) -> bool:
    """True when an inline ``<script>`` mentions document files or builds links (a page rendered by JavaScript)."""
    tree = parse_html(html)
    return any(_SCRIPT_LINKS.search(node.text() or "") for node in tree.css("script"))


def normalise_url(url: str) -> str:
    """An absolute URL in one spelling: lower-case scheme and host, no default port, no fragment,
    unsafe characters (spaces in ModernGov hrefs) percent-encoded."""
    parts = urlsplit(re.sub(r"[\t\r\n]", "", url).strip())
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower()
    if (scheme, parts.port) in (("http", 80), ("https", 443)):
        netloc = netloc.rsplit(":", 1)[0]
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=~-._?")
    return urlunsplit((scheme, netloc, path, query, ""))


def site_of(url: str) -> str:
    """host[:port] of a URL, as :func:`normalise_url` spells it."""
    return urlsplit(normalise_url(url)).netloc


def file_name(url: str) -> str:
    """The last path segment of a URL, unquoted (or the host for a bare site)."""
    parts = urlsplit(url)
    name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return name or parts.netloc


def clean_link_text(text: str) -> str:
    """Link text without file-type/size notes and icon alt text: ModernGov's
    ``"Minutes pdf icon PDF 99 KB"`` becomes ``"Minutes"``."""
    text = _SIZE_NOTE.sub(" ", clean(text))  # whitespace collapsed first: long runs made _SIZE_NOTE backtrack
    text = _BARE_TYPE.sub(" ", _ICON_NOTE.sub(" ", text))
    return clean(text).strip(" -\u2013\u2014|:,")


def is_generic(text: str) -> bool:
    """True for link text made only of generic words, numbers and dates ("agenda and papers", "25/01/23")."""
    words = re.findall(r"[a-z]+|\d+", text.lower())
    return all(w.isdigit() or w in _GENERIC_WORDS or w in _CALENDAR_WORDS for w in words)


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _dates(text: str) -> Iterator[tuple[int, date]]:
    for m in _DATE_ISO.finditer(text):
        if found := _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            yield m.start(), found
    for m in _DATE_DMY.finditer(text):
        y = int(m.group(3))
        y = y + (2000 if y < 70 else 1900) if len(m.group(3)) == 2 else y
        if found := _valid(y, int(m.group(2)), int(m.group(1))):
            yield m.start(), found
    for m in _DATE_LONG.finditer(text):
        if found := _valid(int(m.group(3)), _MONTHS[m.group(2)[:3].lower()], int(m.group(1))):
            yield m.start(), found
    for m in _DATE_US.finditer(text):
        if found := _valid(int(m.group(3)), _MONTHS[m.group(1)[:3].lower()], int(m.group(2))):
            yield m.start(), found


def parse_date(text: str) -> date | None:
    """The first date in ``text``: ``25/01/23``, ``26/01/2022``, ``02.07.2026``, ``2026-01-15``,
    ``Wednesday 17th April 2024``, ``29-january-2026``, ``April 17, 2024`` (day first, UK style)."""
    found = min(_dates(text), default=None, key=lambda pair: pair[0])
    return found[1] if found else None


def date_from_url(url: str) -> date | None:
    """A date in a URL's file name or path (also the compact ``20240417`` / ``28052026`` forms)."""
    path = unquote(urlsplit(url).path)
    name = path.rstrip("/").rsplit("/", 1)[-1]
    for text in (name, path):
        if found := parse_date(text):
            return found
    for m in _DATE_COMPACT.finditer(name):
        digits = m.group(1)
        found = _valid(int(digits[:4]), int(digits[4:6]), int(digits[6:])) if digits[:2] in ("19", "20") else None
        found = found or _valid(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
        if found:
            return found
    return None


def _text_outside_links(block: LexborNode, budget: int) -> tuple[str | None, int]:
    """(text, nodes visited); text None when the block has more than ``budget`` nodes (too big to be a context)."""
    out: list[str] = []
    stack = [block]
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > budget:
            return None, visited
        if node.tag == "-text":
            out.append(node.text_content or "")
        elif node.tag != "a" and node.tag not in _SKIP:
            out.append(" ")
            stack.extend(reversed(list(node.iter(include_text=True))))
    return clean_link_text("".join(out)), visited


def _context(anchor: LexborNode) -> str:
    """The text of the row or list item around a link, outside its links; an empty item (a nested
    list of links) defers to the item that holds it. Bounded: at most ``_CONTEXT_HOPS`` ancestors and
    ``_CONTEXT_NODES`` nodes are looked at (nested empty lists made this cubic in the page's depth)."""
    node, budget = anchor.parent, _CONTEXT_NODES
    for _ in range(_CONTEXT_HOPS):
        if node is None or node.tag in ("body", "table"):
            break
        if node.tag in _CONTEXT_BLOCKS:
            text, visited = _text_outside_links(node, budget)
            if text is None:
                return ""  # the blocks around it are bigger still
            if text:
                return text if len(text) <= _CONTEXT_MAX else ""
            budget -= visited
        node = node.parent
    return ""


def _inside(node: LexborNode, roots: set[int] | None, known: dict[int, bool] | None = None) -> bool:
    """Whether ``node`` lies inside one of ``roots`` (mem_ids); ``known`` remembers the answer for every
    ancestor walked, so a page's links cost one walk up the tree in all."""
    if roots is None:
        return True
    known = {} if known is None else known
    walked: list[int] = []
    current: LexborNode | None = node
    found = False
    while current is not None:
        key = current.mem_id
        if key in roots or known.get(key):
            found = True
            break
        if key in known:
            break
        walked.append(key)
        current = current.parent
    known.update(dict.fromkeys(walked, found))
    return found


def _base(tree: LexborHTMLParser, base_url: str) -> str:
    node = tree.css_first("base[href]")
    href = (node.attributes.get("href") or "").strip() if node is not None else ""
    return urljoin(base_url, href) if href else base_url


_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9_~/-]*(?:\.[A-Za-z0-9_~-]+)?")  # no dots, queries or escapes


def _origin(base: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) base as :func:`normalise_url` spells it, for plain paths."""
    parts = urlsplit(normalise_url(base))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def _href_url(anchor: LexborNode, base: str, origin: str | None = None) -> str | None:
    """The anchor's absolute, normalised http(s) URL, or None (no href, a fragment, mailto:, javascript:...).

    :param origin: :func:`_origin` of ``base``: a plain absolute path (``/papers/item-7.pdf``, the bulk of a
        listing) is joined to it directly, which is what urljoin and normalise_url would make of it.
    """
    href = (anchor.attributes.get("href") or "").strip()
    if origin is not None and _PLAIN_PATH.fullmatch(href) and "/." not in href:
        return origin + href
    href = re.sub(r"[\t\r\n]", "", href).strip()
    if not href or href.startswith("#") or re.match(r"(?i)(mailto|javascript|tel|data|sms):", href):
        return None
    url = normalise_url(urljoin(base, href))
    return url if urlsplit(url).scheme in ("http", "https") else None


def _make_link(anchor: LexborNode, url: str, heading: str | None, fallback: date | None,
               heading_date: date | None) -> Link:
    text = clean_link_text(anchor.text() or "") or clean_link_text(anchor.attributes.get("title") or "")
    context = _context(anchor)
    when = parse_date(text) or parse_date(context) or heading_date
    return Link(url, text, heading, when or date_from_url(url) or fallback, context)


def _merge(old: Link, new: Link) -> Link:
    """The same URL linked twice: keep the first, but take a better text and a date if it lacked them."""
    if old.generic and not new.generic:
        old = replace(old, text=new.text, heading=new.heading, context=new.context)
    return old if old.date else replace(old, date=new.date)


def extract_links(html: Html, base_url: str, *, within: str | None = None) -> list[Link]:
    """Every http(s) link on the page, in page order, one per URL (relative links resolved, fragments dropped).

    :param within: a CSS selector; only links inside the matching elements (ParseError if none match).
    Headings are tracked across the whole page, so a link inside ``within`` still gets the heading above it.
    """
    scan = scan_links(html, base_url, within=within)
    return scan.within if scan.within is not None else scan.links


@dataclass(slots=True)
class LinkScan:
    """One pass over a page's links: all of them, and (with a ``within`` selector) those inside it."""

    links: list[Link]
    within: list[Link] | None = None


def scan_links(html: Html, base_url: str, *, within: str | None = None,
               detail: Callable[[str], bool] | None = None) -> LinkScan:
    """:func:`extract_links` for the whole page and for ``within`` at once, in one pass.

    :param detail: called with each link's URL; when it returns False the link comes back bare (its URL
        only: no text, heading, date or context), which saves most of the work for links the caller
        already knows (a listing page with hundreds of papers seen before). Default: every link in full.
    :raises ParseError: ``within`` is not a valid selector or matches nothing.
    """
    tree = parse_html(html)
    roots = {n.mem_id for n in _select(tree, within, "documents.within")} if within else None
    base = _base(tree, base_url)
    fallback = page_date(tree) or date_from_url(base_url)
    heading: str | None = None
    heading_date: date | None = None
    links: dict[str, Link] = {}
    inside: dict[str, Link] | None = {} if within else None
    known_inside: dict[int, bool] = {}
    start = tree.body or tree.root
    if start is None:
        return LinkScan([], [] if within else None)
    origin = _origin(base)
    for node in start.traverse():
        if node.tag in _HEADINGS:
            text = clean_link_text(node.text() or "")
            if text and text.lower() not in _SECTION_HEADINGS and text != heading:
                heading, heading_date = text, parse_date(text)
        elif node.tag == "a" and (url := _href_url(node, base, origin)) is not None:
            link = _make_link(node, url, heading, fallback, heading_date) if detail is None or detail(url) \
                else Link(url, "")
            links[url] = _merge(links[url], link) if url in links else link
            if inside is not None and _inside(node, roots, known_inside):
                inside[url] = _merge(inside[url], link) if url in inside else link
    return LinkScan(list(links.values()), list(inside.values()) if inside is not None else None)
