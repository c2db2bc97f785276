"""The in-process ACD store: the embedded default, one process, no services needed."""

from receptionist.acd.memory.store import MemoryStore

__all__ = ["MemoryStore"]
