"""After the call: deliver messages by webhook and email through a persistent outbox."""
