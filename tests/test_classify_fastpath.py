"""The classifier's fast path gives exactly the results of reading every sentence with every rule.

The fast path screens text for the literals each rule's cue needs (monitor.classify.literals and
monitor.classify.screen), splits only the blocks that have some (monitor.classify.document), and
tries only those rules. These tests run both paths (``Classifier.fast_path``) over thousands of
generated documents: routine board text with cue words mixed in, bullets, PDF line breaks,
hyphenation, odd whitespace and letters whose case folds oddly. They also check the literals of
every rule and of random patterns against what the patterns match, and the faster sentence helpers
against the plain versions they replaced.
"""

from __future__ import annotations

import random
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.classify import Classifier, split_sentences
from monitor.classify.classifier import BUILTIN_RULES
from monitor.classify.document import all_sentences, screened_sentences
from monitor.classify.literals import BOUNDARY, SPACE, required_literals
from monitor.classify.screen import Screen, screenable
from monitor.classify.sentences import (
    _BULLET,
    _KEEP_HYPHEN_AFTER,
    _KEEP_HYPHEN_BEFORE,
    _SPACES,
    _is_abbreviation,
    _line,
    repair_hyphenation,
    split_block,
)
from monitor.extract.types import PageText

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "classify_cases.yaml").read_text(encoding="utf-8")
)
CASE_TEXTS = [text for case in CASES for text in case.get("pages", [case.get("text", "")])]
ROUTINE = (
    "The Board received the integrated performance report and noted the position on elective waiting times.",
    "The trust reported a year-to-date deficit of £4.2m, which is £1.1m adverse to plan.",
    "Four-hour performance in the emergency department was 71 per cent against the standard.",
    "The committee agreed to close 12 completed actions on the board assurance framework.",
    "Members discussed the capital programme and approved the replacement of the pathology analysers.",
    "Dr. Patel, Medical Director, presented the mortality report; the SHMI remains as expected.",
    "Minutes of the meeting held on 4 March were approved as an accurate record.",
    "Bed occupancy averaged 94 per cent across the acute sites, with 81 patients fit for discharge.",
    "The chair thanked staff for their work over the winter and noted the staff survey results.",
    "The digital programme is on track: the upgrade will go live in No. 3 release.",
    "Sickness absence fell to 4.9 per cent and the vacancy rate was 7 per cent.",
    "Infection prevention and control: there were 3 cases of C. difficile against a trajectory of 5.",
)
#: Cue words and look-alikes to put into routine sentences.
FRAGMENTS = (
    "will close|the closure of Ward 4|to merge with the neighbouring trust|merger|relocated to Westgate Hospital|"
    "without consultation|without any public consultation|a twelve-week public consultation will open|consultation|"
    "downgraded to an urgent treatment centre|births were suspended|no longer be provided|in a private session|"
    "behind closed doors|the move|not consulted|have your say|A&E|minor injuries unit|reconfiguration of services|"
    "centralised on one site|there are no plans to close|options may include|staff consultation|beds will be cut|"
    "the two CCGs will combine into a single organisation|taken over by|opening hours cut|before the public was told|"
    "go out to public consultation"
).split("|")
ODD_SPACES = ("  ", "\t", "\u00a0", "\u2028", "\n", "\n    ", " \u2003 ")
ODD_LETTERS = {"i": ("İ", "ı"), "s": ("ſ",), "k": ("\u212a",), "fi": ("ﬁ",), "e": ("é",)}


def _mix(rng: random.Random, sentence: str) -> str:
    """A sentence with a cue fragment put in at a word boundary."""
    words = sentence.split(" ")
    at = rng.randrange(len(words) + 1)
    return " ".join([*words[:at], rng.choice(FRAGMENTS), *words[at:]])


def _perturb(rng: random.Random, text: str) -> str:
    """Case, whitespace, soft hyphens and odd letters, as PDF extraction produces them."""
    words = text.split(" ")
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(len(words))
        words[i] = rng.choice((words[i].upper(), words[i].title(), words[i] + "?", "\u00ad".join(words[i])))
    text = "".join(w + (rng.choice(ODD_SPACES) if rng.random() < 0.1 else " ") for w in words).strip()
    if rng.random() < 0.15:
        plain, odd = rng.choice(list(ODD_LETTERS.items()))
        text = text.replace(plain, rng.choice(odd), 1)
    return text


