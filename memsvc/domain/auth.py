"""Who is calling and what they may touch: roles, and keys narrowed to one user or agent.

A `Tenancy` is what every unit of work is confined to: always a tenant, and for a key
restricted to a user or an agent, that user or agent too. Stores add it to every query, so a
narrowed key cannot reach another user's memories even through an id it guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from memsvc.domain.errors import ForbiddenError
from memsvc.domain.units import Scope

Role = Literal["admin", "writer", "reader"]
ROLES: tuple[Role, ...] = ("reader", "writer", "admin")  # each may do what the ones before may


@dataclass(frozen=True, slots=True)
class Tenancy:
    """The rows a unit of work may read or write: one tenant, optionally one user and/or agent."""

    tenant_id: str
    user_id: str | None = None
    agent_id: str | None = None

    def admits(self, scope: Scope) -> bool:
        """Whether a unit of `scope` lies inside this tenancy."""
        return (
            scope.tenant_id == self.tenant_id
            and (self.user_id is None or scope.user_id == self.user_id)
            and (self.agent_id is None or scope.agent_id == self.agent_id)
        )


# Services take either a bare tenant id (embedded callers, jobs) or a narrowed tenancy.
TenantRef = str | Tenancy


def as_tenancy(tenant: TenantRef) -> Tenancy:
    return tenant if isinstance(tenant, Tenancy) else Tenancy(tenant)


def tenant_id_of(tenant: TenantRef) -> str:
    return tenant.tenant_id if isinstance(tenant, Tenancy) else tenant


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: the tenant every query is scoped to, the key (the actor), its role, and the
    user or agent the key is restricted to (None: the whole tenant)."""

    tenant_id: str
    key_id: str | None = None
    role: Role = "admin"
    user_id: str | None = None
    agent_id: str | None = None

    @property
    def tenancy(self) -> Tenancy:
        return Tenancy(self.tenant_id, self.user_id, self.agent_id)

    def require(self, role: Role) -> None:
        """Raise ForbiddenError unless this caller's role includes `role`."""
        if ROLES.index(self.role) < ROLES.index(role):
            raise ForbiddenError(f"this API key has role {self.role!r}; this action needs {role!r}")

    def scope(
        self,
        user_id: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
    ) -> Scope:
        """The scope of a request: a restricted key fills in its user or agent, and refuses
        another one."""
        return Scope(
            self.tenant_id,
            _narrowed("user_id", user_id, self.user_id),
            _narrowed("agent_id", agent_id, self.agent_id),
            session_id,
        )


def _narrowed(field: str, asked: str | None, allowed: str | None) -> str | None:
    if allowed is None:
        return asked
    if asked is not None and asked != allowed:
        raise ForbiddenError(f"this API key is restricted to {field} {allowed!r}", field=field)
    return allowed


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    tenant_id: str
    name: str | None
    prefix: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None
    user_id: str | None = None
    agent_id: str | None = None

    def principal(self) -> Principal:
        return Principal(self.tenant_id, self.id, self.role, self.user_id, self.agent_id)


@dataclass(frozen=True, slots=True)
class NewKey:
    """What a new key is for: its tenant, role, and the user or agent it is narrowed to."""

    tenant_id: str
    role: Role = "writer"
    name: str | None = None
    user_id: str | None = None
    agent_id: str | None = None
