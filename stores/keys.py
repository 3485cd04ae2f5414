"""API keys, stored as SHA-256 hashes and bound to one tenant, with a role and optionally
narrowed to one user or agent. Looking a key up is how a request gets its tenant, so `resolve`
takes no tenant; listing and revoking over the API are confined to the caller's tenant."""

from __future__ import annotations

import hashlib
import secrets

from memsvc.stores.tables import ApiKeyRow
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from memsvc.domain import NotFoundError, ValidationError, new_id, utcnow
from memsvc.domain.auth import ROLES, ApiKey, NewKey, Role

KEY_PREFIX = "msk_"


def hash_key(raw: str) -> str:
    # Keys are 256-bit random tokens, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class KeyRepository:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def create(self, new: NewKey) -> tuple[ApiKey, str]:
        """Create a key; returns it with the raw secret, which is never stored or shown again."""
        if new.role not in ROLES:
            raise ValidationError(f"role must be one of {', '.join(ROLES)}", field="role")
        if new.role == "admin" and (new.user_id or new.agent_id):
            raise ValidationError("an admin key acts for the whole tenant", field="role")
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKeyRow(
            id=new_id(),
            tenant_id=new.tenant_id,
            name=new.name,
            prefix=raw[:12],
            key_hash=hash_key(raw),
            role=new.role,
            created_at=utcnow(),
            user_id=new.user_id,
            agent_id=new.agent_id,
        )
        with self._sessions() as session, session.begin():
            session.add(row)
        return _to_key(row), raw

    def resolve(self, raw: str) -> ApiKey | None:
        """The active key for a raw secret, or None (read each time: revocation is at once)."""
        with self._sessions() as session:
            row = session.scalars(
                select(ApiKeyRow).where(
                    ApiKeyRow.key_hash == hash_key(raw), ApiKeyRow.revoked_at.is_(None)
                )
            ).one_or_none()
            return _to_key(row) if row else None

    def any_active(self) -> bool:
        with self._sessions() as session:
            count = session.scalar(
                select(func.count()).select_from(ApiKeyRow).where(ApiKeyRow.revoked_at.is_(None))
            )
            return bool(count)

    def list(self, tenant_id: str | None = None) -> list[ApiKey]:
        stmt = select(ApiKeyRow).order_by(ApiKeyRow.created_at)
        if tenant_id:
            stmt = stmt.where(ApiKeyRow.tenant_id == tenant_id)
        with self._sessions() as session:
            return [_to_key(r) for r in session.scalars(stmt)]

    def revoke(self, key_id: str, tenant_id: str | None = None) -> ApiKey:
        """Revoke a key (of `tenant_id` only, when given: another tenant's key is 404)."""
        with self._sessions() as session, session.begin():
            row = session.get(ApiKeyRow, key_id)
            if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
                raise NotFoundError(f"no API key with id {key_id!r}", field="id")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _to_key(row)


def _to_key(row: ApiKeyRow) -> ApiKey:
    role: Role = row.role if row.role in ROLES else "reader"
    return ApiKey(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        prefix=row.prefix,
        role=role,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        user_id=row.user_id,
        agent_id=row.agent_id,
    )
