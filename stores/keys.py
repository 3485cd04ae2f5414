"""API keys, stored as SHA-256 hashes and bound to one tenant. Keys are system-level:
looking one up is how a request gets its tenant, so this repository takes no tenant."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from memsvc.stores.tables import ApiKeyRow
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from memsvc.domain import NotFoundError, new_id, utcnow

KEY_PREFIX = "msk_"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    tenant_id: str
    name: str | None
    prefix: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


def hash_key(raw: str) -> str:
    # Keys are 256-bit random tokens, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class KeyRepository:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def create(
        self, tenant_id: str, name: str | None = None, role: str = "writer"
    ) -> tuple[ApiKey, str]:
        """Create a key; returns it with the raw secret, which is never stored or shown again."""
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKeyRow(
            id=new_id(),
            tenant_id=tenant_id,
            name=name,
            prefix=raw[:12],
            key_hash=hash_key(raw),
            role=role,
            created_at=utcnow(),
        )
        with self._sessions() as session, session.begin():
            session.add(row)
        return _to_key(row), raw

    def resolve(self, raw: str) -> ApiKey | None:
        """The active key for a raw secret, or None."""
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

    def revoke(self, key_id: str) -> ApiKey:
        with self._sessions() as session, session.begin():
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFoundError(f"no API key with id {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _to_key(row)


def _to_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        prefix=row.prefix,
        role=row.role,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
