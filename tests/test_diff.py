"""Revision diffs: what a new revision adds, on the page it is on, from real PDFs and plain pages."""

from __future__ import annotations

from monitor.extract.pdf import extract_pdf
from monitor.extract.types import PageText
from monitor.store.diff import added_lines, added_text, sentences
from tests.docgen import make_pdf

PARAGRAPH = (
    "The committee received the quarterly report on urgent and emergency care performance across the "
    "system, including ambulance handover delays, four-hour standard compliance and the winter plan. "
    "Members asked for further assurance on staffing levels in the emergency department and on the "
    "discharge of medically optimised patients to community settings before the next meeting."
)
NEW_SENTENCE = "The paediatric unit will relocate to the Royal Free site from April without public consultation."


def _board_pack(pages: list[str], total: int | None = None) -> list[PageText]:
    """A PDF with a running header and a 'Page N of M' footer on every page, extracted."""
    total = total or len(pages)
    framed = [f"Board meeting in public - 12 May\n{text}\nPage {n} of {total}" for n, text in enumerate(pages, 1)]
    return extract_pdf(make_pdf(framed))


OLD = [
    "Item 1. Welcome, apologies and declarations of interest.",
    f"Item 2. {PARAGRAPH}",
    f"Item 3. Maternity and children's services update.\n{PARAGRAPH.replace('committee', 'board')}",
    "Item 4. Any other business. There was none.",
]


def test_added_sentence_comes_back_with_its_page_and_nothing_else() -> None:
    old = _board_pack(OLD)
    middle = PARAGRAPH.replace("committee", "board").replace("winter plan. ", f"winter plan. {NEW_SENTENCE} ")
    new = _board_pack([OLD[0], OLD[1], f"Item 3. Maternity and children's services update.\n{middle}", OLD[3]])
    assert new[2].text != old[2].text  # the paragraph really reflowed
    assert added_text(old, new) == [PageText(3, NEW_SENTENCE)]


def test_unchanged_revision_adds_nothing() -> None:
    assert added_text(_board_pack(OLD), _board_pack(OLD)) == []


def test_inserted_page_adds_only_its_own_text_despite_renumbered_footers() -> None:
    old = _board_pack(OLD)
    new = _board_pack([OLD[0], OLD[1], f"Item 2a. {NEW_SENTENCE}", OLD[2], OLD[3]])
    assert added_text(old, new) == [PageText(3, f"Item 2a. {NEW_SENTENCE}")]


def test_sentence_moved_to_another_page_is_not_added() -> None:
    old = _board_pack(["Cover page for the board.", f"Item 9. {NEW_SENTENCE}", "Close of meeting."])
    new = _board_pack(["Cover page for the board.", "Close of meeting.", f"Item 9. {NEW_SENTENCE}"])
    assert added_text(old, new) == []


def test_sentence_split_by_a_page_break_is_whole_and_on_its_first_page() -> None:
    intro = "The board received the chief executive's report and noted the update on recovery."
    split = (
        "Members discussed the estates strategy in detail. The inpatient unit at the Whittington",
        "will close in May and its beds will move to the Royal Free site over the summer months.",
    )
    old = [PageText(1, f"{intro}\n{split[0]}"), PageText(2, f"{split[1]}\nAny other business.")]
    new = [
        PageText(1, intro),
        PageText(2, f"Finance report noted without further discussion by members.\n{split[0]}"),
        PageText(3, f"{split[1]}\nAny other business."),
    ]
    assert added_text(old, new) == [PageText(2, "Finance report noted without further discussion by members.")]
    moved = "The inpatient unit at the Whittington will close in May and its beds will move to the Royal Free site"
    assert PageText(2, f"{moved} over the summer months.") in sentences(new)


def test_wrapped_paragraph_is_returned_as_one_readable_line() -> None:
    old = [PageText(1, "Opening remarks from the chair.")]
    new = [
        PageText(
            1,
            "Opening remarks from the chair.\n"
            "The trust board approved the proposal to merge the two\n"
            "hospital trusts into a single organisation with effect\n"
            "from 1 April. Engagement with stakeholders will follow.",
        )
    ]
    assert added_text(old, new) == [
        PageText(
            1,
            "The trust board approved the proposal to merge the two hospital trusts into a single organisation "
            "with effect from 1 April. Engagement with stakeholders will follow.",
        )
    ]


def test_words_hyphenated_at_line_ends_are_rejoined() -> None:
    new = [
        PageText(1, "Following the review the respiratory ward will be consoli-\ndated with the stroke unit on site.")
    ]
    assert added_text([], new) == [
        PageText(1, "Following the review the respiratory ward will be consolidated with the stroke unit on site.")
    ]


def test_case_spacing_and_punctuation_changes_are_not_additions() -> None:
    old = [PageText(1, "The Unit will relocate in 2026.")]
    new = [PageText(1, "the unit  will relocate in 2026;")]
    assert added_text(old, new) == []


def test_changed_number_is_an_addition() -> None:
    old = [PageText(1, "Beds will reduce from 20 to 16.")]
    new = [PageText(1, "Beds will reduce from 20 to 10.")]
    assert added_text(old, new) == [PageText(1, "Beds will reduce from 20 to 10.")]


def test_separate_paragraphs_stay_on_separate_lines() -> None:
    new = [PageText(4, "A short heading\nFirst new sentence. Second new sentence.\n\n- a bullet point\n- another one")]
    assert added_text([PageText(4, "A short heading")], new) == [
        PageText(4, "First new sentence. Second new sentence.\n- a bullet point\n- another one")
    ]


def test_first_revision_is_all_added() -> None:
    pages = _board_pack(OLD[:2])
    added = added_text([], pages)
    assert [page.page for page in added] == [1, 2]
    assert "declarations of interest" in added[0].text and "winter plan." in added[1].text


def test_added_lines_for_plain_pages() -> None:
    old = "Consultations\nHospital services review: closed.\nFind out more"
    new = "Consultations\nHospital services review: closed.\nNew consultation on stroke services opens 3 June.\nFind out more"
    assert added_lines(old, new) == "New consultation on stroke services opens 3 June."
    assert added_lines(new, old) == ""
    assert added_lines("", "a\n\nb") == "a\nb"
