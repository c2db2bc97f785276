"""Placing a caller's concern, and finding FAQ entries: with a fake embedder (fast) and the real one."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from receptionist.brain.offline.classifier import ConcernClassifier, training_set
from receptionist.brain.offline.embedder import SentenceEmbedder, Vectors
from receptionist.brain.offline.faq import FaqMatcher, KeywordFaqMatcher, content_words
from receptionist.config.profile import BusinessProfile, FaqEntry, load_profile

EVAL_PROFILE = Path(__file__).resolve().parents[2] / "evals" / "profiles" / "concerns.yaml"

# A small garage, written for these tests.
GARAGE_CONCERNS = {
    "repair": [
        "my car makes a grinding noise when I brake",
        "the engine warning light came on",
        "my van won't start in the mornings",
        "the air conditioning blows warm air",
    ],
    "booking": [
        "I want to book my car in for a service",
        "can I move my MOT to next Friday",
        "do you have any slots this week for a tyre change",
        "I need to cancel tomorrow's appointment",
    ],
    "invoice": [
        "I think I was overcharged on my invoice",
        "can you send me a copy of the receipt",
        "how much do I owe for the last repair",
        "I'd like to pay my outstanding balance",
    ],
}


def make_profile(concerns: dict[str, list[str]], faq: Sequence[dict[str, Any]] = ()) -> BusinessProfile:
    """A valid profile with the given concerns (id -> examples) and FAQ entries."""
    return BusinessProfile.model_validate(
        {
            "tenant_id": "test-garage",
            "name": "Test Garage",
            "country": "GB",
            "timezone": "Europe/London",
            "greeting": "Hello, you're through to Test Garage's automated assistant.",
            "after_hours_greeting": "We're closed; this is Test Garage's automated assistant.",
            "concerns": [
                {
                    "id": cid,
                    "description": f"callers about {cid}",
                    "examples": ex,
                    "handling": {"action": "message"},
                }
                for cid, ex in concerns.items()
            ],
            "faq": list(faq),
        }
    )


class HashingEmbedder:
    """A deterministic stand-in for the sentence model: hashed, L2-normalised bags of words."""

    def __init__(self, dim: int = 4096) -> None:
        self.dim = dim
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z']+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


# -- the classifier without the model -------------------------------------------------------------


@pytest.fixture(scope="module")
def garage() -> BusinessProfile:
    return make_profile(GARAGE_CONCERNS)


def test_training_set_is_examples_plus_descriptions(garage: BusinessProfile) -> None:
    texts, labels = training_set(garage)
    assert len(texts) == len(labels) == 15
    assert labels.count("repair") == 5
    assert "callers about invoice" in texts


@pytest.mark.parametrize("embedder", [None, HashingEmbedder()], ids=["tfidf-only", "fake-embedder"])
@pytest.mark.parametrize(
    ("text", "concern"),
    [
        ("there's a grinding noise from the brakes", "repair"),
        ("I'd like to book a service for my car", "booking"),
        ("I was overcharged, the invoice is wrong", "invoice"),
    ],
)
def test_places_clear_requests(
    garage: BusinessProfile, embedder: HashingEmbedder | None, text: str, concern: str
) -> None:
    prediction = ConcernClassifier.train(garage, embedder).predict(text)
    assert prediction.concern == concern
    assert prediction.unplaced is None


def test_ranked_lists_every_concern_best_first(garage: BusinessProfile) -> None:
    prediction = ConcernClassifier.train(garage, HashingEmbedder()).predict("my engine light is on")
    ids = [c for c, _ in prediction.ranked]
    scores = [s for _, s in prediction.ranked]
    assert sorted(ids) == sorted(GARAGE_CONCERNS)
    assert scores == sorted(scores, reverse=True)
    assert prediction.score == scores[0]
    assert sum(scores) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Quisiera reservar una cita para mi coche", "language:Spanish"),
        ("车坏了", "language:Chinese"),
        ("asdkjh qwpoe zmxncb", "nonsense"),
        ("um uh", "nonsense"),
    ],
)
def test_cannot_place_empty_foreign_or_nonsense_text(garage: BusinessProfile, text: str, reason: str) -> None:
    embedder = HashingEmbedder()
    classifier = ConcernClassifier.train(garage, embedder)
    calls = embedder.calls
    prediction = classifier.predict(text)
    assert prediction.concern is None
    assert prediction.unplaced == reason
    assert prediction.ranked == ()
    assert embedder.calls == calls  # gated before any inference


def test_cannot_place_text_far_from_every_example(garage: BusinessProfile) -> None:
    prediction = ConcernClassifier.train(garage, HashingEmbedder()).predict("purple elephants juggle quietly")
    assert prediction.concern is None
    assert prediction.unplaced == "low_similarity"
    assert prediction.similarity < 0.15
    assert len(prediction.ranked) == 3  # still scored, for whoever wants to ask "did you mean...?"


def test_a_single_concern_profile_still_works() -> None:
    only = make_profile({"message": ["please take a message", "I'd like to leave a message for the owner"]})
    for embedder in (None, HashingEmbedder()):
        classifier = ConcernClassifier.train(only, embedder)
        assert classifier.predict("can I leave a message").concern == "message"
        assert classifier.predict("").concern is None


# -- the real model -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_classifier() -> ConcernClassifier:
    return ConcernClassifier.train(load_profile(EVAL_PROFILE), SentenceEmbedder.shared())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "concern"),
    [
        ("hello, I was hoping to find out what the family plan costs", "sales"),
        ("my login stopped working after I changed phones", "support"),
        ("why is there an extra twelve dollars on this month's statement", "billing"),
        ("the parcel I ordered last week still hasn't shown up", "after_sales"),
        ("could I come in on Wednesday at ten instead of Tuesday", "appointment"),
        ("I'd like to speak to an actual human being", "human_request"),
        ("I am absolutely furious about how rude your engineer was", "complaint"),
        ("do you have a branch near the airport", "other"),
    ],
)
def test_real_model_places_requests_it_was_not_trained_on(
    real_classifier: ConcernClassifier, text: str, concern: str
) -> None:
    assert real_classifier.predict(text).concern == concern


@pytest.mark.slow
@pytest.mark.parametrize("text", ["", "qwerty qwerty", "Bitte rufen Sie mich zurück", "blorp snazzle frink"])
def test_real_model_leaves_junk_unplaced(real_classifier: ConcernClassifier, text: str) -> None:
    assert real_classifier.predict(text).concern is None


@pytest.mark.slow
def test_real_model_predicts_the_same_from_many_threads(real_classifier: ConcernClassifier) -> None:
    texts = [f"I need to reschedule my visit number {i}" for i in range(24)] + ["refund please"] * 8
    expected = [real_classifier.predict(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(real_classifier.predict, texts))
    assert [g.concern for g in got] == [e.concern for e in expected]
    assert [g.score for g in got] == pytest.approx([e.score for e in expected], abs=1e-4)


# -- FAQ ------------------------------------------------------------------------------------------

FAQ = [
    {"question": "What are your opening hours?", "answer": "8 to 6.", "phrasings": ["When are you open"]},
    {"question": "Where can I park?", "answer": "Behind the shop.", "phrasings": ["Is there parking nearby"]},
    {"question": "Do you fix electric cars?", "answer": "Yes.", "phrasings": ["Can you service an EV"]},
]


@pytest.fixture(scope="module")
def faq_entries() -> list[FaqEntry]:
    return list(make_profile(GARAGE_CONCERNS, FAQ).faq)


def test_keyword_matcher_finds_the_entry_by_shared_words(faq_entries: list[FaqEntry]) -> None:
    matcher = KeywordFaqMatcher(faq_entries)
    hit = matcher.search("what time are you open on saturdays")
    assert hit is not None and hit[0].question == "What are your opening hours?"
    hit = matcher.search("is there any parking?")
    assert hit is not None and hit[0].question == "Where can I park?" and hit[1] == pytest.approx(1.0)
    assert matcher.search("what?") is None  # only function words
    assert KeywordFaqMatcher([]).search("when are you open") is None


def test_content_words_drop_function_words_and_stem() -> None:
    assert content_words("Are you opening on Sundays?") == {"open", "sunday"}


def test_embedding_matcher_scores_the_best_phrasing(faq_entries: list[FaqEntry]) -> None:
    embedder = HashingEmbedder()
    matcher = FaqMatcher(faq_entries, embedder)
    built = embedder.calls
    hit = matcher.search("can you service an EV")
    assert hit is not None
    assert hit[0].question == "Do you fix electric cars?"
    assert hit[1] == pytest.approx(1.0, abs=1e-5)
    assert embedder.calls == built + 1  # entries were embedded once, at construction
    assert matcher.search("  ") is None
    assert FaqMatcher([], embedder).search("anything") is None


@pytest.mark.slow
def test_embedding_matcher_with_the_real_model(faq_entries: list[FaqEntry]) -> None:
    matcher = FaqMatcher(faq_entries, SentenceEmbedder.shared())
    hit = matcher.search("what time do you shut today")
    assert hit is not None and hit[0].question == "What are your opening hours?"
    assert hit[1] >= 0.55  # CallTools' default threshold
    hit = matcher.search("is there somewhere to leave my car")
    assert hit is not None and hit[0].question == "Where can I park?"
    unrelated = matcher.search("my brother-in-law sings in a choir")
    assert unrelated is None or unrelated[1] < 0.55
