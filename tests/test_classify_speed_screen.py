"""The screen reads each top-level alternative of a cue apart, and finds exactly whose first literals are where.

A cue's alternatives (``monitor.classify.literals.alternative_literals``) each need their own literal sets;
the screen searches the first few words of every alternative's first literals, then checks which
alternatives' whole literals are at each place (``Screen.alternatives_at``), and tries a sentence with the
rules whose alternatives have their second literals there too, several alternatives' at once when they
are often found together. These tests check each step against a plain reading, and the classifications
against reading every sentence with every rule, on text like the benchmark's board packs: routine words
(among them "beds" and "services", which the rules' first literals name) with cues mixed in.
"""

from __future__ import annotations

import random
import re
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.classify import screen
from monitor.classify.classifier import BUILTIN_RULES
from monitor.classify.document import screened_sentences
from monitor.classify.literals import BOUNDARY, SPACE, alternative_literals, required_literals
from monitor.classify.screen import (
    Screen,
    _compatible,
    _first_and_second,
    _Literals,
    _searched,
    cue_alternatives,
    screenable,
    trie_pattern,
)
from monitor.extract.types import PageText
from tests.test_classify_fastpath import (
    CASE_TEXTS,
    FRAGMENTS,
    _as_patterns,
    _corpus,
    _pair,
    _random_pattern,
    _within,
)

CUES = tuple(rule.cue for rules in BUILTIN_RULES.values() for rule in rules)
#: Routine board-pack words, as the benchmark's packs are made of, and words the second literals of their
#: alternatives ask for.
SALAD = (
    "care services trust board deficit waiting estate vacancy workforce safety assurance performance clinical "
    "committee health strategy mental primary quality cancer finance capacity staffing programme beds diagnostic "
    "community ambulance discharge recovery hospital integrated plan elective winter partnership emergency "
    "maternity risk stroke urgent governance system outpatient neonatal patients"
).split()
PARTNERS = "cut closed go lost end ended will to paused halted merged reduced by the of unit ward a".split()


def _salad_sentence(rng: random.Random, words: list[str]) -> str:
    sentence = " ".join(rng.choice(words) for _ in range(rng.randint(4, 16)))
    return sentence.capitalize() + rng.choice((".", ".", ".", ";", "", "?"))


def _salad_page(rng: random.Random) -> str:
    words = SALAD + (PARTNERS if rng.random() < 0.5 else [])
    sentences = [_salad_sentence(rng, words) for _ in range(rng.randint(3, 25))]
    if rng.random() < 0.4:
        at = rng.randrange(len(sentences))
        sentences[at] = sentences[at][:-1] + " " + rng.choice([*FRAGMENTS, *CASE_TEXTS[:60]]) + "."
    text = textwrap.fill(" ".join(sentences), rng.randint(60, 120), break_on_hyphens=False)
    if rng.random() < 0.3:
        text = "Trust board meeting in public - page 3\n" + text + "\n\nPriorities:\n• beds\n• services will end"
    return text


def _literal_text(literal: str) -> str:
    """A text a literal matches: its characters, a space for its whitespace."""
    return literal.replace(BOUNDARY, "").replace(SPACE, " ")


def test_every_match_of_a_random_pattern_contains_the_literals_of_one_alternative() -> None:
    rng = random.Random(41)
    checked = several = 0
    for _ in range(3000):
        parts = [_random_pattern(rng) for _ in range(rng.choice((1, 2, 2, 3)))]
        prefix, make_prefix = _random_pattern(rng) if rng.random() < 0.3 else ("", lambda r: "")
        suffix, make_suffix = _random_pattern(rng) if rng.random() < 0.3 else ("", lambda r: "")
        pattern = "|".join(p for p, _ in parts)
        if prefix or suffix:  # a group in a sequence is read apart too: what comes before and after is in each
            pattern = f"{prefix}(?:{pattern}){suffix}"
        alternatives = [[_as_patterns(literals) for literals in sets] for sets in alternative_literals(pattern)]
        several += len(alternatives) > 1
        if not required_literals(pattern) and not alternatives:
            continue
        for _ in range(8):
            text = rng.choice(("", "The ", "x")) + make_prefix(rng) + rng.choice(parts)[1](rng) + make_suffix(rng)
            lowered = text.lower()
            for m in re.finditer(pattern, text, re.IGNORECASE):
                checked += 1
                assert alternatives, pattern
                assert any(
                    all(_within(literals, lowered, m.start(), m.end()) for literals in sets) for sets in alternatives
                ), (pattern, text, m.group(0))
    assert checked > 5000 and several > 300


