"""Rules as data: a cue, the context it needs, and the context that cancels it.

A :class:`Rule` is one transparent judgement, for example "``close`` counts as a closure when a
service (ward, unit, beds, A&E...) is named within 100 characters and it is not ``close working``".
A :class:`RuleSet` holds a category's rules. Each rule names its ``trigger``, word stems that any
match of its cue contains; the set joins the triggers into one cheap regular expression, so that a
sentence without any of them costs a single search, and only sentences that pass are checked rule
by rule.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

_FLAGS = re.IGNORECASE
#: A sentence with one of these words may lean on the sentence before it ("This is being considered for closure").
_ANAPHOR = re.compile(
    r"\b(?:this|that|these|those|it|its|they|their|the (?:closure|move|relocation|merger|change))\b", _FLAGS
)
_QUOTES = "'\"‘’“”"


@dataclass(frozen=True)
class Rule:
    """One cue and its conditions; every pattern is a case-insensitive regular expression without groups.

    :param name: the cue's term when the match is long (``"bed cut"``); a short match is its own term.
    :param cue: what triggers the rule.
    :param trigger: lower-case stems, one of which begins a word of every match of ``cue`` (a fast screen;
        ``None``: the cue itself screens).
    :param needs: must occur in the sentence (or, for a sentence with "this"/"it", in the one before).
    :param near: must occur within ``reach`` characters either side of the cue (or, likewise, in the one before).
    :param after: must match at the start of the text that follows the cue.
    :param veto: cancels the cue when it occurs within ``reach`` characters (the cue included).
    :param soft_veto: the same, unless ``rescue`` also occurs there ("with staff" cancels, "and the public" rescues).
    :param veto_before: cancels the cue when found in the ``reach`` characters before it (anchor with ``$``).
    :param veto_after: cancels the cue when it matches at the start of the text after it.
    :param reach: the window, in characters, for ``near``, ``veto`` and ``veto_before``.
    :param quoted_veto: a cue whose first word is in scare quotes ("'lack' of consultation") does not count.
    """

    name: str
    cue: str
    trigger: str | None = None
    needs: str | None = None
    near: str | None = None
    after: str | None = None
    veto: str | None = None
    soft_veto: str | None = None
    rescue: str | None = None
    veto_before: str | None = None
    veto_after: str | None = None
    reach: int = 80
    quoted_veto: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule that fired in a sentence: the rule's name, the cue term and where it matched."""

    rule: str
    term: str
    start: int
    end: int


def _opt(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern, _FLAGS) if pattern else None


