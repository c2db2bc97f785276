"""Automatic call distribution: queues, human agents, strategies, timers, warm transfer and statistics."""
