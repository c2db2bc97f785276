"""Which of the profile's concerns a caller's words are about, trained at start-up from the profile.

The training set is each concern's examples plus its description (one more example), nothing else.
The default is an ensemble over one sentence embedding (all-MiniLM-L6-v2, :mod:`.embedder`):

    p = 0.4 · logistic regression on the embedding
      + 0.4 · softmax(mean cosine of the 3 nearest examples of each concern / 0.05)
      + 0.2 · logistic regression on TF-IDF word 1–2-grams + char 2–5-grams

Measured with ``benchmarks/classifier_options.py``: trained on ``evals/profiles/concerns.yaml`` (8
concerns, 10–11 examples each), scored on the 522-row third-party dev set, one utterance at a time on
a 2-core machine shared with other work (load ≈ 2.6), embedding cache off, p50/p95 including the
embedding; unplaced rows count as wrong:

    option                                  macro-F1  accuracy  p50 ms  p95 ms
    tfidf(word1-2+char2-5)+logreg              0.573     0.571     3.6     4.4
    embed kNN k=1                              0.705     0.707     8.3    13.8
    embed kNN k=3 (cosine-weighted vote)       0.737     0.739     7.3    12.3
    embed nearest centroid                     0.693     0.705     8.2    13.3
    embed logreg                               0.752     0.766     9.0    15.1
    ensemble tfidf-lr + embed-lr (1:1)         0.749     0.757    13.3    19.9
    DEFAULT embed-lr + top-3 kNN + tfidf-lr    0.797     0.791    13.9    20.0

These are the figures the choice was made on; the current ones are in docs/benchmarks.md.
The default has the best macro-F1 inside the 30 ms budget (p95 27 ms in a run under heavier load).
Programmatic augmentation of the examples (lower-cased, punctuation stripped, the description split
into its phrases, a "Hi, I'm calling because ..." wrapper) changed embedding-logreg macro-F1 by −0.02
to 0.00, so none is done.

"Cannot place" (``concern=None``): empty text, another language (:mod:`.language`), nonsense
(:func:`.slots.is_nonsense`), a nearest profile example with cosine under :data:`MIN_SIMILARITY`
(0.15), or one under :data:`WEAK_SIMILARITY` (0.25) while the best concern scores under
:data:`MIN_SCORE` (0.25). On the dev set this leaves 1.3 % of rows (7 of 522) unplaced, 2 of which
would have been placed right; all 28 hand-written unplaceable texts in the benchmark (mashing, filler
sounds, pseudo-words, ten languages, empty) are unplaced, 26 of them by the gates alone. The
ensemble probability alone is a poor gate (real requests: median top score ≈ 0.5, 5th percentile
≈ 0.25, like pseudo-words), so it is only used together with the similarity.

Without an embedder (``train(profile, None)``) the TF-IDF model alone is used, with the same gates
except the similarity floor: macro-F1 ≈ 0.57, for tests and environments without the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline

from receptionist.brain.offline.embedder import TextEmbedder
from receptionist.brain.offline.language import detect_non_english
from receptionist.brain.offline.slots import is_nonsense
from receptionist.config.profile import BusinessProfile

MIN_SIMILARITY = 0.15
WEAK_SIMILARITY = 0.25  # below this, a text is also unplaced when the ensemble is unsure ...
MIN_SCORE = 0.25  # ... i.e. its best concern scores under this
LOGREG_C = 10.0
NEIGHBOURS = 3
NEIGHBOUR_TEMPERATURE = 0.05
WEIGHTS = (0.4, 0.4, 0.2)  # embedding logreg, nearest neighbours, TF-IDF logreg

Probabilities = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ConcernPrediction:
    """The concern a text is about, or None when it cannot be placed.

    ``score`` is the ensemble probability of the best concern (0..1) and ``ranked`` lists every
    concern with its probability, best first (also when the similarity floor left the text unplaced;
    empty for empty, foreign or nonsense text, which is never scored). ``similarity`` is the
    cosine to the nearest profile example (0 without an embedder). ``unplaced`` says why a text was
    not placed: "empty", "language:<Name>", "nonsense" or "low_similarity".
    """

    concern: str | None
    score: float
    ranked: tuple[tuple[str, float], ...]
    similarity: float = 0.0
    unplaced: str | None = None


def training_set(profile: BusinessProfile) -> tuple[list[str], list[str]]:
    """Texts and concern ids to train on: every example and each concern's description."""
    texts: list[str] = []
    labels: list[str] = []
    for concern in profile.concerns:
        for text in (*concern.examples, concern.description):
            texts.append(text)
            labels.append(concern.id)
    return texts, labels


def tfidf_logreg() -> Pipeline:
    """TF-IDF over word 1–2-grams and char 2–5-grams, then logistic regression."""
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    return make_pipeline(features, LogisticRegression(C=LOGREG_C, max_iter=2000))


