"""Classification metrics and percentiles, small and dependency-free so they are easy to check."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

#: what an utterance the brain could not place is counted as (always wrong)
UNPLACED = "(unplaced)"


@dataclass(frozen=True, slots=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Scores:
    n: int
    accuracy: float
    macro_f1: float
    per_label: dict[str, ClassScore]
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count


def score(gold: Sequence[str], predicted: Sequence[str | None]) -> Scores:
    """Accuracy, macro-F1 over the gold labels, per-label scores and the confusion matrix."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    preds = [p if p is not None else UNPLACED for p in predicted]
    labels = sorted(set(gold))
    pairs = Counter(zip(gold, preds, strict=True))
    per: dict[str, ClassScore] = {}
    for label in labels:
        tp = pairs[(label, label)]
        support = sum(c for (g, _), c in pairs.items() if g == label)
        predicted_n = sum(c for (_, p), c in pairs.items() if p == label)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[label] = ClassScore(precision, recall, f1, support)
    columns = [*sorted(set(preds) - {UNPLACED}), UNPLACED]
    confusion = {g: {p: pairs[(g, p)] for p in columns if pairs[(g, p)]} for g in labels}
    n = len(gold)
    correct = sum(c for (g, p), c in pairs.items() if g == p)
    return Scores(
        n=n,
        accuracy=correct / n if n else 0.0,
        macro_f1=sum(s.f1 for s in per.values()) / len(per) if per else 0.0,
        per_label=per,
        confusion=confusion,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