def test_a_top_level_alternation_is_read_apart() -> None:
    (first,), (second,) = alternative_literals(r"\bclose\b|\bmerge\s+with\b")
    assert first == {f"{BOUNDARY}close{BOUNDARY}"}
    assert second == {f"{BOUNDARY}merge{SPACE}with{BOUNDARY}"}
    (close,), (closure,) = alternative_literals(r"\bclos(?:e|ure)\b")  # a group in a sequence, read apart too
    assert (close, closure) == ({f"{BOUNDARY}close{BOUNDARY}"}, {f"{BOUNDARY}closure{BOUNDARY}"})
    assert alternative_literals(r"\bclose\s+\w+") == (required_literals(r"\bclose\s+\w+"),) != ()
    assert alternative_literals(r"\bclose\b|\w+") == () == required_literals(r"\bclose\b|\w+")
    assert alternative_literals(r"\w+") == ()


def test_every_builtin_alternative_has_literals_to_screen_on() -> None:
    for cue in CUES:
        alternatives = cue_alternatives(cue)
        assert alternatives == alternative_literals(cue)
        assert alternatives and all(sets and all(sets) for sets in alternatives), cue[:60]


def _texts() -> list[str]:
    rng = random.Random(42)
    first, _ = _first_and_second({key: cue_alternatives(cue) for key, cue in enumerate(CUES)})
    literals = sorted({literal for group in _searched(first).values() for literal in group})
    texts = [
        f"{rng.choice(('', 'The ', '(', 'x', 'un'))}{_literal_text(literal)}{rng.choice(('', '.', 's', ' unit'))}"
        for literal in literals
    ]
    texts += [_salad_page(rng) for _ in range(60)]
    texts += [text for text in _corpus()[:800] if screenable(text)]
    return [text for text in texts if screenable(text)]


def test_alternatives_are_found_exactly_where_their_first_literals_match() -> None:
    built = Screen.build(CUES)
    assert built is not None
    first, _ = _first_and_second({key: cue_alternatives(cue) for key, cue in enumerate(CUES)})
    by_set: dict[frozenset[str], list[int]] = {}
    for alternative, group in _searched(first).items():
        by_set.setdefault(group, []).append(alternative)
    anywhere = [(re.compile(f"(?=(?:{trie_pattern(group)}))"), alternatives) for group, alternatives in by_set.items()]
    found = 0
    for text in _texts():
        lowered = text.lower()
        expected: dict[int, set[int]] = {}
        for pattern, alternatives in anywhere:
            for m in pattern.finditer(lowered):
                expected.setdefault(m.start(), set()).update(alternatives)
        starts = built.starts(lowered)
        assert set(expected) <= set(starts), text
        assert starts == sorted(set(starts))
        for start in starts:
            assert set(built.alternatives_at(lowered, start)) == expected.get(start, set()), (text, start)
        found += len(expected)
        assert built.search(lowered) == bool(expected)
    assert found > 5000


