"""How a body's board papers sit below its landing page, read from the dataset's notes.

Two small tables drive everything a ``board_papers`` source needs:

``LAYOUTS``: how deep the papers are (the ``follow`` regexes, walked level by level, and the
page budget). The dataset's notes use pattern letters that we map as follows:

==============  =========================================  ===============================
layout          notes say                                  follow
==============  =========================================  ===============================
direct          Pattern A: dated PDFs on the landing       (none)
year            Pattern B: landing -> year pages -> PDFs   [YEAR_PAGE]
meeting         Pattern C: landing -> meeting pages        [MEETING_PAGE]
year-meeting    B + C, "3-LEVEL": year -> meeting -> PDFs  [YEAR_OR_MEETING, MEETING_PAGE]
unknown         no notes at all                            [YEAR_OR_MEETING] (one probe level)
==============  =========================================  ===============================

(D = a script-built document library, E = a bot wall, F = "wrong URL fixed": they do not change
the depth.) Without letters, phrases decide ("year folders", "per-meeting sub-pages", ...), then
the dataset validator's counts ("0 dated PDFs, 3 year archives, 2 meeting sub-pages"). A body
with no notes at all is ``unknown`` and also gets the download-link documents pattern below,
since nothing says its links end in ``.pdf``.
Documents are collected from every page walked, the landing page included, so ``year`` also
covers "Pattern A/B" (some PDFs on the landing, older ones in year pages).

``LINK_STYLES``: how the documents are linked. A plain ``.pdf``/``.docx`` link needs only
``FILE_PATTERN``. When the notes name download handlers that redirect to the file
(``/download_file/view/4017/475``, ``/download/<slug>/``, ``/documents/<id>-<slug>/file``,
``download.cfm?doc=``, ``?layout=file``, ``/download-attachment/<n>``), the pattern becomes
``DOWNLOAD_PATTERN`` plus those fragments, and the response's sniffed content type decides
(``types: [pdf, docx]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_NOT_FILE = r"(?!.*\.(?:pdf|docx?|xlsx?|pptx?|zip|jpe?g|png|gif|mp4)(?:[?#]|$))"

#: A year or year-range page: the URL's last segment (or a query value) is a year such as
#: ``/2026/``, ``board-papers-2025``, ``2025-26``, ``2025-2026-trust-board-meeting-papers``,
#: ``root_folder=2025/26``; not a month-year or dated meeting page, not a file.
_YEAR_BODY = (
    rf"^{_NOT_FILE}.*[/=](?![^/?#&]*{_MONTH}[-_ ]?\d)[a-z_-]*(?:19|20)\d\d"
    r"(?:[-_/](?:20)?\d\d)?(?:[-_][a-z][a-z_-]*)?/?(?:[?#&]|$)"
)
#: A meeting page: the URL's last segment carries a date (``29-january-2026``, ``march-2026``,
#: ``mar26``, ``31-03-2026``, ``2026-03-31``, ``2026_03/index.asp``) or is a document-library
#: folder (``/navigate/758/9379``).
_MEETING_BODY = (
    rf"^{_NOT_FILE}.*/(?:[^/?#]*(?:{_MONTH}[-_ ]?(?:\d{{1,2}}(?:st|nd|rd|th)?[-_ ,]+)?(?:20)?\d\d(?!\d)"
    r"|(?<!\d)\d{1,2}[-_.]\d{1,2}[-_.](?:20)?\d\d(?!\d)|20\d\d-\d\d-\d\d|20\d\d_\d\d(?!\d))[^/?#]*"
    r"|navigate/\d+/\d+)/?(?:index\.[a-z]+)?(?:[?#]|$)"
)
YEAR_PAGE = f"(?i){_YEAR_BODY}"
MEETING_PAGE = f"(?i){_MEETING_BODY}"
YEAR_OR_MEETING = f"(?i)(?:{_YEAR_BODY})|(?:{_MEETING_BODY})"

FILE_PATTERN = r"\.(pdf|docx)(\?|$)"
DOWNLOAD_PATTERN = r"\.pdf|/download_file/|/download/"
DOCUMENT_TYPES = ("pdf", "docx")


@dataclass(frozen=True)
class Layout:
    """How deep one kind of site keeps its papers."""

    follow: tuple[str, ...]
    max_pages: int | None
    description: str


LAYOUTS: dict[str, Layout] = {
    "direct": Layout((), None, "papers linked from the landing page"),
    "year": Layout((YEAR_PAGE,), 12, "landing -> year pages -> papers"),
    "meeting": Layout((MEETING_PAGE,), 20, "landing -> meeting pages -> papers"),
    "year-meeting": Layout((YEAR_OR_MEETING, MEETING_PAGE), 30, "landing -> year pages -> meeting pages -> papers"),
    "unknown": Layout((YEAR_OR_MEETING,), 10, "no notes: landing page plus the year or meeting pages it links"),
}

#: (cue in the notes, link fragment it adds to the documents pattern). Any cue => download links.
LINK_STYLES: tuple[tuple[str, str | None], ...] = (
    (r"download_file", None),
    (r"/download/|wpdmdl|download manager", None),
    (r"download\.cfm", r"/download\.cfm"),
    (r"/file\b", r"/file/?(?:[?#]|$)"),
    (r"layout=file", r"[?&]layout=file"),
    (r"download-attachment", r"/download-attachment/"),
    (r"no \.pdf suffix|no file extension|not \.pdf-suffixed", None),
)

_PATTERN_LETTERS = re.compile(r"\bPatterns? ([A-F](?:\s*(?:[+/&,]|and|then)\s*[A-F]\b)*)")
_NEGATED = re.compile(r"\b(?:no|not|nor|without|rather than)\b[^.;:()]{0,50}", re.IGNORECASE)
_QUOTED_OR_ASIDE = re.compile(r"(?<!\w)'[^']{1,60}'(?!\w)|\([^()]*\)")
_DIRECT_CUE = re.compile(r"zero hops|(?:crawl|scrape) this one page|single page (?:titled|listing)|packs inline", re.I)
_YEAR_CUE = re.compile(
    r"(?<![\w+])year[- ]?(?:archive|folder|sub-?page|page|tab|link|index)s?\b|per-year|document[- ]library|"
    r"(?:financial|fiscal|academic)[- ]year (?:folder|sub-?page)s?|older years have their own|3-LEVEL",
    re.IGNORECASE,
)
_MEETING_CUE = re.compile(
    r"per-meeting|per-event|per-month|meeting (?:sub-?)?pages?|month (?:folder|sub-folder|sub-page)s?|"
    r"(?:event|summary|publication|document-detail|detail) (?:landing )?pages?|"
    r"each (?:past )?meeting (?:is|has) its own|sub-page per meeting|meeting folders?|3-LEVEL",
    re.IGNORECASE,
)
_VALIDATOR = re.compile(r"(\d+) dated PDFs, (\d+) year archives, (\d+) meeting sub-pages")
_BOT_CUE = re.compile(
    r"imperva|incapsula|cloudflare|hcaptcha|\bwaf\b|anti-bot|bot mitigation|\b403\b", re.IGNORECASE
)
_SCRIPT_CUE = re.compile(
    r"javascript|\bjs\b|js-rendered|ajax|client-side|client-rendered|dynamically|accordion|must be rendered|"
    r"media browser|document library pro|dropdown",
    re.IGNORECASE,
)
_NEGATED_JS = re.compile(r"\b(?:not|no|rather than)\b[^.;,]{0,25}?\b(?:js|javascript)\b[\w-]*", re.IGNORECASE)
_HOST = re.compile(
    r"(?<![@\w.-])((?:[a-z0-9-]+\.)+(?:nhs\.uk|org\.uk|co\.uk|ac\.uk|gov\.uk|amazonaws\.com|info|org|com|net|uk))\b",
    re.IGNORECASE,
)
_IGNORED_HOSTS = {"web.archive.org", "nhs.net", "youtube.com", "www.youtube.com"}


def classify_layout(access_notes: str, validation_notes: str = "") -> str:
    """The layout key (see ``LAYOUTS``) for a site, from its notes."""
    if access_notes:
        letters = set("".join(m.group(1) for m in _PATTERN_LETTERS.finditer(access_notes))) & set("ABC")
        if letters:
            return _from_depth("B" in letters, "C" in letters)
        if _DIRECT_CUE.search(access_notes):
            return "direct"
        text = _NEGATED.sub(" ", _QUOTED_OR_ASIDE.sub(" ", access_notes))
        return _from_depth(bool(_YEAR_CUE.search(text)), bool(_MEETING_CUE.search(text)))
    m = _VALIDATOR.search(validation_notes)
    if m:
        return _from_depth(int(m.group(2)) > 0, int(m.group(3)) > 0)
    return "unknown"


def _from_depth(years: bool, meetings: bool) -> str:
    if years and meetings:
        return "year-meeting"
    if years:
        return "year"
    return "meeting" if meetings else "direct"


def link_fragments(text: str) -> tuple[bool, tuple[str, ...]]:
    """(download links?, extra URL fragments for the documents pattern) from the notes."""
    found = False
    extra: list[str] = []
    for cue, fragment in LINK_STYLES:
        if re.search(cue, text, re.IGNORECASE):
            found = True
            if fragment and fragment not in extra:
                extra.append(fragment)
    return found, tuple(extra)


def js_reason(text: str) -> str:
    """Why a site flagged as needing a browser cannot be watched, from its notes."""
    cleaned = _NEGATED_JS.sub(" ", text)
    script = bool(_SCRIPT_CUE.search(cleaned))
    bot = bool(_BOT_CUE.search(cleaned))
    if bot and script:
        return ("needs JavaScript and a browser: its papers page builds links with script and the site blocks "
                "automated fetchers; not supported yet")
    if bot:
        return ("needs a browser: the site blocks automated fetchers (bot protection answers with a challenge "
                "page); not supported yet")
    return "needs JavaScript: its papers page builds links with script; not supported yet"


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def papers_on_other_hosts(url: str, url_root: str | None, text: str) -> bool:
    """True when the notes (or the dataset's site root) name a host other than the landing page's."""
    own = _host(url)
    if url_root and _host(url_root) not in ("", own):
        return True
    for m in _HOST.finditer(text):
        host = m.group(1).lower().removeprefix("www.")
        if host not in _IGNORED_HOSTS and host != own:
            return True
    return False


def source_settings(layout: str, download_links: bool, extra_fragments: tuple[str, ...],
                    same_site: bool) -> dict[str, Any]:
    """The ``follow`` / ``max_pages_per_check`` / ``documents`` part of a board_papers source."""
    spec = LAYOUTS[layout]
    pattern = "|".join((DOWNLOAD_PATTERN, *extra_fragments)) if download_links else FILE_PATTERN
    settings: dict[str, Any] = {
        "documents": {"pattern": pattern, "same_site": same_site, "types": list(DOCUMENT_TYPES)},
    }
    if spec.follow:
        settings["follow"] = list(spec.follow)
        settings["max_pages_per_check"] = spec.max_pages
    return settings