def _hyphenate(rng: random.Random, text: str) -> str:
    """A long word broken across lines, as a PDF does: ``consul-\\ntation``."""
    words = [w for w in re.findall(r"[A-Za-z]{7,}", text)]
    if not words:
        return text
    word = rng.choice(words)
    cut = rng.randint(2, len(word) - 2)
    return text.replace(word, f"{word[:cut]}-\n{word[cut:]}", 1)


def _paragraph(rng: random.Random) -> str:
    kind = rng.random()
    pool = CASE_TEXTS if rng.random() < 0.5 else ROUTINE
    sentences = [rng.choice(pool) for _ in range(rng.randint(1, 4))]
    sentences = [_mix(rng, s) if rng.random() < 0.3 else s for s in sentences]
    if kind < 0.15:
        lead = rng.choice(("Options may include:", "The Board is asked to approve:", "Priorities:"))
        marker = rng.choice(("•", "-", "1.", "a)", "(ii)", "►"))
        return lead + "\n" + "\n".join(f"{marker} {_perturb(rng, s)}" for s in sentences)
    text = _perturb(rng, " ".join(sentences))
    if kind < 0.25:
        text = text.replace(". ", " • ", 1)
    if kind < 0.7:
        text = textwrap.fill(text, rng.randint(30, 100), break_on_hyphens=False)
        text = _hyphenate(rng, text) if rng.random() < 0.4 else text
    return text


def _document(rng: random.Random) -> str | list[PageText]:
    pages = [
        rng.choice(("\n\n", "\n", "\f")).join(_paragraph(rng) for _ in range(rng.randint(1, 4)))
        for _ in range(rng.randint(1, 3))
    ]
    if len(pages) == 1 and rng.random() < 0.5:
        return pages[0]
    return [PageText(n, page) for n, page in enumerate(pages, 1)]


def _pair(**kwargs: Any) -> tuple[Classifier, Classifier]:
    """A classifier that screens every text, however short, and one that reads every sentence with every rule."""
    fast, slow = Classifier(**kwargs), Classifier(**kwargs)
    fast.screen_from_chars = 0
    slow.fast_path = False
    return fast, slow


@pytest.mark.parametrize("seed", range(4))
def test_fast_path_gives_identical_results(seed: int) -> None:
    fast, slow = _pair()
    rng = random.Random(seed)
    found = 0
    for _ in range(600):
        document = _document(rng)
        expected = slow.classify(document).to_json()
        assert fast.classify(document).to_json() == expected, document
        found += bool(expected["categories"])
    assert found > 100  # the documents do hold cues, so the comparison means something


def test_fast_path_gives_identical_results_with_admin_terms() -> None:
    terms = {
        "merger": ["group model", "Northshire Way"],
        "service_change": ["step-down beds", "A&E", "hub-and-spoke"],
        "unconsulted": ["done on the quiet"],
        "consultation": ["listening exercise"],
    }
    fast, slow = _pair(extra_terms=terms, ignore_phrases=["minor injuries", "Freedom to Speak Up"])
    extra = ("the Northshire  Way", "step-down BEDS", "A&E", "hub-and-spoke", "done on the quiet", "minor injuries")
    rng = random.Random(99)
    for _ in range(400):
        document = _document(rng)
        if isinstance(document, str):
            document = document.replace("the", rng.choice(extra), 1)
        assert fast.classify(document).to_json() == slow.classify(document).to_json(), document


