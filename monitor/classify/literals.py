"""What literals a cue cannot match without: read from the pattern by Python's own regular-expression parser.

``\\bclos(?:e|ed|ure)\\b`` needs ``\\bclose\\b``, ``\\bclosed\\b`` or ``\\bclosure\\b``; ``\\bno\\s+longer\\s+``
needs ``\\bno\\s+longer``. A literal is lower-case printable ASCII with two tokens: :data:`BOUNDARY`
for ``\\b`` and :data:`SPACE` for whitespace (searched as ``\\s+``, since one space in a sentence may be
a line break and indentation in its page). Every match of the pattern, read case-insensitively,
contains one literal of each set :func:`required_literals` gives; the sets are chosen to be rare in
routine text (long words, several words, word boundaries). A piece of a pattern it cannot read
(``\\w+``, ``[^.]``, a character outside ASCII) only yields fewer literals, never a wrong one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

#: Stands for ``\b`` in a literal (``"\x00close"`` is ``\bclose``).
BOUNDARY = "\x00"
#: Stands for whitespace in a literal, searched as ``\s+``.
SPACE = "\x01"
_TOKENS = BOUNDARY + SPACE
#: Characters a literal may hold besides the tokens: printable ASCII without the space.
_PLAIN = frozenset(chr(c) for c in range(0x21, 0x7F))
#: How many literal sets a rule is screened with (the second only for sentences that have the first).
_NEEDS = 2
#: The most literals one piece of a pattern may stand for before it is summarised.
_MAX_OPTIONS = 256
#: Words too common to screen on by themselves: such a word counts as one character long.
_COMMON = frozenset(
    "a an and are as at be been by for from has have in into is it its not of on or our the their this to was "
    "were will with would shall over under end form made done read run base down more one two all any".split()
)

_Options = frozenset[str]


@dataclass(frozen=True, slots=True)
class _Info:
    """What a piece of a pattern tells: every string it can match (when few and plain), what every match starts
    with, ends with, and contains (one of the options; ``None``: nothing known)."""

    exact: _Options | None = None
    prefix: _Options | None = None
    suffix: _Options | None = None
    needs: tuple[_Options, ...] = ()
    #: For a piece that may match nothing: what its other matches end with.
    tail: _Options | None = None


def _known(options: _Options) -> _Info:
    return _Info(options, options, options)


_NOTHING = _Info()
_NO_LEAD = frozenset({""})
_WHITESPACE = frozenset({SPACE})
_EMPTY = _known(_NO_LEAD)


def _char(code: int) -> str | None:
    char = chr(code)
    return SPACE if char == " " else char.lower() if char in _PLAIN else None


def _join(a: str, b: str) -> str:
    return a[:-1] + b if a[-1:] == SPACE and b[:1] == SPACE else a + b


def _product(a: _Options, b: _Options) -> _Options | None:
    if len(a) * len(b) > _MAX_OPTIONS:
        return None
    return frozenset(_join(x, y) for x in a for y in b)


def _charset(items: list[tuple[Any, Any]]) -> _Info:
    """A class of a few plain characters, or whitespace (``[eé]`` is not plain; ``[^a]``, ``\\w`` say nothing)."""
    chars: set[str | None] = set()
    for op, arg in items:
        if op is sre.LITERAL:
            chars.add(_char(arg))
        elif op is sre.RANGE and arg[1] - arg[0] < 10:
            chars.update(_char(code) for code in range(arg[0], arg[1] + 1))
        elif op is sre.CATEGORY and arg in (sre.CATEGORY_SPACE, sre.CATEGORY_UNI_SPACE):
            chars.add(SPACE)
        else:
            return _NOTHING
    return _NOTHING if None in chars else _known(frozenset(c for c in chars if c))


def _union(parts: Sequence[_Options | None], limit: int = _MAX_OPTIONS) -> _Options | None:
    if any(p is None for p in parts):
        return None
    union = frozenset().union(*(p for p in parts if p is not None))
    return union if len(union) <= limit else None


def _branch(alternatives: list[Any], lead: _Options) -> _Info:
    """Alternatives, each read after ``lead`` (``\\b(?:give|share)`` is ``\\bgive`` or ``\\bshare``)."""
    infos = [_sequence(alt, lead) for alt in alternatives]
    return _Info(
        _union([i.exact for i in infos]),
        _union([i.prefix for i in infos]),
        _union([i.suffix for i in infos]),
        _either([i.needs for i in infos]),
    )


def _either(needs: list[tuple[_Options, ...]]) -> tuple[_Options, ...]:
    """What one of several alternatives needs: two unions, each of one literal set of every alternative. Sets
    about the same words go into the same union (``consultation`` with ``consultation``), so that the other
    union is about other words; an alternative with one set puts it in both."""
    if not all(needs):
        return ()
    first: list[_Options] = []
    second: list[_Options] = []
    for sets in needs:
        one, other = sets[0], sets[1] if len(sets) > 1 else sets[0]
        words = {_keyword(o) for group in first for o in group}, {_keyword(o) for group in second for o in group}
        if _shared(other, words[0]) + _shared(one, words[1]) > _shared(one, words[0]) + _shared(other, words[1]):
            one, other = other, one
        first.append(one)
        second.append(other)
    unions = [u for u in (_union(first, 4 * _MAX_OPTIONS), _union(second, 4 * _MAX_OPTIONS)) if u]
    unions.sort(key=lambda u: min(map(_strength, u)), reverse=True)
    return tuple(dict.fromkeys(unions))[:_NEEDS]


def _shared(options: _Options, words: set[str]) -> int:
    return len({_keyword(o) for o in options} & words)


def _repeat(low: int, high: int, body: Any) -> _Info:
    info = _sequence(body)
    if low == high == 1 or (low >= 1 and info.exact == _WHITESPACE):
        return info
    if low == 0:
        once = high == 1 or info.exact == _WHITESPACE
        optional = info.exact | {""} if once and info.exact is not None else None
        return _Info(optional, optional, optional, (), info.suffix)
    return _Info(None, info.prefix, info.suffix, info.needs)


def _node(op: Any, arg: Any) -> _Info:
    if op is sre.LITERAL:
        char = _char(arg)
        return _known(frozenset({char})) if char else _NOTHING
    if op is sre.IN:
        return _charset(arg)
    if op is sre.AT:
        return _known(frozenset({BOUNDARY})) if arg is sre.AT_BOUNDARY else _EMPTY
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return _EMPTY
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        return _repeat(*arg)
    return _NOTHING


def _led(op: Any, arg: Any, lead: _Options) -> _Info | None:
    """A group or alternation read after ``lead`` (the result includes it), or ``None`` for other pieces.

    ``\\b(?:give|share)\\s+views`` thus needs ``\\bgive\\s+views`` or ``\\bshare\\s+views``.
    """
    if op is sre.SUBPATTERN:
        return _sequence(arg[-1], lead)
    if op is sre.BRANCH:
        return _branch(arg[1], lead)
    return None


def _sequence(items: Iterable[tuple[Any, Any]], lead: _Options = _NO_LEAD) -> _Info:
    """Consecutive plain pieces join into longer literals; the best literal sets found are what the sequence needs.
    The result includes ``lead``, literals that come before the sequence."""
    candidates: list[_Options] = []
    run = lead
    prefix: _Options | None = None
    for op, arg in items:
        led = _led(op, arg, run)
        if led is not None and led.exact is None and run != _NO_LEAD:
            short = _led(op, arg, _last_words(run))
            if short is not None and short.exact is not None:  # too many literals: as below
                prefix = run if prefix is None else prefix
                candidates.append(run)
                run = short.exact
                continue
            candidates += short.needs if short is not None else ()
        info = led or _node(op, arg)
        if led is None and info.exact is not None:
            joined = _product(run, info.exact)
            if joined is None:  # too many literals: keep them as a candidate, go on from their last words
                prefix = run if prefix is None else prefix
                candidates.append(run)
                joined = _product(_last_words(run), info.exact) or info.exact
            run = joined
            continue
        if info.exact is not None:
            run = info.exact
            continue
        head = info.prefix if led else (_product(run, info.prefix) if info.prefix is not None else None)
        head = head or run
        prefix = head if prefix is None else prefix
        candidates += (head, *info.needs)
        run = info.suffix if info.suffix is not None else _after_optional(run, info.tail)
    candidates.append(run)
    if prefix is None:
        return _Info(run, run, run, _top([run], 1))
    return _Info(None, prefix, run, _top(candidates, _NEEDS))


def _last_words(run: _Options) -> _Options:
    """The literals cut to what follows their last whitespace or boundary (still what the text ends with)."""
    return frozenset(o[max(o.rfind(SPACE), o.rfind(BOUNDARY), 0) :] for o in run)


def _after_optional(run: _Options, tail: _Options | None) -> _Options:
    """What text ends with after a piece that may match nothing: what came before, or what the piece ends with."""
    if tail is None or len(run) + len(tail) > _MAX_OPTIONS:
        return _NO_LEAD
    return run | tail


@functools.lru_cache(maxsize=65536)
def _strength(option: str) -> int:
    """How rare a literal is likely to be in routine text: its words' lengths (a common word counts one), three more
    for each further word and one more for each word boundary."""
    words = [w for w in option.replace(BOUNDARY, "").split(SPACE) if w]
    return sum(1 if w in _COMMON else len(w) for w in words) + 3 * (len(words) - 1) + option.count(BOUNDARY)


def _minimal(options: _Options) -> _Options:
    """Drop any option that starts with another one: a text with the longer one has the shorter one too."""
    kept: list[str] = []
    for option in sorted(options):
        if not kept or not option.startswith(kept[-1]):
            kept.append(option)
    return frozenset(kept)


def is_word(char: str) -> bool:
    """Whether ``char`` is a word character (``\\w``) for ``\\b``."""
    return char.isalnum() or char == "_"


def _trimmed(option: str) -> str:
    """Whitespace at a literal's ends becomes a word boundary next to a word character, else goes: the literal
    may stand at a page's edge, where a screen sees no whitespace."""
    if option[:1] == SPACE:
        option = (BOUNDARY if is_word(option[1:2]) else "") + option[1:]
    if option[-1:] == SPACE:
        option = option[:-1] + (BOUNDARY if is_word(option[-2:-1]) else "")
    return option


