"""Text classification: does new text report an NHS merger, a service change, a change made without
consultation, or a consultation being launched? Transparent rules, with the evidence sentence.

>>> Classifier().classify("The walk-in centre at Eastfield Community Hospital will close in May.").categories
['service_change']
"""

from __future__ import annotations

from monitor.classify.classifier import Classifier
from monitor.classify.result import CATEGORIES, Classification, Finding
from monitor.classify.sentences import split_sentences

__all__ = ["CATEGORIES", "Classification", "Classifier", "Finding", "split_sentences"]