@pytest.mark.parametrize("layout", ["one paragraph", "paragraphs", "bullets", "pages"])
def test_unconsulted_cue_counts_within_four_sentences_across_blocks_and_pages(layout: str) -> None:
    fast, slow = _pair()
    change = "The minor injuries unit at Eastfield Community Hospital will close in May."
    unconsulted = "Residents said there had been no public consultation."
    for between in range(8):
        filler = [f"The Board noted item {n} of the finance report." for n in range(between)]
        sentences = [change, *filler, unconsulted]
        if layout == "one paragraph":
            document: str | list[PageText] = " ".join(sentences)
        elif layout == "paragraphs":
            document = "\n\n".join(sentences)
        elif layout == "bullets":
            document = "Items:\n" + "\n".join(f"• {s}" for s in sentences)
        else:
            document = [PageText(n, s) for n, s in enumerate(sentences, 1)]
        result = fast.classify(document)
        assert result.to_json() == slow.classify(document).to_json()
        assert ("unconsulted" in result.categories) == (between <= 3), (layout, between)


def test_text_whose_case_folds_oddly_is_read_in_full() -> None:
    fast, slow = _pair()
    for text in (
        "A twelve-week public CONSULTATİON on the future of maternity services will open on 6 January.",
        "The mınor injuries unit at Eastfield will cloſe in May. It was done without consultatıon.",
    ):
        assert fast.classify(text).to_json() == slow.classify(text).to_json()
        assert fast.classify(text).categories


def test_the_screen_is_built_for_the_first_long_text_only() -> None:
    classifier = Classifier(extra_terms={"merger": ["zebra crossing"]})  # rules no other test builds a screen for
    short = "The minor injuries unit at Eastfield Community Hospital will close in May."
    assert classifier.classify(short).categories == ["service_change"]
    assert Screen.built(classifier._cues) is None
    long = " ".join([*ROUTINE] * 30 + [short])
    assert len(long) >= classifier.screen_from_chars
    assert classifier.classify(long).categories == ["service_change"]
    assert Screen.built(classifier._cues) is not None


def test_routine_text_is_mostly_never_split_or_judged() -> None:
    rng = random.Random(5)
    paragraphs = [textwrap.fill(" ".join(rng.sample(ROUTINE, 2)), 90) for _ in range(150)]
    pages = [PageText(n, "\n\n".join(paragraphs[n * 3 : n * 3 + 3])) for n in range(50)]
    screen = Screen.build(Classifier()._cues)
    assert screen is not None
    screened, layout = screened_sentences(pages, screen)
    assert len(screened) < len(all_sentences(pages)) / 4
    assert sum(block.spans is not None for block in layout.blocks) < 0.6 * len(layout.blocks)


def _corpus() -> list[str]:
    rng = random.Random(11)
    sentences = [s for text in CASE_TEXTS for s in split_sentences(text)]
    sentences += [_perturb(rng, _mix(rng, rng.choice(sentences + list(ROUTINE)))) for _ in range(3000)]
    return [" ".join(s.split()) if rng.random() < 0.5 else s for s in sentences]


def test_screen_never_hides_a_cue() -> None:
    """Wherever a rule's cue matches a sentence, the screen names that rule for it."""
    cues = tuple(rule.cue for rules in BUILTIN_RULES.values() for rule in rules)
    screen = Screen.build(cues)
    assert screen is not None
    compiled = [re.compile(cue, re.IGNORECASE) for cue in cues]
    checked = 0
    for sentence in _corpus():
        if not screenable(sentence):
            continue
        named = screen.rules(sentence.lower())
        for key, cue in enumerate(compiled):
            if cue.search(sentence):
                checked += 1
                assert key in named, (key, cues[key][:60], sentence)
    assert checked > 2000


def test_every_builtin_rule_has_literals_to_screen_on() -> None:
    for category, rules in BUILTIN_RULES.items():
        for rule in rules:
            literal_sets = required_literals(rule.cue)
            assert literal_sets and all(literal_sets), (category, rule.name)


