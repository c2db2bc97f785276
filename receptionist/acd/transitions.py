"""The agent state machine: which action is legal in which state, and where it leads.

Both stores check every agent change against :data:`TRANSITIONS` (the Redis store's Lua script is given
the same table), so an illegal change is refused the same way everywhere, with :class:`IllegalTransition`.

```
LOGGED_OUT --login--> AVAILABLE --offer--> OFFERED --accept--> ON_CALL --complete--> WRAP_UP
                        ^   |                 | decline / no-answer / withdraw          |
                        |   +--pause--> PAUSED +--------> AVAILABLE (after a delay)      |
                        +---------------------------------------------- ready / timer --+
```
"""

from __future__ import annotations

from enum import StrEnum

from receptionist.acd.errors import IllegalTransition
from receptionist.acd.model import AgentState


class AgentAction(StrEnum):
    LOGIN = "login"
    LOGOFF = "logoff"
    PAUSE = "pause"
    UNPAUSE = "unpause"
    READY = "ready"  # wrap-up ends (the agent says so, or its timer runs out)
    OFFER = "offer"
    ACCEPT = "accept"
    DECLINE = "decline"
    NO_ANSWER = "no_answer"
    WITHDRAW = "withdraw"  # another agent took the call, or the caller left
    COMPLETE = "complete"  # the call ended or was transferred on


S = AgentState
A = AgentAction
TRANSITIONS: dict[tuple[AgentState, AgentAction], AgentState] = {
    (S.LOGGED_OUT, A.LOGIN): S.AVAILABLE,
    (S.AVAILABLE, A.LOGOFF): S.LOGGED_OUT,
    (S.AVAILABLE, A.PAUSE): S.PAUSED,
    (S.AVAILABLE, A.OFFER): S.OFFERED,
    (S.OFFERED, A.ACCEPT): S.ON_CALL,
    (S.OFFERED, A.DECLINE): S.AVAILABLE,
    (S.OFFERED, A.NO_ANSWER): S.AVAILABLE,
    (S.OFFERED, A.WITHDRAW): S.AVAILABLE,
    (S.ON_CALL, A.COMPLETE): S.WRAP_UP,
    (S.WRAP_UP, A.READY): S.AVAILABLE,
    (S.WRAP_UP, A.PAUSE): S.PAUSED,  # wrap-up ends, then the pause starts
    (S.WRAP_UP, A.LOGOFF): S.LOGGED_OUT,  # wrap-up ends, then the agent logs off
    (S.PAUSED, A.PAUSE): S.PAUSED,  # a new reason
    (S.PAUSED, A.UNPAUSE): S.AVAILABLE,
    (S.PAUSED, A.LOGOFF): S.LOGGED_OUT,
}


def transition(agent_id: str, state: AgentState, action: AgentAction) -> AgentState:
    """The state ``action`` leads to from ``state``; raises :class:`IllegalTransition` if it is not allowed."""
    after = TRANSITIONS.get((state, action))
    if after is None:
        raise IllegalTransition(agent_id, state.value, action.value)
    return after
