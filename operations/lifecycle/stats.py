"""Memory health of a scope: what it holds, how much of it is duplicated, superseded or
archived, and when each lifecycle job last ran there."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from memsvc.operations.lifecycle.common import by_owner, scope_filter, stored_vectors
from memsvc.operations.lifecycle.consolidate import merge_rule
from memsvc.operations.lifecycle.similarity import duplicate_pairs

from memsvc.domain import KIND_OF, Granularity, Scope, Status
from memsvc.domain.filters import UnitFilter
from memsvc.domain.jobs import Job
from memsvc.domain.ports import UnitOfWork, UnitOfWorkFactory
from memsvc.settings import LifecycleSettings

MAX_FACTS = 5000  # per user scope for the duplicate rate (pairs are quadratic); then sampled


@dataclass(slots=True)
class HealthStats:
    scope: Scope
    total: int
    by_kind: dict[str, int]
    by_granularity: dict[str, int]
    by_status: dict[str, int]
    by_granularity_status: dict[str, dict[str, int]]
    active_facts: int
    duplicate_pairs: int
    duplicate_rate: float  # share of active facts that have a near-duplicate
    duplicate_sampled: bool
    superseded_share: float
    archived_share: float
    last_jobs: dict[str, Job | None] = field(default_factory=dict)


class Health:
    def __init__(self, uow: UnitOfWorkFactory, settings: LifecycleSettings) -> None:
        self._uow = uow
        self._settings = settings

    def stats(self, scope: Scope, kinds: Iterable[str]) -> HealthStats:
        """Counts and shares over the scope's units (deleted ones excluded from the shares)."""
        where = UnitFilter(user_id=scope.user_id, agent_id=scope.agent_id, statuses=None)
        with self._uow(scope.tenant_id, write=False) as uow:
            counts = uow.units.count_by(where)
            pairs, in_pairs, sampled = self._duplicates(uow, scope)
            last = {kind: _last_job(uow, scope, kind) for kind in sorted(kinds)}
        by_gran: dict[str, dict[str, int]] = {}
        for (granularity, status), n in counts.items():
            by_gran.setdefault(granularity, {})[status] = n
        status_totals = _by_status(counts)
        live = sum(n for (_, s), n in counts.items() if s != Status.DELETED)
        facts = by_gran.get(Granularity.FACT, {}).get(Status.ACTIVE, 0)
        return HealthStats(
            scope=scope,
            total=sum(counts.values()),
            by_kind=_sum_kind(counts),
            by_granularity={g: sum(v.values()) for g, v in by_gran.items()},
            by_status=status_totals,
            by_granularity_status=by_gran,
            active_facts=facts,
            duplicate_pairs=pairs,
            duplicate_rate=in_pairs / facts if facts else 0.0,
            duplicate_sampled=sampled,
            superseded_share=_share(status_totals.get(Status.SUPERSEDED, 0), live),
            archived_share=_share(status_totals.get(Status.ARCHIVED, 0), live),
            last_jobs=last,
        )

    def _duplicates(self, uow: UnitOfWork, scope: Scope) -> tuple[int, int, bool]:
        """(pairs above the merge threshold, facts in at least one pair, sampled?)."""
        facts = uow.units.find(scope_filter(scope, (Granularity.FACT,)))
        rule = merge_rule(self._settings, {})
        pairs = in_pairs = 0
        sampled = False
        for owned in by_owner(facts).values():
            if len(owned) > MAX_FACTS:
                owned, sampled = owned[-MAX_FACTS:], True
            found = duplicate_pairs(owned, stored_vectors(uow, owned), rule)
            pairs += len(found)
            in_pairs += len({i for pair in found for i in pair})
        return pairs, in_pairs, sampled


def _last_job(uow: UnitOfWork, scope: Scope, kind: str) -> Job | None:
    for job in uow.jobs.list(kind=kind, limit=100):
        if scope.user_id is None or job.scope.user_id in (None, scope.user_id):
            return job
    return None


def _by_status(counts: dict[tuple[str, str], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_, status), n in counts.items():
        out[status] = out.get(status, 0) + n
    return out


def _sum_kind(counts: dict[tuple[str, str], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (granularity, _), n in counts.items():
        kind = str(KIND_OF[Granularity(granularity)])
        out[kind] = out.get(kind, 0) + n
    return out


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0
