"""The `forget` job: Ebbinghaus-style decay (as in MemoryBank) over one scope.

Retention `R = exp(-dt / S)`, where `dt` is the time in days since the unit was last
retrieved (else since it was learned, or since it occurred with `age_from="occurred"`) and
the strength `S = base_days * strength * (1 + importance_gain * importance) * (1 +
access_gain * access_count)` grows with importance and with every retrieval hit.

Active units with `R < archive_below` are archived: out of default search, back with
`include_archived=True`, nothing lost. Units archived (or superseded, with `R <
archive_below`) for longer than `grace_days` are purged
(text, attributes and vectors removed, history scrubbed, as a hard delete does) when the
policy purges; turns (and their sessions) only when it says `purge_turns`. Pinned units are
never touched. Parameters: the tenant's policy from settings, overridable per job (`params`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic
from memsvc.operations.editing import record
from memsvc.operations.lifecycle.common import JobParams, Progress, batches, touch
from memsvc.operations.purge import Purger, Removal

from memsvc.domain import Granularity, MemoryUnit, Scope, Status, ValidationError
from memsvc.domain.filters import UnitFilter
from memsvc.domain.jobs import Job, JobContext
from memsvc.domain.ports import UnitOfWork, UnitOfWorkFactory
from memsvc.settings import LifecycleSettings, RetentionPolicy

REASON = "forget"
# Turns and the sessions that hold them: archived, purged only when the policy says so.
EPISODES = (Granularity.TURN, Granularity.SESSION)
DAY_S = 86_400.0


def strength_days(unit: MemoryUnit, policy: RetentionPolicy) -> float:
    """S: how many days it takes the unit's retention to fall to 1/e."""
    return (
        policy.base_days
        * max(unit.strength, 1e-6)
        * (1.0 + policy.importance_gain * unit.importance)
        * (1.0 + policy.access_gain * unit.access_count)
    )


def retention(unit: MemoryUnit, policy: RetentionPolicy, now: datetime) -> float:
    """R = exp(-dt / S) at `now`."""
    learned = unit.created_at
    if policy.age_from == "occurred" and unit.occurred_at is not None:
        learned = unit.occurred_at
    last = max(learned, unit.last_accessed_at) if unit.last_accessed_at else learned
    dt_days = max((now - last).total_seconds(), 0.0) / DAY_S
    return math.exp(-dt_days / strength_days(unit, policy))


@dataclass(frozen=True, slots=True)
class Decision:
    unit: MemoryUnit
    action: str  # "archive" or "purge"
    retention: float | None = None


def decide(unit: MemoryUnit, policy: RetentionPolicy, now: datetime) -> Decision | None:
    """What forgetting does to one unit now, if anything. A superseded unit is out of
    default search already: it is not archived, but purged like an archived one once its
    retention has fallen (it may still answer `as_of` questions until then)."""
    if unit.pinned or str(unit.granularity) not in policy.granularities:
        return None
    if unit.status is Status.ACTIVE:
        r = retention(unit, policy, now)
        return Decision(unit, "archive", r) if r < policy.archive_below else None
    if not policy.purge or (now - _archived_at(unit)).total_seconds() < policy.grace_days * DAY_S:
        return None
    if unit.status is Status.ARCHIVED:
        if unit.granularity in EPISODES and not policy.purge_turns:
            return None
        return Decision(unit, "purge")
    if unit.status is Status.SUPERSEDED and retention(unit, policy, now) < policy.archive_below:
        return Decision(unit, "purge")
    return None


@dataclass(frozen=True, slots=True)
class Rule:
    """The policy a run applies, at the clock it reads."""

    policy: RetentionPolicy
    now: datetime

    def decide(self, unit: MemoryUnit) -> Decision | None:
        return decide(unit, self.policy, self.now)


def _archived_at(unit: MemoryUnit) -> datetime:
    """When the unit left default search: archived, or (superseded) its last change."""
    stamp = unit.attributes.get("archived_at")
    return datetime.fromisoformat(stamp) if stamp else unit.updated_at


