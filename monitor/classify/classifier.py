"""The classifier: sentences in, categories with their evidence out.

For each sentence: skip it if an admin's ignore phrase is in it or it is a question; find each
category's cues (:mod:`monitor.classify.rules`); cancel merger and service-change cues in denials
and generic statements (including a bullet whose list began "Options might include:"). An
``unconsulted`` cue counts only within a few sentences of a merger or service change. The best
sentences of each category (most distinct cues first, then earliest) are the evidence.

A screen of every rule's literals (:mod:`monitor.classify.screen`) spares the sentences, and the
rules, that cannot match: most of a board pack is never split into sentences. It changes no
result; ``Classifier.fast_path = False`` reads every sentence with every rule, for comparison. The
screen is built for the first long text (``screen_from_chars``); a short one, as from the command
line, is read in full until then.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.classify.consultation import CONSULTATION_RULES
from monitor.classify.document import Counted, Sentence, Spacing, all_sentences, screened_sentences
from monitor.classify.merger import MERGER_RULES
from monitor.classify.organisations import organisations
from monitor.classify.result import CATEGORIES, Classification, Finding
from monitor.classify.rules import Hit, Rule, RuleSet, phrase_rule
from monitor.classify.screen import Screen
from monitor.classify.service_change import SERVICE_CHANGE_RULES
from monitor.classify.unconsulted import UNCONSULTED_RULES
from monitor.classify.vetoes import DENIAL, GENERIC, POLICY, is_question
from monitor.extract.types import PageText

BUILTIN_RULES: Mapping[str, tuple[Rule, ...]] = {
    "merger": MERGER_RULES,
    "service_change": SERVICE_CHANGE_RULES,
    "unconsulted": UNCONSULTED_RULES,
    "consultation": CONSULTATION_RULES,
}
#: How many sentences away an "unconsulted" cue may be from the merger or service change it qualifies.
UNCONSULTED_DISTANCE = 4
#: Evidence per category, and the longest evidence text.
MAX_FINDINGS = 3
MAX_EVIDENCE_CHARS = 600
_CHANGES = ("merger", "service_change")


@dataclass(frozen=True, slots=True)
class _Candidate:
    category: str
    sentence: Sentence
    hits: tuple[Hit, ...]

    @property
    def score(self) -> tuple[int, int]:
        return (len({h.rule for h in self.hits}), -self.sentence.index)


class Classifier:
    """Rule-based classifier of NHS texts into :data:`CATEGORIES`, with evidence."""

    #: Screen sentences and rules before judging (same results, faster); off, every sentence meets every rule.
    fast_path: bool = True
    #: The shortest text worth building the screen for (about 0.1 s of CPU once per process, with the generated
    #: table of :mod:`monitor.classify.screen`): shorter texts use the screen only once it is built.
    screen_from_chars: int = 20_000

    def __init__(
        self,
        *,
        extra_terms: Mapping[str, Sequence[str]] | None = None,
        ignore_phrases: Sequence[str] = (),
    ) -> None:
        """Build the rule sets once.

        :param extra_terms: more cue phrases per category (case-insensitive), e.g. ``{"merger": ["group model"]}``.
        :param ignore_phrases: sentences containing any of these (case-insensitive) are never classified.
        :raises ValueError: on a category not in :data:`CATEGORIES` or an empty phrase.
        """
        extra: dict[str, list[str]] = {category: [] for category in CATEGORIES}
        extra |= _checked_extra_terms(extra_terms or {})
        self._rules = {
            category: RuleSet(category, BUILTIN_RULES[category] + tuple(phrase_rule(p) for p in extra[category]))
            for category in CATEGORIES
        }
        # A rule's key, what the screen names it by, is its place in this list.
        self._keyed = [(category, i) for category, rules in self._rules.items() for i in range(len(rules.rules))]
        self._cues = tuple(rule.cue for rules in self._rules.values() for rule in rules.rules)
        phrases = [" ".join(p.split()) for p in ignore_phrases if p.strip()]
        self._ignore = (
            re.compile("|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases), re.IGNORECASE)
            if phrases
            else None
        )

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Classifier:
        """A classifier from plain settings ``{"extra_terms": {...}, "ignore_phrases": [...]}`` (the config's
        ``classifier:`` section as the daemon hands it to its extraction workers)."""
        return cls(extra_terms=settings.get("extra_terms") or {}, ignore_phrases=settings.get("ignore_phrases") or ())

    def classify(self, text: str | Sequence[PageText]) -> Classification:
        """Classify plain text or a document's pages; evidence sentences carry their page."""
        pages = [PageText(None, text)] if isinstance(text, str) else list(text)
        candidates: list[_Candidate] = []
        spacing: Spacing
        screen = self._screen(pages)
        if screen is not None:
            screened, spacing = screened_sentences(pages, screen)
            for s in screened:
                candidates.extend(self._judge(s.sentence, s.rules))
        else:
            spacing = Counted()
            for sentence in all_sentences(pages):
                candidates.extend(self._judge(sentence))
        return _result(_qualify_unconsulted(candidates, spacing))

    def _screen(self, pages: Sequence[PageText]) -> Screen | None:
        """The screen to read these pages with, if any."""
        if not self.fast_path:
            return None
        if sum(len(page.text) for page in pages) >= self.screen_from_chars:
            return Screen.build(self._cues)
        return Screen.built(self._cues)

    def _judge(self, sentence: Sentence, keys: frozenset[int] | None = None) -> list[_Candidate]:
        """The categories whose cues survive in one sentence (``keys``: the only rules that may match)."""
        text = sentence.text
        if (self._ignore and self._ignore.search(text)) or is_question(text):
            return []
        found: list[_Candidate] = []
        generic: bool | None = None
        lowered = text.lower()
        only = self._by_category(keys)
        for category, rules in self._rules.items():
            if only is not None and category not in only:
                continue
            hits = rules.hits(text, sentence.previous, lowered, only[category] if only is not None else None)
            if not hits:
                continue
            if generic is None:
                generic = bool(GENERIC.search(text) or (sentence.lead and GENERIC.search(sentence.lead)))
            if generic or (category != "consultation" and _denied_or_policy(text)):
                continue
            found.append(_Candidate(category, sentence, tuple(hits)))
        return found

    def _by_category(self, keys: frozenset[int] | None) -> dict[str, list[int]] | None:
        """The rules of these keys, as their positions in their category's rule set."""
        if keys is None:
            return None
        only: dict[str, list[int]] = {}
        for key in keys:
            category, i = self._keyed[key]
            only.setdefault(category, []).append(i)
        return only


