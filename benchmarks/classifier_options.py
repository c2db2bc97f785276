"""Compare ways of placing a caller's concern, trained only on a profile, measured on a labelled set.

    .venv/bin/python benchmarks/classifier_options.py \
        [--profile evals/profiles/concerns.yaml] [--data ../shared/evaldata/concerns_dev.jsonl]

Training uses the profile's concern examples and descriptions only (the profile caps them at 12 per
concern here). The labelled set is third-party test data: this script reads its labels and texts to
score predictions and prints aggregate numbers only. Latency is per utterance, one at a time, with the
embedding cache off, on however many cores this machine has (2 in the reference measurements).

Prints one table row per option and, last, one JSON line with every number.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from receptionist.brain.offline.classifier import (
    MIN_SCORE,
    MIN_SIMILARITY,
    WEAK_SIMILARITY,
    ConcernClassifier,
    tfidf_logreg,
    training_set,
)
from receptionist.brain.offline.embedder import SentenceEmbedder
from receptionist.config.profile import load_profile

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "evaldata" / "concerns_dev.jsonl"
DEFAULT_PROFILE = ROOT / "evals" / "profiles" / "concerns.yaml"

# Texts no business concern should be read into, written for this benchmark: keyboard mashing,
# noise-word transcripts, other languages, empty input. Used to measure the "cannot place" threshold.
UNPLACEABLE = [
    "",
    "   ",
    "asdkjh qwpoe zmxncb",
    "hjkl hjkl hjkl",
    "qwertyuiop",
    "blorp snazzle frink",
    "xkcd vvv ppp qqq",
    "um uh hmm",
    "uh",
    "...",
    "mmm hmm ah",
    "la la la la",
    "zzzzzz",
    "brrrrp",
    "fnord gleep wibble",
    "Hola, necesito hablar con alguien sobre mi cuenta por favor",
    "Quiero cambiar la fecha de mi cita para el martes",
    "Bonjour, je voudrais parler avec quelqu'un de votre service",
    "Je ne comprends pas pourquoi ma facture est si élevée",
    "Guten Tag, ich möchte einen Termin für nächste Woche vereinbaren",
    "Ich habe eine Frage zu meiner Rechnung",
    "Olá, eu gostaria de falar com um atendente por favor",
    "Buongiorno, vorrei prenotare un appuntamento per domani",
    "Здравствуйте, я хочу записаться на приём",
    "您好，我想预约下周的时间",
    "こんにちは、予約を変更したいです",
    "مرحبا، أريد التحدث مع شخص",
    "नमस्ते, मुझे मदद चाहिए",
]


@dataclass(frozen=True)
class Option:
    name: str
    fit: Callable[[list[str], list[str]], Callable[[str], tuple[str, float]]]


def _load(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            texts.append(row["text"])
            labels.append(row["concern"])
    return texts, labels


def tfidf_lr(texts: list[str], labels: list[str]) -> Callable[[str], tuple[str, float]]:
    model = tfidf_logreg().fit(texts, labels)

    def predict(text: str) -> tuple[str, float]:
        p = model.predict_proba([text])[0]
        return str(model.classes_[int(p.argmax())]), float(p.max())

    return predict


def _embedding_option(
    embedder: SentenceEmbedder, kind: str
) -> Callable[[list[str], list[str]], Callable[[str], tuple[str, float]]]:
    def fit(texts: list[str], labels: list[str]) -> Callable[[str], tuple[str, float]]:
        x = embedder.embed(texts)
        y = np.array(labels)
        classes = sorted(set(labels))
        lr = LogisticRegression(C=10.0, max_iter=2000).fit(x, y)
        cents = np.stack([x[y == c].mean(axis=0) for c in classes])
        cents /= np.linalg.norm(cents, axis=1, keepdims=True)

        def logreg(text: str) -> tuple[str, float]:
            p = lr.predict_proba(embedder.embed([text]))[0]
            return str(lr.classes_[int(p.argmax())]), float(p.max())

        def centroid(text: str) -> tuple[str, float]:
            s = cents @ embedder.embed([text])[0]
            return classes[int(s.argmax())], float(s.max())

        def knn(text: str) -> tuple[str, float]:  # cosine-weighted vote of the k nearest examples
            s = x @ embedder.embed([text])[0]
            top = np.argsort(-s)[:k]
            votes: dict[str, float] = {}
            for i in top:
                votes[str(y[i])] = votes.get(str(y[i]), 0.0) + float(s[i])
            return max(votes, key=votes.__getitem__), float(s[top[0]])

        if kind == "lr":
            return logreg
        if kind == "centroid":
            return centroid
        k = int(kind.removeprefix("knn"))
        return knn

    return fit


def ensemble(
    embedder: SentenceEmbedder,
) -> Callable[[list[str], list[str]], Callable[[str], tuple[str, float]]]:
    def fit(texts: list[str], labels: list[str]) -> Callable[[str], tuple[str, float]]:
        tf = tfidf_logreg().fit(texts, labels)
        lr = LogisticRegression(C=10.0, max_iter=2000).fit(embedder.embed(texts), labels)
        assert list(tf.classes_) == list(lr.classes_)

        def predict(text: str) -> tuple[str, float]:
            p = 0.5 * tf.predict_proba([text])[0] + 0.5 * lr.predict_proba(embedder.embed([text]))[0]
            return str(lr.classes_[int(p.argmax())]), float(p.max())

        return predict

    return fit


def evaluate(
    predict: Callable[[str], tuple[str | None, float]], texts: Sequence[str], labels: Sequence[str]
) -> dict[str, float]:
    preds: list[str] = []
    lat: list[float] = []
    for t in texts:
        start = time.perf_counter()
        concern, _ = predict(t)
        lat.append((time.perf_counter() - start) * 1000)
        preds.append(concern or "(none)")
    lat.sort()
    return {
        "macro_f1": round(float(f1_score(labels, preds, average="macro", labels=sorted(set(labels)))), 3),
        "accuracy": round(float(accuracy_score(labels, preds)), 3),
        "unplaced": round(preds.count("(none)") / len(preds), 3),
        "p50_ms": round(statistics.median(lat), 1),
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 1),
    }


def as_option(clf: ConcernClassifier) -> Callable[[str], tuple[str | None, float]]:
    def predict(text: str) -> tuple[str | None, float]:
        p = clf.predict(text)
        return p.concern, p.score

    return predict


def threshold_sweep(
    clf: ConcernClassifier, texts: Sequence[str], labels: Sequence[str]
) -> list[dict[str, float]]:
    """For each similarity floor: the share of real rows and of unplaceable texts left unplaced."""

    def gated(items: Sequence[str]) -> list[tuple[bool, float, float]]:
        out = []
        for t in items:
            p = clf.predict(t)
            out.append((p.unplaced is not None and p.unplaced != "low_similarity", p.similarity, p.score))
        return out

    real, junk = gated(texts), gated(UNPLACEABLE)
    correct = [clf.predict(t).concern == y for t, y in zip(texts, labels, strict=True)]
    rows = []
    rules = [(floor, 0.0, 0.0) for floor in (0.0, 0.1, 0.15, 0.2, 0.25, 0.3)]
    rules += [(MIN_SIMILARITY, weak, MIN_SCORE) for weak in (0.2, WEAK_SIMILARITY, 0.3)]
    for floor, weak, min_score in rules:

        def off(g: bool, s: float, p: float) -> bool:
            return g or s < floor or (s < weak and p < min_score)  # noqa: B023 - used at once

        rows.append(
            {
                "floor": floor,
                "weak": weak,
                "min_score": min_score,
                "dev_unplaced": round(sum(off(*r) for r in real) / len(real), 3),
                "dev_correct_lost": sum(off(*r) and c for r, c in zip(real, correct, strict=True)),
                "unplaceable_unplaced": round(sum(off(*r) for r in junk) / len(junk), 3),
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--report", action="store_true", help="rewrite this section of docs/benchmarks.md")
    args = parser.parse_args(argv)

    profile = load_profile(args.profile)
    texts, labels = _load(args.data)
    embedder = SentenceEmbedder(cache_size=0)
    train_x, train_y = training_set(profile)

    options: list[tuple[str, Callable[[str], tuple[str | None, float]]]] = [
        ("tfidf(word1-2+char2-5)+logreg", tfidf_lr(train_x, train_y)),
        ("embed kNN k=1", _embedding_option(embedder, "knn1")(train_x, train_y)),
        ("embed kNN k=3 (cos-weighted)", _embedding_option(embedder, "knn3")(train_x, train_y)),
        ("embed nearest centroid", _embedding_option(embedder, "centroid")(train_x, train_y)),
        ("embed logreg", _embedding_option(embedder, "lr")(train_x, train_y)),
        ("ensemble tfidf-lr + embed-lr", ensemble(embedder)(train_x, train_y)),
    ]
    options.append(("DEFAULT ConcernClassifier", as_option(ConcernClassifier.train(profile, embedder))))
    results: dict[str, dict[str, float]] = {}
    print(f"train: {len(train_x)} texts from {args.profile.name}; eval: {len(texts)} rows", end="; ")
    print(f"cpus: {os.cpu_count()}")
    print(f"{'option':34} {'macroF1':>7} {'acc':>6} {'none':>6} {'p50ms':>6} {'p95ms':>6}  gibberish-none")
    for name, predict in options:
        for t in texts[:10]:  # warm up
            predict(t)
        r = evaluate(predict, texts, labels)
        junk = [predict(t)[0] for t in UNPLACEABLE]
        r["unplaceable_rejected"] = round(sum(c is None for c in junk) / len(junk), 3)
        results[name] = r
        print(
            f"{name:34} {r['macro_f1']:7.3f} {r['accuracy']:6.3f} {r['unplaced']:6.3f} "
            f"{r['p50_ms']:6.1f} {r['p95_ms']:6.1f}  {r['unplaceable_rejected']:.2f}"
        )
    sweep = threshold_sweep(ConcernClassifier.train(profile, embedder, min_similarity=0.0), texts, labels)
    print("\nunplaced when similarity < floor, or < weak with score < min_score", end=" ")
    print(f"(default {MIN_SIMILARITY}, {WEAK_SIMILARITY}, {MIN_SCORE}); lost = right rows left unplaced")
    print(f"{'floor':>6} {'weak':>5} {'score':>6} {'dev unplaced':>13} {'lost':>5} {'unplaceable':>12}")
    for r in sweep:
        print(
            f"{r['floor']:6.2f} {r['weak']:5.2f} {r['min_score']:6.2f} {r['dev_unplaced']:13.3f} "
            f"{r['dev_correct_lost']:5d} {r['unplaceable_unplaced']:12.3f}"
        )
    summary = {"benchmark": "classifier_options", "n": len(texts), "results": results, "floor_sweep": sweep}
    print(json.dumps(summary))
    if args.report:
        _report(args, len(train_x), results)
    return 0


def _report(args: argparse.Namespace, n_train: int, results: dict[str, dict[str, float]]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.report import relative, write_section

    args.profile, args.data = relative(args.profile), relative(args.data)
    rows = "\n".join(
        f"| {name} | {r['macro_f1']:.3f} | {r['accuracy']:.3f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
        for name, r in results.items()
    )
    body = (
        f"Trained on the {n_train} example texts of `{args.profile}` only; scored on `{args.data}` "
        "(third-party test data; unplaced rows count as wrong). Latency is one utterance at a time with the "
        "embedding cache off. The classifier alone; `docs/evals.md` scores whole turns through the brain.\n\n"
        "| option | macro-F1 | accuracy | p50 ms | p95 ms |\n|---|---|---|---|---|\n" + rows
    )
    command = f"python benchmarks/classifier_options.py --profile {args.profile} --data {args.data} --report"
    write_section("classifier", "Concern classifier options", body, command)


if __name__ == "__main__":
    sys.exit(main())
