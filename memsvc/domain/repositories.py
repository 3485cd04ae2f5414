"""Repository protocols: what a unit of work hands out. One SQL implementation serves SQLite
and PostgreSQL (`memsvc.stores`); the vector rows differ per dialect behind `Vectors`.
Services and retrievers see only these."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from memsvc.domain.filters import UnitFilter
from memsvc.domain.jobs import Job
from memsvc.domain.queries import HistoryEntry, Page
from memsvc.domain.scopes import ScopeSummary
from memsvc.domain.units import MemoryUnit, Scope, Status
from memsvc.domain.vectors import VectorChanges


class Units(Protocol):
    """Memory units of one tenancy (every query carries the tenant)."""

    tenant_id: str

    def add(self, unit: MemoryUnit, dedupe_key: str | None = None) -> int:
        """Insert a unit with its provenance edges; returns its sequence number."""
        ...

    def add_many(self, units: Sequence[MemoryUnit], dedupe_keys: Sequence[str | None]) -> list[int]:
        """Insert new units in one statement (the write path's bulk case); their seqs in order."""
        ...

    def save(self, unit: MemoryUnit) -> int:
        """Write the unit's mutable fields (and provenance edges) onto its row."""
        ...

    def record_access(self, counts: dict[int, int], when: datetime) -> None:
        """Add `counts[seq]` retrievals to each unit and stamp the time (no new version: access"""
        ...

    def free_dedupe_keys(self, unit_ids: Collection[str]) -> None:
        """Forget the idempotency keys of deleted units, so the same message can be stored"""
        ...

    def remove_many(self, unit_ids: Collection[str]) -> None:
        """Delete the rows themselves (a scope purge): their provenance edges both ways go"""
        ...

    def remove(self, unit_id: str) -> int:
        """Delete the row itself (hard delete); edges and vectors go with it by cascade."""
        ...

    def get(self, unit_id: str) -> MemoryUnit: ...

    def seq_of(self, unit_id: str) -> int: ...

    def get_many(self, unit_ids: Iterable[str]) -> dict[str, MemoryUnit]: ...

    def by_seqs(self, seqs: Iterable[int]) -> dict[int, MemoryUnit]:
        """Units by seq, read with a Core query (no ORM identity map): the search hot path."""
        ...

    def turns_of_sessions(
        self, user_id: str | None, session_ids: Collection[str], statuses: Collection[Status]
    ) -> dict[str, list[int]]:
        """session id -> seqs of its turns in the given states, in conversation order."""
        ...

    def texts_and_sources(self, seqs: Iterable[int]) -> dict[int, tuple[str, list[str]]]:
        """seq -> (content, source ids) of each unit: all key expansion needs."""
        ...

    def turn_directory(
        self, user_id: str | None
    ) -> list[tuple[int, str | None, int, int, str | None, str | None]]:
        """(seq, session id, position, content length, role, speaker) of every turn of the"""
        ...

    def sessions_of(self, seqs: Iterable[int]) -> dict[int, str | None]:
        """seq -> session id of each unit."""
        ...

    def seqs_of(self, unit_ids: Iterable[str], where: UnitFilter | None = None) -> dict[str, int]:
        """id -> seq of the given units (those matching `where`, when given)."""
        ...

    def by_dedupe_keys(self, keys: Iterable[str]) -> dict[str, MemoryUnit]: ...

    def replaced_by(self, unit_ids: Collection[str]) -> dict[str, list[MemoryUnit]]:
        """unit id -> the units it superseded (closed values of the same slot), oldest first."""
        ...

    def find(self, where: UnitFilter, limit: int | None = None) -> list[MemoryUnit]: ...

    def relations_of(self, entity_id: str, end: str) -> list[MemoryUnit]:
        """Active relations whose `end` ("source_id" or "target_id") is the entity."""
        ...

    def seqs(self, where: UnitFilter) -> list[int]:
        """Sequence numbers of the matching units (for vector allow/deny lists)."""
        ...

    def seqs_by_granularity(self, where: UnitFilter) -> dict[str, list[int]]:
        """granularity -> seqs of the matching units."""
        ...

    def count(self, where: UnitFilter) -> int: ...

    def count_by(self, where: UnitFilter) -> dict[tuple[str, str], int]:
        """(granularity, status) -> number of matching units (memory health statistics)."""
        ...

    def count_since(self, where: UnitFilter, since: datetime | None) -> int:
        """Matching units created after `since` (all of them when None): threshold triggers."""
        ...

    def page(self, where: UnitFilter, cursor: str | None, limit: int) -> Page:
        """Newest first; the cursor is opaque and continues after the last item."""
        ...

    def sources_of(self, unit_ids: Iterable[str]) -> dict[str, list[str]]:
        """unit id -> ids it was derived from."""
        ...

    def derived_from(self, unit_ids: Iterable[str]) -> dict[str, list[str]]:
        """source id -> ids of units derived from it."""
        ...


class History(Protocol):
    """Every change of a unit, in the tenant's scope."""

    def add(self, entry: HistoryEntry) -> None: ...

    def scrub(self, unit_id: str) -> None:
        """Remove the text and attributes from every past state of a unit (for purges)."""
        ...

    def scrub_many(self, unit_ids: Collection[str]) -> int:
        """`scrub` for many units; returns how many entries were rewritten."""
        ...

    def remove_many(self, unit_ids: Collection[str]) -> int:
        """Delete every history entry of these units; returns how many."""
        ...

    def for_unit(self, unit_id: str) -> list[HistoryEntry]: ...

    def for_job(self, job_id: str) -> list[HistoryEntry]: ...


class Jobs(Protocol):
    """The tenant's jobs (rows with status, progress and counts)."""

    def add(self, job: Job) -> None: ...

    def get(self, job_id: str) -> Job: ...

    def list(
        self, kind: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[Job]: ...

    def last_of_kind(self, kind: str, scope: Scope) -> Job | None: ...

    def remove_for_scope(self, scope: Scope) -> int:
        """Delete the jobs of a scope and of every narrower scope inside it (a scope purge);"""
        ...

    def annotate(self, job_id: str, counts: dict[str, Any]) -> Job:
        """Add entries to a job's counts (e.g. that a finished job was reverted)."""
        ...

    def cancel(self, job_id: str) -> Job: ...


class Scopes(Protocol):
    """The users and agents of one tenant."""

    def summaries(self, limit: int) -> list[ScopeSummary]:
        """Most recently active first; deleted units are not counted."""
        ...


class Vectors(Protocol):
    """Unit vectors in SQL, written inside the unit of work; per-partition version stamps."""

    def put(self, seq: int, partition: str, vector: np.ndarray) -> None:
        """Store (or replace) the vector of unit `seq` in `partition`."""
        ...

    def put_new(self, items: Sequence[tuple[int, str, np.ndarray]]) -> None:
        """Store the vectors of units that have none yet, (seq, partition, vector) each, in"""
        ...

    def drop(self, seqs: Iterable[int]) -> None: ...

    def get(self, seqs: Iterable[int]) -> dict[int, np.ndarray]:
        """Vectors of the tenant's units `seqs` (others' seqs read nothing)."""
        ...

    def partitions(self, user_id: str | None, granularity: str) -> list[str]:
        """The partitions a search over `granularity` covers: the user's, or (no user given)"""
        ...

    def versions(self, user_id: str | None) -> dict[str, int]:
        """partition -> version of every vector partition of the scope (the user's, or the
        tenant's), in one read: what a search's caches and the vector index check."""
        ...

    def finish(self) -> list[VectorChanges]:
        """The changes of this transaction, one per partition (take them just before commit)."""
        ...
