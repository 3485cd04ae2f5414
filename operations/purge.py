"""Purges: text removed for good. A hard delete, a forget job's purge, a scope purge (a user's
right to be forgotten) and a purge by source (a poisoned session, everything one key wrote)
all come here, so they leave the same nothing behind:

- the purged units and every unit derived only from them (a fact may quote its turn): their
  text, attributes, vectors, lexical entries and the text in their history;
- units derived from them and from other sources are recomputed: the purged ids leave their
  provenance, a session's preview, vector and lexical text are rebuilt from the turns left
  and its summary is dropped (it may quote them), a topic over them is purged (the next
  compression writes it again), and the text in the history of both is scrubbed;
- cached vectors of the purged texts are dropped, and the database files are scrubbed (the
  lexical index merged, the WAL checkpointed) once the transaction has committed.

By id, a purge keeps a tombstone (id, scope, times, status `deleted`, no content) so that a
later reader learns the unit was purged; a scope purge keeps nothing at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from memsvc.operations.editing import derived_closure, record
from memsvc.operations.ingest import key_text, refresh_session
from memsvc.operations.procedure_writes import embedded_texts
from memsvc.operations.sentences import embed_key, sentences_of

from memsvc.domain import Granularity, MemoryUnit, Scope, Status, utcnow
from memsvc.domain.auth import TenantRef
from memsvc.domain.filters import UnitFilter
from memsvc.domain.ports import Embeddings, UnitOfWork, UnitOfWorkFactory
from memsvc.settings import PurgeSettings

logger = logging.getLogger(__name__)
MAX_UNITS = 200_000  # units one purge takes in one transaction (a scope purge's roots)


@dataclass(slots=True)
class PurgeReport:
    """What a purge did, in counts."""

    purged: dict[str, int] = field(default_factory=dict)  # by granularity
    recomputed: int = 0  # units that kept other sources
    history_scrubbed: int = 0
    jobs_removed: int = 0
    ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "purged": dict(self.purged),
            "total": sum(self.purged.values()),
            "recomputed": self.recomputed,
            "history_scrubbed": self.history_scrubbed,
            "jobs_removed": self.jobs_removed,
        }


@dataclass(slots=True)
class Removal:
    """One purge inside a unit of work: which units, and how (tombstones or rows gone)."""

    roots: list[MemoryUnit]
    tombstones: bool = True
    # Also purge what was derived only from the roots (a hard delete: a fact may quote its
    # message). A forget job does not: a fact outlives the episode it came from.
    expand: bool = True
    actor: str | None = None
    reason: str | None = None
    job_id: str | None = None


class Purger:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embeddings: Embeddings,
        scrub: Callable[[], object],
        hook: PurgeSettings | None = None,
    ) -> None:
        """`scrub` cleans the database files after a purge has committed; `hook` is the
        crash tests' pause (see PurgeSettings)."""
        self._uow = uow
        self._embeddings = embeddings
        self._scrub = scrub
        self._hook = hook or PurgeSettings()

    def purge_units(
        self, tenant: TenantRef, unit_ids: Iterable[str], actor: str | None, reason: str | None
    ) -> PurgeReport:
        """Purge units by id (each must exist: 404 otherwise), with tombstones."""
        with self._uow(tenant) as uow:
            roots = [uow.units.get(i) for i in dict.fromkeys(unit_ids)]
            report, texts = self.purge_in(
                uow, Removal(roots, tombstones=True, actor=actor, reason=reason)
            )
            uow.commit()
        self.finish(uow.tenant_id, texts)
        return report

    def purge_scope(self, scope: Scope, actor: str | None) -> PurgeReport:
        """Remove a user's, agent's or session's memories entirely: no tombstones, no
        history, no jobs of the scope."""
        where = UnitFilter(
            user_id=scope.user_id,
            agent_id=scope.agent_id,
            session_id=scope.session_id,
            statuses=None,
        )
        with self._uow(scope.tenant_id) as uow:
            roots = uow.units.find(where, limit=MAX_UNITS)
            report, texts = self.purge_in(uow, Removal(roots, tombstones=False, actor=actor))
            report.jobs_removed = uow.jobs.remove_for_scope(scope)
            uow.commit()
        self.finish(scope.tenant_id, texts)
        return report

    def purge_matching(
        self, tenant: TenantRef, where: UnitFilter, actor: str | None, reason: str
    ) -> PurgeReport:
        """Purge the units matching `where` and what was derived only from them."""
        with self._uow(tenant) as uow:
            roots = uow.units.find(where, limit=MAX_UNITS)
            report, texts = self.purge_in(
                uow, Removal(roots, tombstones=True, actor=actor, reason=reason)
            )
            uow.commit()
        self.finish(uow.tenant_id, texts)
        return report

    def purge_in(self, uow: UnitOfWork, removal: Removal) -> tuple[PurgeReport, list[str]]:
        """Purge inside the caller's transaction; returns the report and the texts whose
        cached vectors `finish` must drop once the caller has committed."""
        doomed = (
            derived_closure(uow, removal.roots, purged) if removal.expand else _own(removal.roots)
        )
        affected = _affected(uow, doomed)
        topics = [u for u in affected.values() if u.granularity is Granularity.TOPIC]
        doomed.update({u.id: u for u in topics if not u.pinned})
        texts = _texts(doomed.values()) + embedded_texts(uow, doomed.values())
        report = PurgeReport(ids=list(doomed))
        for unit in doomed.values():
            key = str(unit.granularity)
            report.purged[key] = report.purged.get(key, 0) + 1
        seqs = list(uow.units.seqs_of(doomed).values())
        uow.vectors.drop(seqs)
        uow.lexical.drop(seqs)
        uow.units.free_dedupe_keys(list(doomed))
        if removal.tombstones:
            report.history_scrubbed += uow.history.scrub_many(list(doomed))
            for unit in doomed.values():
                _tombstone(uow, unit, removal)
        else:
            report.history_scrubbed += uow.history.remove_many(list(doomed))
            uow.units.remove_many(list(doomed))
        rest = {i: u for i, u in affected.items() if i not in doomed}
        # Sessions are rebuilt from the turns left: their old text (a summary) goes too.
        texts += _texts(u for u in rest.values() if u.granularity is Granularity.SESSION)
        report.recomputed, scrubbed = _recompute(uow, rest, set(doomed), removal)
        report.history_scrubbed += scrubbed
        uow.mark_scrub_pending()
        self._pause("commit")
        return report, texts

    def finish(self, tenant_id: str, texts: list[str]) -> None:
        """After the commit: drop cached vectors of the texts, scrub the database files."""
        self._pause("scrub")
        self._embeddings.forget(tenant_id, texts)
        self._scrub()

    def _pause(self, at: str) -> None:
        if self._hook.pause_s and self._hook.pause_at == at:
            logger.warning("test hook: purge pausing %.1f s before its %s", self._hook.pause_s, at)
            time.sleep(self._hook.pause_s)


