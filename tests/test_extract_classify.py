"""Documents classified in the extraction workers: the same result as the daemon's own classifier, used only
with the same settings, and checked on the way back (the worker has read an untrusted document)."""

from __future__ import annotations

import pytest

from monitor.classify import Classifier
from monitor.classify.result import Classification, Finding, classification_from_wire, classification_to_wire
from monitor.extract.types import ClassifiedPages, PageText
from monitor.extract.worker import ExtractionPool
from monitor.pipeline import Pipeline
from tests.docgen import make_pdf

PAGES = [
    "Agenda item 1. Welcome and apologies. The finance report was noted.",
    "Item 2. The integrated performance report was noted by the board.",
    "Item 3. The board agreed that the paediatric unit will relocate to the Royal Free site in 2026. "
    "No public consultation will take place.",
    "Item 4. North Middlesex University Hospital NHS Trust and Royal Free London NHS Foundation Trust will merge "
    "under a group model from April.",
]
PLAIN = {"extra_terms": {}, "ignore_phrases": []}
GROUP_MODEL = {"extra_terms": {"merger": ["group model"]}, "ignore_phrases": ["finance report"]}


@pytest.mark.parametrize("settings", [PLAIN, GROUP_MODEL], ids=["builtin", "extra-terms"])
async def test_worker_classification_equals_the_daemons(settings: dict) -> None:
    async with ExtractionPool(timeout=60, classify=settings) as pool:
        pages = await pool.extract(make_pdf(PAGES), "pdf")
    assert isinstance(pages, ClassifiedPages) and pages.settings == settings
    own = Classifier(extra_terms=settings["extra_terms"], ignore_phrases=settings["ignore_phrases"])
    expected = own.classify(list(pages))
    assert pages.classification == expected
    assert "service_change" in expected.categories
    assert any(f.page == 3 for f in expected.findings)


async def test_without_settings_the_worker_only_extracts() -> None:
    async with ExtractionPool(timeout=60) as pool:
        pages = await pool.extract(make_pdf(PAGES), "pdf")
    assert type(pages) is list and len(pages) == 4


def _pipeline(settings: dict | None, classifier: object) -> Pipeline:
    return Pipeline(config=None, repo=None, fetcher=None, extract=None,  # type: ignore[arg-type]
                    classifier=classifier, worker="test", classifier_settings=settings)  # type: ignore[arg-type]


def test_pipeline_uses_a_worker_classification_made_with_its_settings() -> None:
    made = Classification(["merger"], [Finding("merger", "Both trusts will merge.", 4, ("merge",))], [])
    pages = ClassifiedPages([PageText(4, "Both trusts will merge.")], made, PLAIN)

    def never() -> Classifier:
        raise AssertionError("the daemon classified a document the worker had classified")

    assert _pipeline(PLAIN, never).classification(pages) is made


def test_pipeline_classifies_again_when_the_settings_differ() -> None:
    stale = Classification(["merger"], [], [])
    pages = ClassifiedPages([PageText(1, "The walk-in centre will close in May.")], stale, PLAIN)
    result = _pipeline(GROUP_MODEL, Classifier).classification(pages)
    assert result is not stale and result.categories == ["service_change"]
    plain_list = [PageText(1, "The walk-in centre will close in May.")]
    assert _pipeline(PLAIN, Classifier).classification(plain_list).categories == ["service_change"]


def test_wire_round_trip_keeps_everything() -> None:
    result = Classifier().classify([PageText(n, text) for n, text in enumerate(PAGES, start=1)])
    assert result.findings and result.organisations
    assert classification_from_wire(classification_to_wire(result)) == result


@pytest.mark.parametrize("bad", [
    [], {"categories": ["takeover"]}, {"categories": "merger"},
    {"findings": [["merger", "text", "3", [], []]]}, {"findings": [["merger", "text", 3, [1], []]]},
    {"findings": [["merger", "text", 3, []]]}, {"organisations": [None]},
])
def test_malformed_wire_data_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        classification_from_wire(bad)


async def test_a_classifier_that_fails_in_the_worker_costs_the_document_nothing() -> None:
    broken = {"extra_terms": {"no-such-category": ["x"]}, "ignore_phrases": []}  # Classifier raises ValueError
    async with ExtractionPool(timeout=60, classify=broken) as pool:
        pages = await pool.extract(make_pdf(PAGES), "pdf")
        again = await pool.extract(make_pdf(PAGES[:1]), "pdf")  # and the worker still serves
    assert type(pages) is list and [p.page for p in pages] == [1, 2, 3, 4]
    assert "paediatric unit will relocate" in pages[2].text
    assert type(again) is list and len(again) == 1
