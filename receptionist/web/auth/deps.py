"""Route dependencies for the signed-in user. The authentication middleware
(:mod:`receptionist.web.auth.middleware`) puts the :class:`Principal` on ``request.state.principal``
(None for anonymous requests); routes declare what they need with these aliases.

Scoping rule: a tenant the principal may not read answers 404, exactly like a tenant that does not
exist, so ids leak nothing across tenants.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from starlette.requests import HTTPConnection

from receptionist.web.auth.principal import Principal, Role
from receptionist.web.errors import ApiError, not_found

TENANT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def optional_principal(connection: HTTPConnection) -> Principal | None:
    principal: Principal | None = getattr(connection.state, "principal", None)
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The signed-in user; 401 for anonymous requests."""
    if principal is None:
        raise ApiError(401, "sign in, or send an API token (Authorization: Bearer <token>)")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


def readable_tenant(
    principal: PrincipalDep,
    tenant_id: Annotated[str, Path(pattern=TENANT_ID_PATTERN)],
) -> str:
    """The ``{tenant_id}`` of the path, if this principal may read it; otherwise 404."""
    if not principal.reads_tenant(tenant_id):
        raise not_found("tenant")
    return tenant_id


TenantDep = Annotated[str, Depends(readable_tenant)]


def require_admin(principal: PrincipalDep) -> Principal:
    if principal.role is not Role.ADMIN:
        raise not_found("page")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]