def _softmax(z: npt.NDArray[np.float64], temperature: float) -> Probabilities:
    e = np.exp((z - z.max()) / temperature)
    return np.asarray(e / e.sum(), dtype=np.float64)


class ConcernClassifier:
    """A profile's concern classifier. Build with :meth:`train`; :meth:`predict` is thread-safe."""

    def __init__(
        self,
        *,
        concerns: tuple[str, ...],
        tfidf: Pipeline,
        embedder: TextEmbedder | None = None,
        logreg: LogisticRegression | None = None,
        examples: npt.NDArray[np.float32] | None = None,
        example_labels: npt.NDArray[np.int64] | None = None,
        min_similarity: float = MIN_SIMILARITY,
    ) -> None:
        self.concerns = concerns
        self._tfidf = tfidf
        self._embedder = embedder
        self._logreg = logreg
        self._examples = examples
        self._example_labels = example_labels
        self.min_similarity = min_similarity
        self._tfidf_order = self._order(tfidf.classes_)
        self._logreg_order = self._order(logreg.classes_) if logreg is not None else None

    @classmethod
    def train(
        cls,
        profile: BusinessProfile,
        embedder: TextEmbedder | None,
        *,
        min_similarity: float = MIN_SIMILARITY,
    ) -> ConcernClassifier:
        """Fit on the profile's concerns; with ``embedder=None`` only the TF-IDF model is used.

        ``min_similarity=0`` turns both similarity gates off (the benchmark's threshold sweep).
        """
        texts, labels = training_set(profile)
        concerns = tuple(c.id for c in profile.concerns)
        if len(concerns) == 1:  # nothing to choose between; still gate empty/foreign/nonsense text
            texts, labels = [*texts, ""], [*labels, "\x00none"]
        tfidf = tfidf_logreg().fit(texts, labels)
        if embedder is None:
            return cls(concerns=concerns, tfidf=tfidf, min_similarity=min_similarity)
        vectors = embedder.embed(texts)
        logreg = LogisticRegression(C=LOGREG_C, max_iter=2000).fit(vectors, labels)
        index = {c: i for i, c in enumerate(concerns)}
        example_labels = np.array([index.get(label, -1) for label in labels], dtype=np.int64)
        return cls(
            concerns=concerns,
            tfidf=tfidf,
            embedder=embedder,
            logreg=logreg,
            examples=vectors,
            example_labels=example_labels,
            min_similarity=min_similarity,
        )

    def _order(self, classes: Any) -> npt.NDArray[np.int64]:
        """Column of each of ``self.concerns`` in a fitted model's ``classes_``."""
        position = {str(c): i for i, c in enumerate(classes)}
        return np.array([position[c] for c in self.concerns], dtype=np.int64)

    def predict(self, text: str) -> ConcernPrediction:
        """The concern ``text`` is about; ``concern`` is None when it cannot be placed."""
        clean = text.strip()
        if not clean:
            return self._unplaced("empty")
        if language := detect_non_english(clean):
            return self._unplaced(f"language:{language}")
        if is_nonsense(clean):
            return self._unplaced("nonsense")
        p_tfidf = self._tfidf.predict_proba([clean])[0][self._tfidf_order]
        if self._embedder is None or self._logreg is None or self._logreg_order is None:
            return self._result(p_tfidf / p_tfidf.sum(), similarity=0.0)
        assert self._examples is not None and self._example_labels is not None
        vector = self._embedder.embed([clean])
        p_logreg = self._logreg.predict_proba(vector)[0][self._logreg_order]
        cosines = self._examples @ vector[0]
        nearest = np.array(
            [
                np.sort(cosines[self._example_labels == i])[-NEIGHBOURS:].mean()
                for i in range(len(self.concerns))
            ],
            dtype=np.float64,
        )
        p_nearest = _softmax(nearest, NEIGHBOUR_TEMPERATURE)
        w_logreg, w_nearest, w_tfidf = WEIGHTS
        combined = w_logreg * p_logreg + w_nearest * p_nearest + w_tfidf * p_tfidf
        similarity = float(cosines.max())
        result = self._result(combined / combined.sum(), similarity=similarity)
        weak = similarity < max(self.min_similarity, WEAK_SIMILARITY) and result.score < MIN_SCORE
        if similarity < self.min_similarity or (self.min_similarity > 0 and weak):
            return ConcernPrediction(None, result.score, result.ranked, similarity, "low_similarity")
        return result

    def _result(self, probabilities: Probabilities, *, similarity: float) -> ConcernPrediction:
        order = np.argsort(-probabilities, kind="stable")
        ranked = tuple((self.concerns[i], round(float(probabilities[i]), 4)) for i in order)
        return ConcernPrediction(ranked[0][0], ranked[0][1], ranked, similarity)

    def _unplaced(self, reason: str) -> ConcernPrediction:
        return ConcernPrediction(None, 0.0, (), 0.0, reason)
