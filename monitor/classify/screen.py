"""A screen in front of the rules: which rules' literals occur in a text, all rules in one search.

Most text in a board pack (finance, performance, minutes) contains no cue. Each rule's cue needs
certain literals (:mod:`monitor.classify.literals`), read for each of its top-level alternatives
apart (``\\bbeds\\b ... cut`` or ``\\bbed\\s+cuts\\b``): an alternative's first literal set must be
found, and its second too. All alternatives' first literal sets become one expression, searched in
the lower-cased text, so a block without any of them is known to hold no cue after a single search;
where one is found, the screen checks which alternatives' first literals are really there (a whole
literal, not just its first word), and a sentence that has some is tried only with the rules of the
alternatives whose second literal set it also has.

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

from monitor.classify.literals import BOUNDARY, SPACE, alternative_literals, is_word, required_literals

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
#: How many words of each literal the search for literals looks for: the words after them, which make the expression
#: much longer (and slower to compile), seldom spare a place (where they are, :meth:`Screen.alternatives_at` looks).
_SCANNED_WORDS = 3
#: The most expressions of several alternatives' second sets a screen makes (see :meth:`Screen.rules_of`).
_MAX_TOGETHER = 1024
#: A cue's literal sets, most selective first (as :func:`required_literals` gives them).
Needs = tuple[frozenset[str], ...]
#: The literal sets of each of a cue's alternatives (as :func:`alternative_literals` gives them).
Alternatives = tuple[Needs, ...]


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
def _table() -> tuple[Mapping[str, tuple[Needs, Alternatives]], Mapping[str, str]]:
    """The generated literals (per cue: the whole cue's, and each of its alternatives') and expressions (per
    :func:`set_digest`); none if made by other code."""
    from monitor.classify import screen_table_data as data

    if data.SOURCE_DIGEST != source_digest():
        log.warning("The classifier's screen table is stale, so rules are read (slower): run  %s", TABLE_COMMAND)
        return {}, {}
    literals: dict[str, tuple[Needs, Alternatives]] = {}
    for cue, sets in data.LITERALS.items():
        whole = tuple(map(frozenset, sets))
        stored = data.ALTERNATIVES.get(cue)
        alternatives = tuple(tuple(map(frozenset, alt)) for alt in stored) if stored else ((whole,) if whole else ())
        literals[cue] = (whole, alternatives)
    return literals, data.PATTERNS


def cue_literals(cue: str) -> Needs:
    """``required_literals(cue)``: from the table if it holds the cue, else read from the pattern."""
    stored = _table()[0].get(cue)
    return stored[0] if stored is not None else required_literals(cue)


def cue_alternatives(cue: str) -> Alternatives:
    """``alternative_literals(cue)``: from the table if it holds the cue, else read from the pattern."""
    stored = _table()[0].get(cue)
    return stored[1] if stored is not None else alternative_literals(cue)


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
    """All the literals as the screen searches for them, cut after their first :data:`_SCANNED_WORDS` words: those
    that begin a word (without their ``\\b``), and the others."""
    every = {SPACE.join(literal.split(SPACE)[:_SCANNED_WORDS]) for group in literals.values() for literal in group}
    at_words = frozenset(lit[1:] for lit in every if lit[:1] == BOUNDARY and is_word(lit[1:2]))
    others = frozenset(lit for lit in every if not (lit[:1] == BOUNDARY and is_word(lit[1:2])))
    return at_words, others


def _first_and_second(needs: Mapping[int, Alternatives]) -> tuple[dict[int, frozenset[str]], dict[int, frozenset[str]]]:
    """The first literal set of every alternative of every rule, and the second sets (of those that have one), each
    by the alternative's number: rule by rule, in order, each rule's alternatives in order."""
    first: dict[int, frozenset[str]] = {}
    second: dict[int, frozenset[str]] = {}
    for alternatives in needs.values():
        for sets in alternatives:
            number = len(first)
            first[number] = sets[0]
            if len(sets) > 1:
                second[number] = sets[1]
    return first, second


def pattern_sets(needs: Mapping[int, Alternatives]) -> list[frozenset[str]]:
    """The literal sets a screen for ``needs`` makes expressions of (what the generated table keeps): the heads of
    the alternatives' first sets, the first sets' literals that begin a word and the others, and each second set."""
    first, second = _first_and_second(needs)
    literals = _searched(first)
    return [group for group in (frozenset(_owners(literals)), *_by_start(literals)) if group] + list(second.values())


class Screen:
    """Which rules may match in a text, from their literals found in it.

    Each alternative of each rule's cue has a most selective literal set, its first, and most have a second
    one. The first sets of all are searched in every block at once (:meth:`starts`); where one may be, the
    alternatives whose first literals are there are told apart (:meth:`alternatives_at`); and a sentence is
    tried with the rules of the alternatives whose first literals it has, and whose second literals too
    (:meth:`rules_of`). Build a screen with :meth:`build`. Callers lower-case the text
    and do not screen text holding :data:`UNSCREENABLE` characters (see :func:`screenable`).
    """

    def __init__(self, needs: Mapping[int, Alternatives]) -> None:
        """:param needs: per rule key, the literal sets (most selective first) of each alternative of its cue;
        every match of the cue matches one alternative and contains a literal of each of that one's sets."""
        first, self._second_literals = _first_and_second(needs)
        self._first = _Literals(first)
        #: The rule key of each alternative, by its number.
        self._rule = [key for key, alternatives in needs.items() for _ in alternatives]
        #: Second sets as expressions, each compiled when a sentence first needs it (a text may need few).
        self._second: dict[int, re.Pattern[str]] = {}
        #: The second sets of alternatives found at one place (or of one rule's among them) as one expression (see
        #: :meth:`rules_of`).
        self._together: dict[tuple[int, ...], re.Pattern[str]] = {}
        #: Alternatives found at one place, by rule (see :meth:`rules_of`).
        self._by_rule: dict[tuple[int, ...], tuple[tuple[int, tuple[int, ...]], ...]] = {}

    @staticmethod
    def build(cues: tuple[str, ...]) -> Screen | None:
        """A screen for these cue patterns (a rule's key is its position), or ``None`` if some cue has no literals
        to screen on. The built-in rules' literals come from a generated table; making the screen still takes about
        a tenth of a second, once per process (screens are kept)."""
        if cues not in _BUILT:
            needs = {key: cue_alternatives(cue) for key, cue in enumerate(cues)}
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
        """Every position in ``lowered`` where an alternative's first literals may match (overlapping ones included),
        in order: where the first words of one do (:meth:`alternatives_at` tells whose match there, if any)."""
        return self._first.starts(lowered)

    def alternatives_at(self, lowered: str, start: int) -> tuple[int, ...]:
        """The numbers of the alternatives (of any rule) whose first literal set matches at ``start`` in ``lowered``
        (always in the same order for the same ones)."""
        return self._first.keys_at(lowered, start)

    def rules_of(self, sentence: str, found: Iterable[tuple[int, ...]]) -> frozenset[int]:
        """The keys of the rules that may match in ``sentence`` (lower-cased), given the alternatives whose first
        literals it holds, as :meth:`alternatives_at` gives them for each place: those with their second literals
        there too, or none. The alternatives found at one place are tried together first, with one expression
        (usually none has its second literals there), then those of each rule together."""
        rules: set[int] = set()
        for alternatives in found:
            by_rule = self._by_rule.get(alternatives) or self._rules_of_alternatives(alternatives)
            if len(by_rule) == 1:
                key, _ = by_rule[0]
                if key not in rules and self._any_second(alternatives, sentence):
                    rules.add(key)
            elif self._any_second(alternatives, sentence):
                rules.update(key for key, own in by_rule if key not in rules and self._any_second(own, sentence))
        return frozenset(rules)

    def rules_in(self, lowered: str, starts: list[int], start: int = 0, end: int | None = None) -> frozenset[int]:
        """The keys of the rules that may match in ``lowered[start:end]`` (a sentence of a block), given where in
        it first literals may match (``starts``, as :meth:`starts` finds them)."""
        found = {self.alternatives_at(lowered, s) for s in starts}
        return self.rules_of(lowered[start:end], found)

    def _second_pattern(self, alternative: int) -> re.Pattern[str]:
        """The expression of an alternative's second literal set (compiled when first needed)."""
        pattern = self._second.get(alternative)
        if pattern is None:
            pattern = self._second[alternative] = re.compile(_trie_pattern(self._second_literals[alternative]))
        return pattern

    def _rules_of_alternatives(self, alternatives: tuple[int, ...]) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """These alternatives by rule: each rule's key and its alternatives among them (kept)."""
        by_rule: dict[int, list[int]] = {}
        for alternative in alternatives:
            by_rule.setdefault(self._rule[alternative], []).append(alternative)
        grouped = self._by_rule[alternatives] = tuple((key, tuple(own)) for key, own in by_rule.items())
        return grouped

    def _any_second(self, alternatives: tuple[int, ...], sentence: str) -> bool:
        """Whether one of these alternatives has no second literal set, or has one of its literals in ``sentence``."""
        second = self._second_literals
        if any(a not in second for a in alternatives):
            return True
        together = self._together_pattern(alternatives) if len(alternatives) > 1 else None
        if together is not None:
            return together.search(sentence) is not None
        return any(self._second_pattern(a).search(sentence) for a in alternatives)

    def _together_pattern(self, alternatives: tuple[int, ...]) -> re.Pattern[str] | None:
        """One expression of the second sets of these alternatives, which all have one (made when first needed, and
        kept), or ``None`` once too many have been made (each is then searched alone)."""
        together = self._together.get(alternatives)
        if together is None and len(self._together) < _MAX_TOGETHER:
            literals = frozenset().union(*(self._second_literals[a] for a in alternatives))
            together = self._together[alternatives] = re.compile(trie_pattern(literals))
        return together

    def rules(self, lowered: str) -> frozenset[int]:
        """The keys of the rules that may match in ``lowered``."""
        return self.rules_in(lowered, self.starts(lowered))


