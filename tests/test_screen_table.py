"""The screen's generated table (monitor.classify.screen_table): current, used, and never changing a result.

The table holds ``required_literals`` of every built-in cue and the screen's expressions, so that
a process builds the screen without reading the rules. These tests fail when it is stale (run
``python -m monitor.classify.screen_table --write``), and check that a cue it does not hold, or a
table made by other code, gives the same screen and the same classifications as no table at all.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator

import pytest

from monitor.classify import Classifier, screen
from monitor.classify import screen_table_data as data
from monitor.classify.literals import required_literals
from monitor.classify.screen import TABLE_COMMAND, TABLE_PATH, Screen, cue_literals, screenable, trie_pattern
from monitor.classify.screen_table import main, render
from tests.test_classify_fastpath import _corpus, _document, _pair

STALE = f"the classifier's screen table is stale: run  {TABLE_COMMAND}"
TERMS = {
    "merger": ["group model", "Northshire Way"],
    "service_change": ["step-down beds", "A&E"],
    "consultation": ["listening exercise"],
}


@pytest.fixture
def fresh_screens(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Screens built in the test are not kept for other tests, nor taken from earlier ones."""
    monkeypatch.setattr(screen, "_BUILT", {})
    yield


def test_table_holds_the_literals_of_every_builtin_cue() -> None:
    cues = Classifier()._cues
    stale = [cue for cue in cues if tuple(map(frozenset, data.LITERALS.get(cue, ()))) != required_literals(cue)]
    assert not stale, f"{STALE} ({len(stale)} of the built-in cues changed, the first: {stale[0][:80]!r})"
    assert set(data.LITERALS) == set(cues), STALE


def test_table_file_is_current() -> None:
    """Literals, expressions and the digest of the code that made them, exactly as the command writes them."""
    assert TABLE_PATH.read_text(encoding="utf-8") == render(), STALE
    assert main([]) == 0


def test_builtin_screen_reads_no_rule(fresh_screens: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def reading(cue: str) -> tuple[frozenset[str], ...]:
        raise AssertionError(f"read a built-in cue: {STALE}")

    def making(literals: object) -> str:
        raise AssertionError(f"made one of the table's expressions: {STALE}")

    monkeypatch.setattr(screen, "required_literals", reading)
    monkeypatch.setattr(screen, "trie_pattern", making)
    built = Screen.build(Classifier()._cues)
    assert built is not None
    for key in built._second_literals:
        built._second_pattern(key)


def test_a_cue_missing_from_the_table_is_read(fresh_screens: None) -> None:
    classifier = Classifier(extra_terms=TERMS)
    missing = [cue for cue in classifier._cues if cue not in data.LITERALS]
    assert len(missing) == 5
    for cue in missing:
        assert cue_literals(cue) == required_literals(cue) != ()
    fast, slow = _pair(extra_terms=TERMS)
    text = "The two trusts will adopt a group model from April. The step-down BEDS at Eastfield will close."
    assert fast.classify(text).to_json() == slow.classify(text).to_json()
    assert fast.classify(text).categories == ["merger", "service_change"]
    assert Screen.built(fast._cues) is not None


def test_a_table_made_by_other_code_is_not_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    screen._table.cache_clear()
    try:
        with monkeypatch.context() as patched, caplog.at_level(logging.WARNING, logger="monitor.classify"):
            patched.setattr(screen, "source_digest", lambda: "other code")
            assert screen._table() == ({}, {})
        assert TABLE_COMMAND in caplog.text
    finally:
        screen._table.cache_clear()
    assert screen._table()[0]


def test_an_expression_does_not_depend_on_the_order_of_its_literals() -> None:
    literals = ["\x00close\x00", "\x00closure", "\x00merge\x01with", "\x00close\x01the", "a&e"]
    expected = trie_pattern(literals)
    rng = random.Random(2)
    for _ in range(20):
        rng.shuffle(literals)
        assert trie_pattern(literals) == expected


def _screen_outputs(cues: tuple[str, ...], texts: list[str]) -> list[object]:
    built = Screen.build(cues)
    assert built is not None
    outputs: list[object] = []
    for text in texts:
        lowered = text.lower()
        starts = built.starts(lowered)
        outputs += [built.search(lowered), starts, built.rules(lowered), built.rules_in(lowered, starts, 10, 90)]
    return outputs


@pytest.mark.parametrize("extra_terms", [None, TERMS], ids=["built-in rules", "with admin terms"])
def test_the_screen_is_the_same_without_the_table(
    extra_terms: dict[str, list[str]] | None, fresh_screens: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    cues = Classifier(extra_terms=extra_terms)._cues
    texts = [text for text in _corpus()[:1500] if screenable(text)]
    with_table = _screen_outputs(cues, texts)
    monkeypatch.setattr(screen, "_BUILT", {})
    monkeypatch.setattr(screen, "_table", lambda: ({}, {}))
    assert _screen_outputs(cues, texts) == with_table


def test_classifications_are_the_same_without_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(21)
    documents = [_document(rng) for _ in range(150)]
    monkeypatch.setattr(screen, "_BUILT", {})
    with_table = [_pair()[0].classify(document).to_json() for document in documents]
    monkeypatch.setattr(screen, "_BUILT", {})
    monkeypatch.setattr(screen, "_table", lambda: ({}, {}))
    fast, slow = _pair()
    assert [fast.classify(document).to_json() for document in documents] == with_table
    assert [slow.classify(document).to_json() for document in documents] == with_table
    assert sum(bool(result["categories"]) for result in with_table) > 20