def _top(candidates: Iterable[_Options], count: int) -> tuple[_Options, ...]:
    """The most selective candidates, best first (none with an empty option): every match has one of each.
    Each after the first is also about other words: ``\\bgo\\s+out`` after ``\\bconsultation``, but not
    ``\\bto\\s+consultation``."""
    trimmed = {frozenset(map(_trimmed, c)) for c in candidates}
    usable = [_minimal(c) for c in trimmed if c and all(o.strip(_TOKENS) for o in c)]
    usable.sort(key=lambda c: (min(map(_strength, c)), -len(c), sorted(c)), reverse=True)
    chosen: list[_Options] = []
    words: set[str] = set()
    for options in usable:
        keywords = {_keyword(o) for o in options}
        if len(chosen) < count and not keywords <= words:
            chosen.append(options)
            words |= keywords
    return tuple(chosen)


def _keyword(option: str) -> str:
    """The last word of a literal (what a literal made of several pieces of a pattern ends with)."""
    return option.replace(BOUNDARY, SPACE).rstrip(SPACE).rsplit(SPACE, 1)[-1]


@functools.lru_cache(maxsize=1024)
def required_literals(pattern: str) -> tuple[frozenset[str], ...]:
    """Sets of lower-case literals (with :data:`BOUNDARY` and :data:`SPACE`), most selective first: every match
    of ``pattern`` (read case-insensitively) contains one literal of each set. Empty when the pattern has no
    such literals or cannot be read."""
    try:
        info = _sequence(sre_parse.parse(pattern, re.IGNORECASE))
    except (re.error, AttributeError, TypeError, ValueError, IndexError):  # pragma: no cover - a parser change
        return ()
    return info.needs


@functools.lru_cache(maxsize=1024)
def alternative_literals(pattern: str) -> tuple[tuple[frozenset[str], ...], ...]:
    """The literal sets of each top-level alternative of ``pattern`` (each as :func:`required_literals` gives
    them), for a screen that wants one alternative's sets all found together: every match of ``pattern`` is a
    match of one alternative (with what comes before and after the alternation), so it contains a literal of
    each set of that alternative. A pattern without alternatives, or with one that has no literals, is one
    alternative, ``(required_literals(pattern),)``; empty when the pattern has no literals at all."""
    whole = required_literals(pattern)
    try:
        items = list(sre_parse.parse(pattern, re.IGNORECASE))
    except (re.error, AttributeError, TypeError, ValueError, IndexError):  # pragma: no cover - a parser change
        return ()
    for i, (op, arg) in enumerate(items):
        if op is sre.BRANCH:
            alternatives = [_sequence([*items[:i], *alternative, *items[i + 1 :]]).needs for alternative in arg[1]]
            if all(alternatives):
                return tuple(dict.fromkeys(alternatives))
            break
    return (whole,) if whole else ()