@pytest.mark.parametrize(
    ("pattern", "literal", "text"),
    [
        (r"\bclos(?:e|ed)\b", f"{BOUNDARY}closed{BOUNDARY}", "Ward 4 CLOSED in May."),
        (
            r"\bno\s+longer\s+(?:be\s+)?provid\w*",
            f"{BOUNDARY}no{SPACE}longer{SPACE}provid",
            "It will no\nlonger provide",
        ),
        (
            r"\b(?:give|share)\s+your\s+views\b",
            f"{BOUNDARY}share{SPACE}your{SPACE}views{BOUNDARY}",
            "Share  your views",
        ),
        (r"(?<!\w)step-down\s+beds(?!\w)", f"step-down{SPACE}beds", "the Step-Down beds"),
    ],
)
def test_required_literals_of_a_pattern(pattern: str, literal: str, text: str) -> None:
    (literals,) = required_literals(pattern)
    assert literal in literals
    as_pattern = literal.replace(BOUNDARY, r"\b").replace(SPACE, r"\s+")
    assert re.search(pattern, text, re.IGNORECASE) and re.search(as_pattern, text.lower())


def test_a_cue_without_literals_turns_the_screen_off() -> None:
    assert required_literals(r"\w+\s+\w+") == ()
    assert Screen.build((r"\bclose\b", r"\w+")) is None
    fast, slow = _pair(extra_terms={"merger": ["’’"]})
    text = "The two trusts will ’’ from April. Ward 4 will close."
    assert fast.classify(text).to_json() == slow.classify(text).to_json()
    assert fast.classify(text).categories == ["merger", "service_change"]


# ---------------------------------------------------------------- the faster sentence helpers and what they replaced

_OLD_HYPHEN_BREAK = re.compile(r"([A-Za-z]+)-[ \t]*\n[ \t]*([a-z][\w'’]*)")
_OLD_LAST_WORD = re.compile(r"(\S+)$")
_ALPHABET = "aB c-\n\t .:;!?•-–1(2)é’\"'\u00a0\u2003\u2028\x0b\x0c\x1c٣ivled"


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) if rng.random() < 0.6 else rng.choice("abcdefghij ") for _ in range(40))


def test_hyphenation_repair_matches_the_plain_expression() -> None:
    def old_join(m: re.Match[str]) -> str:
        first, second = m.group(1), m.group(2)
        keep = second.lower() in _KEEP_HYPHEN_AFTER or first.lower() in _KEEP_HYPHEN_BEFORE
        return f"{first}-{second}" if keep else f"{first}{second}"

    rng = random.Random(3)
    for _ in range(5000):
        text = _random_text(rng)
        old = _OLD_HYPHEN_BREAK.sub(old_join, text)
        assert repair_hyphenation(text) == old, repr(text)


def test_line_reading_matches_the_plain_version() -> None:
    def old_line(raw: str) -> tuple[str, int, int | None]:
        raw = raw.expandtabs(4)
        indent = len(raw) - len(raw.lstrip())
        marker = _BULLET.match(raw)
        body = raw[marker.end() :] if marker else raw
        return _SPACES.sub(" ", body).strip(), indent, marker.end() if marker else None

    rng = random.Random(4)
    for _ in range(5000):
        raw = _random_text(rng).replace("\n", " ")
        raw = rng.choice(("", "  ", "\t", "• ", "1. ", "a) ", "(iv) ", "٣. ", "- ")) + raw
        assert tuple(_line(raw)) == old_line(raw), repr(raw)


def test_block_splitting_matches_the_plain_version() -> None:
    def old_is_abbreviation(before: str, punct: str, following: str) -> bool:
        m = _OLD_LAST_WORD.search(before)
        return punct == "." and m is not None and _is_abbreviation(m.group(1), punct, following)

    def old_split(chunk: str) -> list[str]:
        sentences, start = [], 0
        for m in re.finditer(r"([.!?…]+)([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9£])", chunk):
            if old_is_abbreviation(chunk[start : m.start()], m.group(1), chunk[m.end() : m.end() + 1]):
                continue
            sentences.append(chunk[start : m.end()].strip())
            start = m.end()
        sentences.append(chunk[start:].strip())
        return [s for s in sentences if s]

    rng = random.Random(6)
    words = [*"Dr. St. No. 3 e.g. J. Ward closed. It a.m. “Yes.” (x) • ? £5".split(), "x\u2028y."]
    for _ in range(5000):
        block = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        expected = [p for chunk in re.split(r"\s+[•●▪■➢►]\s+", block) for p in old_split(chunk)]
        assert split_block(block) == expected, repr(block)


