"""Prompt texts live in ``prompts/``, one file each; this is the one way they are loaded."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

#: The repository's prompts folder (an installed wheel would carry them as package data).
DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


class PromptError(ValueError):
    """A prompt file is missing or malformed."""


def load_text(name: str, prompts_dir: Path = DEFAULT_PROMPTS_DIR) -> str:
    path = prompts_dir / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise PromptError(f"{path}: cannot read prompt: {e}") from e


@dataclass(frozen=True)
class Replies:
    """Templated replies of the offline brain, keyed by situation."""

    variants: dict[str, tuple[str, ...]]

    def say(self, key: str, turn: int = 0, **values: object) -> str:
        options = self.variants.get(key)
        if not options:
            raise PromptError(f"offline_replies.yaml has no reply for {key!r}")
        return options[turn % len(options)].format(**values).strip()


@cache
def load_replies(prompts_dir: Path = DEFAULT_PROMPTS_DIR, name: str = "offline_replies.yaml") -> Replies:
    """A file of templated replies (``offline_replies.yaml``, ``hold_announcements.yaml``)."""
    path = prompts_dir / name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise PromptError(f"{path}: {e}") from e
    if not isinstance(raw, dict) or not all(
        isinstance(v, list) and v and all(isinstance(s, str) for s in v) for v in raw.values()
    ):
        raise PromptError(f"{path}: expected a mapping of key -> list of strings")
    return Replies({str(k): tuple(v) for k, v in raw.items()})
