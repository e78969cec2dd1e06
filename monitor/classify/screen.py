"""A screen in front of the rules: which rules' literals occur in a text, all rules in one search.

Most text in a board pack (finance, performance, minutes) contains no cue. Each rule's cue needs
certain literals (:mod:`monitor.classify.literals`); all rules' first literal sets become one
expression, searched in the lower-cased text, so a block without any of them is known to hold no
cue after a single search, and a sentence that has some is tried only with the rules they belong
to (and that also have their second literal set there).

The screen only ever says "no cue can match here" when that is certain: a rule without literals
turns it off (:meth:`Screen.build` gives ``None``), and text it cannot lower-case faithfully is
not screened (:func:`screenable`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from monitor.classify.literals import BOUNDARY, SPACE, is_word, required_literals

#: Characters an ASCII letter matches when case is ignored whose lower case is not that letter (İ, ı, ſ):
#: text holding one is not screened. (Every other character keeps its length and its kind, letter, digit
#: or space, when lower-cased, so a literal found case-insensitively is found in the lower-cased text.)
UNSCREENABLE = frozenset("İıſ")
_TOKEN_PATTERNS = {BOUNDARY: r"\b", SPACE: r"\s+"}
#: Screens built, by their rules' cues (the few most recent).
_BUILT: dict[tuple[str, ...], Screen | None] = {}
_KEEP = 8


def _trie_pattern(literals: Iterable[str]) -> str:
    """One expression for many literals, sharing prefixes (``clos(?:e|ure)``), so a search tries few branches."""
    trie: dict[str, Any] = {}
    for literal in literals:
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


class Screen:
    """Which rules may match in a text, from their literals found in it.

    Each rule's most selective literal set is searched in every block (all rules' at once); its second
    set (when it has one) only in the sentences that have the first. Build a screen with :meth:`build`.
    Callers lower-case the text and do not screen text holding :data:`UNSCREENABLE` characters (see
    :func:`screenable`).
    """

    def __init__(self, needs: Mapping[int, tuple[frozenset[str], ...]]) -> None:
        """:param needs: per rule key, literal sets (most selective first); every match of the rule's cue contains
        a literal of each."""
        self._first = _Literals({key: sets[0] for key, sets in needs.items()})
        self._second = {key: re.compile(_trie_pattern(sets[1])) for key, sets in needs.items() if len(sets) > 1}

    @staticmethod
    def build(cues: tuple[str, ...]) -> Screen | None:
        """A screen for these cue patterns (a rule's key is its position), or ``None`` if some cue has no literals
        to screen on. Reading the built-in rules takes about half a second, once per process (screens are kept)."""
        if cues not in _BUILT:
            needs = {key: required_literals(cue) for key, cue in enumerate(cues)}
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
        second = self._second
        if keys.isdisjoint(second):
            return keys
        sentence = lowered[start:end]
        return frozenset(k for k in keys if k not in second or second[k].search(sentence))

    def rules(self, lowered: str) -> frozenset[int]:
        """The keys of the rules that may match in ``lowered``."""
        return self.rules_in(lowered, self.starts(lowered))


class _Literals:
    """Literal sets of many rules in lower-cased text: whether any occurs, where, and whose they are.

    Literals that begin a word are searched as one expression after ``\\b``, the few others as a second
    one: a search that only tries word starts is several times faster.
    """

    def __init__(self, literals: Mapping[int, frozenset[str]]) -> None:
        literals = {key: frozenset(map(_at_a_word, group)) for key, group in literals.items()}
        owners: dict[str, set[int]] = {}
        for key, group in literals.items():
            for literal in group:
                owners.setdefault(_head(literal), set()).add(key)
        # A head's keys include those of the heads it starts with: the longest head found at a place is enough.
        self._owners = {
            head: frozenset().union(*(owners.get(head[:n], ()) for n in range(1, len(head) + 1))) for head in owners
        }
        self._heads = re.compile(_trie_pattern(owners))
        every = {literal for group in literals.values() for literal in group}
        at_words = {lit[1:] for lit in every if lit[:1] == BOUNDARY and is_word(lit[1:2])}
        others = {lit for lit in every if not (lit[:1] == BOUNDARY and is_word(lit[1:2]))}
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
