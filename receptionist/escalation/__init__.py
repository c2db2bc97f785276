"""When to hand a call to a human, what the human is told, and how the call is summarised."""