def policy_for(settings: LifecycleSettings, job: Job) -> RetentionPolicy:
    """The tenant's policy with the job's parameters (any policy field) applied."""
    base = settings.retention_for(job.scope.tenant_id)
    fields = {k: v for k, v in job.params.items() if k in RetentionPolicy.model_fields}
    if not fields:
        return base
    try:
        return RetentionPolicy.model_validate({**base.model_dump(), **fields})
    except pydantic.ValidationError as exc:
        raise ValidationError(f"bad forget parameter: {exc.errors()[0]['msg']}") from exc


class Forgetter:
    def __init__(self, uow: UnitOfWorkFactory, settings: LifecycleSettings, purger: Purger) -> None:
        self._uow = uow
        self._settings = settings
        self._purger = purger

    def handle(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        """Job handler for kind `forget`."""
        params = JobParams.of(job, self._settings.batch_size)
        policy = policy_for(self._settings, job)
        units = self._candidates(job.scope)
        plan = [d for u in units if (d := decide(u, policy, params.now)) is not None]
        counts = {"dry_run": job.dry_run, "scanned": len(units), "archived": 0, "purged": 0}
        progress = Progress(ctx, params, counts)
        progress.counts["pinned_skipped"] = sum(u.pinned for u in units)
        done, purged_texts = 0, []
        for batch in batches(plan, params.batch_size):
            if job.dry_run:
                for decision in batch:
                    progress.add(f"would_{decision.action}")
                    progress.example(_example(decision))
            else:
                purged_texts += self._apply(job, batch, progress, Rule(policy, params.now))
            done += len(batch)
            progress.step(done / len(plan))
        if purged_texts:
            self._purger.finish(job.scope.tenant_id, purged_texts)
        return progress.counts

    def _candidates(self, scope: Scope) -> list[MemoryUnit]:
        where = UnitFilter(
            user_id=scope.user_id,
            agent_id=scope.agent_id,
            session_id=scope.session_id,
            statuses=(Status.ACTIVE, Status.ARCHIVED, Status.SUPERSEDED),
        )
        with self._uow(scope.tenant_id, write=False) as uow:
            return uow.units.find(where)

    def _apply(
        self, job: Job, batch: Sequence[Decision], progress: Progress, rule: Rule
    ) -> list[str]:
        """Archive and purge one batch in one transaction; returns the purged texts. Each
        unit is decided again as it is now: one that moved on since the plan (retrieved,
        pinned, or done by an earlier attempt of this job) is skipped unless the policy still
        says the same, while a session this job rebuilt by purging its turns is purged."""
        doomed: list[MemoryUnit] = []
        with self._uow(job.scope.tenant_id) as uow:
            current = uow.units.get_many(d.unit.id for d in batch)
            for planned in batch:
                unit = current.get(planned.unit.id)
                decision = rule.decide(unit) if unit is not None else None
                if unit is None or decision is None or decision.action != planned.action:
                    progress.add("skipped_stale")
                    continue
                if decision.action == "archive":
                    _archive(uow, unit, decision.retention or 0.0, rule.now, job.id)
                    progress.add("archived")
                else:
                    doomed.append(unit)
                    progress.add("purged")
                progress.example(_example(decision))
            texts: list[str] = []
            if doomed:
                removal = Removal(doomed, expand=False, reason=REASON, job_id=job.id)
                texts = self._purger.purge_in(uow, removal)[1]
            uow.commit()
        return texts


def _archive(uow: UnitOfWork, unit: MemoryUnit, r: float, now: datetime, job_id: str) -> None:
    before = touch(unit)
    unit.status = Status.ARCHIVED
    unit.attributes = {**unit.attributes, "archived_at": now.isoformat(), "retention": round(r, 6)}
    uow.units.save(unit)
    record(uow, unit, "archive", before, reason=REASON, job_id=job_id)


def _example(decision: Decision) -> dict[str, Any]:
    unit = decision.unit
    out: dict[str, Any] = {
        "action": decision.action,
        "id": unit.id,
        "granularity": str(unit.granularity),
    }
    if decision.retention is not None:
        out["retention"] = round(decision.retention, 6)
    return out
