"""The brain as a LiveKit Agents ``llm.LLM``: an AgentSession (no room, text only) drives a real call."""

from __future__ import annotations

from pathlib import Path

import pytest
from livekit.agents import Agent, AgentSession

from receptionist.brain.livekit import BrainLLM
from tests.helpers import build

pytestmark = pytest.mark.slow


async def test_agent_session_drives_the_conversation(tmp_path: Path) -> None:
    rx = build(tmp_path)
    conv = rx.conversation("bright-smile-dental", channel="livekit")
    await conv.open()
    async with AgentSession(llm=BrainLLM(conv)) as session:
        await session.start(Agent(instructions="(the receptionist's brain holds its own instructions)"))
        result = await session.run(user_input="Hi, where exactly is your office?")
        result.expect.next_event().is_message(role="assistant")
        said = [e.item.text_content for e in result.events if e.type == "message"]
        assert any("120 Harbor Street" in (t or "") for t in said)
        result = await session.run(user_input="great, that's all, goodbye")
        assert any("Goodbye" in (e.item.text_content or "") for e in result.events if e.type == "message")
    assert conv.ended
    assert [t.role.value for t in conv.call.turns] == [
        "receptionist",
        "caller",
        "receptionist",
        "caller",
        "receptionist",
    ]
