"""The classifier, driven by tests/data/classify_cases.yaml, plus its API, admin tuning and evidence shape."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.classify import CATEGORIES, Classification, Classifier, Finding, split_sentences
from monitor.classify.classifier import BUILTIN_RULES
from monitor.extract.types import PageText

CASES_FILE = Path(__file__).parent / "data" / "classify_cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
CLASSIFIER = Classifier()


def _input(case: dict[str, Any]) -> str | list[PageText]:
    if "pages" in case:
        return [PageText(i, text) for i, text in enumerate(case["pages"], 1)]
    return str(case["text"])


def _first(result: Classification, category: str) -> Finding:
    return next(f for f in result.findings if f.category == category)


def test_cases_are_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(CASES) >= 80
    for case in CASES:
        assert ("text" in case) != ("pages" in case), case["id"]
        assert set(case["categories"]) <= set(CATEGORIES), case["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    result = CLASSIFIER.classify(_input(case))
    assert result.categories == [c for c in CATEGORIES if c in case["categories"]], [
        (f.category, f.terms, f.text) for f in result.findings
    ]
    if not case["categories"]:
        assert result.findings == [] and result.organisations == []
        return
    finding = _first(result, case.get("category", case["categories"][0]))
    if "evidence" in case:
        assert case["evidence"] in finding.text
    for term in case.get("terms", []):
        assert term in finding.terms, finding.terms
    if "page" in case:
        assert finding.page == case["page"]
    for name in case.get("organisations", []):
        assert name in result.organisations, result.organisations


def test_evidence_is_the_sentence_not_the_paragraph() -> None:
    text = (
        "The chair welcomed members.\nThe Board noted the finance report. The Board agreed that the walk-in\n"
        "centre at Eastfield Community Hospital will close on 1 May. Questions were taken from the public."
    )
    finding = _first(CLASSIFIER.classify(text), "service_change")
    assert (
        finding.text == "The Board agreed that the walk-in centre at Eastfield Community Hospital will close on 1 May."
    )
    assert finding.page is None
    assert finding.organisations == ("Eastfield Community Hospital",)


def test_long_sentence_evidence_is_capped_around_the_cue() -> None:
    filler = "the committee considered the many detailed options in the appendix " * 20
    text = f"After a long discussion {filler}the Board agreed that Ward 7 at Eastfield Hospital will close {filler}."
    finding = _first(CLASSIFIER.classify(text), "service_change")
    assert len(finding.text) <= 602
    assert "Ward 7 at Eastfield Hospital will close" in finding.text
    assert finding.text.startswith("…") and finding.text.endswith("…")


def test_at_most_three_findings_per_category_best_first() -> None:
    sentences = [f"Ward {n} at Eastfield Hospital will close in May." for n in range(1, 6)]
    sentences.append("Ward 9 will close and its beds will be cut, with the unit relocated to Westgate Hospital.")
    findings = CLASSIFIER.classify(" ".join(sentences)).findings
    assert [f.category for f in findings] == ["service_change"] * 3
    assert findings[0].text.startswith("Ward 9")


def test_unconsulted_needs_a_nearby_change() -> None:
    far = " ".join(["The board received the quality report."] * 6)
    text = f"Ward 7 at Eastfield Hospital will close in May. {far} There was no public consultation."
    assert CLASSIFIER.classify(text).categories == ["service_change"]
    near = "Ward 7 at Eastfield Hospital will close in May. There was no public consultation."
    assert CLASSIFIER.classify(near).categories == ["service_change", "unconsulted"]


def test_to_json_matches_the_contract() -> None:
    result = CLASSIFIER.classify(
        [
            PageText(1, "Routine business."),
            PageText(2, "The minor injuries unit at Eastfield Community Hospital will close."),
        ]
    )
    data = json.loads(json.dumps(result.to_json()))
    assert data == {
        "categories": ["service_change"],
        "evidence": [
            {
                "category": "service_change",
                "text": "The minor injuries unit at Eastfield Community Hospital will close.",
                "page": 2,
                "terms": ["close"],
            }
        ],
        "organisations": ["Eastfield Community Hospital"],
    }


def test_nothing_found_is_empty() -> None:
    result = CLASSIFIER.classify("")
    assert result == Classification(categories=[], findings=[], organisations=[])
    assert result.to_json() == {"categories": [], "evidence": [], "organisations": []}


def test_extra_terms_add_cues_case_insensitively() -> None:
    text = "The trust will withdraw its Step-Down  Beds at Oakwood in June."
    assert "service_change" in Classifier(extra_terms={"service_change": ["step-down beds"]}).classify(text).categories
    plain = "Both trusts will adopt the Northshire Way from April."
    assert CLASSIFIER.classify(plain).categories == []
    tuned = Classifier(extra_terms={"merger": ["northshire  way"]}).classify(plain)
    assert tuned.categories == ["merger"]
    assert tuned.findings[0].terms == ("northshire way",)


def test_extra_unconsulted_terms_still_need_a_change() -> None:
    classifier = Classifier(extra_terms={"unconsulted": ["done on the quiet"]})
    assert classifier.classify("It was all done on the quiet.").categories == []
    both = classifier.classify("Ward 7 at Eastfield Hospital will close. It was all done on the quiet.")
    assert both.categories == ["service_change", "unconsulted"]


def test_ignore_phrases_skip_whole_sentences() -> None:
    text = "The merger of patient records across both trusts completes in May. Ward 7 at Eastfield Hospital will close."
    tuned = Classifier(extra_terms={"merger": ["merger of patient records"]})
    assert tuned.classify(text).categories == ["merger", "service_change"]
    ignoring = Classifier(
        extra_terms={"merger": ["merger of patient records"]}, ignore_phrases=["MERGER OF  patient records"]
    )
    assert ignoring.classify(text).categories == ["service_change"]


def test_unknown_category_in_extra_terms_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown category petitions"):
        Classifier(extra_terms={"petitions": ["signatures"]})
    with pytest.raises(ValueError, match="empty"):
        Classifier(extra_terms={"merger": ["  "]})
    with pytest.raises(ValueError, match="list of phrases"):
        Classifier(extra_terms={"merger": "group model"})  # type: ignore[dict-item]


def test_findings_are_frozen_and_categories_ordered() -> None:
    result = CLASSIFIER.classify(
        "A public consultation on the merger of Westbridge NHS Trust and Eastfield NHS Trust opens today. "
        "The trust will close Ward 7 at Eastfield Hospital without consultation."
    )
    assert result.categories == ["merger", "service_change", "unconsulted", "consultation"]
    with pytest.raises(AttributeError):
        result.findings[0].text = "changed"  # type: ignore[misc]
    assert len(result.organisations) == len(set(result.organisations))


def test_every_cue_match_contains_its_rules_trigger() -> None:
    """The fast screen must never hide a cue: each match of a cue contains one of its rule's trigger stems."""
    sentences = [
        s for case in CASES for text in case.get("pages", [case.get("text", "")]) for s in split_sentences(text)
    ]
    checked = 0
    for category, rules in BUILTIN_RULES.items():
        for rule in rules:
            assert rule.trigger, f"{category}/{rule.name} has no trigger"
            trigger = re.compile(rf"\b(?:{rule.trigger})")
            for sentence in sentences:
                for m in re.finditer(rule.cue, sentence, re.IGNORECASE):
                    checked += 1
                    assert trigger.search(m.group(0).lower()), (category, rule.name, m.group(0))
    assert checked > 300


def test_eval_script_reports_per_category_and_alert_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location(
        "classifier_eval", Path(__file__).parent.parent / "bench" / "classifier_eval.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    rows = [
        {"text": "Ward 7 at Eastfield Hospital will close in May.", "labels": ["service_change"]},
        {"text": "A twelve-week public consultation opens today.", "labels": ["consultation_launch"]},
        {"text": "The finance report was noted.", "labels": ["none"]},
        {"text": "The two trusts plan to merge.", "labels": ["none"]},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert module.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "alert precision 0.667  alert recall 1.000" in out
    assert "merger            0.000  1.000  0.000    0    1    0" in out
    assert "3/4 items exactly right" in out
    assert module.main([str(tmp_path / "missing.jsonl")]) == 2
