"""Extraction of one session: run the configured extractor over the session's turns (with the
scope's known entities as gazetteer) and write what it found as derived units.

With a `decider` (the `llm` extractor's decision step), fact drafts are first compared with
the scope's similar facts and ADDed, UPDATEd, SUPERSEDEd or NOOPed (see `decide.py`); the
decisions are made before the write transaction opens, so an LLM call never holds the lock.
A fallback result is written as is. Counts report `tokens` when an LLM was called."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, Literal

from memsvc.operations.decide import FactDecider
from memsvc.operations.derive import DerivedWriter, Draft, drafts
from memsvc.operations.extract.llm import combine, losses, usage_dict, usage_of
from memsvc.operations.extract.types import (
    ExtractionContext,
    ExtractionResult,
    Extractor,
    KnownEntity,
    entity_type,
)
from memsvc.operations.ingest import session_lock

from memsvc.domain import Granularity, MemoryUnit, Scope, ValidationError
from memsvc.domain.errors import UnavailableError
from memsvc.domain.filters import UnitFilter
from memsvc.domain.jobs import Job, JobContext
from memsvc.domain.ports import UnitOfWorkFactory
from memsvc.tokens import TokenUsage

logger = logging.getLogger(__name__)
CONTEXT_TURNS = 10  # turns before an add's new ones that inline extraction reads again


class Extraction:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        writer: DerivedWriter,
        extractor: Extractor,
        fallback: Extractor | None = None,
        decider: FactDecider | None = None,
        min_confidence: float = 0.0,
        default_mode: Literal["sync", "async"] = "sync",
    ) -> None:
        """`default_mode`: what `extract="auto"` means here (inline for a fast offline
        extractor, a job for one that calls an LLM)."""
        self.default_mode = default_mode
        self._min_confidence = min_confidence
        self._uow = uow
        self._writer = writer
        self._extractor = extractor
        self._fallback = fallback
        self._decider = decider

    def run_session(
        self, scope: Scope, job_id: str | None = None, new: Collection[str] | None = None
    ) -> dict[str, Any]:
        """Extract from the live turns of `scope.session_id`; safe to run again. With `new`
        (the turns an add just stored), only from those and the `CONTEXT_TURNS` before them,
        and only what draws on a new turn is written: an inline extraction then costs the
        same whatever the session's length."""
        if not scope.session_id:
            raise ValidationError("extraction runs per session: session_id is required")
        with self._uow(scope.tenant_id, write=False) as uow:
            turns = uow.units.find(
                UnitFilter(
                    user_id=scope.user_id,
                    session_id=scope.session_id,
                    granularities=(Granularity.TURN,),
                )
            )
            entities = uow.units.find(
                UnitFilter(user_id=scope.user_id, granularities=(Granularity.ENTITY,))
            )
        if not turns:
            return {"turns": 0}
        session_time = min((t.occurred_at for t in turns if t.occurred_at), default=None)
        if new:
            turns = _recent(turns, new)
        context = ExtractionContext(
            scope=scope,
            session_time=session_time,
            known_entities=tuple(_known(e.attributes) for e in entities),
            person_roles=frozenset(
                {"user"}
                | {str(t.attributes.get("role")) for t in turns if t.attributes.get("speaker")}
            ),
        )
        result, failure = self._extract(turns, context)
        result = confident(result, self._min_confidence)
        items = drafts(result, scope, {t.id: t.occurred_at for t in turns if t.occurred_at})
        if new:
            items = _touching(items, new)
        counts, spent = self._write(scope, items, job_id, decide=failure is None)
        out = {"turns": len(turns), "producer": result.producer, **counts, **losses(result)}
        if failure is not None and self._fallback is not None:
            out.update(fallback=self._fallback.name, error=f"{type(failure).__name__}: {failure}")
        tokens = combine(usage_of(result), usage_of(failure), spent)
        if tokens.calls:
            out["tokens"] = usage_dict(tokens)
        return out

    def _write(
        self, scope: Scope, items: list[Draft], job_id: str | None, decide: bool
    ) -> tuple[dict[str, Any], TokenUsage]:
        """Write the drafts (through the decider when there is one); counts and tokens spent."""
        vectors = self._writer.embed(scope.tenant_id, items)
        with self._uow(scope.tenant_id, write=False) as uow:
            prepared = self._writer.prepare(uow, items)
        plan = self._decider.plan(scope, items, vectors) if self._decider and decide else None
        with self._uow(scope.tenant_id) as uow:
            # Derived units are deduplicated per user: one extraction of a user at a time.
            uow.lock(session_lock(Scope(scope.tenant_id, scope.user_id, scope.agent_id, None)))
            if plan is None or self._decider is None:
                counts = self._writer.write(uow, items, vectors, job_id, prepared).as_dict()
            else:
                counts = self._decider.apply(uow, self._writer, plan, job_id)
            uow.commit()
        return counts, plan.usage if plan is not None else TokenUsage()

    def _extract(
        self, turns: list, context: ExtractionContext
    ) -> tuple[ExtractionResult, UnavailableError | None]:
        """The extractor's result, or the fallback's and the error that caused it."""
        try:
            return self._extractor.extract(turns, context), None
        except UnavailableError as exc:  # the LLM failed after its retry: fall back, say so
            if self._fallback is None:
                raise
            logger.warning(
                "extractor %s failed (%s); using %s", self._extractor.name, exc, self._fallback.name
            )
            return self._fallback.extract(turns, context), exc

    def handle(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        """Job handler for kind `extract`."""
        counts = self.run_session(job.scope, job_id=job.id)
        ctx.report(1.0, counts)
        return counts


def _recent(turns: list[MemoryUnit], new: Collection[str]) -> list[MemoryUnit]:
    """The new turns and the `CONTEXT_TURNS` before the first of them, in session order."""
    position = {t.id: int(t.attributes.get("position", 0)) for t in turns}
    first = min((position[i] for i in new if i in position), default=None)
    if first is None:
        return turns
    return [t for t in turns if position[t.id] >= first - CONTEXT_TURNS]


def _touching(items: list[Draft], new: Collection[str]) -> list[Draft]:
    """The drafts drawn at least in part from the new turns. What the context turns alone
    yield was written when they were new: writing it again would only confirm it, at the
    cost of embedding and merging it on every add of a chatty session."""
    fresh = set(new)
    return [d for d in items if not fresh.isdisjoint(d.unit.provenance.sources)]


def _known(attributes: dict[str, Any]) -> KnownEntity:
    return KnownEntity(
        name=str(attributes.get("name", "")),
        type=entity_type(str(attributes.get("type", "other"))),
        aliases=tuple(attributes.get("aliases", [])),
    )


def confident(result: ExtractionResult, floor: float) -> ExtractionResult:
    """The candidates at or above `floor` confidence (the same result object, filtered)."""
    result.facts = [c for c in result.facts if c.confidence >= floor]
    result.entities = [c for c in result.entities if c.confidence >= floor]
    result.relations = [c for c in result.relations if c.confidence >= floor]
    result.procedures = [c for c in result.procedures if c.confidence >= floor]
    return result
