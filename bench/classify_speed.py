"""Classifier throughput on a generated ~300-page board pack: mostly routine text, a few cues.

Usage: ``python bench/classify_speed.py [--pages 300] [--repeat 3] [--seed 7] [--pack generated|cases]
[--compare]``. Prints pages/s, ms per 100 pages, and what was found (the pack plants a closure, a merger, a
consultation and an unconsulted move). ``--pack cases`` builds the routine paragraphs from the no-category
cases of tests/data/classify_cases.yaml (look-alikes: "actions closed", "records merged", "staff consultation")
instead of the generated finance and performance sentences. ``--compare`` also times the classifier with its
fast path off and checks that both give the same result.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

from monitor.classify import Classification, Classifier
from monitor.extract.types import PageText

ROUTINE = (
    "The Board received the integrated performance report for month {n} and noted the position against the "
    "constitutional standards.",
    "The trust reported a year-to-date deficit of £{m}m, which is £{k}m adverse to plan, driven by temporary "
    "staffing costs.",
    "Four-hour performance in the emergency department was {p} per cent against the national standard of 78 per cent.",
    "The committee noted that {n} serious incidents had been declared in the period and that all actions were on track.",
    "Referral to treatment performance improved for the third consecutive month, with {n} patients waiting over "
    "52 weeks.",
    "The Chief Nurse presented the safer staffing report; fill rates for registered nurses were {p} per cent on days.",
    "Sickness absence fell to {p} per cent and the vacancy rate for healthcare support workers was {k} per cent.",
    "Members discussed the capital programme and approved the business case for the replacement of the "
    "pathology analysers.",
    "The Audit and Risk Committee reviewed the board assurance framework and agreed to close {n} completed actions.",
    "Cash at the end of the month was £{m}m and the better payment practice code was met for {p} per cent of invoices.",
    "The Board thanked staff for their work over the winter period and noted the results of the staff survey.",
    "The chair reminded members of their duty to declare interests; no new interests were declared.",
    "Infection prevention and control: there were {n} cases of C. difficile against a trajectory of {k}.",
    "The Board noted the Freedom to Speak Up guardian's report and the themes raised by colleagues this quarter.",
    "Minutes of the meeting held on {n} March were approved as an accurate record, subject to minor amendments.",
    "Dr. Patel, Medical Director, presented the mortality report; the SHMI remains within the expected range.",
    "Bed occupancy averaged {p} per cent across the acute sites, with {n} patients medically fit for discharge.",
    "The digital programme is on track: the electronic patient record upgrade will go live in No. {k} release.",
)
HEADINGS = (
    "Chief Executive's Report",
    "Finance Report",
    "Quality and Safety",
    "Workforce",
    "Item {n}: Any Other Business",
)
BULLETS = ("improve discharge before midday", "reduce agency spend", "recover elective activity", "embed the new rota")
CUES = (
    "The Board agreed that the minor injuries unit at Eastfield Community Hospital will close on 1 March, with "
    "patients directed to the emergency department at the County Hospital.",
    "The Board noted that the merger of Westbridge NHS Trust and Eastfield NHS Trust will complete on 1 April.",
    "A twelve-week public consultation on the future of maternity services will open on 6 January.",
    "The older people's assessment unit was temporarily relocated to Westgate Hospital without consultation.",
)
CASES_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "classify_cases.yaml"


def case_sentences() -> tuple[str, ...]:
    """The texts of the classifier cases that expect no category (routine look-alikes), one line each."""
    cases = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    return tuple(" ".join(c["text"].split()) for c in cases if not c["categories"] and "text" in c)


def _page(rng: random.Random, cue: str | None, routine: Sequence[str]) -> str:
    def fill(s: str) -> str:
        return s.format(n=rng.randint(1, 60), m=rng.randint(1, 40), k=rng.randint(1, 9), p=rng.randint(60, 99))

    parts = [fill(rng.choice(HEADINGS))]
    for _ in range(rng.randint(4, 6)):
        paragraph = " ".join(fill(rng.choice(routine)) for _ in range(rng.randint(2, 4)))
        if cue and rng.random() < 0.3:
            paragraph, cue = f"{paragraph} {cue}", None
        parts.append(textwrap.fill(paragraph, 95, break_on_hyphens=False))
        if rng.random() < 0.2:
            parts.append("Priorities for the quarter:\n" + "\n".join(f"• {b}" for b in rng.sample(BULLETS, 3)))
    if cue:
        parts.append(textwrap.fill(cue, 95))
    text = "\n\n".join(parts)
    return text.replace("consultation", "consul-\ntation", 1) if rng.random() < 0.1 else text


def board_pack(pages: int, seed: int, routine: Sequence[str] = ROUTINE) -> list[PageText]:
    """A generated board pack: ``pages`` pages of routine text with the four cues on pages spread through it."""
    rng = random.Random(seed)
    cue_pages = {round(pages * f): cue for f, cue in zip((0.1, 0.35, 0.6, 0.85), CUES, strict=True)}
    return [PageText(n, _page(rng, cue_pages.get(n), routine)) for n in range(1, pages + 1)]


def _timed(classifier: Classifier, pack: list[PageText], repeat: int) -> tuple[Classification, float, float]:
    """The result, and the best and median seconds of ``repeat`` runs."""
    timings = []
    result = Classification()
    for _ in range(repeat):
        start = time.perf_counter()
        result = classifier.classify(pack)
        timings.append(time.perf_counter() - start)
    return result, min(timings), statistics.median(timings)


def _compare(pack: list[PageText], repeat: int, result: Classification, best: float) -> None:
    reference = Classifier()
    reference.fast_path = False
    expected, reference_best, _ = _timed(reference, pack, repeat)
    print(
        f"fast path off: {len(pack) / reference_best:.0f} pages/s; the fast path is {reference_best / best:.1f}x "
        f"faster; same result: {expected.to_json() == result.to_json()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pack", choices=("generated", "cases"), default="generated", help="what routine text is")
    parser.add_argument("--compare", action="store_true", help="also time the classifier with its fast path off")
    args = parser.parse_args(argv)
    pack = board_pack(args.pages, args.seed, case_sentences() if args.pack == "cases" else ROUTINE)
    chars = sum(len(p.text) for p in pack)
    classifier = Classifier()
    start = time.perf_counter()
    classifier.classify(pack)  # the first long text builds the screen (reads the rules)
    print(f"first run, which reads the rules for the screen: {(time.perf_counter() - start) * 1000:.0f} ms")
    result, best, median = _timed(classifier, pack, args.repeat)
    print(
        f"{args.pages} pages ({args.pack}), {chars / 1e6:.2f} M chars; best of {args.repeat}: {best * 1000:.0f} ms "
        f"(median {median * 1000:.0f} ms)"
    )
    print(f"{args.pages / best:.0f} pages/s; {best / args.pages * 100 * 1000:.1f} ms per 100 pages")
    print("categories:", result.categories)
    for f in result.findings:
        print(f"  p{f.page} {f.category}: {f.text[:100]} {list(f.terms)}")
    if args.compare:
        _compare(pack, args.repeat, result, best)
    return 0


if __name__ == "__main__":
    sys.exit(main())
