"""Sentence splitting of extracted text: PDF line breaks, hyphenation, bullets, headings and abbreviations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.classify import split_sentences
from monitor.classify.sentences import repair_hyphenation, segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "The Board agreed that the walk-in\ncentre will close. Members noted\nthe report.",
            ["The Board agreed that the walk-in centre will close.", "Members noted the report."],
            id="pdf-line-breaks-joined",
        ),
        pytest.param(
            "A public consul-\ntation will open in May.",
            ["A public consultation will open in May."],
            id="hyphenation-repaired",
        ),
        pytest.param(
            "The midwife-\nled unit and the long-\nterm plan.",
            ["The midwife-led unit and the long-term plan."],
            id="compound-hyphen-kept",
        ),
        pytest.param(
            "Dr. Patel visited St. Mary's Hospital. Ward No. 3 will close. J. Smith agreed.",
            ["Dr. Patel visited St. Mary's Hospital.", "Ward No. 3 will close.", "J. Smith agreed."],
            id="abbreviations-initials-numbers",
        ),
        pytest.param(
            "Cover fell to 7.9 per cent, e.g. on nights. Is the unit closing? Yes!",
            ["Cover fell to 7.9 per cent, e.g. on nights.", "Is the unit closing?", "Yes!"],
            id="decimals-eg-question-exclamation",
        ),
        pytest.param(
            'He said: "The unit will close." The chair thanked him.',
            ['He said: "The unit will close."', "The chair thanked him."],
            id="closing-quote",
        ),
        pytest.param(
            "The Board is asked to approve:\n• the closure of Ward 4;\n• the transfer of stroke care\nto Westgate.\n"
            "1. Finance report\n2) Any other business",
            [
                "The Board is asked to approve:",
                "the closure of Ward 4;",
                "the transfer of stroke care to Westgate.",
                "Finance report",
                "Any other business",
            ],
            id="bullets-and-numbered-items",
        ),
        pytest.param(
            "Item 7 – Paediatric emergency care\nThe Board agreed that the paediatric assessment unit at Eastfield\n"
            "Hospital will move to Westgate Hospital from the first of June this year.",
            [
                "Item 7 – Paediatric emergency care",
                "The Board agreed that the paediatric assessment unit at Eastfield Hospital will move to Westgate "
                "Hospital from the first of June this year.",
            ],
            id="heading-line",
        ),
        pytest.param(
            "First paragraph ends here\n\nSecond paragraph starts here.",
            ["First paragraph ends here", "Second paragraph starts here."],
            id="blank-line-paragraphs",
        ),
        pytest.param(
            "Priorities: • recover activity • cut agency spend",
            ["Priorities:", "recover activity", "cut agency spend"],
            id="inline-bullets",
        ),
        pytest.param("  \n\n ", [], id="blank"),
        pytest.param("Ligatures ﬁnally\u00a0normalised\u00adly.", ["Ligatures finally normalisedly."], id="unicode"),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_bullets_remember_their_lead_in() -> None:
    segs = segments("Options under review might involve:\n- moving the clinic\n- shutting the unit\nThe meeting ended.")
    assert [(s.text, s.lead) for s in segs] == [
        ("Options under review might involve:", None),
        ("moving the clinic", 0),
        ("shutting the unit", 0),
        ("The meeting ended.", None),
    ]


def test_hyphen_of_a_capitalised_continuation_is_kept() -> None:
    assert repair_hyphenation("Stoke-on-\nTrent and consul-\ntation") == "Stoke-on-\nTrent and consultation"


_WORD = st.sampled_from(
    "board trust ward unit noted agreed report finance quarter patients staff plan budget hospital approved".split()
)
_SENTENCE = st.lists(_WORD, min_size=1, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")


@given(st.lists(_SENTENCE, min_size=1, max_size=8), st.sampled_from([" ", "\n", "  \n", "\n\n"]))
def test_splitting_keeps_every_word_and_finds_every_sentence(sentences: list[str], gap: str) -> None:
    text = gap.join(sentences)
    out = split_sentences(text)
    assert " ".join(out).split() == text.split()
    assert out == sentences
