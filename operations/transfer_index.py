"""How imported units are indexed. Vectors are not exported: they are derived from the text,
so an import embeds it again with this deployment's embedder (through its cache), under the
rules the write path follows:

- a turn: its speaker and text (`speaker: text`), for its vector and its lexical entry;
- a procedure: its goals for the vector (`procedure_merge.embedding_text`), its text for the
  lexical entry;
- a session: the transcript of its active turns for the lexical entry; for the vector the
  mean of those turns' vectors, or once compressed its summary's vector; none without turns;
- any other unit (fact, entity, relation, topic): its content, for both;
- a deleted unit: nothing (deletion takes a unit out of the indexes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from memsvc.operations.ingest import index_session, key_text, live_turns
from memsvc.operations.procedure_merge import embedding_text
from memsvc.stores.partitions import partition_of
from memsvc.stores.units import UnitFilter
from memsvc.stores.uow import UnitOfWork

from memsvc.domain import Granularity, MemoryUnit, Scope, Status

SessionRef = tuple[str | None, str | None, str | None]  # (user, agent, session) ids
Vectors = dict[str, np.ndarray]  # text -> its vector


def vector_text(unit: MemoryUnit) -> str | None:
    """The text a unit's own vector is made from; None when it has none of its own (a
    deleted unit, a session: see `reindex_sessions`)."""
    if unit.status is Status.DELETED or unit.granularity is Granularity.SESSION:
        return None
    if unit.granularity is Granularity.PROCEDURE:
        return embedding_text(unit.attributes)
    return key_text(unit.attributes.get("speaker"), unit.content)


def session_ref(unit: MemoryUnit) -> SessionRef | None:
    """The session a turn or session unit belongs to (None for other units)."""
    if unit.granularity not in (Granularity.TURN, Granularity.SESSION):
        return None
    return unit.scope.user_id, unit.scope.agent_id, unit.scope.session_id


def sessions_touched(uow: UnitOfWork, units: Sequence[MemoryUnit]) -> dict[str, MemoryUnit]:
    """The session units (stored or among `units`, not deleted) whose index entries change
    when `units` are stored: their own, and those of the sessions their turns belong to."""
    refs = {r for r in (session_ref(u) for u in units) if r is not None}
    found = {u.id: u for u in units if u.granularity is Granularity.SESSION}
    for user_id, agent_id, session_id in refs:
        stored = uow.units.find(
            UnitFilter(
                user_id=user_id,
                session_id=session_id,
                granularities=[Granularity.SESSION],
                statuses=None,
            )
        )
        found.update({u.id: u for u in stored if u.scope.agent_id == agent_id})
    return {k: u for k, u in found.items() if u.status is not Status.DELETED}


def texts_to_embed(units: Iterable[MemoryUnit], sessions: Iterable[MemoryUnit]) -> list[str]:
    """Every distinct text a batch needs a vector for: the units' own, and the summaries of
    the compressed sessions it touches."""
    texts = [t for t in (vector_text(u) for u in units) if t is not None]
    texts += [str(s.attributes["summary"]) for s in sessions if s.attributes.get("summary")]
    return list(dict.fromkeys(texts))


def index_new(
    uow: UnitOfWork, units: Sequence[MemoryUnit], seqs: Sequence[int], vectors: Vectors
) -> None:
    """Vector and lexical entries of units just inserted (sessions apart)."""
    rows = [
        (seq, partition_of(u), text)
        for u, seq in zip(units, seqs, strict=True)
        if (text := vector_text(u)) is not None
    ]
    uow.vectors.put_new([(seq, part, vectors[text]) for seq, part, text in rows])
    lexical = {seq: key_text(u.attributes.get("speaker"), u.content) for u, seq in zip(units, seqs)}
    uow.lexical.put_new([(seq, part, lexical[seq]) for seq, part, _ in rows])


def reindex_sessions(uow: UnitOfWork, sessions: Iterable[MemoryUnit], vectors: Vectors) -> None:
    """Rewrite the index entries of the sessions a batch touched, from their active turns."""
    sessions = list(sessions)
    seqs = uow.units.seqs_of([s.id for s in sessions])
    for session in sessions:
        scope = Scope(uow.tenant_id, session.scope.user_id, None, session.scope.session_id)
        turns = [t for t in live_turns(uow, scope) if t.scope.agent_id == session.scope.agent_id]
        summary = session.attributes.get("summary")
        vector = vectors.get(str(summary)) if summary else None
        index_session(uow, seqs[session.id], session, turns, vector)
