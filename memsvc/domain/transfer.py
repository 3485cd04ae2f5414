"""Moving memory between deployments: what an export holds per unit, and what an import did.

An export is a header and one item per unit: the unit (scope, content, attributes, times,
lifecycle, provenance), its idempotency key and its history. Vectors are not part of it:
they are derived from the text, and the importing deployment embeds it with its own model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from memsvc.domain.queries import HistoryEntry
from memsvc.domain.units import MemoryUnit, Scope


@dataclass(slots=True)
class TransferItem:
    """One unit as an export carries it. `key` is the unit's idempotency key (the same
    message or fact stated again is not stored twice); `where` says where it was read
    ("line 3", "item 3"), for error messages."""

    unit: MemoryUnit
    key: str | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    where: str = ""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export covers, known before its first unit is read (the file's header)."""

    scope: Scope
    embedder: str
    units: int
    history: int


@dataclass(slots=True)
class ImportReport:
    """What an import did: `read` items, of which `created` were new and `skipped` were
    present already (by id: an import that is run again, or continued, skips them);
    `history` entries written; `key_clashes`: units stored without their idempotency key,
    because another unit here already holds it (the same message stored on both sides)."""

    read: int = 0
    created: int = 0
    skipped: int = 0
    history: int = 0
    key_clashes: int = 0

    def add(self, other: ImportReport) -> None:
        self.read += other.read
        self.created += other.created
        self.skipped += other.skipped
        self.history += other.history
        self.key_clashes += other.key_clashes
