"""Alert rendering: headlines, email, Telegram limits and markup, short chat text, digests, channel choice."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from monitor.notify.digest import group_for_digest
from monitor.notify.render import (
    Message,
    headline,
    render_admin,
    render_digest,
    render_email,
    render_for_channel,
    render_short,
    render_telegram,
)

LONDON = ZoneInfo("Europe/London")
TELEGRAM_TAGS = {"b", "i", "a", "blockquote", "code", "pre", "u", "s"}
BROKEN_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)")


class _Checker(HTMLParser):
    """Records tags, text and nesting errors; ``close()`` flushes a dangling ``<tag`` as data."""

    VOID = frozenset({"br", "meta", "hr", "img"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self.chunks: list[str] = []
        self.raw: list[str] = []  # text between tags, entities still escaped

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")

    def handle_data(self, data):
        self.chunks.append(data)
        self.raw.append(data)

    def handle_entityref(self, name):
        self.chunks.append(html.unescape(f"&{name};"))

    def handle_charref(self, name):
        self.chunks.append(html.unescape(f"&#{name};"))

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def parse_html(markup: str) -> _Checker:
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    assert not checker.errors, checker.errors
    assert not checker.stack, f"unclosed tags {checker.stack}"
    raw = "".join(checker.raw)
    assert "<" not in raw and ">" not in raw, "a tag was cut or text was not escaped"
    return checker


def make_alert(**changes) -> dict:
    alert = {
        "id": 12,
        "source": "ncl-icb-board",
        "source_kind": "board_papers",
        "event": "new_document",
        "categories": ["service_change", "unconsulted"],
        "title": "Item 7 – Paediatric emergency care",
        "url": "https://example.nhs.uk/papers/item7.pdf",
        "area": "north-central-london",
        "evidence": [
            {
                "category": "service_change",
                "text": "The paediatric unit will transfer to Barnet & Chase Farm <temporarily>. Staff were told.",
                "page": 3,
                "terms": ["transfer"],
            }
        ],
        "created_at": "2026-11-24T19:00:00Z",
    }
    alert.update(changes)
    return alert


KEEP = ": Keep the unit open"


def petition_alert(event: str, categories=("petition",), **petition) -> dict:
    return make_alert(
        source="petitions-nhs",
        source_kind="petitions",
        event=event,
        categories=list(categories),
        title="Keep the unit open",
        url="https://petition.parliament.uk/petitions/700123",
        evidence=[],
        petition={"id": 700123, "signature_count": 10234, "state": "open", **petition},
    )


# --------------------------------------------------------------------------- headlines

pet = petition_alert


@pytest.mark.parametrize(
    ("alert", "expected"),
    [
        (make_alert(), "Service change (no consultation): Item 7 – Paediatric emergency care"),
        (make_alert(categories=["service_change"]), "Service change: Item 7 – Paediatric emergency care"),
        (make_alert(categories=["merger"], title="CCGs to merge"), "Merger: CCGs to merge"),
        (make_alert(categories=["merger", "unconsulted"], title="CCGs"), "Merger (no consultation): CCGs"),
        (make_alert(categories=["merger", "service_change"], title="X"), "Service change and merger: X"),
        (make_alert(categories=["consultation"], title="Stroke services"), "Consultation launched: Stroke services"),
        (make_alert(categories=["service_change", "consultation"], title="Y"), "Service change (consultation): Y"),
        (make_alert(categories=[], event="new_document", title="Minutes"), "New document: Minutes"),
        (make_alert(categories=[], event="changed_document", title="Minutes"), "Document changed: Minutes"),
        (make_alert(categories=[], event="page_changed", title="Consultations"), "Page changed: Consultations"),
        (make_alert(categories=[], event="new_entry", title="News"), "New item: News"),
        (pet("petition_milestone"), "Petition passed 10,000 signatures" + KEEP),
        (pet("petition_milestone", signature_count=100_500), "Petition passed 100,000 signatures" + KEEP),
        (pet("petition_milestone", milestone=25_000), "Petition passed 25,000 signatures" + KEEP),
        (pet("petition_milestone", signature_count=5_000), "Petition reached 5,000 signatures" + KEEP),
        (pet("petition_response"), "Petition: government responded" + KEEP),
        (pet("petition_debate"), "Petition debate scheduled" + KEEP),
        (pet("petition_debate", debate_outcome_at="2027-01-10"), "Petition debated in Parliament" + KEEP),
        (pet("petition_closed", state="closed"), "Petition closed" + KEEP),
        (pet("petition_closed", state="rejected"), "Petition rejected" + KEEP),
        (pet("petition_new"), "New petition" + KEEP),
        (pet("petition_new", categories=["petition", "merger"]), "New petition (merger)" + KEEP),
        (
            pet("petition_new", categories=["petition", "service_change", "unconsulted"]),
            "New petition (service change, no consultation)" + KEEP,
        ),
    ],
)
def test_headline(alert, expected):
    assert headline(alert) == expected


def test_headline_is_one_line_of_at_most_200_characters():
    long_title = "Proposal\nto   reconfigure " + " ".join(["maternity"] * 60)
    text = headline(make_alert(title=long_title))
    assert "\n" not in text and len(text) <= 200 and text.endswith("…")
    assert text.startswith("Service change (no consultation): Proposal to reconfigure maternity")
    assert not text[:-1].endswith(" ") and text[:-1].endswith("maternity")  # cut between words
    assert headline(make_alert(title="")) == "Service change (no consultation): https://example.nhs.uk/papers/item7.pdf"


# --------------------------------------------------------------------------- email


def test_email_html_quotes_evidence_links_the_page_and_names_everything():
    alert = make_alert(organisations=["Royal Free London NHS Foundation Trust", "Barnet Hospital"])
    subject, body, text = render_email(alert, source_name="NCL ICB board papers")
    assert subject == "Service change (no consultation): Item 7 – Paediatric emergency care"
    page = parse_html(body)
    assert "blockquote" in page.tags
    assert (
        "<blockquote>The paediatric unit will transfer to Barnet &amp; Chase Farm &lt;temporarily&gt;. "
        "Staff were told.</blockquote>" in body
    )
    assert "https://example.nhs.uk/papers/item7.pdf#page=3" in page.hrefs
    assert "https://example.nhs.uk/papers/item7.pdf" in page.hrefs
    for fact in ("page 3", "NCL ICB board papers", "North Central London", "Royal Free London NHS Foundation Trust",
                 "Barnet Hospital", "Matched: transfer", "A new document was published."):
        assert fact in page.text
        assert fact in text
    assert "Chase Farm <temporarily>. Staff were told." in text
    assert "https://example.nhs.uk/papers/item7.pdf#page=3" in text


def test_email_escapes_hostile_text_and_refuses_unsafe_links():
    alert = make_alert(
        title='<script>alert("x")</script>',
        url="javascript:alert(1)",
        source="x",
        evidence=[{"category": "merger", "text": '"><img src=x onerror=alert(1)> & co', "page": None, "terms": []}],
    )
    _, body, text = render_email(alert, area_name="Area <b>")
    page = parse_html(body)
    assert "script" not in page.tags and "img" not in page.tags
    assert "javascript:" not in " ".join(page.hrefs) and "javascript:" not in text
    assert '<script>alert("x")</script>' in page.text and "Area <b>" in page.text
    assert "#page=" not in body and "page None" not in text


def test_email_link_with_query_is_attribute_safe_and_replaces_an_old_fragment():
    alert = make_alert(url='https://example.nhs.uk/download?id=7&type=pdf"x#top')
    _, body, _ = render_email(alert)
    page = parse_html(body)
    assert "https://example.nhs.uk/download?id=7&type=pdf%22x#page=3" in page.hrefs
    assert 'href="https://example.nhs.uk/download?id=7&amp;type=pdf%22x#page=3"' in body


def test_email_petition_shows_signatures_and_state():
    _, body, text = render_email(petition_alert("petition_milestone"))
    assert "10,234 (petition open)" in parse_html(body).text and "10,234 (petition open)" in text
    assert "Open the petition" in text


# --------------------------------------------------------------------------- Telegram


def _tg_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _check_telegram(messages: list[str]) -> str:
    assert messages
    for message in messages:
        assert _tg_len(message) <= 4096
        assert parse_html(message).tags <= TELEGRAM_TAGS
        assert not BROKEN_ENTITY.search(message), "an entity was cut"
    return "\n".join(parse_html(m).text for m in messages)


def test_telegram_huge_evidence_with_markup_characters_stays_within_the_limit():
    sentence = "Beds at <Site A> & 'Site B' will close > 50% \"temporarily\" & without notice. "
    huge = sentence * (20_000 // len(sentence) + 1)
    assert len(huge) > 20_000
    evidence = [{"category": "service_change", "text": huge, "page": 3, "terms": []}]
    messages = render_telegram(make_alert(evidence=evidence))
    text = _check_telegram(messages)
    assert "Beds at <Site A> & 'Site B' will close > 50%" in text  # unescaped content survived intact
    assert "…" in text  # summarised on a word boundary
    assert messages[0].startswith("<b>Service change (no consultation): Item 7")


@pytest.mark.parametrize("filler", ["&", "<", ">", "a&b ", "é", "😀", "x" * 7000, "& " * 3000])
def test_telegram_never_cuts_inside_an_entity_or_tag(filler):
    text = (filler * (20_000 // len(filler) + 1))[:20_000]
    evidence = [{"category": "merger", "text": text, "page": p, "terms": ["merge"]} for p in range(1, 9)]
    _check_telegram(render_telegram(make_alert(evidence=evidence, categories=["merger"])))


def test_telegram_packs_many_quotes_into_at_most_three_messages_and_counts_the_rest():
    evidence = [
        {"category": "merger", "text": f"Passage {i}: " + "word " * 400, "page": i, "terms": []} for i in range(12)
    ]
    messages = render_telegram(make_alert(evidence=evidence))
    text = _check_telegram(messages)
    assert 1 < len(messages) <= 3
    shown = len(re.findall(r"Passage \d+:", text))
    assert 0 < shown < 12
    assert f"…and {12 - shown} more passages: open the document." in text


@pytest.mark.parametrize("words", [3, 10, 37, 120, 290, 500])
def test_telegram_fills_messages_to_the_limit_and_still_fits_the_closing_line(words):
    evidence = [
        {"category": "merger", "text": f"Passage {i}: " + "ward & " * words, "page": i, "terms": []} for i in range(200)
    ]
    messages = render_telegram(make_alert(evidence=evidence))
    assert len(messages) == 3
    assert "more passages: open the document." in _check_telegram(messages)
    assert _tg_len(messages[-1]) > 4096 - 1600  # the last message was really filled


def test_telegram_short_alert_is_one_message_with_page_link():
    messages = render_telegram(make_alert())
    assert len(messages) == 1
    page = parse_html(messages[0])
    assert "https://example.nhs.uk/papers/item7.pdf#page=3" in page.hrefs
    assert "Barnet & Chase Farm <temporarily>" in page.text and "Service change, page 3" in page.text


# --------------------------------------------------------------------------- short form


@pytest.mark.parametrize("limit", [60, 100, 160, 280, 500])
def test_short_form_respects_the_limit_and_cuts_on_words(limit):
    long_sentence = "The board agreed to move " + " ".join(f"service{i}" for i in range(80)) + ". Second sentence."
    alert = make_alert(evidence=[{"category": "service_change", "text": long_sentence, "page": 2, "terms": []}])
    text = render_short(alert, limit=limit)
    assert len(text) <= limit
    words = set(long_sentence.replace(".", "").split()) | set(headline(alert).split())
    for token in re.split(r"[\s“”…]+", text):
        if token and not token.startswith("http") and token not in ("(page", "2)"):
            assert token.rstrip(":") in words or token in headline(alert), f"cut word {token!r}"
    assert "Second sentence" not in text


def test_short_form_has_headline_link_and_first_sentence():
    text = render_short(make_alert())
    assert text == (
        "Service change (no consultation): Item 7 – Paediatric emergency care\n"
        "https://example.nhs.uk/papers/item7.pdf#page=3\n"
        "“The paediatric unit will transfer to Barnet & Chase Farm <temporarily>.” (page 3)"
    )


def test_short_form_drops_a_link_it_cannot_fit_rather_than_cutting_it():
    alert = make_alert(url="https://example.nhs.uk/" + "a" * 300)
    text = render_short(alert, limit=200)
    assert len(text) <= 200 and "https://" not in text
    assert text.startswith("Service change (no consultation)")


# --------------------------------------------------------------------------- digest


def digest_alerts() -> list[dict]:
    return [
        make_alert(id=1, categories=["petition"], title="Save & protect", created_at="2026-11-24T07:00:00Z",
                   event="petition_new", source_kind="petitions", evidence=[]),
        make_alert(id=2, categories=["merger"], title="CCGs to merge", created_at="2026-11-23T10:00:00Z"),
        make_alert(id=3, title="Older unconsulted", created_at="2026-11-23T09:00:00Z"),
        make_alert(id=4, title="Newer unconsulted", created_at="2026-11-24T06:00:00Z"),
        make_alert(id=5, categories=["consultation"], title="Stroke <services>", created_at="2026-11-23T12:00:00Z",
                   evidence=[{"category": "consultation", "text": "x " * 500, "page": None, "terms": []}]),
    ]


def test_digest_subject_counts_and_dates_the_period():
    groups = group_for_digest(digest_alerts())
    period = (datetime(2026, 11, 23, 8, tzinfo=UTC), datetime(2026, 11, 24, 8, tzinfo=UTC))
    subject, _, _ = render_digest("ncl-campaign", period, groups, tz=LONDON)
    assert subject == "Digest: 5 alerts, 24 Nov 2026"
    weekly = (datetime(2026, 11, 16, 8, tzinfo=UTC), datetime(2026, 11, 23, 8, tzinfo=UTC))
    assert render_digest("s", weekly, groups[:1], tz=LONDON)[0] == "Digest: 2 alerts, 16–23 Nov 2026"
    year_end = (datetime(2026, 12, 28, 8, tzinfo=UTC), datetime(2027, 1, 4, 8, tzinfo=UTC))
    assert render_digest("s", year_end, groups[-1:], tz=LONDON)[0] == "Digest: 1 alert, 28 Dec 2026 – 4 Jan 2027"


def test_digest_lists_alerts_grouped_by_urgency_newest_first_with_link_and_quote():
    period = (datetime(2026, 11, 23, 8, tzinfo=UTC), datetime(2026, 11, 24, 8, tzinfo=UTC))
    _, body, text = render_digest("ncl-campaign", period, group_for_digest(digest_alerts()), tz=LONDON)
    page = parse_html(body)
    order = ["Changes without consultation (2)", "Newer unconsulted", "Older unconsulted", "Mergers (1)",
             "CCGs to merge", "Consultations (1)", "Stroke <services>", "Petitions (1)", "Save & protect"]
    for rendered in (page.text, text):
        positions = [rendered.index(item) for item in order]
        assert positions == sorted(positions)
        assert "ncl-campaign: alerts from 23 Nov 2026 08:00 to 24 Nov 2026 08:00 (Europe/London)." in rendered
        assert "Barnet & Chase Farm <temporarily>" in rendered
    assert page.hrefs.count("https://example.nhs.uk/papers/item7.pdf") == 5  # every alert's link
    assert page.hrefs.count("https://example.nhs.uk/papers/item7.pdf#page=3") == 3  # quotes with a page
    assert "Stroke &lt;services&gt;" in body
    assert len(max(re.findall(r"(?:x )+x?", text), key=len)) <= 300  # quotes are trimmed


# --------------------------------------------------------------------------- channels and admin


@pytest.mark.parametrize(
    ("scheme", "formats", "titled"),
    [
        ("mailto", ["html"], True),
        ("mailtos://user:secret@smtp.example.org?to=a@example.org", ["html"], True),
        ("tgram", ["html"], False),
        ("json", ["text"], True),
        ("xmls", ["text"], True),
        ("form", ["text"], True),
        ("slack", ["text"], False),
        ("discord", ["text"], False),
    ],
)
def test_render_for_channel_picks_the_form_by_scheme(scheme, formats, titled):
    messages = render_for_channel(make_alert(), scheme)
    assert [m.body_format for m in messages] == formats
    assert all(isinstance(m, Message) for m in messages)
    assert bool(messages[0].title) == titled
    assert all("\n" not in m.title and len(m.title) <= 200 for m in messages)


def test_render_for_channel_bodies_match_the_specific_renderers():
    alert = make_alert()
    subject, body, text = render_email(alert)
    assert render_for_channel(alert, "MAILTOS") == [Message(subject, body, "html")]
    assert [m.body for m in render_for_channel(alert, "tgram")] == render_telegram(alert)
    assert render_for_channel(alert, "json")[0].body == text
    assert render_for_channel(alert, "slack")[0].body == render_short(alert)


def test_render_admin_keeps_the_title_to_one_short_line():
    message = render_admin("Source ncl-icb-board failing\n3 times " + "x" * 300, "details\nhere")
    assert message.body == "details\nhere" and message.body_format == "text"
    assert "\n" not in message.title and len(message.title) <= 200
    assert message.title.startswith("Source ncl-icb-board failing 3 times")
