"""Find the FAQ entry a caller's question is about (the :class:`~receptionist.brain.tools.FaqIndex`).

:class:`FaqMatcher` compares sentence embeddings: each entry is represented by its question and every
phrasing the owner wrote, and a question's score for an entry is its best cosine over those. The
vectors are computed once, when the matcher is built for a profile. :class:`KeywordFaqMatcher` needs
no model (content-word overlap) for tests and for environments without the embedder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from receptionist.brain.offline.embedder import TextEmbedder
from receptionist.brain.offline.language import wordset
from receptionist.config.profile import FaqEntry


def _texts(entry: FaqEntry) -> list[str]:
    return [entry.question, *entry.phrasings]


class FaqMatcher:
    """Embedding search over a profile's FAQ; ``search`` is safe to call from several threads."""

    def __init__(self, entries: Sequence[FaqEntry], embedder: TextEmbedder) -> None:
        self.entries = tuple(entries)
        self._embedder = embedder
        owners = [i for i, entry in enumerate(self.entries) for _ in _texts(entry)]
        texts = [t for entry in self.entries for t in _texts(entry)]
        self._owner = np.array(owners, dtype=np.int64)
        self._vectors = embedder.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)

    def search(self, question: str) -> tuple[FaqEntry, float] | None:
        """The best entry and its cosine (clipped to 0..1), or None with no entries or no question."""
        if not self.entries or not question.strip():
            return None
        cosines = self._vectors @ self._embedder.embed([question.strip()])[0]
        best = int(np.argmax(cosines))
        return self.entries[int(self._owner[best])], float(np.clip(cosines[best], 0.0, 1.0))


_STOP = wordset(
    "a an the i you we they he she it my your our their me us is are was were be been do does did can could "
    "would will should shall may might must have has had to of for on in at by with about from and or but "
    "if so what when where which who how why there this that these those please hi hello just like want "
    "know tell any some get"
)
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    """Lower-cased, crudely stemmed words of ``text`` without function words."""
    return frozenset(_stem(w) for w in _WORD.findall(text.lower().replace("'", "")) if w not in _STOP)


class KeywordFaqMatcher:
    """Content-word overlap (Dice coefficient, best over the question and its phrasings); no model."""

    def __init__(self, entries: Sequence[FaqEntry]) -> None:
        self.entries = tuple(entries)
        self._words = [[content_words(t) for t in _texts(entry)] for entry in self.entries]

    def search(self, question: str) -> tuple[FaqEntry, float] | None:
        asked = content_words(question)
        if not asked or not self.entries:
            return None
        best: tuple[FaqEntry, float] | None = None
        for entry, variants in zip(self.entries, self._words, strict=True):
            for words in variants:
                score = 2 * len(asked & words) / (len(asked) + len(words)) if words else 0.0
                if best is None or score > best[1]:
                    best = (entry, score)
        return best
