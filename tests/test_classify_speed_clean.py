"""PDF text clean-up (monitor.extract.pdf._clean) gives exactly what the plain per-line version gave.

``_clean`` tidies the whole text at once and skips the steps a page does not need; these tests compare it
with the version it replaced on hypothesis-generated strings of line breaks (CR, LF, CRLF), tabs, no-break
and other spaces, control characters and PDFium's U+FFFE/U+FFFF markers, and on the benchmark's board packs
when they have been generated (``bench/sitegen.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.extract import pdf

_JUNK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
_SPACE_RUNS = re.compile(r"[ \t\xa0]+")
PACKS = sorted(Path("/tmp/nhs-bench/packs").glob("*.pdf"))


def plain_clean(text: str) -> str:
    """The per-line version ``_clean`` replaced."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _JUNK.sub("", text)
    lines = (_SPACE_RUNS.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines).strip()


_PIECES = st.sampled_from(
    [
        "\r",
        "\n",
        "\r\n",
        "\t",
        " ",
        "  ",
        "\xa0",
        "\x00",
        "\x01",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x1f",
        "\x7f",
        "\ufffe",
        "\uffff",
        "\u2028",
        "\u2029",
        "\x85",
        "\u3000",
        "\u2003",
        "\u200b",
        "\u00ad",
        "a",
        "B",
        "é",
        "consul",
        "tation",
        "-",
        ".",
        "£",
        "’",
    ]
)


@settings(max_examples=3000)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_clean_matches_the_per_line_version_on_awkward_text(text: str) -> None:
    assert pdf._clean(text) == plain_clean(text)


@settings(max_examples=1000)
@given(st.text(max_size=80))
def test_clean_matches_the_per_line_version_on_any_text(text: str) -> None:
    assert pdf._clean(text) == plain_clean(text)


@pytest.mark.skipif(not PACKS, reason="the benchmark's board packs have not been generated (bench/sitegen.py)")
def test_clean_matches_the_per_line_version_on_the_bench_packs(monkeypatch: pytest.MonkeyPatch) -> None:
    raw: list[str] = []

    def keep(text: str) -> str:
        raw.append(text)
        return text

    monkeypatch.setattr(pdf, "_clean", keep)
    for path in PACKS:
        pdf.extract_pdf(path.read_bytes())
    monkeypatch.undo()
    assert len(raw) > 100
    for text in raw:
        assert pdf._clean(text) == plain_clean(text)
        assert pdf._clean(text + " \t\r\n\xa0 ") == plain_clean(text + " \t\r\n\xa0 ")
