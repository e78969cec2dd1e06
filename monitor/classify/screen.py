"""A screen in front of the rules: which rules' literals occur in a text, all rules in one search.

Most text in a board pack (finance, performance, minutes) contains no cue. Each rule's cue needs
certain literals (:mod:`monitor.classify.literals`); all rules' first literal sets become one
expression, searched in the lower-cased text, so a block without any of them is known to hold no
cue after a single search, and a sentence that has some is tried only with the rules they belong
to (and that also have their second literal set there).

The screen only ever says "no cue can match here" when that is certain: a rule without literals
turns it off (:meth:`Screen.build` gives ``None``), and text it cannot lower-case faithfully is
not screened (:func:`screenable`).

Reading the built-in rules' cues takes a few tenths of a second: their literals, and the
expressions made of them, come from a generated table (``screen_table_data.py``, made by
:mod:`monitor.classify.screen_table`). It is used only with the code that made it, and for the cues
it holds; others are read as before. Regenerate it after changing a rule, this module or
:mod:`monitor.classify.literals`: ``python -m monitor.classify.screen_table --write``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from monitor.classify.literals import BOUNDARY, SPACE, is_word, required_literals

log = logging.getLogger("monitor.classify")

#: Characters an ASCII letter matches when case is ignored whose lower case is not that letter (İ, ı, ſ):
#: text holding one is not screened. (Every other character keeps its length and its kind, letter, digit
#: or space, when lower-cased, so a literal found case-insensitively is found in the lower-cased text.)
UNSCREENABLE = frozenset("İıſ")
_TOKEN_PATTERNS = {BOUNDARY: r"\b", SPACE: r"\s+"}
#: Screens built, by their rules' cues (the few most recent).
_BUILT: dict[tuple[str, ...], Screen | None] = {}
_KEEP = 8
#: The generated table, and the command that regenerates it.
TABLE_PATH = Path(__file__).with_name("screen_table_data.py")
TABLE_COMMAND = "python -m monitor.classify.screen_table --write"
#: The modules whose code made the table: it is used only with the very same code.
_TABLE_SOURCES = ("literals.py", "screen.py")
#: A cue's literal sets, most selective first (as :func:`required_literals` gives them).
Needs = tuple[frozenset[str], ...]


def source_digest() -> str | None:
    """A digest of the code the table is made by, or ``None`` if that cannot be read (no source files)."""
    digest = hashlib.blake2b(digest_size=16)
    for name in _TABLE_SOURCES:
        try:
            digest.update(Path(__file__).with_name(name).read_bytes().replace(b"\r\n", b"\n"))
        except OSError:
            return None
    return digest.hexdigest()


def set_digest(literals: Iterable[str]) -> str:
    """What the table knows a literal set's expression by."""
    return hashlib.blake2b("\n".join(sorted(literals)).encode(), digest_size=16).hexdigest()


@functools.cache
def _table() -> tuple[Mapping[str, Needs], Mapping[str, str]]:
    """The generated literals (per cue) and expressions (per :func:`set_digest`); none if made by other code."""
    from monitor.classify import screen_table_data as data

    if data.SOURCE_DIGEST != source_digest():
        log.warning("The classifier's screen table is stale, so rules are read (slower): run  %s", TABLE_COMMAND)
        return {}, {}
    return {cue: tuple(map(frozenset, sets)) for cue, sets in data.LITERALS.items()}, data.PATTERNS


def cue_literals(cue: str) -> Needs:
    """``required_literals(cue)``: from the table if it holds the cue, else read from the pattern."""
    stored = _table()[0].get(cue)
    return stored if stored is not None else required_literals(cue)


def _trie_pattern(literals: Iterable[str]) -> str:
    """:func:`trie_pattern`, from the generated table when it holds these literals' expression."""
    literals = frozenset(literals)
    patterns = _table()[1]
    stored = patterns.get(set_digest(literals)) if patterns else None
    return stored or trie_pattern(literals)


def trie_pattern(literals: Iterable[str]) -> str:
    """One expression for many literals, sharing prefixes (``clos(?:e|ure)``), so a search tries few branches; the
    same expression whatever order the literals come in."""
    trie: dict[str, Any] = {}
    for literal in sorted(literals):
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_node(trie)


def _trie_node(node: Mapping[str, Any]) -> str:
    branches = [_TOKEN_PATTERNS.get(c, re.escape(c)) + _trie_node(child) for c, child in node.items() if c]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def _at_a_word(literal: str) -> str:
    """The literal, or if it may start inside a word, what follows its first whitespace when that is a word
    (``teen\\s+sites`` becomes ``\\bsites``): found where words start, so many times faster."""
    if literal[:1] == BOUNDARY and is_word(literal[1:2]):
        return literal
    _, space, rest = literal.partition(SPACE)
    return BOUNDARY + rest if space and is_word(rest[:1]) else literal


def _head(literal: str) -> str:
    """A literal's characters up to its first whitespace: what :meth:`Screen.rules` looks up."""
    return literal.replace(BOUNDARY, "").split(SPACE)[0]


def _searched(literals: Mapping[int, frozenset[str]]) -> dict[int, frozenset[str]]:
    """Per rule key, its literals as searched (:func:`_at_a_word`)."""
    return {key: frozenset(map(_at_a_word, group)) for key, group in literals.items()}


def _owners(literals: Mapping[int, frozenset[str]]) -> dict[str, set[int]]:
    """The keys of the rules with a literal of each head (:func:`_head`)."""
    owners: dict[str, set[int]] = {}
    for key, group in literals.items():
        for literal in group:
            owners.setdefault(_head(literal), set()).add(key)
    return owners


