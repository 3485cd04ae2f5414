"""The `consolidate` job: one scope's semantic memory made consistent, with every change in
history (reason `consolidate`, the job's id) so that `revert` can undo the job exactly.

1. Entity aliases merged (relations re-pointed to the surviving entity).
2. Duplicate relations (same source, label and target once aliases are resolved) merged.
3. Near-duplicate facts merged: the earliest keeps its id and gets the union of the sources;
   the others become `superseded` with `superseded_by` pointing at it.
4. Contradictions inside one single-valued slot (subject + predicate, as on the write path):
   the newest value wins, older values are superseded with `valid_to`. Facts in other slots,
   and multi-valued predicates (likes, visited ...), are never touched.

The plan comes from one read snapshot; actions are applied in batches of one transaction
each, and every action re-reads its units and drops those no longer active, so running the
job again (or resuming it after a crash) does nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from memsvc.operations.derive import norm, supersede_older
from memsvc.operations.editing import record
from memsvc.operations.extract.types import MULTI_VALUED
from memsvc.operations.lifecycle.aliases import REASON, alias_groups, merge_entities, supersede
from memsvc.operations.lifecycle.common import (
    JobParams,
    Progress,
    batches,
    by_owner,
    scope_filter,
    stored_vectors,
    touch,
)
from memsvc.operations.lifecycle.similarity import MergeRule, duplicate_pairs, star_groups

from memsvc.domain import Granularity, MemoryUnit, Scope, Status
from memsvc.domain.jobs import Job, JobContext
from memsvc.domain.ports import UnitOfWork, UnitOfWorkFactory
from memsvc.settings import LifecycleSettings

logger = logging.getLogger(__name__)
ActionKind = Literal["alias", "merge", "slot"]


@dataclass(frozen=True, slots=True)
class Action:
    """One atomic change: `losers` fold into (or are superseded by) `keeper`."""

    kind: ActionKind
    granularity: Granularity
    keeper: str
    losers: tuple[str, ...]
    label: str  # what a person reads in the job's examples


def merge_rule(settings: LifecycleSettings, params: dict[str, Any]) -> MergeRule:
    """The merge thresholds of the settings, overridden by a job's parameters."""
    rule = MergeRule(
        settings.merge_similarity, settings.merge_overlap, settings.merge_similarity_alone
    )
    names = {"similarity": "merge_similarity", "overlap": "merge_overlap"}
    updates = {k: float(params[v]) for k, v in names.items() if v in params}
    if "merge_similarity_alone" in params:
        updates["similarity_alone"] = float(params["merge_similarity_alone"])
    return replace(rule, **updates)


