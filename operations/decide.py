"""The decision step: what each extracted fact does to the facts a scope already holds.

For every fact draft, `FactDecider.plan` (outside the write transaction) gathers the scope's
similar facts: the same statement (dedupe key or text), the active values of its
single-valued slot, and the nearest active facts by embedding (cosine >= `threshold`). Rules
decide whatever is unambiguous:

| situation | decision |
|---|---|
| the same statement is stored | NOOP (its sources grow) |
| a similar fact already cites all the draft's turns (a re-run) | NOOP |
| same single-valued slot, same value / other value | NOOP / SUPERSEDE |
| nothing similar | ADD |

The rest (similar but not the same) goes to the LLM in one structured call per batch, which
answers ADD / UPDATE (the existing unit gets a new version with merged content) / SUPERSEDE
(the existing unit gets `valid_to` and status superseded, and stays in history) / NOOP. A
DELETE proposal becomes SUPERSEDE (or NOOP without a listed target) with the reason recorded:
nothing is deleted on an LLM's word. If the call fails twice, or there is no LLM, those
drafts are ADDed and the failure is reported as `decide_error`.

`FactDecider.apply` carries the plan out inside the write transaction, re-reading each target
(a target changed since planning falls back to ADD), and returns the job counts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from memsvc.operations.derive import (
    DerivedWriter,
    Draft,
    WriteCounts,
    merge_into,
    norm,
    supersede_older,
)
from memsvc.operations.editing import index_unit, record
from memsvc.operations.extract.llm import (
    DEFAULT_BUDGET_TOKENS,
    DEFAULT_REPLY_TOKENS,
    Call,
    ExtractionFailed,
    scope_key,
    split_budget,
    structured_call,
)
from memsvc.operations.extract.llm_prompts import (
    DECIDE_SYSTEM,
    DecisionOut,
    DecisionReply,
    decision_block,
)

from memsvc.domain import Granularity, MemoryUnit, Scope, Status, utcnow
from memsvc.domain.filters import UnitFilter, partition_key
from memsvc.domain.ports import Embeddings, UnitOfWork, UnitOfWorkFactory, VectorFilter
from memsvc.llm import LLM
from memsvc.tokens import TokenCounter, TokenUsage, estimate_tokens

logger = logging.getLogger(__name__)

Action = Literal["ADD", "UPDATE", "SUPERSEDE", "NOOP"]
MAX_LOG = 100  # decisions listed in a job's counts
HEARD_AGAIN = "extraction: heard again"  # the writer's reason for the same merge
_ALL = VectorFilter()


@dataclass(slots=True)
class Decision:
    """What one fact draft does: `target` is the existing unit it concerns, `text` the
    merged content of an UPDATE, `by` who decided ("rules" or "llm")."""

    action: Action
    target: str | None = None
    reason: str = ""
    by: str = "rules"
    text: str | None = None


@dataclass(slots=True)
class Plan:
    """Decisions for the fact drafts of a batch (by draft index), and what deciding cost."""

    items: list[Draft]
    vectors: np.ndarray
    decisions: dict[int, Decision] = field(default_factory=dict)
    update_vectors: dict[int, np.ndarray] = field(default_factory=dict)
    usage: TokenUsage = TokenUsage()
    error: str | None = None


@dataclass(slots=True)
class _Known:
    """What the scope holds that is similar to each fact draft."""

    by_key: dict[str, MemoryUnit]
    slots: dict[int, list[MemoryUnit]]
    near: dict[int, list[MemoryUnit]]


class FactDecider:
    """Decides ADD / UPDATE / SUPERSEDE / NOOP for fact drafts; see the module docstring."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embedder: Embeddings,
        llm: LLM | None = None,
        *,
        tokens: TokenCounter | None = None,
        budget_tokens: int = DEFAULT_BUDGET_TOKENS,
        reply_tokens: int = DEFAULT_REPLY_TOKENS,
        threshold: float = 0.5,
        neighbours: int = 5,
    ) -> None:
        self._uow = uow
        self._embedder = embedder
        self._llm = llm
        self.tokens = tokens if tokens is not None else TokenCounter()
        self._prompt_tokens, self._reply_tokens = split_budget(budget_tokens, reply_tokens)
        self.threshold = threshold
        self.neighbours = neighbours

    def plan(self, scope: Scope, items: list[Draft], vectors: np.ndarray) -> Plan:
        """Decide for every fact draft; at most one LLM call. Holds no write lock."""
        plan = Plan(items, vectors)
        facts = [i for i, d in enumerate(items) if d.unit.granularity is Granularity.FACT]
        if not facts:
            return plan
        known = self._known(scope, items, vectors, facts)
        open_: dict[int, list[MemoryUnit]] = {}
        for i in facts:
            decision = rule_decision(items[i], known.by_key, known.slots[i], known.near[i])
            if decision is None:
                open_[i] = known.near[i]
            else:
                plan.decisions[i] = decision
        if open_:
            self._ask(scope, plan, open_)
        updates = {
            i: d.text
            for i, d in plan.decisions.items()
            if d.action == "UPDATE" and d.text and d.text != items[i].unit.content
        }
        if updates:
            rows = self._embedder.for_tenant(scope.tenant_id).embed_batch(list(updates.values()))
            plan.update_vectors = dict(zip(updates, rows))
        return plan

    def _known(
        self, scope: Scope, items: list[Draft], vectors: np.ndarray, facts: list[int]
    ) -> _Known:
        partition = partition_key(scope.tenant_id, scope.user_id, Granularity.FACT)
        with self._uow(scope.tenant_id, write=False) as uow:
            by_key = uow.units.by_dedupe_keys([items[i].key for i in facts])
            slotted = {items[i].slot for i in facts if items[i].slot}
            in_slot = _slot_units(uow, scope, slotted) if slotted else {}
            hits = {
                i: self._uow.index.search([partition], vectors[i], self.neighbours * 2, _ALL)
                for i in facts
            }
            units = uow.units.by_seqs({seq for found in hits.values() for seq, _ in found})
        near: dict[int, list[MemoryUnit]] = {}
        for i, found in hits.items():
            near[i] = [
                units[seq]
                for seq, score in found
                if score >= self.threshold and seq in units and _live(units[seq], scope)
            ][: self.neighbours]
        slots = {i: in_slot.get(slot, []) if (slot := items[i].slot) else [] for i in facts}
        return _Known(by_key, slots, near)

    def _ask(self, scope: Scope, plan: Plan, open_: dict[int, list[MemoryUnit]]) -> None:
        """One LLM call for the open drafts; ADD for those it cannot or does not decide."""
        question = self._question(plan.items, open_)
        if self._llm is not None and question.asked:
            messages = [
                {"role": "system", "content": DECIDE_SYSTEM},
                {"role": "user", "content": question.prompt},
            ]
            call = Call(scope_key(scope), messages, DecisionReply, self._reply_tokens)
            try:
                reply, plan.usage = structured_call(self._llm, call, self.tokens)
                question.read(reply, plan)
            except ExtractionFailed as exc:
                plan.usage, plan.error = exc.usage, f"{type(exc).__name__}: {exc}"
                logger.warning("decision call failed (%s); similar facts are added", exc)
        for i in open_:
            if i not in plan.decisions:
                why = "similar facts exist and " + (
                    "the LLM gave no usable decision" if self._llm else "no LLM is configured"
                )
                plan.decisions[i] = Decision("ADD", reason=why)

    def _question(self, items: list[Draft], open_: dict[int, list[MemoryUnit]]) -> _Question:
        """The open drafts that fit the prompt budget, in order, with their neighbours."""
        question = _Question()
        numbers: dict[str, int] = {}  # existing unit id -> its number in the prompt
        room = self._prompt_tokens - estimate_tokens(DECIDE_SYSTEM) - 16
        for i, units in open_.items():
            listed = [(numbers.setdefault(u.id, len(numbers) + 1), u) for u in units]
            draft = items[i].unit
            block = decision_block(len(question.asked), draft.content, draft.occurred_at, listed)
            room -= estimate_tokens(block) + 1
            if room < 0:
                break  # the rest is decided by rules (ADD)
            question.asked.append(i)
            question.listed.append(dict(listed))
            question.blocks.append(block)
        return question

    def apply(
        self, uow: UnitOfWork, writer: DerivedWriter, plan: Plan, job_id: str | None
    ) -> dict[str, Any]:
        """Carry out `plan` in `uow` (the caller commits); returns the job counts."""
        counts, updated = WriteCounts(), 0
        write: list[int] = []
        log: list[dict[str, Any]] = []
        for i, draft in enumerate(plan.items):
            decision = plan.decisions.get(i)
            if decision is None:
                write.append(i)
                continue
            done = _carry_out(uow, plan, i, decision, job_id)
            counts.merged += done == "merged"
            updated += done == "updated"
            if done in ("write", "supersede"):
                write.append(i)
            log.append(_entry(draft, decision))
        wrote = writer.write(uow, [plan.items[i] for i in write], plan.vectors[write], job_id)
        counts.created, counts.superseded = wrote.created, wrote.superseded
        counts.merged += wrote.merged
        for i, decision in plan.decisions.items():
            if decision.action == "SUPERSEDE" and decision.target:
                counts.superseded += _close(uow, plan.items[i], decision, job_id)
        actions = [d.action for d in plan.decisions.values()]
        out = {**counts.as_dict(), "updated": updated}
        out["decisions"] = {a: actions.count(a) for a in ("ADD", "UPDATE", "SUPERSEDE", "NOOP")}
        out["decision_log"] = log[:MAX_LOG]
        if plan.error:
            out["decide_error"] = plan.error
        return out