def purged(unit: MemoryUnit) -> bool:
    """A tombstone: purged earlier (deleted, no text left). A soft-deleted unit keeps its
    text, so what was derived from it is not derived from purged units only."""
    return unit.status is Status.DELETED and not unit.content


def _own(roots: list[MemoryUnit]) -> dict[str, MemoryUnit]:
    return {u.id: u for u in roots}


def _affected(uow: UnitOfWork, doomed: dict[str, MemoryUnit]) -> dict[str, MemoryUnit]:
    """Units outside the purge derived from something in it (sessions of purged turns
    included, whose previews quote them), and what was derived from those sessions (a topic
    over a session quotes its summary, which is rebuilt)."""
    derived = {d for ids in uow.units.derived_from(set(doomed)).values() for d in ids}
    found = uow.units.get_many(derived - set(doomed))
    sessions = {i for i, u in found.items() if u.granularity is Granularity.SESSION}
    above = {d for ids in uow.units.derived_from(sessions).values() for d in ids}
    found.update(uow.units.get_many(above - set(doomed) - set(found)))
    return found


def _tombstone(uow: UnitOfWork, unit: MemoryUnit, removal: Removal) -> None:
    unit.status = Status.DELETED
    unit.content = ""
    unit.attributes = {}
    unit.version += 1
    unit.updated_at = utcnow()
    uow.units.save(unit)
    record(
        uow,
        unit,
        "purge",
        None,
        actor=removal.actor,
        reason=removal.reason,
        job_id=removal.job_id,
    )


def _recompute(
    uow: UnitOfWork, units: dict[str, MemoryUnit], gone: set[str], removal: Removal
) -> tuple[int, int]:
    """Rebuild sessions from the turns left and scrub the text from their history. Other
    units keep pointing at tombstones (their provenance says a source was purged); when rows
    go, the purged ids leave their provenance. Returns (units changed, entries scrubbed)."""
    sessions = [u for u in units.values() if u.granularity is Granularity.SESSION]
    touched = sessions if removal.tombstones else list(units.values())
    for unit in touched:
        before = _without_text(unit.snapshot())
        unit.provenance.sources = [s for s in unit.provenance.sources if s not in gone]
        if unit.granularity is Granularity.SESSION:  # a summary may quote the purged turns
            unit.attributes = {k: v for k, v in unit.attributes.items() if "summary" not in k}
        unit.version += 1
        unit.updated_at = utcnow()
        uow.units.save(unit)
        why = {"actor": removal.actor, "reason": "a source was purged", "job_id": removal.job_id}
        record(uow, unit, "recompute", before, **why)
    for session in sessions:
        refresh_session(uow, session.scope, removal.actor)
    return len(touched), uow.history.scrub_many([u.id for u in sessions])


def _without_text(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in ("content", "attributes")}


def _texts(units: Iterable[MemoryUnit]) -> list[str]:
    """Every text the purged units were embedded as: the unit's key text, and the sentence
    keys compression embeds a turn's sentences under."""
    out: list[str] = []
    for unit in units:
        speaker = unit.attributes.get("speaker")
        out += [unit.content, key_text(speaker, unit.content)]
        out += [embed_key(s) for s in sentences_of([(speaker, unit.content)])]
    return [t for t in dict.fromkeys(out) if t]