class Consolidator:
    def __init__(self, uow: UnitOfWorkFactory, settings: LifecycleSettings) -> None:
        self._uow = uow
        self._settings = settings

    def handle(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        """Job handler for kind `consolidate`."""
        params = JobParams.of(job, self._settings.batch_size)
        rule = merge_rule(self._settings, job.params)
        actions, scanned = self.plan(job.scope, rule)
        progress = Progress(ctx, params, {"dry_run": job.dry_run, "scanned": scanned})
        for action in actions:
            progress.add(f"planned_{action.kind}_{action.granularity}")
        done = 0
        for batch in batches(actions, params.batch_size):
            if job.dry_run:
                for action in batch:
                    progress.example(_example(action))
            else:
                self._apply(job, batch, progress)
            done += len(batch)
            progress.step(done / len(actions))
        return progress.counts

    def plan(self, scope: Scope, rule: MergeRule) -> tuple[list[Action], int]:
        """Every action, in order: aliases, relations, fact merges, slots. Returns the actions
        and how many units were read."""
        grans = (Granularity.ENTITY, Granularity.RELATION, Granularity.FACT)
        with self._uow(scope.tenant_id, write=False) as uow:
            units = uow.units.find(scope_filter(scope, grans))
            facts = [u for u in units if u.granularity is Granularity.FACT]
            matrix = stored_vectors(uow, facts)
        row_of = {f.id: i for i, f in enumerate(facts)}
        actions: list[Action] = []
        for owned in by_owner(units).values():
            entities = [u for u in owned if u.granularity is Granularity.ENTITY]
            relations = [u for u in owned if u.granularity is Granularity.RELATION]
            owned_facts = [u for u in owned if u.granularity is Granularity.FACT]
            alias = _alias_actions(entities)
            resolved = {loser: a.keeper for a in alias for loser in a.losers}
            merges = _relation_merges(relations, resolved)
            rows = [row_of[f.id] for f in owned_facts]
            merges += _fact_merges(owned_facts, matrix[rows], rule)
            merged = {loser for a in merges for loser in a.losers}
            live = [u for u in relations + owned_facts if u.id not in merged]
            actions += alias + merges + _slot_actions(live, resolved)
        return actions, len(units)

    def _apply(self, job: Job, batch: Sequence[Action], progress: Progress) -> None:
        with self._uow(job.scope.tenant_id) as uow:
            for action in batch:
                current = uow.units.get_many([action.keeper, *action.losers])
                keeper = current.get(action.keeper)
                losers = [current[i] for i in action.losers if i in current]
                losers = [u for u in losers if u.status is Status.ACTIVE]
                if keeper is None or keeper.status is not Status.ACTIVE or not losers:
                    progress.add("skipped_stale")
                    continue
                moved = _APPLY[action.kind](uow, keeper, losers, job.id)
                progress.add("relations_repointed", moved)
                progress.add(f"{action.kind}_{action.granularity}")
                progress.add("superseded", len(losers))
                progress.example(_example(action))
            uow.commit()


def _merge(uow: UnitOfWork, keeper: MemoryUnit, losers: list[MemoryUnit], job_id: str) -> int:
    """Keep one unit with the union of the sources (and the highest confidence)."""
    before = touch(keeper)
    sources = keeper.provenance.sources + [s for u in losers for s in u.provenance.sources]
    keeper.provenance.sources = list(dict.fromkeys(sources))
    keeper.provenance.confidence = max(
        [keeper.provenance.confidence, *(u.provenance.confidence for u in losers)]
    )
    uow.units.save(keeper)
    record(uow, keeper, "merge", before, reason=REASON, job_id=job_id)
    for loser in losers:
        supersede(uow, loser, keeper.id, job_id)
    return 0


def _slot(uow: UnitOfWork, winner: MemoryUnit, losers: list[MemoryUnit], job_id: str) -> int:
    """Close the older values of a slot with the write path's rule (`supersede_older`):
    superseded by the winner, valid until the winner's start, history kept."""
    for loser in losers:
        supersede_older(uow, winner, loser, REASON, job_id)
    return 0


def _alias(uow: UnitOfWork, keeper: MemoryUnit, losers: list[MemoryUnit], job_id: str) -> int:
    """Returns how many relations were re-pointed."""
    return merge_entities(uow, keeper, losers, job_id)


_APPLY: dict[ActionKind, Callable[[UnitOfWork, MemoryUnit, list[MemoryUnit], str], int]] = {
    "alias": _alias,
    "merge": _merge,
    "slot": _slot,
}


def _alias_actions(entities: list[MemoryUnit]) -> list[Action]:
    return [
        Action(
            "alias",
            Granularity.ENTITY,
            group[0].id,
            tuple(u.id for u in group[1:]),
            " = ".join(u.content for u in group),
        )
        for group in alias_groups(entities)
    ]


def _relation_merges(relations: list[MemoryUnit], resolved: dict[str, str]) -> list[Action]:
    """Relations that become the same edge once aliases are resolved."""
    by_edge: dict[tuple[str, str, str], list[MemoryUnit]] = {}
    for rel in relations:
        a = rel.attributes
        edge = (_end(a, "source", resolved), str(a.get("label")), _end(a, "target", resolved))
        by_edge.setdefault(edge, []).append(rel)
    return [
        Action(
            "merge",
            Granularity.RELATION,
            same[0].id,
            tuple(u.id for u in same[1:]),
            same[0].content,
        )
        for same in by_edge.values()
        if len(same) > 1
    ]


def _end(attributes: dict[str, Any], end: str, resolved: dict[str, str]) -> str:
    entity = attributes.get(f"{end}_id")
    if entity:
        return "id:" + resolved.get(str(entity), str(entity))
    return "name:" + norm(str(attributes.get(end, "")))


def _fact_merges(facts: list[MemoryUnit], vectors: np.ndarray, rule: MergeRule) -> list[Action]:
    groups = star_groups(len(facts), duplicate_pairs(facts, vectors, rule))
    return [
        Action(
            "merge",
            Granularity.FACT,
            facts[g[0]].id,
            tuple(facts[i].id for i in g[1:]),
            " | ".join(facts[i].content for i in g),
        )
        for g in groups
    ]


def _slot_actions(units: list[MemoryUnit], resolved: dict[str, str]) -> list[Action]:
    """Per single-valued slot with more than one value: the newest value supersedes the
    others (units holding the winner's value stay)."""
    slots: dict[tuple[str, str, str], list[MemoryUnit]] = {}
    for unit in units:
        slot = _slot_of(unit, resolved)
        if slot is not None:
            slots.setdefault((str(unit.granularity), *slot), []).append(unit)
    actions = []
    for (granularity, subject, predicate), members in slots.items():
        winner = max(members, key=lambda u: (_start(u) or _EARLIEST, u.created_at))
        value = _value(winner, resolved)
        losers = tuple(u.id for u in members if _value(u, resolved) != value)
        if losers:
            label = f"{subject}/{predicate}: {winner.content}"
            actions.append(Action("slot", Granularity(granularity), winner.id, losers, label))
    return actions


def _slot_of(unit: MemoryUnit, resolved: dict[str, str]) -> tuple[str, str] | None:
    a = unit.attributes
    if unit.granularity is Granularity.RELATION:
        label = str(a.get("label") or "")
        return (_end(a, "source", resolved), label) if label and label not in MULTI_VALUED else None
    predicate = str(a.get("predicate") or "")
    if not predicate or predicate in MULTI_VALUED or not a.get("object"):
        return None
    return norm(str(a.get("subject") or "")), predicate


def _value(unit: MemoryUnit, resolved: dict[str, str]) -> str:
    if unit.granularity is Granularity.RELATION:
        return _end(unit.attributes, "target", resolved)
    return norm(str(unit.attributes.get("object") or ""))


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _start(unit: MemoryUnit) -> datetime | None:
    return unit.valid_from or unit.occurred_at


def _example(action: Action) -> dict[str, Any]:
    return {
        "action": action.kind,
        "granularity": str(action.granularity),
        "keep": action.keeper,
        "supersede": list(action.losers),
        "what": action.label[:200],
    }