@dataclass(slots=True)
class _Question:
    """The decision call's prompt: asked draft indices and each one's numbered neighbours."""

    asked: list[int] = field(default_factory=list)
    listed: list[dict[int, MemoryUnit]] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)

    @property
    def prompt(self) -> str:
        return "\n".join(self.blocks)

    def read(self, reply: DecisionReply, plan: Plan) -> None:
        """Accept the LLM's decisions; a target it did not list for that fact is ignored."""
        for out in reply.decisions:
            if not 0 <= out.fact < len(self.asked) or self.asked[out.fact] in plan.decisions:
                continue
            listed = self.listed[out.fact]
            target = listed.get(out.existing) if out.existing is not None else None
            decision = llm_decision(out, target)
            if decision is not None:
                plan.decisions[self.asked[out.fact]] = decision


def _live(unit: MemoryUnit, scope: Scope) -> bool:
    return (
        unit.status is Status.ACTIVE
        and unit.granularity is Granularity.FACT
        and unit.scope.agent_id == scope.agent_id
    )


def _slot_units(
    uow: UnitOfWork, scope: Scope, slots: set[tuple[str, str] | None]
) -> dict[tuple[str, str], list[MemoryUnit]]:
    """Active facts of the scope whose (subject, predicate) is one of `slots`."""
    out: dict[tuple[str, str], list[MemoryUnit]] = {}
    where = UnitFilter(user_id=scope.user_id, granularities=(Granularity.FACT,))
    for unit in uow.units.find(where):
        a = unit.attributes
        slot = (norm(str(a.get("subject", ""))), str(a.get("predicate")))
        if slot in slots and unit.scope.agent_id == scope.agent_id:
            out.setdefault(slot, []).append(unit)
    return out


