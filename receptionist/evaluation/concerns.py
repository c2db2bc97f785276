"""``receptionist eval concerns``: score caller-concern recognition through the brain's real turn handling.

Each row's text is the caller's first turn of a new call (greeting, then the text); the call's concern
after that turn is the prediction. A turn the brain cannot place counts as wrong. Latency is one whole
turn (``Conversation.say``), after a warm-up on the profile's own examples.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from receptionist.app import Receptionist
from receptionist.evaluation.metrics import Scores, percentile, score


class EvalDataError(ValueError):
    """The evaluation file is missing, empty or malformed (the message names file and line)."""


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    text: str
    concern: str
    confidence: str


@dataclass(frozen=True)
class ConcernReport:
    data: str
    profile: str
    brain: str
    scores: Scores
    latency_p50_ms: float
    latency_p95_ms: float
    unplaced: int

    def as_json(self) -> dict[str, Any]:
        s = self.scores
        return {
            "data": self.data,
            "profile": self.profile,
            "brain": self.brain,
            "n": s.n,
            "accuracy": round(s.accuracy, 4),
            "macro_f1": round(s.macro_f1, 4),
            "unplaced": self.unplaced,
            "per_concern": {
                label: {
                    "precision": round(c.precision, 4),
                    "recall": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "support": c.support,
                }
                for label, c in s.per_label.items()
            },
            "confusion": s.confusion,
            "latency_ms": {"p50": round(self.latency_p50_ms, 2), "p95": round(self.latency_p95_ms, 2)},
        }


def read_rows(path: Path) -> list[Row]:
    rows: list[Row] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise EvalDataError(f"{path}: cannot read: {e}") from e
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            rows.append(Row(str(obj.get("id", i)), str(obj["text"]), str(obj["concern"]),
                            str(obj.get("mapping_confidence", "high"))))  # fmt: skip
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise EvalDataError(f"{path}:{i}: expected a JSON object with 'text' and 'concern' ({e})") from e
    if not rows:
        raise EvalDataError(f"{path}: no rows")
    return rows


async def evaluate(
    receptionist: Receptionist,
    tenant_id: str,
    rows: list[Row],
    *,
    progress: Callable[[Iterator[Row]], Iterator[Row]] = lambda it: it,
) -> tuple[Scores, list[float], int]:
    tenant = receptionist.tenant(tenant_id)
    for example in [e for c in tenant.profile.concerns for e in c.examples[:1]]:  # warm-up, not scored
        conv = receptionist.conversation(tenant_id)
        await conv.open()
        await conv.say(example)
    gold: list[str] = []
    predicted: list[str | None] = []
    latencies: list[float] = []
    for row in progress(iter(rows)):
        conv = receptionist.conversation(tenant_id, channel="eval")
        await conv.open()
        start = time.perf_counter()
        await conv.say(row.text)
        latencies.append((time.perf_counter() - start) * 1000)
        gold.append(row.concern)
        predicted.append(conv.call.concern)
    unplaced = sum(p is None for p in predicted)
    return score(gold, predicted), latencies, unplaced


def build_report(
    data: Path, profile_path: Path, brain: str, scores: Scores, latencies: list[float], unplaced: int
) -> ConcernReport:
    return ConcernReport(
        data=str(data),
        profile=str(profile_path),
        brain=brain,
        scores=scores,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        unplaced=unplaced,
    )


def markdown(report: ConcernReport, command: str) -> str:
    s = report.scores
    labels = list(s.per_label)
    extra = sorted({p for row in s.confusion.values() for p in row} - set(labels) - {"(unplaced)"})
    cols = [*labels, *extra, "(unplaced)"]
    out = [
        "## Caller concerns (offline brain, whole turn)",
        "",
        f"Reproduce: `{command}`",
        "",
        f"Data: `{report.data}` ({s.n} rows); profile `{report.profile}`; brain `{report.brain}`.",
        "",
        "Method: each row is the first caller turn of a new call through `Conversation` (greeting,",
        "redaction, the offline brain's whole turn); the call's concern afterwards is the prediction, and a",
        "turn the brain cannot place counts as wrong. Latency is that whole turn, after a warm-up on the",
        "profile's own examples. The data is third-party test data: the profile's examples were written for",
        "the project from the label definitions, never from the data, and nothing in the code comes from it.",
        "",
        f"- accuracy **{s.accuracy:.3f}**, macro-F1 **{s.macro_f1:.3f}**",
        f"- unplaced (counted wrong): {report.unplaced}",
        f"- latency per turn: p50 {report.latency_p50_ms:.1f} ms, p95 {report.latency_p95_ms:.1f} ms",
        "",
        "| concern | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
        *[
            f"| {k} | {v.precision:.3f} | {v.recall:.3f} | {v.f1:.3f} | {v.support} |"
            for k, v in s.per_label.items()
        ],
        "",
        "Confusion matrix (rows: true concern; columns: the brain's):",
        "",
        "| true \\ predicted | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for g in labels:
        out.append(f"| {g} | " + " | ".join(str(s.confusion.get(g, {}).get(p, 0) or "") for p in cols) + " |")
    return "\n".join(out) + "\n"
