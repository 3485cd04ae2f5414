"""The export file (JSON lines) and what an import reports.

Line 1 is an `ExportHeader`; every further line is an `ExportLine`: one unit with its
idempotency key and its history. Importers check every line against these models before
they write anything, so a malformed file is refused whole, with the line at fault named.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from memsvc import domain as d
from memsvc.domain.transfer import ExportSummary, ImportReport, TransferItem
from memsvc.schemas.types import (
    GranularityName,
    Id,
    JsonObject,
    RequestModel,
    StatusName,
    Time,
    plain_text,
)

FORMAT: Literal["memsvc-export"] = "memsvc-export"
VERSION = 1

UnitId = Annotated[str, StringConstraints(min_length=1, max_length=36), AfterValidator(plain_text)]
Short = Annotated[str, StringConstraints(max_length=64), AfterValidator(plain_text)]
OriginName = Literal["message", "import", "extraction", "consolidation", "compression", "api"]


class ExportScope(BaseModel):
    user_id: str | None = None
    agent_id: str | None = None
    session_id: str | None = None


class ExportCounts(BaseModel):
    units: int
    history: int


class ExportHeader(RequestModel):
    """The first line: what the file is and what it holds. `tenant_id` is where it was
    exported from; an import writes into the importer's tenant whatever this says."""

    format: Literal["memsvc-export"] = "memsvc-export"
    version: int = Field(VERSION, description="Format version; this memsvc reads 1.")
    memsvc: str = Field(description="The memsvc version that wrote the file.")
    exported_at: Time
    tenant_id: str
    scope: ExportScope
    embedder: str = Field(
        description="The exporting deployment's embedder (vectors are not exported)."
    )
    counts: ExportCounts

    @classmethod
    def of(cls, summary: ExportSummary, version: str, at: datetime) -> ExportHeader:
        s = summary.scope
        return cls(
            memsvc=version,
            exported_at=at,
            tenant_id=s.tenant_id,
            scope=ExportScope(user_id=s.user_id, agent_id=s.agent_id, session_id=s.session_id),
            embedder=summary.embedder,
            counts=ExportCounts(units=summary.units, history=summary.history),
        )


class HistoryRecord(RequestModel):
    id: UnitId
    version: int = Field(ge=1)
    operation: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    before: JsonObject | None = None
    after: JsonObject | None = None
    actor: Short | None = None
    reason: str | None = None
    job_id: UnitId | None = None
    created_at: Time

    @classmethod
    def from_domain(cls, entry: d.HistoryEntry) -> HistoryRecord:
        fields = {k: getattr(entry, k) for k in cls.model_fields}
        return cls.model_validate(fields)

    def to_domain(self, unit_id: str) -> d.HistoryEntry:
        return d.HistoryEntry(unit_id=unit_id, **self.model_dump())


class UnitRecord(RequestModel):
    """A memory unit as an export carries it (its tenant is the importer's)."""

    id: UnitId
    kind: Literal["episodic", "semantic", "graph", "procedural"]
    granularity: GranularityName
    content: str
    attributes: JsonObject = Field(default_factory=dict)
    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = None
    occurred_at: Time | None = None
    valid_from: Time | None = None
    valid_to: Time | None = None
    created_at: Time
    updated_at: Time
    last_accessed_at: Time | None = None
    access_count: int = Field(0, ge=0)
    status: StatusName = "active"
    importance: float = 0.5
    strength: float = 1.0
    pinned: bool = False
    version: int = Field(1, ge=1)
    superseded_by: UnitId | None = None
    sources: list[UnitId] = Field(default_factory=list)
    origin: OriginName = "api"
    producer: Short = "api"
    confidence: float = 1.0
    actor: Short | None = None
    key: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="Idempotency key: the same message or fact is not stored twice."
    )

    @classmethod
    def from_domain(cls, unit: d.MemoryUnit, key: str | None) -> UnitRecord:
        p, s = unit.provenance, unit.scope
        return cls(
            **{name: getattr(unit, name) for name in _UNIT_FIELDS},
            granularity=unit.granularity.value,
            status=unit.status.value,
            kind=unit.kind.value,
            user_id=s.user_id,
            agent_id=s.agent_id,
            session_id=s.session_id,
            sources=list(p.sources),
            origin=p.origin.value,
            producer=p.producer,
            confidence=p.confidence,
            actor=p.actor,
            key=key,
        )

    def to_domain(self, tenant_id: str) -> d.MemoryUnit:
        granularity = d.Granularity(self.granularity)
        if d.KIND_OF[granularity].value != self.kind:
            raise ValueError(f"a {self.granularity} unit is of kind {d.KIND_OF[granularity]}")
        return d.MemoryUnit(
            **{name: getattr(self, name) for name in _UNIT_FIELDS},
            granularity=granularity,
            status=d.Status(self.status),
            scope=d.Scope(tenant_id, self.user_id, self.agent_id, self.session_id),
            provenance=d.Provenance(
                sources=list(self.sources),
                origin=d.Origin(self.origin),
                producer=self.producer,
                confidence=self.confidence,
                actor=self.actor,
            ),
        )


# Fields a unit and its record share by name and type.
_UNIT_FIELDS = (
    "id",
    "content",
    "attributes",
    "occurred_at",
    "valid_from",
    "valid_to",
    "created_at",
    "updated_at",
    "last_accessed_at",
    "access_count",
    "importance",
    "strength",
    "pinned",
    "version",
    "superseded_by",
)  # granularity and status are enums inside, names outside: converted one by one


class ExportLine(RequestModel):
    """One unit of an export, with every change it went through."""

    unit: UnitRecord
    history: list[HistoryRecord] = Field(default_factory=list)

    @classmethod
    def from_domain(cls, item: TransferItem) -> ExportLine:
        return cls(
            unit=UnitRecord.from_domain(item.unit, item.key),
            history=[HistoryRecord.from_domain(e) for e in item.history],
        )

    def to_domain(self, tenant_id: str, where: str) -> TransferItem:
        unit = self.unit.to_domain(tenant_id)
        history = [h.to_domain(unit.id) for h in self.history]
        return TransferItem(unit, self.unit.key, history, where)


class ExportParams(BaseModel):
    """Which memories an export covers: a user's, an agent's, a session's (of a user, when
    given), or with none of them the whole tenant (or the whole of a narrowed key's scope)."""

    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = None


class ImportResult(BaseModel):
    """What an import did. Importing the same file again (or continuing one that stopped)
    skips the units present already, by id."""

    read: int = Field(description="Units read from the input.")
    created: int = Field(description="Units stored.")
    skipped: int = Field(description="Units already present (by id), left as they are.")
    history: int = Field(description="History entries written (each unit also gets 'import').")
    key_clashes: int = Field(
        description="Units stored without their idempotency key, which a unit here held."
    )

    @classmethod
    def from_domain(cls, report: ImportReport) -> ImportResult:
        return cls.model_validate(report, from_attributes=True)
