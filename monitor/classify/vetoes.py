"""Sentence-level judgements that cancel cues: questions, generic or hypothetical statements, denials."""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE

#: Statements about change in general, not a change: policies, guidance, lists of what "may" happen.
GENERIC = re.compile(
    r"\b(?:may|might|could|can)\s+(?:include|involve|mean|result\s+in)\b|\boccasionally\b|\bfrom\s+time\s+to\s+time\b|"
    r"\bin\s+some\s+cases\b|\bit\s+makes\s+sense\b|\bfor\s+(?:example|instance)\b|\bsuch\s+as\s+(?:a|an)\s+(?:closure|"
    r"merger|move)\b|\b(?:is|are)\s+(?:done|needed|required|carried\s+out)\s+when\b|\bhappens\s+when\b|\bwhen(?:ever)?\s+"
    r"(?:a|an|any)\s+(?:significant\s+|substantial\s+|major\s+)?(?:change|service|trust|organisation)\b|\bif\s+(?:a|an|"
    r"the|any)\s+(?:trust|ICB|CCG|hospital|service|practice|organisation)\s+(?:were|was|wants|wanted|decides|decided|"
    r"proposes|proposed)\b|\bwhat\s+would\s+happen\b|\bin\s+the\s+event\s+(?:of|that)\b|\bany\s+(?:proposed\s+|future\s+|"
    r"such\s+)?(?:[\w&-]+\s+)?(?:closures?|changes?|mergers?|reconfigurations?|moves?|plans?\s+to|proposals?\s+to|"
    r"decisions?)\b|\bwhere\s+this\s+(?:will|would)\s+be\b|"
    r"\b(?:types|kinds|examples)\s+of\s+(?:service\s+)?change\b|\bwould\s+need\s+to\s+consult\b",
    _FLAGS,
)

#: Guidance, policy and law about change: generic for mergers and service changes, not for consultations on them.
POLICY = re.compile(
    r"\b(?:guidance|legislation|statutory\s+guidance|the\s+(?:policy|procedure|framework|process)\s+(?:for|on|sets))\b",
    _FLAGS,
)

_CHANGE_VERB = r"(?:clos|shut|merg|mov|relocat|downgrad|cut|reduc|suspend|los|axe|axing|scrap|centralis|transfer|end)"
#: "There are no plans to close ...", "cutting beds is not in our plans", "the unit will remain open".
DENIAL = re.compile(
    r"\bno\s+(?:current\s+|immediate\s+|firm\s+|further\s+|such\s+)?(?:plans?|intentions?|proposals?)\s+(?:\w+\s+){0,2}?"
    rf"(?:to|of|for)\s+(?:[\w'‘’\"“”]+\s+){{0,3}}?['‘\"“]?{_CHANGE_VERB}\w*|\bnot\s+(?:\w+\s+){{0,2}}?(?:in\s+(?:our|the|any)\s+plans|on\s+the\s+table|"
    r"being\s+(?:considered|proposed|planned)|planned|proposed)\b|\b(?:will|would|shall|is|are|was|were|does|do|did|has|"
    r"have)\s+not\s+(?:be\s+|being\s+|been\s+)?(?:\w+\s+)?" + _CHANGE_VERB + r"\w*|\b(?:won't|wouldn't|isn't|aren't|"
    r"doesn't|don't|didn't|hasn't|haven't)\s+(?:be\s+|being\s+|been\s+)?(?:\w+\s+)?" + _CHANGE_VERB + r"\w*|"
    r"\bnot\s+(?:mean|involve|lead\s+to|result\s+in|require|affect)\s+(?:any\s+)?(?:\w+\s+){0,2}?"
    + _CHANGE_VERB
    + r"\w*|\bno\s+(?:\w+\s+){0,2}?(?:will|would|is\s+going\s+to|are\s+going\s+to|is\s+to|are\s+to)\s+(?:be\s+)?"
    + _CHANGE_VERB
    + r"\w*|\b(?:remain|remains|stay|stays|will\s+stay|will\s+remain)\s+open\b|(?<!not\s)\brule[sd]?\s+out\b|"
    r"\bno\s+intention\b|"
    r"\b(?:untrue|unfounded|scaremongering|speculation)\b|\bnot\s+(?:under\s+threat|at\s+risk)\b|\bsafe\s+from\s+closure\b|"
    r"\bdeni(?:ed|es)\b(?:\s+\S+){0,6}\s+(?:plans?|claims?|reports?|rumours?)\b",
    _FLAGS,
)


def is_question(sentence: str) -> bool:
    """A question asks; it does not report (headlines like "Is the unit closing?")."""
    return sentence.rstrip(" \"'”’)").endswith("?")