class _Literals:
    """Literal sets of many keys in lower-cased text: whether any occurs, where, and whose they are.

    The first words of the literals that begin a word are searched as one expression after a character that is
    not a word character (what ``\\b`` before a word means; a class first lets the search skip to such
    characters), the few others as a second one. Where one is found, the longest head there (a literal's first
    word) names the keys that may have a literal there: those with one that agrees with the head, which an
    expression of such literals confirms.
    """

    def __init__(self, literals: Mapping[int, frozenset[str]]) -> None:
        literals = _searched(literals)
        #: The distinct literal sets, and the keys of each, by its place in ``_sets``.
        self._sets = list(dict.fromkeys(literals.values()))
        number = {group: n for n, group in enumerate(self._sets)}
        self._keys: dict[int, list[int]] = {}
        for key, group in literals.items():
            self._keys.setdefault(number[group], []).append(key)
        owners = _owners({number[group]: group for group in self._sets})
        # A head's sets include those of the heads it starts with (the empty one too: a literal that starts with
        # whitespace has it): the longest head found at a place is enough.
        self._owners = {
            head: sorted(frozenset().union(*(owners.get(head[:i], ()) for i in range(len(head) + 1))))
            for head in owners
        }
        #: Per head met so far: expressions of the literals that may match where a text begins with it, each with
        #: the keys owning them.
        self._candidates: dict[str, tuple[tuple[re.Pattern[str], tuple[int, ...]], ...]] = {}
        self._heads = re.compile(_trie_pattern(owners))
        at_words, others = _by_start(literals)
        self._at_words = re.compile(r"[^\w](?=" + _trie_pattern(at_words) + ")") if at_words else None
        self._others = re.compile(_trie_pattern(others)) if others else None

    def search(self, lowered: str) -> bool:
        return any(self.keys_at(lowered, start) for start in self.starts(lowered))

    def starts(self, lowered: str) -> list[int]:
        # After a space put in front, a match at i is a literal at i + 1 of the padded text: at i of ``lowered``.
        found = [match.start() for match in self._at_words.finditer(" " + lowered)] if self._at_words else []
        if self._others:
            match = self._others.search(lowered)
            while match is not None:
                found.append(match.start())
                match = self._others.search(lowered, match.start() + 1)
            found = sorted(set(found))
        return found

    def keys_at(self, lowered: str, start: int) -> tuple[int, ...]:
        """The keys owning a literal that matches at ``start`` (in the same order whenever the same ones do)."""
        head = self._heads.match(lowered, start)
        if head is None:
            return ()
        candidates = self._candidates.get(head.group())
        if candidates is None:
            candidates = self._candidates[head.group()] = self._agreeing(head.group())
        found: list[int] = []
        for pattern, keys in candidates:
            if pattern.match(lowered, start):
                found += keys
        return tuple(found)

    def _agreeing(self, head: str) -> tuple[tuple[re.Pattern[str], tuple[int, ...]], ...]:
        """The literals of the sets owning ``head`` that are :func:`_compatible` with it, as expressions (one per
        distinct group of them), each with the keys of the sets they come from."""
        groups: dict[frozenset[str], list[int]] = {}
        for n in self._owners[head]:
            compatible = frozenset(literal for literal in self._sets[n] if _compatible(literal, head))
            if compatible:
                groups.setdefault(compatible, []).extend(self._keys[n])
        return tuple((re.compile(trie_pattern(group)), tuple(keys)) for group, keys in groups.items())


def _compatible(literal: str, head: str) -> bool:
    """Whether ``literal`` may match where a text begins with ``head`` (the longest head found there): its characters
    agree with the head's as far as both go, it has no whitespace within the head, and a word boundary within the
    head is one."""
    at = 0
    for char in literal:
        if at == len(head):
            return True
        if char == BOUNDARY:
            if at and is_word(head[at - 1]) == is_word(head[at]):
                return False
        elif char != head[at]:  # whitespace (SPACE) never is
            return False
        else:
            at += 1
    return True


def screenable(text: str) -> bool:
    """Whether ``text`` can be screened in lower case (it holds no :data:`UNSCREENABLE` character)."""
    return text.isascii() or not any(char in text for char in UNSCREENABLE)
