"""The HTTP side: a FastAPI app built by :func:`receptionist.web.app.create_app` (nothing happens at import).

- ``agent_routes``: the agent API under ``/api/agent`` (log in/out, pause, ready, offers, calls, notes,
  live queues); ``agent_socket``: the agent's WebSocket, which pushes offers and queue changes.
- ``auth``: bearer API tokens against the agents file; ``errors``: one JSON shape for every error;
  ``limits``: request size; ``schemas``: what goes over the wire.
"""
