"""The NHS bodies and places a sentence names: "Royal Free London NHS Foundation Trust", "Eastfield Community
Hospital", "North Central London ICB", and places after "from", "to", "in", "at" ("from Devizes to Trowbridge").

Names are runs of capitalised words ending in a head word (Trust, ICB, CCG, Hospital, Centre...);
a run naming two bodies ("Solent NHS Trust and Southern Health NHS Foundation Trust") is cut in two.
"""

from __future__ import annotations

import re

_TOKEN = r"(?:St\.?|Saint|[A-Z][\w'’.&-]*|[A-Z]{2,}s?|A&E)"
_RUN = re.compile(rf"{_TOKEN}(?:(?:\s+|,\s+)(?:(?:and|of|upon|on|for|&)\s+)*{_TOKEN})*")
_SEPARATOR = re.compile(r"(,\s+|\s+and\s+|\s+&\s+)")
_PLACE = re.compile(
    r"(?<![\w-])(?:from|to|in|at|into|near|between|serving|across)\s+"
    r"((?:[A-Z][a-z'’]+(?:-(?:upon-|on-|under-|in-|le-|by-)?[A-Z]?[a-z'’]+)*)(?:\s+[A-Z][a-z'’]+){0,3})"
)

_HEADS = frozenset(
    "Trust Trusts ICB ICBs CCG CCGs Board Group Groups Hospital Hospitals Infirmary Centre Center Practice Surgery "
    "Clinic Unit Partnership Network PCN ICS System Hospice Campus".split()
)
_BODIES_ALONE = frozenset({"NHS England", "NHS Improvement", "NHS England and NHS Improvement"})
_LEADING_NOISE = frozenset(
    "The A An In At On From By Under But And Or Yesterday Today Tomorrow Last This That These Those Both Our Its "
    "Their His Her New Plans Proposals Under Since After Before When While Whilst However Meanwhile Councillors "
    "Campaigners Bosses Managers Staff Patients Residents Save Keep Protect Local Two Three Four Five Six Seven "
    "Eight Nine Ten If Although Despite Following During Within Without Currently Recently Earlier Later Now "
    "Formerly Previously Also Why How What Where Who Consultation Closure Merger Proposed".split()
)
_NOT_PLACES = frozenset(
    "January February March April May June July August September October November December Monday Tuesday "
    "Wednesday Thursday Friday Saturday Sunday Cllr Councillor Dr Mr Mrs Ms Miss Professor Prof Sir Dame Lord "
    "Baroness Stage Phase Item Appendix Annex Table Section Page Paper Part Room Level Option Year Quarter Spring "
    "Summer Autumn Winter England Wales Scotland Britain Parliament Commons Government Board Committee Council "
    "Christmas Easter Covid Ward Chair Chief The This That Our Their".split()
)
#: Words that, with head words alone, name no particular body ("the Health Board", "a Community Hospital").
_GENERIC = frozenset(
    "NHS and of Health Care Integrated Clinical Commissioning Foundation Community Acute Mental Primary Local "
    "Medical General District Specialist Teaching Children's Maternity Trust's".split()
)
_POSSESSIVE = re.compile(r"[’']s?$")


def _is_head(word: str) -> bool:
    return word.rstrip(".,") in _HEADS


def _split_run(run: str) -> list[str]:
    """Cut a run of names after each name that ends in a head word and is followed by "and" or a comma."""
    pieces = _SEPARATOR.split(run)
    names: list[str] = []
    current = ""
    for i, piece in enumerate(pieces):
        if i % 2 == 1:
            current += piece if current else ""
            continue
        current += piece
        if _is_head(current.split()[-1]):
            names.append(current)
            current = ""
        elif i + 1 >= len(pieces):
            names.append(current)
    return [n for n in names if n.strip()]


def _tidy(name: str) -> str | None:
    """Trim to the last head word, drop leading noise and possessive prefixes; ``None`` if no body is named."""
    words = name.split()
    if " ".join(words) in _BODIES_ALONE:
        return " ".join(words)
    heads = [i for i, w in enumerate(words) if _is_head(w)]
    if not heads:
        return None
    words = words[: heads[-1] + 1]
    words[-1] = words[-1].rstrip(".,")
    while words and words[0] in _LEADING_NOISE:
        words = words[1:]
    for i in range(len(words) - 2, 0, -1):  # "Nuneaton's George Eliot Hospital" -> "George Eliot Hospital"
        if _POSSESSIVE.search(words[i - 1]) and words[i - 2 : i - 1] not in (["St"], ["St."], ["Saint"]):
            if not _is_head(words[i]):
                words = words[i:]
                break
    if len(words) < 2 or all(_is_head(w) or w.rstrip(",") in _GENERIC for w in words):
        return None
    return " ".join(words)


def _places(sentence: str, bodies: list[str]) -> list[str]:
    found: list[str] = []
    for m in _PLACE.finditer(sentence):
        for part in re.split(r"\s+and\s+", m.group(1)):
            place = _POSSESSIVE.sub("", part.strip())
            words = place.split()
            if not words or words[0] in _NOT_PLACES or any(_is_head(w) for w in words):
                continue
            if any(place in body for body in bodies):
                continue
            found.append(place)
    return found


def organisations(sentence: str) -> list[str]:
    """The NHS bodies, named sites and places in ``sentence``, in order of appearance, without repeats."""
    bodies: list[str] = []
    for run in _RUN.finditer(sentence):
        for piece in _split_run(run.group(0)):
            name = _tidy(piece)
            if name and name not in bodies:
                bodies.append(name)
    out = list(bodies)
    for place in _places(sentence, bodies):
        if place not in out:
            out.append(place)
    return out
