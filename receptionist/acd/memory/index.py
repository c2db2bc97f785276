"""A sorted set like Redis's: members ordered by integer score, then by member string."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort


class SortedIndex:
    """Members kept in (score, member) order; insert and remove are a bisect plus a memmove."""

    __slots__ = ("_keys", "_scores")

    def __init__(self) -> None:
        self._keys: list[tuple[int, str]] = []
        self._scores: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, member: str) -> bool:
        return member in self._scores

    def score(self, member: str) -> int | None:
        return self._scores.get(member)

    def add(self, member: str, score: int) -> None:
        old = self._scores.get(member)
        if old == score:
            return
        if old is not None:
            del self._keys[bisect_left(self._keys, (old, member))]
        self._scores[member] = score
        insort(self._keys, (score, member))

    def discard(self, member: str) -> bool:
        old = self._scores.pop(member, None)
        if old is None:
            return False
        del self._keys[bisect_left(self._keys, (old, member))]
        return True

    def first(self) -> tuple[int, str] | None:
        return self._keys[0] if self._keys else None

    def first_above(self, score: int) -> tuple[int, str] | None:
        """The first member whose score is strictly greater than ``score``."""
        i = bisect_right(self._keys, score, key=_score)
        return self._keys[i] if i < len(self._keys) else None

    def rank(self, member: str) -> int:
        """0-based position of ``member`` (which must be present)."""
        return bisect_left(self._keys, (self._scores[member], member))

    def members(self) -> list[str]:
        return [member for _, member in self._keys]

    def items(self) -> list[tuple[int, str]]:
        return list(self._keys)


def _score(key: tuple[int, str]) -> int:
    return key[0]