def rule_decision(
    draft: Draft,
    by_key: dict[str, MemoryUnit],
    in_slot: Sequence[MemoryUnit],
    near: Sequence[MemoryUnit],
) -> Decision | None:
    """The decision when rules settle it, else None (similar facts: ask the LLM)."""
    same = by_key.get(draft.key)
    if same is not None:
        return Decision("NOOP", same.id, HEARD_AGAIN)
    text, turns = norm(draft.unit.content), set(draft.unit.provenance.sources)
    for unit in near:
        if norm(unit.content) == text:
            return Decision("NOOP", unit.id, "extraction: the same statement is stored")
        if turns <= set(unit.provenance.sources):
            return Decision("NOOP", unit.id, "extraction: already taken from these turns")
    if in_slot and draft.slot:
        slot = f"slot {draft.slot[0]}/{draft.slot[1]}"
        kept = next((u for u in in_slot if _object(u) == _object(draft.unit)), None)
        if kept is not None:
            return Decision("NOOP", kept.id, f"{slot}: the same value is stored")
        return Decision("SUPERSEDE", in_slot[0].id, f"{slot}: new value")
    if not near:
        return Decision("ADD", reason="nothing similar is stored")
    return None


def _object(unit: MemoryUnit) -> str:
    return norm(str(unit.attributes.get("object") or ""))


