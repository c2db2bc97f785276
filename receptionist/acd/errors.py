"""What can go wrong in the ACD, as types. ``retryable`` says whether trying again may succeed."""

from __future__ import annotations


class AcdError(Exception):
    """Base of every ACD failure."""

    retryable: bool = False


class InvalidConfig(AcdError, ValueError):
    """A queue or agent configuration that cannot work (bad id, negative timeout, overflow to itself...)."""


class UnknownQueue(AcdError, LookupError):
    """No queue with that (tenant, name)."""


class UnknownAgent(AcdError, LookupError):
    """No agent with that id."""


class UnknownCall(AcdError, LookupError):
    """No live call with that id."""


class DuplicateCall(AcdError):
    """A call with that id is already in the ACD."""


class IllegalTransition(AcdError):
    """The agent's state does not allow the action (e.g. pausing while on a call)."""

    def __init__(self, agent_id: str, state: str, action: str) -> None:
        super().__init__(f"agent {agent_id!r} cannot {action} while {state}")
        self.agent_id = agent_id
        self.state = state
        self.action = action


class IllegalCallState(AcdError):
    """The call's state does not allow the action (e.g. completing a call nobody answered)."""

    def __init__(self, call_id: str, state: str, action: str) -> None:
        super().__init__(f"call {call_id!r} cannot {action} while {state}")
        self.call_id = call_id
        self.state = state
        self.action = action


class StaleOffer(AcdError):
    """The offer is no longer open: it expired, was withdrawn, or another agent took the call."""

    def __init__(self, agent_id: str, offer_id: str, reason: str) -> None:
        super().__init__(f"offer {offer_id!r} to agent {agent_id!r} is {reason}")
        self.agent_id = agent_id
        self.offer_id = offer_id
        self.reason = reason


class StoreUnavailable(AcdError):
    """The shared store (Redis) could not be reached; the operation did not happen or its result is unknown."""

    retryable = True