def _checked_extra_terms(extra_terms: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    unknown = sorted(set(extra_terms) - set(CATEGORIES))
    if unknown:
        raise ValueError(
            f"classifier.extra_terms: unknown category {', '.join(unknown)}; use one of {', '.join(CATEGORIES)}"
        )
    checked: dict[str, list[str]] = {}
    for category, phrases in extra_terms.items():
        if isinstance(phrases, str):
            raise ValueError(f"classifier.extra_terms.{category}: give a list of phrases, not a single string")
        if any(not p.strip() for p in phrases):
            raise ValueError(f"classifier.extra_terms.{category}: a phrase is empty")
        checked[category] = list(phrases)
    return checked


def _denied_or_policy(text: str) -> bool:
    return bool(DENIAL.search(text) or POLICY.search(text))


def _qualify_unconsulted(candidates: list[_Candidate], spacing: Spacing) -> list[_Candidate]:
    """Keep an ``unconsulted`` cue only within a few sentences of a merger or service change."""
    changes = [c.sentence.index for c in candidates if c.category in _CHANGES]
    return [
        c
        for c in candidates
        if c.category != "unconsulted"
        or any(spacing.within(c.sentence.index, i, UNCONSULTED_DISTANCE) for i in changes)
    ]


def _result(candidates: list[_Candidate]) -> Classification:
    findings: list[Finding] = []
    for category in CATEGORIES:
        ranked = sorted((c for c in candidates if c.category == category), key=lambda c: c.score, reverse=True)
        findings.extend(_finding(c) for c in ranked[:MAX_FINDINGS])
    names: list[str] = []
    for f in findings:
        names.extend(n for n in f.organisations if n not in names)
    categories = [c for c in CATEGORIES if any(f.category == c for f in findings)]
    return Classification(categories=categories, findings=findings, organisations=names)


def _finding(candidate: _Candidate) -> Finding:
    sentence = candidate.sentence
    terms = tuple(dict.fromkeys(h.term for h in sorted(candidate.hits, key=lambda h: h.start)))
    text = _capped(sentence.text, min(h.start for h in candidate.hits))
    return Finding(candidate.category, text, sentence.page, terms, tuple(organisations(text)))


def _capped(text: str, focus: int) -> str:
    """The sentence, or for a very long one a window of it around the first cue, cut at word boundaries."""
    if len(text) <= MAX_EVIDENCE_CHARS:
        return text
    start = max(0, min(focus - MAX_EVIDENCE_CHARS // 3, len(text) - MAX_EVIDENCE_CHARS))
    end = start + MAX_EVIDENCE_CHARS
    if start:
        start = text.find(" ", start) + 1
    if end < len(text):
        end = text.rfind(" ", start, end)
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")