# ---------------------------------------------------------------- literals of random patterns

_PIECES = (
    "close",
    "the",
    "a",
    "unit",
    "no",
    "consult",
    "go",
    "out",
    "to",
    "merge",
    "s",
    "ed",
    "A&E",
    "x-ray",
    "-",
    "£5",
)
Sampler = Callable[[random.Random], str]
#: Pieces of pattern the rules use, each with a way to make text it matches.
_ATOMS: dict[str, Sampler] = {
    r"\s+": lambda r: r.choice((" ", "  ", "\n ")),
    r"\s*": lambda r: r.choice(("", " ", "\n")),
    r"\s?": lambda r: r.choice(("", " ")),
    " ": lambda r: " ",
    r"\b": lambda r: "",
    r"\w+": lambda r: r.choice(("x", "unit", "A", "3")),
    "[- ]": lambda r: r.choice("- "),
    "[^.]": lambda r: r.choice("a -,"),
    r"\d+": lambda r: r.choice(("1", "42")),
    r"(?<!\w)": lambda r: "",
    r"(?!\w)": lambda r: "",
    "[ae]": lambda r: r.choice("aeAE"),
    "'?": lambda r: r.choice(("", "'")),
    r"\B": lambda r: "",
    "^": lambda r: "",
    "$": lambda r: "",
}


def _random_pattern(rng: random.Random, depth: int = 0) -> tuple[str, Sampler]:
    """A small pattern of the shapes the rules use (words, optional and repeated groups, alternatives, whitespace,
    word boundaries, look-arounds, classes the screen cannot read) and a maker of text it matches."""
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        atom = rng.choice(list(_ATOMS))
        return atom, _ATOMS[atom]
    if roll < 0.4:
        word = rng.choice(_PIECES)
        return re.escape(word), lambda r: r.choice((word, word.upper(), word.title()))
    parts = [_random_pattern(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    if roll < 0.65:
        return "".join(p for p, _ in parts), lambda r: "".join(make(r) for _, make in parts)
    if roll < 0.85:
        return "(?:" + "|".join(p for p, _ in parts) + ")", lambda r: r.choice(parts)[1](r)
    low, high, quantifier = rng.choice(((0, 1, "?"), (0, 3, "*"), (1, 3, "+"), (0, 2, "{0,2}?"), (1, 3, "{1,3}")))
    word = rng.choice(_PIECES)  # a repeated group is a word (and a space): no pattern that takes forever to fail
    separator = r"\s" if high > 1 else ""
    return f"(?:{re.escape(word)}{separator}){quantifier}", lambda r: "".join(
        word + (" " if separator else "") for _ in range(r.randint(low, high))
    )


def _as_patterns(literals: frozenset[str]) -> list[re.Pattern[str]]:
    escaped = (re.escape(lit).replace(re.escape(BOUNDARY), r"\b").replace(re.escape(SPACE), r"\s+") for lit in literals)
    return [re.compile(lit) for lit in escaped]


def _within(literals: list[re.Pattern[str]], lowered: str, start: int, end: int) -> bool:
    """Whether one of the literals matches somewhere inside ``lowered[start:end]`` (with the text around it)."""
    for literal in literals:
        for at in range(start, end):
            found = literal.match(lowered, at)
            if found and found.end() <= end:
                return True
    return False


def test_every_match_of_a_random_pattern_contains_its_literals() -> None:
    rng = random.Random(8)
    checked = 0
    for _ in range(2000):
        pattern, make = _random_pattern(rng)
        literal_sets = [_as_patterns(literals) for literals in required_literals(pattern)]
        for _ in range(10):
            text = rng.choice(("", "The ", "x")) + make(rng) + rng.choice(("", ".", " unit", "s"))
            for m in re.finditer(pattern, text, re.IGNORECASE):
                checked += 1
                for literals in literal_sets:
                    assert _within(literals, text.lower(), m.start(), m.end()), (pattern, text, m.group(0))
    assert checked > 10000
