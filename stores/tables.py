"""SQLAlchemy tables. ORM rows never leave `memsvc.stores`: repositories map them to domain types.

The schema itself is created and changed only by the Alembic migrations in `migrations/`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid); PostgreSQL wants BIGINT.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every dialect (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class UnitRow(Base):
    __tablename__ = "memory_units"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(256))
    agent_id: Mapped[str | None] = mapped_column(String(256))
    session_id: Mapped[str | None] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    granularity: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime | None]
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_accessed_at: Mapped[datetime | None]
    access_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    importance: Mapped[float] = mapped_column(Float, default=0.5)
    strength: Mapped[float] = mapped_column(Float, default=1.0)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    superseded_by: Mapped[str | None] = mapped_column(String(36))
    origin: Mapped[str] = mapped_column(String(16))
    producer: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    actor: Mapped[str | None] = mapped_column(String(64))
    # Denormalised copy of the unit's provenance edges (unit_sources is the indexed form).
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Idempotency key of a write (hash of scope + client id or content); unique per tenant.
    dedupe_key: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_units_dedupe", "tenant_id", "dedupe_key", unique=True),
        Index("ix_units_scope", "tenant_id", "user_id", "granularity", "status"),
        Index("ix_units_session", "tenant_id", "session_id", "granularity"),
        Index("ix_units_occurred", "tenant_id", "granularity", "occurred_at"),
        # A user's units in a time window (a search with a time expression); migration 0006.
        Index("ix_units_user_occurred", "tenant_id", "user_id", "granularity", "occurred_at"),
    )


class UnitSourceRow(Base):
    """Provenance edge: `unit_id` was derived from `source_id`."""

    __tablename__ = "unit_sources"

    unit_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("memory_units.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(128))

    __table_args__ = (Index("ix_sources_source", "tenant_id", "source_id"),)


class UnitVectorRow(Base):
    """The unit's embedding. The source of truth any vector index is rebuilt from."""

    __tablename__ = "unit_vectors"

    seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("memory_units.seq", ondelete="CASCADE"), primary_key=True
    )
    partition: Mapped[str] = mapped_column(String(512))
    # The partition version that wrote this vector: lets an index catch up incrementally.
    version: Mapped[int] = mapped_column(BigInteger)
    model: Mapped[str] = mapped_column(String(128))
    # SQLite: float32 bytes (FAISS reads them). PostgreSQL keeps NULL here and the vector in
    # the pgvector column `embedding` that migration 0005 adds (stores/pgvector.py maps it).
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_vectors_partition", "partition", "version"),)


class VectorPartitionRow(Base):
    """A version counter per vector partition, bumped in every transaction that changes it."""

    __tablename__ = "vector_partitions"

    partition: Mapped[str] = mapped_column(String(512), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(256))
    granularity: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_partitions_tenant", "tenant_id", "granularity"),)


class MetaRow(Base):
    """Key/value facts about this store, such as its instance id (to tell a recreated database
    from the one an on-disk index was built from)."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class HistoryRow(Base):
    __tablename__ = "unit_history"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_history_unit", "tenant_id", "unit_id", "created_at"),
        Index("ix_history_job", "tenant_id", "job_id"),
    )


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="writer")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # A key narrowed to one user and/or agent reaches only their memories.
    user_id: Mapped[str | None] = mapped_column(String(256))
    agent_id: Mapped[str | None] = mapped_column(String(256))


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Which runner holds a running job, and when it last said so (stale -> requeued).
    worker: Mapped[str | None] = mapped_column(String(64))
    heartbeat_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_jobs_status", "status", "created_at"),
        Index("ix_jobs_tenant", "tenant_id", "kind", "created_at"),
    )
