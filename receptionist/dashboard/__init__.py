"""The owner's view of stored calls: pure services over storage (no web framework), one module each.

- :mod:`~receptionist.dashboard.calls`: the call list (filters, keyset pages) and one call in full.
- :mod:`~receptionist.dashboard.stats`: a tenant's figures over a period (calls and the queue log).
- :mod:`~receptionist.dashboard.queue_figures`: the queue log's figures for a period, in SQL.
- :mod:`~receptionist.dashboard.usage`: calls and billed minutes per tenant, for the provider.
- :mod:`~receptionist.dashboard.profiles`: business profiles edited on the dashboard, stored and versioned.
- :mod:`~receptionist.dashboard.periods`: tenant-local days as UTC instants.

Every function takes the :class:`~receptionist.storage.database.Database` and is synchronous: async
callers run them in a thread.
"""