class _Compiled:
    """A rule with its patterns compiled once."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.cue = re.compile(rule.cue, _FLAGS)
        self.trigger = re.compile(rf"\b(?:{rule.trigger})") if rule.trigger else None
        self.needs = _opt(rule.needs)
        self.near = _opt(rule.near)
        self.after = _opt(rule.after)
        self.veto = _opt(rule.veto)
        self.soft_veto = _opt(rule.soft_veto)
        self.rescue = _opt(rule.rescue)
        self.veto_before = _opt(rule.veto_before)
        self.veto_after = _opt(rule.veto_after)

    def hits(self, sentence: str, previous: str, lowered: str, screened: bool = False) -> list[Hit]:
        """Every accepted match of this rule's cue in ``sentence`` (``lowered`` is it in lower case).

        :param screened: the screen found the cue's literals in the sentence, so the trigger will most likely
            pass: look for the cue first (the result is the same).
        """
        if not screened and self.trigger and not self.trigger.search(lowered):
            return []
        found: list[Hit] = []
        for m in self.cue.finditer(sentence):
            if self._accepts(sentence, previous, m.start(), m.end()):
                found.append(Hit(self.rule.name, _term(m.group(0), self.rule.name), m.start(), m.end()))
        if found and screened and self.trigger and not self.trigger.search(lowered):
            return []
        if found and self.needs and not self._has_needs(sentence, previous):
            return []
        return found

    def _has_needs(self, sentence: str, previous: str) -> bool:
        assert self.needs is not None
        if self.needs.search(sentence):
            return True
        return bool(previous) and bool(_ANAPHOR.search(sentence)) and bool(self.needs.search(previous))

    def _is_near(self, window: str, sentence: str, previous: str) -> bool:
        assert self.near is not None
        if self.near.search(window):
            return True
        return bool(previous) and bool(_ANAPHOR.search(sentence)) and bool(self.near.search(previous))

    def _accepts(self, s: str, previous: str, start: int, end: int) -> bool:
        """Whether every condition holds for the cue at ``s[start:end]``; the cheap ones are tried first."""
        reach = self.rule.reach
        rest = s[end:]
        if self.after and not self.after.match(rest):
            return False
        if self.veto_after and self.veto_after.match(rest):
            return False
        if self.rule.quoted_veto and _scare_quoted(s, start):
            return False
        if self.veto_before and self.veto_before.search(s[max(0, start - reach) : start]):
            return False
        window = s[max(0, start - reach) : end + reach]
        if self.soft_veto and self.soft_veto.search(window) and not (self.rescue and self.rescue.search(window)):
            return False
        if self.near and not self._is_near(window, s, previous):
            return False
        return not (self.veto and self.veto.search(window))


def refers_back(sentence: str) -> bool:
    """Whether ``sentence`` may lean on the one before it ("This is being considered for closure"); the rules
    read the sentence before only for such a sentence."""
    return bool(_ANAPHOR.search(sentence))


def _scare_quoted(s: str, start: int) -> bool:
    """Whether the word at ``start`` stands in quotes of its own (the writer disputes it)."""
    if start == 0 or s[start - 1] not in _QUOTES:
        return False
    m = re.match(r"[\w-]+", s[start:])
    return m is not None and s[start + m.end() : start + m.end() + 1] in tuple(_QUOTES)


def _term(matched: str, name: str) -> str:
    """The cue term shown as evidence: the matched words when short, else the rule's name."""
    words = matched.lower().split()
    return " ".join(words) if 0 < len(words) <= 4 and len(matched) <= 40 else name


class RuleSet:
    """A category's rules behind one combined screening expression."""

    def __init__(self, category: str, rules: Sequence[Rule]) -> None:
        self.category = category
        self._rules = [_Compiled(r) for r in rules]
        # Triggers are lower-case stems matched case-sensitively on the lower-cased sentence: three times faster.
        triggers = "|".join(r.trigger for r in rules if r.trigger)
        screens = [rf"\b(?=[a-z])(?:{triggers})"] if triggers else []
        screens += [f"(?i:{r.cue})" for r in rules if not r.trigger]
        self._screen = re.compile("|".join(screens)) if screens else None

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules, in order."""
        return tuple(r.rule for r in self._rules)

    def hits(
        self, sentence: str, previous: str = "", lowered: str | None = None, only: Collection[int] | None = None
    ) -> list[Hit]:
        """The accepted cues of this category in ``sentence`` (``previous`` is the sentence before it).

        :param only: the positions of the rules to try, when the others are known not to match (see
            :mod:`monitor.classify.screen`); hits come in rule order either way.
        """
        lowered = sentence.lower() if lowered is None else lowered
        if only is None:
            if self._screen is None or not self._screen.search(lowered):
                return []
            return [hit for rule in self._rules for hit in rule.hits(sentence, previous, lowered)]
        found = [hit for i in sorted(only) for hit in self._rules[i].hits(sentence, previous, lowered, screened=True)]
        if found and (self._screen is None or not self._screen.search(lowered)):
            return []
        return found


def phrase_rule(phrase: str) -> Rule:
    """A rule for an admin's extra cue phrase: the words in order, any spacing, case-insensitive."""
    words = phrase.split()
    cue = r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)"
    return Rule(name=" ".join(words).lower(), cue=cue)
