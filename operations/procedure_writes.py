"""Writing procedures: each extracted run joins the procedure of its goal, or starts one; a
reported outcome counts for the steps the procedure recommended when it was reported.

Which procedure a run belongs to: the scope's active procedure whose goal says the same
thing (`goal_similarity` >= GOAL_SAME: "deploy the web app to staging" and "Please deploy
web app to staging"), or whose goal overlaps it (>= GOAL_SHARED) and whose steps make up
for the words that differ: goal + step similarity >= TOGETHER (steps: the same tools with
the same argument patterns). "Ship the web app to staging" joins "deploy the web app to
staging" when it took the same steps; "... to production" stays apart, since its steps
name the other environment.

A merged procedure's text changes only when its recommended steps or its phrasings do; the
new text is embedded before the write transaction opens (`prepare`), like every other
embedding of the write path, and only a run that raced in between is embedded inside it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from memsvc.operations.editing import index_unit, record
from memsvc.operations.extract.goals import goal_similarity, goal_terms
from memsvc.operations.procedure_merge import embedding_text, merge, render, with_feedback

from memsvc.domain import ConflictError, Granularity, MemoryUnit, Status, new_id, utcnow
from memsvc.domain.auth import TenantRef, tenant_id_of
from memsvc.domain.filters import UnitFilter
from memsvc.domain.ports import Embeddings, UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:  # derive.py builds drafts and hands procedure drafts to this module
    from memsvc.operations.derive import Draft

GOAL_SAME = 0.75
GOAL_SHARED = 0.3
TOGETHER = 1.35  # e.g. goal .6 (one word of five differs) with steps .75 (one of four)
PATHS_COMPARED = 5  # a run is compared with a procedure's best few paths
# embedding text -> its vector, made before the write transaction opens
Vectors = dict[str, np.ndarray]


def step_similarity(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> float:
    """How alike two step sequences are (difflib ratio over the steps' texts)."""
    left, right = [str(s.get("text")) for s in a], [str(s.get("text")) for s in b]
    if not left or not right:
        return 0.0
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


def match(unit: MemoryUnit, attrs: Mapping[str, Any]) -> float:
    """How well a run (`attrs` of a one-run procedure) fits an existing procedure: 0 when
    it is another procedure, else goal similarity plus step similarity."""
    goal = str(attrs.get("goal", ""))
    phrasings = [g["text"] for g in unit.attributes.get("goals", [])] or [unit.content]
    g = max(goal_similarity(goal, p) for p in phrasings)
    steps = attrs["paths"][0]["steps"] if attrs.get("paths") else []
    paths = unit.attributes.get("paths", [])[:PATHS_COMPARED]
    s = max((step_similarity(steps, p["steps"]) for p in paths), default=0.0)
    if not (g >= GOAL_SAME or (g >= GOAL_SHARED and g + s >= TOGETHER)):
        return 0.0
    own = (str(unit.attributes.get("goal", "")), _best_steps(unit.attributes))
    if unnamed_parameters(own, (goal, steps)) or unnamed_parameters((goal, steps), own):
        return 0.0
    return g + s


Side = tuple[str, Sequence[Mapping[str, Any]]]  # a goal and its steps


def unnamed_parameters(defining: Side, other: Side) -> set[str]:
    """Words `defining` is defined by (said in its goal and used in its steps' arguments,
    such as "staging" in "deploy the web app to staging") that `other` names nowhere,
    neither in its goal nor in its steps. A run "to production" that failed before its
    steps named an environment is not a run of the staging procedure, however alike the
    first steps are; one whose steps went to staging by mistake is still a production run."""
    goal, steps = defining
    defined = goal_terms(goal) & _step_terms(steps)
    return set(defined - goal_terms(other[0]) - _step_terms(other[1]))


def _best_steps(attrs: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    paths = attrs.get("paths") or [{}]
    return list(paths[0].get("steps", []))


def _step_terms(steps: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    return goal_terms(" ".join(str(s.get("text", "")) for s in steps))


def find_target(procedures: Sequence[MemoryUnit], attrs: Mapping[str, Any]) -> MemoryUnit | None:
    """The procedure a run belongs to (the best fit), or None for a new one."""
    scored = [(match(u, attrs), i) for i, u in enumerate(procedures)]
    best = max(scored, default=(0.0, -1))
    return procedures[best[1]] if best[0] > 0 else None


@dataclass(frozen=True, slots=True)
class Feedback:
    """How following a procedure went, as its caller reported it."""

    outcome: Literal["success", "failure"]
    notes: str | None = None
    actor: str | None = None


@dataclass(slots=True)
class _Applied:
    unit: MemoryUnit
    created: bool
    before: dict[str, Any] | None = None
    changed_text: bool = False
    # Procedures that turned out to be this one, merged into it: (unit, state before).
    absorbed: list[tuple[MemoryUnit, dict[str, Any]]] = field(default_factory=list)


@dataclass(slots=True)
class ProcedureCounts:
    created: int = 0
    merged: int = 0
    touched: list[str] = field(default_factory=list)


def _apply(procedures: list[MemoryUnit], draft: Draft) -> _Applied | None:
    """Merge `draft` into its procedure in `procedures` (in memory), or add it there; then
    let the procedure absorb others that now match it."""
    target = find_target(procedures, draft.unit.attributes)
    if target is None:
        procedures.append(draft.unit)
        applied: _Applied | None = _Applied(draft.unit, created=True)
    else:
        applied = _join(target, draft.unit)
    if applied is not None:
        _absorb(procedures, applied)
    return applied


def _join(target: MemoryUnit, other: MemoryUnit) -> _Applied | None:
    """`other`'s runs, phrasings and sources merged into `target` (None: nothing new)."""
    attributes = merge(target.attributes, other.attributes)
    sources = list(dict.fromkeys(target.provenance.sources + other.provenance.sources))
    if attributes == target.attributes and sources == target.provenance.sources:
        return None
    before = target.snapshot()
    content = render(attributes)
    changed = content != target.content
    target.attributes, target.content = attributes, content
    target.provenance.sources = sources
    target.provenance.confidence = max(target.provenance.confidence, other.provenance.confidence)
    times = [t for t in (target.occurred_at, other.occurred_at) if t is not None]
    target.occurred_at = min(times) if times else None
    return _Applied(target, created=False, before=before, changed_text=changed)


def _absorb(procedures: list[MemoryUnit], applied: _Applied) -> None:
    """Runs that arrived in another order would have made one procedure: a procedure that
    matches the one just changed joins it, and is superseded by it (history kept)."""
    unit = applied.unit
    for other in [p for p in procedures if p is not unit]:
        if match(unit, other.attributes) <= 0:
            continue
        before = other.snapshot()
        joined = _join(unit, other)
        applied.changed_text |= joined is not None and joined.changed_text
        other.status = Status.SUPERSEDED
        other.superseded_by = unit.id
        procedures.remove(other)
        applied.absorbed.append((other, before))


class ProcedureWriter:
    """Merges extracted runs into procedures (the write path's procedure step)."""

    def __init__(self, embedder: Embeddings) -> None:
        self._embedder = embedder

    def prepare(self, uow: UnitOfWork, drafts: Sequence[Draft]) -> Vectors:
        """Embed the texts the merges will produce (call in a read transaction, before the
        write one opens)."""
        items = [d for d in drafts if d.unit.granularity is Granularity.PROCEDURE]
        if not items:
            return {}
        procedures = _procedures(uow, items[0].unit)
        # A rehearsal on copies: the drafts themselves are written later, by `write`.
        rehearsed = [(d.unit.content, _apply(procedures, copy.deepcopy(d))) for d in items]
        texts = [
            embedding_text(a.unit.attributes)
            for drafted, a in rehearsed
            if a is not None and (a.changed_text or a.unit.content != drafted)
        ]
        return self._embed(items[0].unit.scope.tenant_id, texts)

    def write(
        self,
        uow: UnitOfWork,
        drafts: Sequence[tuple[Draft, np.ndarray]],
        job_id: str | None,
        prepared: Vectors | None = None,
    ) -> ProcedureCounts:
        """Merge or create each procedure draft (with its vector) in `uow`."""
        counts = ProcedureCounts()
        if not drafts:
            return counts
        procedures = _procedures(uow, drafts[0][0].unit)
        vectors = dict(prepared or {})
        for draft, vector in drafts:
            drafted = draft.unit.content
            applied = _apply(procedures, draft)
            if applied is None:
                continue
            if applied.created:
                own = (
                    vector if applied.unit.content == drafted else self._vector(vectors, draft.unit)
                )
                _create(uow, draft, own, job_id)
                counts.created += 1
            else:
                self._save_merged(uow, applied, vectors, job_id)
                counts.merged += 1
            for absorbed in applied.absorbed:
                _superseded(uow, absorbed, applied.unit, job_id)
                counts.merged += 1
            counts.touched.append(applied.unit.id)
        return counts

    def _vector(self, vectors: Vectors, unit: MemoryUnit) -> np.ndarray:
        text = embedding_text(unit.attributes)
        if text not in vectors:  # raced with another write since `prepare`
            vectors.update(self._embed(unit.scope.tenant_id, [text]))
        return vectors[text]

    def _save_merged(
        self, uow: UnitOfWork, applied: _Applied, vectors: Vectors, job_id: str | None
    ) -> None:
        unit = applied.unit
        unit.version += 1
        unit.updated_at = utcnow()
        seq = uow.units.save(unit)
        if applied.changed_text:
            index_unit(uow, seq, unit, self._vector(vectors, unit))
        reason = "extraction: another run of this procedure"
        record(uow, unit, "merge", applied.before, reason=reason, job_id=job_id)

    def feedback(
        self, uow: UnitOfWorkFactory, tenant: TenantRef, procedure_id: str, report: Feedback
    ) -> MemoryUnit:
        """Count one reported outcome of following a procedure's recommended steps (a new
        version, with history); the order of its paths and its text follow."""
        notes = [report.notes] if report.notes else []
        entry = {"id": "feedback-" + new_id(), "outcome": report.outcome, "notes": notes}
        entry["at"] = utcnow().isoformat()
        with uow(tenant, write=False) as read:
            current = _procedure(read, procedure_id)
            ahead = with_feedback(current.attributes, entry)
        changes = render(ahead) != current.content
        vectors = self._embed(tenant_id_of(tenant), [embedding_text(ahead)] if changes else [])
        with uow(tenant) as write:
            unit = _procedure(write, procedure_id)
            before = unit.snapshot()
            unit.attributes = with_feedback(unit.attributes, entry)
            content = render(unit.attributes)
            changed, unit.content = content != unit.content, content
            unit.version += 1
            unit.updated_at = utcnow()
            seq = write.units.save(unit)
            if changed:
                index_unit(write, seq, unit, self._vector(vectors, unit))
            reason = report.notes or report.outcome
            record(write, unit, "outcome", before, actor=report.actor, reason=reason)
            write.commit()
        return unit

    def _embed(self, tenant_id: str, texts: list[str]) -> Vectors:
        texts = list(dict.fromkeys(texts))
        if not texts:
            return {}
        return dict(zip(texts, self._embedder.for_tenant(tenant_id).embed_batch(texts)))


def embedded_texts(uow: UnitOfWork, units: Iterable[MemoryUnit]) -> list[str]:
    """Every text the procedures among `units` were embedded as, over all their versions
    (read from history), so that a purge can drop their cached vectors."""
    out: list[str] = []
    for unit in units:
        if unit.granularity is not Granularity.PROCEDURE:
            continue
        states: list[Any] = [unit.attributes]
        for entry in uow.history.for_unit(unit.id):
            states += [s.get("attributes") for s in (entry.before, entry.after) if s]
        out += [embedding_text(a) for a in states if isinstance(a, dict)]
    return list(dict.fromkeys(out))


def _procedures(uow: UnitOfWork, like: MemoryUnit) -> list[MemoryUnit]:
    scope = like.scope
    where = UnitFilter(
        user_id=scope.user_id, agent_id=scope.agent_id, granularities=(Granularity.PROCEDURE,)
    )
    # The filter leaves a missing user or agent unconstrained; a procedure is its scope's own.
    same = (scope.user_id, scope.agent_id)
    return [u for u in uow.units.find(where) if (u.scope.user_id, u.scope.agent_id) == same]


def _procedure(uow: UnitOfWork, procedure_id: str) -> MemoryUnit:
    unit = uow.units.get(procedure_id)
    if unit.granularity is not Granularity.PROCEDURE:
        raise ConflictError(
            f"memory {procedure_id} is a {unit.granularity}, not a procedure", field="id"
        )
    return unit


def _superseded(
    uow: UnitOfWork,
    absorbed: tuple[MemoryUnit, dict[str, Any]],
    by: MemoryUnit,
    job_id: str | None,
) -> None:
    other, before = absorbed
    other.version += 1
    other.updated_at = utcnow()
    uow.units.save(other)
    reason = f"the same procedure as {by.id}, which now holds its runs"
    record(uow, other, "supersede", before, reason=reason, job_id=job_id)


def _create(uow: UnitOfWork, draft: Draft, vector: np.ndarray, job_id: str | None) -> None:
    """A new procedure (its dedupe key kept unless an inactive unit holds it)."""
    taken = uow.units.by_dedupe_keys([draft.key])
    seq = uow.units.add(draft.unit, dedupe_key=None if taken else draft.key)
    index_unit(uow, seq, draft.unit, vector)
    record(uow, draft.unit, "create", None, reason="extraction", job_id=job_id)
