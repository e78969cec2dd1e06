"""The classifier: sentences in, categories with their evidence out.

For each sentence: skip it if an admin's ignore phrase is in it or it is a question; find each
category's cues (:mod:`monitor.classify.rules`); cancel merger and service-change cues in denials
and generic statements (including a bullet whose list began "Options might include:"). An
``unconsulted`` cue counts only within a few sentences of a merger or service change. The best
sentences of each category (most distinct cues first, then earliest) are the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.classify.consultation import CONSULTATION_RULES
from monitor.classify.merger import MERGER_RULES
from monitor.classify.organisations import organisations
from monitor.classify.result import CATEGORIES, Classification, Finding
from monitor.classify.rules import Hit, Rule, RuleSet, phrase_rule
from monitor.classify.sentences import segments
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
class _Sentence:
    index: int
    page: int | None
    text: str
    previous: str
    lead: str


@dataclass(frozen=True, slots=True)
class _Candidate:
    category: str
    sentence: _Sentence
    hits: tuple[Hit, ...]

    @property
    def score(self) -> tuple[int, int]:
        return (len({h.rule for h in self.hits}), -self.sentence.index)


class Classifier:
    """Rule-based classifier of NHS texts into :data:`CATEGORIES`, with evidence."""

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
        extra = {category: [] for category in CATEGORIES} | _checked_extra_terms(extra_terms or {})
        self._rules = {
            category: RuleSet(category, BUILTIN_RULES[category] + tuple(phrase_rule(p) for p in extra[category]))
            for category in CATEGORIES
        }
        phrases = [" ".join(p.split()) for p in ignore_phrases if p.strip()]
        self._ignore = (
            re.compile("|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases), re.IGNORECASE)
            if phrases
            else None
        )

    def classify(self, text: str | Sequence[PageText]) -> Classification:
        """Classify plain text or a document's pages; evidence sentences carry their page."""
        candidates: list[_Candidate] = []
        for sentence in self._sentences(text):
            candidates.extend(self._judge(sentence))
        candidates = _qualify_unconsulted(candidates)
        return _result(candidates)

    def _sentences(self, text: str | Sequence[PageText]) -> list[_Sentence]:
        pages = [PageText(None, text)] if isinstance(text, str) else list(text)
        out: list[_Sentence] = []
        for page in pages:
            segs = segments(page.text)
            for i, seg in enumerate(segs):
                previous = segs[i - 1].text if i else ""
                lead = segs[seg.lead].text if seg.lead is not None else ""
                out.append(_Sentence(len(out), page.page, seg.text, previous, lead))
        return out

    def _judge(self, sentence: _Sentence) -> list[_Candidate]:
        """The categories whose cues survive in one sentence."""
        text = sentence.text
        if (self._ignore and self._ignore.search(text)) or is_question(text):
            return []
        found: list[_Candidate] = []
        generic: bool | None = None
        lowered = text.lower()
        for category, rules in self._rules.items():
            hits = rules.hits(text, sentence.previous, lowered)
            if not hits:
                continue
            if generic is None:
                generic = bool(GENERIC.search(text) or (sentence.lead and GENERIC.search(sentence.lead)))
            if generic or (category != "consultation" and _denied_or_policy(text)):
                continue
            found.append(_Candidate(category, sentence, tuple(hits)))
        return found


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


def _qualify_unconsulted(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep an ``unconsulted`` cue only within a few sentences of a merger or service change."""
    changes = [c.sentence.index for c in candidates if c.category in _CHANGES]
    return [
        c
        for c in candidates
        if c.category != "unconsulted" or any(abs(c.sentence.index - i) <= UNCONSULTED_DISTANCE for i in changes)
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
