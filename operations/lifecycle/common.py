"""What the lifecycle jobs share: their parameters, batching with progress and pacing, and the
unit filters of a job's scope.

A job plans from a read snapshot, then applies the plan batch by batch, each batch in its own
transaction. Every batch re-reads the units it changes and skips those that moved on since the
plan (another writer, or an earlier attempt of the same job), so a job killed mid-run and run
again finishes the work without doing any of it twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import numpy as np

from memsvc.domain import Granularity, MemoryUnit, Scope, Status, ValidationError, utcnow
from memsvc.domain.filters import UnitFilter
from memsvc.domain.jobs import Job, JobContext
from memsvc.domain.ports import UnitOfWork
from memsvc.jobparams import MAX_PAUSE_S

T = TypeVar("T")
EXAMPLES = 10  # changes listed by name in a job's counts (dry runs especially)


@dataclass(frozen=True, slots=True)
class JobParams:
    """Parameters every lifecycle job understands (on top of its own).

    `batch_size`: units or groups per transaction. `pause_s`: a pause between batches, to
    throttle a big job (and, in tests, to kill one mid-run). `now`: the clock the job reads
    (ISO time), for what-if dry runs and tests of time-dependent policies."""

    batch_size: int
    pause_s: float = 0.0
    now: datetime = field(default_factory=utcnow)

    @classmethod
    def of(cls, job: Job, default_batch: int) -> JobParams:
        params = job.params
        batch = _number(params, "batch_size", default_batch, int)
        pause = _number(params, "pause_s", 0.0, float)
        if batch < 1 or not 0 <= pause <= MAX_PAUSE_S:
            raise ValidationError(f"batch_size must be >= 1 and pause_s in [0, {MAX_PAUSE_S}]")
        return cls(batch, pause, _when(params.get("now")))


def _number(params: dict[str, Any], name: str, default: T, kind: type) -> T:
    value = params.get(name, default)
    try:
        return kind(value)  # type: ignore[no-any-return,unused-ignore]
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"job parameter {name} must be a number", field=name) from exc


def _when(value: Any) -> datetime:
    if value is None:
        return utcnow()
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError("job parameter now must be an ISO time", field="now") from exc
    return when if when.tzinfo else when.replace(tzinfo=utcnow().tzinfo)


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


class Progress:
    """Reports progress between batches (which is where a cancelled job stops) and pauses
    when the job asks to be throttled."""

    def __init__(self, ctx: JobContext, params: JobParams, counts: dict[str, Any]) -> None:
        self._ctx = ctx
        self._pause = params.pause_s
        self.counts = counts

    def step(self, fraction: float) -> None:
        """After a committed batch: pause (if throttled), then report, so that a job
        cancelled during the pause stops before its next batch."""
        if self._pause:
            time.sleep(self._pause)
        self._ctx.report(min(max(fraction, 0.0), 1.0), self.counts)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def example(self, item: dict[str, Any]) -> None:
        listed = self.counts.setdefault("examples", [])
        if len(listed) < EXAMPLES:
            listed.append(item)


def scope_filter(
    scope: Scope,
    granularities: Sequence[Granularity],
    statuses: Sequence[Status] | None = (Status.ACTIVE,),
    *,
    session_bound: bool = False,
) -> UnitFilter:
    """The units of a job's scope. Derived units (facts, entities, topics ...) belong to no
    session, so the session only narrows session-bound granularities (turns, sessions)."""
    return UnitFilter(
        user_id=scope.user_id,
        agent_id=scope.agent_id,
        session_id=scope.session_id if session_bound else None,
        granularities=tuple(granularities),
        statuses=tuple(statuses) if statuses else None,
    )


def by_owner(units: list[MemoryUnit]) -> dict[tuple[str | None, str | None], list[MemoryUnit]]:
    """Units grouped by (user, agent): merging or clustering never crosses an owner."""
    out: dict[tuple[str | None, str | None], list[MemoryUnit]] = {}
    for unit in units:
        out.setdefault((unit.scope.user_id, unit.scope.agent_id), []).append(unit)
    return out


def touch(unit: MemoryUnit) -> dict[str, Any]:
    """Snapshot the unit before a change and advance its version; returns the `before`."""
    before = unit.snapshot()
    unit.version += 1
    unit.updated_at = utcnow()
    return before


def stored_vectors(uow: UnitOfWork, units: Sequence[MemoryUnit]) -> np.ndarray:
    """The units' vectors as stored (the index's source of truth), one row per unit; a unit
    without a vector gets a zero row, which is similar to nothing."""
    seqs = uow.units.seqs_of([u.id for u in units])
    found = uow.vectors.get(seqs.values())
    dim = len(next(iter(found.values()))) if found else 1
    out = np.zeros((len(units), dim), dtype=np.float32)
    for i, unit in enumerate(units):
        vector = found.get(seqs.get(unit.id, -1))
        if vector is not None and len(vector) == dim:
            out[i] = vector
    return out