@pytest.mark.parametrize("corpus", ["salad", "cases"])
def test_alternatives_found_together_give_the_rules_they_give_apart(
    corpus: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(43)
    if corpus == "salad":
        texts = [s for _ in range(150) for s in _salad_page(rng).replace("\n", " ").split(". ")]
    else:
        texts = [text for text in _corpus() if screenable(text)]
    needs = {key: cue_alternatives(cue) for key, cue in enumerate(CUES)}
    apart, together = Screen(needs), Screen(needs)
    named = 0
    for text in texts:
        lowered = text.lower()
        monkeypatch.setattr(screen, "_MAX_TOGETHER", 0)
        rules = apart.rules(lowered)
        monkeypatch.setattr(screen, "_MAX_TOGETHER", 1024)
        assert together.rules(lowered) == rules, text
        named += bool(rules)
    assert not apart._together and together._together and named > 50


def test_fast_path_gives_identical_results_on_board_pack_like_pages() -> None:
    fast, slow = _pair()
    rng = random.Random(44)
    found = 0
    for _ in range(300):
        pages = [PageText(n, _salad_page(rng)) for n in range(1, rng.randint(2, 6))]
        expected = slow.classify(pages).to_json()
        assert fast.classify(pages).to_json() == expected, pages
        found += bool(expected["categories"])
    assert found > 30


def test_routine_pages_with_cue_words_are_not_judged() -> None:
    """Pages of routine words naming beds and services, without what the rules want with them, are screened out
    sentence by sentence: their alternatives' second literals are not there."""
    rng = random.Random(45)
    pages = []
    for n in range(40):
        pages.append(PageText(n, textwrap.fill(" ".join(_salad_sentence(rng, SALAD) for _ in range(20)), 100)))
    built = Screen.build(CUES)
    assert built is not None
    assert sum(page.text.count(" beds ") + page.text.count(" services ") for page in pages) > 200
    screened, _ = screened_sentences(pages, built)
    assert screened == []


_LITERAL = st.lists(
    st.sampled_from(["a", "b", "ab", "ba", "&", "-", "e", BOUNDARY, SPACE]), min_size=1, max_size=6
).map("".join)


def _usable(literal: str) -> bool:
    """A literal as :mod:`monitor.classify.literals` makes them: something besides tokens, no whitespace at
    either end, no two whitespace tokens in a row."""
    return (
        bool(literal.strip(BOUNDARY + SPACE)) and SPACE not in (literal[:1], literal[-1:]) and SPACE * 2 not in literal
    )


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.frozensets(_LITERAL.filter(_usable), min_size=1, max_size=4), min_size=1, max_size=5),
    st.lists(st.text(alphabet="abe&- x\n", max_size=30), min_size=1, max_size=5),
)
def test_literals_are_found_exactly_where_they_match(sets: list[frozenset[str]], texts: list[str]) -> None:
    literals = _Literals(dict(enumerate(sets)))
    searched = _searched(dict(enumerate(sets)))
    exact = {key: re.compile(f"(?=(?:{trie_pattern(group)}))") for key, group in searched.items()}
    for text in texts:
        expected: dict[int, set[int]] = {}
        for key, pattern in exact.items():
            for m in pattern.finditer(text):
                expected.setdefault(m.start(), set()).add(key)
        starts = literals.starts(text)
        assert set(expected) <= set(starts)
        for start in starts:
            assert set(literals.keys_at(text, start)) == expected.get(start, set()), (text, start)
        assert literals.search(text) == bool(expected)


def test_a_literal_ending_inside_a_longer_head_is_found() -> None:
    literals = _Literals({0: frozenset({f"{BOUNDARY}a{BOUNDARY}"}), 1: frozenset({f"{BOUNDARY}a&e"})})
    assert sorted(literals.keys_at("a&e", 0)) == [0, 1]
    assert literals.keys_at("ab&e", 0) == ()
    assert _compatible(f"{BOUNDARY}a{BOUNDARY}", "a&e") and not _compatible(f"{BOUNDARY}a{BOUNDARY}", "ab")
    assert not _compatible(f"a{SPACE}e", "a&e") and _compatible(f"a&{SPACE}e", "a&")