def _by_start(literals: Mapping[int, frozenset[str]]) -> tuple[frozenset[str], frozenset[str]]:
    """All the literals: those that begin a word (without their ``\\b``), and the others."""
    every = {literal for group in literals.values() for literal in group}
    at_words = frozenset(lit[1:] for lit in every if lit[:1] == BOUNDARY and is_word(lit[1:2]))
    others = frozenset(lit for lit in every if not (lit[:1] == BOUNDARY and is_word(lit[1:2])))
    return at_words, others


def pattern_sets(needs: Mapping[int, Needs]) -> list[frozenset[str]]:
    """The literal sets a screen for ``needs`` makes expressions of (what the generated table keeps): the heads of
    the first sets, the first sets' literals that begin a word and the others, and each second set."""
    literals = _searched({key: sets[0] for key, sets in needs.items()})
    first = [group for group in (frozenset(_owners(literals)), *_by_start(literals)) if group]
    return first + [sets[1] for sets in needs.values() if len(sets) > 1]


class Screen:
    """Which rules may match in a text, from their literals found in it.

    Each rule's most selective literal set is searched in every block (all rules' at once); its second
    set (when it has one) only in the sentences that have the first. Build a screen with :meth:`build`.
    Callers lower-case the text and do not screen text holding :data:`UNSCREENABLE` characters (see
    :func:`screenable`).
    """

    def __init__(self, needs: Mapping[int, Needs]) -> None:
        """:param needs: per rule key, literal sets (most selective first); every match of the rule's cue contains
        a literal of each."""
        self._first = _Literals({key: sets[0] for key, sets in needs.items()})
        self._second_literals = {key: sets[1] for key, sets in needs.items() if len(sets) > 1}
        #: Second sets as expressions, each compiled when a sentence first needs it (a text may need few).
        self._second: dict[int, re.Pattern[str]] = {}

    @staticmethod
    def build(cues: tuple[str, ...]) -> Screen | None:
        """A screen for these cue patterns (a rule's key is its position), or ``None`` if some cue has no literals
        to screen on. The built-in rules' literals come from a generated table; making the screen still takes about
        a tenth of a second, once per process (screens are kept)."""
        if cues not in _BUILT:
            needs = {key: cue_literals(cue) for key, cue in enumerate(cues)}
            if len(_BUILT) >= _KEEP:
                _BUILT.pop(next(iter(_BUILT)))
            _BUILT[cues] = Screen(needs) if all(needs.values()) else None
        return _BUILT[cues]

    @staticmethod
    def built(cues: tuple[str, ...]) -> Screen | None:
        """The screen for these cue patterns if :meth:`build` has made it, else ``None``."""
        return _BUILT.get(cues)

    def search(self, lowered: str) -> bool:
        """Whether any rule's first literals occur in ``lowered`` (if not, no rule's cue can match in the text)."""
        return self._first.search(lowered)

    def starts(self, lowered: str) -> list[int]:
        """Every position in ``lowered`` where a rule's first literals match (overlapping ones included), in order."""
        return self._first.starts(lowered)

    def rules_in(self, lowered: str, starts: list[int], start: int = 0, end: int | None = None) -> frozenset[int]:
        """The keys of the rules that may match in ``lowered[start:end]`` (a sentence of a block), given where in
        it first literals match (``starts``): those with a first literal there, and their second literal too if
        they have second literals."""
        keys = self._first.keys_at(lowered, starts)
        second = self._second_literals
        if keys.isdisjoint(second):
            return keys
        sentence = lowered[start:end]
        return frozenset(k for k in keys if k not in second or self._second_pattern(k).search(sentence))

    def _second_pattern(self, key: int) -> re.Pattern[str]:
        """The expression of a rule's second literal set (compiled when first needed)."""
        pattern = self._second.get(key)
        if pattern is None:
            pattern = self._second[key] = re.compile(_trie_pattern(self._second_literals[key]))
        return pattern

    def rules(self, lowered: str) -> frozenset[int]:
        """The keys of the rules that may match in ``lowered``."""
        return self.rules_in(lowered, self.starts(lowered))


class _Literals:
    """Literal sets of many rules in lower-cased text: whether any occurs, where, and whose they are.

    Literals that begin a word are searched as one expression after ``\\b``, the few others as a second
    one: a search that only tries word starts is several times faster.
    """

    def __init__(self, literals: Mapping[int, frozenset[str]]) -> None:
        literals = _searched(literals)
        owners = _owners(literals)
        # A head's keys include those of the heads it starts with: the longest head found at a place is enough.
        self._owners = {
            head: frozenset().union(*(owners.get(head[:n], ()) for n in range(1, len(head) + 1))) for head in owners
        }
        self._heads = re.compile(_trie_pattern(owners))
        at_words, others = _by_start(literals)
        self._patterns = [re.compile(r"\b(?:" + _trie_pattern(at_words) + ")")] if at_words else []
        self._patterns += [re.compile(_trie_pattern(others))] if others else []

    def search(self, lowered: str) -> bool:
        return any(pattern.search(lowered) for pattern in self._patterns)

    def starts(self, lowered: str) -> list[int]:
        found: list[int] = []
        for pattern in self._patterns:
            match = pattern.search(lowered)
            while match is not None:
                found.append(match.start())
                match = pattern.search(lowered, match.start() + 1)
        return sorted(found)

    def keys_at(self, lowered: str, starts: Iterable[int]) -> frozenset[int]:
        """The keys owning a literal whose first word is at one of ``starts`` (a superset of those that match)."""
        found: set[int] = set()
        for start in starts:
            head = self._heads.match(lowered, start)
            if head:
                found.update(self._owners[head.group()])
        return frozenset(found)


def screenable(text: str) -> bool:
    """Whether ``text`` can be screened in lower case (it holds no :data:`UNSCREENABLE` character)."""
    return text.isascii() or not any(char in text for char in UNSCREENABLE)
