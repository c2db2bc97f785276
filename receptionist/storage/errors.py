"""Failures storage reports as types, so callers can choose a policy without importing SQLAlchemy."""

from __future__ import annotations


class StorageError(Exception):
    """Base class of the errors below."""


class UnknownTenant(StorageError, LookupError):
    """No tenant with this id: upsert it (:class:`TenantRepository`) before storing its calls."""


class UnknownCall(StorageError, LookupError):
    """No call with this id in this tenant (it may exist in another one: that is none of our business)."""
