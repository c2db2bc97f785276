"""The repositories, in one import. Each lives in its own module; types in and out are plain records.

- :class:`TenantRepository` (``tenants.py``): the tenants themselves.
- :class:`CallRepository` (``call_repository.py``), :class:`MessageRepository` (``message_repository.py``):
  built for one tenant; every query they run filters on it.
- :class:`OutboxRepository` (``outbox.py``): the delivery worker's view across tenants.
"""

from receptionist.storage.call_repository import CallRepository
from receptionist.storage.errors import StorageError, UnknownCall, UnknownTenant
from receptionist.storage.message_repository import MessageRepository
from receptionist.storage.outbox import OutboxRepository
from receptionist.storage.tenants import TenantRepository

__all__ = [
    "CallRepository",
    "MessageRepository",
    "OutboxRepository",
    "StorageError",
    "TenantRepository",
    "UnknownCall",
    "UnknownTenant",
]
