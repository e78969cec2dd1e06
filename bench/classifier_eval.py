"""Measure the classifier on a labelled JSONL set: per-category precision, recall, F1, macro-F1, alert P/R.

Usage: ``python bench/classifier_eval.py [PATH]`` (default ``../shared/data/classifier-dev.jsonl``, relative
to the repository root). Each line is ``{"text": ..., "labels": [...]}``; the label ``consultation_launch``
is our ``consultation`` and ``none`` means no category. The set is read at run time and never copied.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from monitor.classify import CATEGORIES, Classifier

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / ".." / "shared" / "data" / "classifier-dev.jsonl"
LABEL_ALIASES = {"consultation_launch": "consultation"}
SCORED = ("merger", "service_change", "unconsulted", "consultation")


@dataclass
class Counts:
    """True positives, false positives and false negatives of one category."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


@dataclass
class Report:
    """Counts per category, for alerts, and the misclassified items."""

    per_category: dict[str, Counts] = field(default_factory=lambda: {c: Counts() for c in SCORED})
    alerts: Counts = field(default_factory=Counts)
    misses: list[str] = field(default_factory=list)


def load(path: Path) -> list[tuple[str, set[str], str]]:
    """(text, gold categories, note) for each line of the set."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            gold = {LABEL_ALIASES.get(lb, lb) for lb in d["labels"]} & set(CATEGORIES)
            items.append((d["text"], gold, d.get("note", "")))
    return items


def evaluate(items: list[tuple[str, set[str], str]], classifier: Classifier) -> Report:
    report = Report()
    for n, (text, gold, note) in enumerate(items, 1):
        got = set(classifier.classify(text).categories)
        for c in SCORED:
            counts = report.per_category[c]
            counts.tp += c in got and c in gold
            counts.fp += c in got and c not in gold
            counts.fn += c in gold and c not in got
        report.alerts.tp += bool(got) and bool(gold)
        report.alerts.fp += bool(got) and not gold
        report.alerts.fn += bool(gold) and not got
        if got != gold:
            missing, extra = sorted(gold - got), sorted(got - gold)
            report.misses.append(f"#{n} missing={missing} extra={extra} [{note}]\n    {' '.join(text.split())[:300]}")
    return report


def render(report: Report, total: int) -> str:
    lines = [f"{'category':<16}{'P':>7}{'R':>7}{'F1':>7}{'TP':>5}{'FP':>5}{'FN':>5}"]
    f1s = []
    for c in SCORED:
        k = report.per_category[c]
        p, r, f = k.prf()
        f1s.append(f)
        lines.append(f"{c:<16}{p:7.3f}{r:7.3f}{f:7.3f}{k.tp:5}{k.fp:5}{k.fn:5}")
    ap, ar, af = report.alerts.prf()
    lines.append(f"macro-F1 {sum(f1s) / len(f1s):.3f}")
    lines.append(f"alert precision {ap:.3f}  alert recall {ar:.3f}  alert F1 {af:.3f}")
    lines.append(f"{total - len(report.misses)}/{total} items exactly right; misses:")
    lines.extend(report.misses)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT, help="labelled JSONL set")
    args = parser.parse_args(argv)
    if not args.path.exists():
        print(f"no labelled set at {args.path}", file=sys.stderr)
        return 2
    items = load(args.path)
    print(render(evaluate(items, Classifier()), len(items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