def llm_decision(out: DecisionOut, target: MemoryUnit | None) -> Decision | None:
    """An LLM's answer as a decision we accept, or None (the rules default then applies).

    DELETE is never carried out: with a target it supersedes (the old unit stays in
    history), without one it is a NOOP; the reason says so.
    """
    reason = out.reason.strip() or "no reason given"
    if out.action == "DELETE":
        note = f"LLM proposed DELETE ({reason}); memsvc never deletes on an LLM's word"
        if target is None:
            return Decision("NOOP", None, note, "llm")
        return Decision("SUPERSEDE", target.id, note + ": superseded instead", "llm")
    if out.action == "ADD":
        return Decision("ADD", None, f"llm: {reason}", "llm")
    if target is None:
        return None  # UPDATE / SUPERSEDE / NOOP of nothing we listed
    text = (out.text or "").strip() or None
    return Decision(out.action, target.id, f"llm: {reason}", "llm", text)


def _carry_out(uow: UnitOfWork, plan: Plan, i: int, decision: Decision, job_id: str | None) -> str:
    """NOOP and UPDATE now; "write" for drafts the writer must create, "supersede" for
    drafts to create whose target is closed afterwards."""
    if decision.action == "ADD":
        return "write"
    if decision.action == "SUPERSEDE":
        return "supersede"
    if decision.target is None:
        return "nothing"
    target = uow.units.get_many([decision.target]).get(decision.target)
    if target is None or target.status is Status.DELETED:
        return "write"  # gone since planning: keep the new fact
    draft = plan.items[i]
    if decision.action == "NOOP":
        merged = merge_into(uow, target, draft.unit, job_id, reason=decision.reason)
        return "merged" if merged else "nothing"
    if target.status is not Status.ACTIVE:
        return "write"
    vector = plan.update_vectors.get(i, plan.vectors[i])
    _update(uow, target, draft, decision, vector, job_id)
    return "updated"


def _update(
    uow: UnitOfWork,
    target: MemoryUnit,
    draft: Draft,
    decision: Decision,
    vector: np.ndarray,
    job_id: str | None,
) -> None:
    """A new version of `target` with the merged content and the draft's sources."""
    before = target.snapshot()
    new = draft.unit
    target.content = decision.text or new.content
    slot = {k: new.attributes.get(k) for k in ("subject", "predicate", "object", "kind")}
    target.attributes = {**target.attributes, **{k: v for k, v in slot.items() if v}}
    target.provenance.sources = list(
        dict.fromkeys(target.provenance.sources + new.provenance.sources)
    )
    target.provenance.confidence = max(target.provenance.confidence, new.provenance.confidence)
    target.version += 1
    target.updated_at = utcnow()
    seq = uow.units.save(target)
    index_unit(uow, seq, target, vector)
    record(uow, target, "update", before, reason=decision.reason, job_id=job_id)


def _close(uow: UnitOfWork, draft: Draft, decision: Decision, job_id: str | None) -> int:
    """Supersede the decision's target by the unit the draft became (the newer one wins)."""
    new = uow.units.by_dedupe_keys([draft.key]).get(draft.key)
    target = uow.units.get_many([decision.target or ""]).get(decision.target or "")
    if new is None or target is None or new.id == target.id:
        return 0
    return supersede_older(uow, new, target, decision.reason, job_id)


def _entry(draft: Draft, d: Decision) -> dict[str, Any]:
    fields = {"action": d.action, "target": d.target, "by": d.by, "reason": d.reason}
    return {"fact": draft.unit.content[:200], **fields}
