"""The orderings both stores share, as integers so Redis sorted sets and Python lists agree exactly.

*Calls* are ordered by ``arrival_ms - priority * ageing_ms``: a call's effective priority grows by one
level every ``ageing_s`` seconds it waits, so serving the highest effective priority first is the same as
serving the lowest of these scores, which never changes while the call waits. Without ageing, ``ageing_ms``
is so large that priority always wins and arrival order breaks ties. ``arrival_ms`` is the entry time made
monotonic per queue (``max(now, previous arrival)``): workers' clocks differ by a few milliseconds, and a
call must not overtake one that reached the store before it because its worker's clock was behind. Equal scores fall back to the member
string, which starts with the zero-padded arrival sequence number.

*Agents* in a queue are ordered by a score chosen by the queue's strategy (lowest first; equal scores by
agent id): longest idle and ring-all by the time they became idle, skills by penalty then idle time,
fewest calls by calls answered in the queue, round robin by the member's fixed position.
"""

from __future__ import annotations

from receptionist.acd.clock import seconds_to_ms
from receptionist.acd.config import QueueConfig, Strategy

NO_AGEING_MS = 10**13  # ~317 years: priority always dominates
PENALTY_WEIGHT = 10**13  # idle times in ms stay below this until the year 2286
MAX_OVERFLOW_HOPS = 3  # a call overflowed to another queue this often more goes to a message instead
RECENT_HANDLES = 20  # handle times kept per queue for wait estimates
ENDED_KEEP = 10_000  # ended calls the in-process store still answers questions about


def ageing_ms(config: QueueConfig) -> int:
    return NO_AGEING_MS if config.ageing_s is None else seconds_to_ms(config.ageing_s)


def call_score(entered_ms: int, priority: int, age_ms: int) -> int:
    return entered_ms - priority * age_ms


def call_member(seq: int, call_id: str) -> str:
    return f"{seq:015d}|{call_id}"


def call_id_of(member: str) -> str:
    return member[16:]


def agent_score(strategy: Strategy, *, idle_ms: int, penalty: int, answered: int, position: int) -> int:
    if strategy is Strategy.SKILLS:
        return penalty * PENALTY_WEIGHT + idle_ms
    if strategy is Strategy.FEWEST_CALLS:
        return answered
    if strategy is Strategy.ROUND_ROBIN:
        return position
    return idle_ms


def estimated_wait_s(
    *, waiting_position: int, available: int, staffed: int, avg_handle_s: float
) -> float | None:
    """Expected wait for a caller with ``waiting_position - 1`` calls waiting ahead (0 if already ringing):
    the calls (theirs included) that no free agent can take at once, worked off by the staffed agents at
    one call per average handle time each. None if nobody is staffed. Agents shared with other queues
    make this an optimistic estimate."""
    if waiting_position <= 0:
        return 0.0
    if staffed <= 0:
        return None
    ahead = waiting_position - available
    if ahead <= 0:
        return 0.0
    return round(ahead * avg_handle_s / staffed, 1)
