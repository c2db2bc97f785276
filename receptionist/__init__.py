"""receptionist: an AI receptionist that answers calls, takes messages and hands calls to human agents."""

__version__ = "0.1.0"
