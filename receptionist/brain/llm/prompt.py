"""The system prompt: ``prompts/system.md`` filled in from one tenant's business profile.

Templates use ``$name`` placeholders (:class:`string.Template`); an unknown placeholder is an error
when the template is loaded, not in the middle of a call. Only owner-written profile text goes into
the system prompt: caller text reaches the model as ``user`` messages, never as instructions.
Nothing secret goes in either (no API keys, no VIP numbers, no recipients).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from string import Template

from receptionist.config.profile import BusinessProfile, HandlingAction

SYSTEM_PLACEHOLDERS = frozenset(
    {"business_name", "now", "open_now", "hours", "closures", "concerns", "faq", "emergency_instruction"}
)

_HANDLING = {
    HandlingAction.TRANSFER: "record it, then request_human; if nobody is available, offer to take a message",
    HandlingAction.MESSAGE: "record it, then take a message",
    HandlingAction.FAQ: "record it, answer from the FAQ or the hours; if you cannot, offer to take a message",
}


def load_template(prompts_dir: Path, name: str, placeholders: frozenset[str]) -> Template:
    """``prompts_dir/name``, checked to use only ``placeholders``."""
    path = prompts_dir / name
    try:
        template = Template(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"{path}: cannot read prompt: {e}") from e
    if not template.is_valid():
        raise ValueError(f"{path}: invalid '$' placeholder (write '$$' for a dollar sign)")
    unknown = sorted(set(template.get_identifiers()) - placeholders)
    if unknown:
        known = ", ".join(sorted(placeholders))
        raise ValueError(f"{path}: unknown placeholders {', '.join(unknown)}; known: {known}")
    return template


def render_system_prompt(template: Template, profile: BusinessProfile, now: datetime) -> str:
    """The system prompt for one call of ``profile``'s business at ``now``."""
    local = now.astimezone(profile.zone)
    return template.substitute(
        business_name=profile.name,
        now=f"{local:%A %d %B %Y, %H:%M} ({profile.timezone})",
        open_now="open" if profile.is_open(now) else "closed",
        hours=profile.hours_sentence(),
        closures=_closures(profile, now),
        concerns="\n".join(
            f"- {c.id}: {c.description.rstrip('.')}. Handling: {_HANDLING[c.handling.action]}."
            for c in profile.concerns
        ),
        faq="\n".join(f"- Q: {e.question}\n  A: {e.answer}" for e in profile.faq) or "(none)",
        emergency_instruction=profile.escalation.emergency_instruction,
    )


def _closures(profile: BusinessProfile, now: datetime, days: int = 30) -> str:
    today = now.astimezone(profile.zone).date()
    soon = [c for c in profile.closures if today <= c.date <= today + timedelta(days=days)]
    if not soon:
        return "none in the next 30 days"
    return "; ".join(f"{c.date:%A %d %B}: {c.reason}" for c in sorted(soon, key=lambda c: c.date))
