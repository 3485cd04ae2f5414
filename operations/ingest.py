"""The write path's first step: store chat messages as turn units and their session unit.

Embedding happens before the write transaction opens, so the database write lock is held
only for the inserts. Re-sending a message (same client id, or same content in the same
session) is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from memsvc.coalesce import Coalescer
from memsvc.domain import (
    AddCommand,
    AddResult,
    Granularity,
    MemoryUnit,
    Message,
    Origin,
    Provenance,
    Scope,
    Status,
    new_id,
    utcnow,
)
from memsvc.domain.filters import UnitFilter, partition_of
from memsvc.domain.ports import Embeddings, UnitOfWork, UnitOfWorkFactory
from memsvc.domain.units import content_hash

logger = logging.getLogger(__name__)
PRODUCER = "ingest/1"
SESSION_PREVIEW_CHARS = 2000


@dataclass(slots=True)
class _Pending:
    message: Message
    key: str
    occurred_at: datetime


def key_text(speaker: str | None, content: str) -> str:
    """The text a turn is embedded and indexed under: the speaker's name leads, so queries
    naming a person find what that person said."""
    return f"{speaker}: {content}" if speaker else content


def dedupe_key(scope: Scope, message: Message, occurred_at: datetime | None) -> str:
    ident = (
        "c:" + message.client_id
        if message.client_id
        else "h:"
        + content_hash(
            message.role,
            message.speaker,
            message.content,
            _iso(occurred_at),
            *_call_ids(message.metadata),
        )
    )
    return content_hash("turn", scope.user_id, scope.agent_id, scope.session_id, ident)


def _call_ids(metadata: dict[str, Any]) -> list[str]:
    """The tool call ids a message makes or answers: a retried call, or a second "ok" result,
    is another message than the first (messages without them hash as they always did)."""
    calls = metadata.get("tool_calls")
    ids = (
        [str(c.get("id")) for c in calls if isinstance(c, dict) and c.get("id")]
        if isinstance(calls, list)
        else []
    )
    answered = metadata.get("tool_call_id")
    return ids + ([str(answered)] if answered else [])


def with_outcome(messages: Sequence[Message], outcome: str | None) -> list[Message]:
    """The messages, the last one marked with the outcome of the task they record (the run
    the extractor reads from them ends there)."""
    out = list(messages)
    if outcome and out:
        last = out[-1]
        out[-1] = replace(last, metadata={**last.metadata, "outcome": outcome})
    return out


def session_lock(scope: Scope) -> str:
    """The lock key of a session's writers."""
    return "session:" + content_hash(
        scope.tenant_id, scope.user_id, scope.agent_id, scope.session_id
    )


@dataclass(slots=True)
class _Add:
    """One add, ready to write: its command, its scope (session id decided), its messages,
    those already stored, and the vectors of the others."""

    cmd: AddCommand
    scope: Scope
    pending: list[_Pending]
    known: dict[str, MemoryUnit]
    vectors: dict[str, np.ndarray]


class Ingestor:
    """Stores adds. Each add is embedded before any lock (concurrent adds share calls of the
    model: see `SentenceTransformerEmbedder`); concurrent adds of one tenant are then written
    in one transaction (group commit, `memsvc.coalesce`), and each caller is answered after
    the commit that made its turns durable. Embedding the next group overlaps writing this
    one: the model and the database writer are each busy with one batch at a time."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embedder: Embeddings,
        max_group: int = 64,
        wait_s: float = 0.0,
    ) -> None:
        self._uow = uow
        self._embedder = embedder
        self._group: Coalescer[_Add, AddResult] = Coalescer(self._write_group, max_group, wait_s)

    @property
    def groups(self) -> int:
        """Groups written so far (one per transaction of adds)."""
        return self._group.batches

    def add(self, cmd: AddCommand) -> AddResult:
        return self._group.submit(cmd.scope.tenant_id, self._prepare(cmd))

    def _prepare(self, cmd: AddCommand) -> _Add:
        """All an add needs before the write lock: its keys, those stored, the new vectors."""
        scope = cmd.scope.with_session(cmd.scope.session_id or new_id())
        pending = self._pending(cmd, scope)
        with self._uow(scope.tenant_id, write=False) as uow:
            known = uow.units.by_dedupe_keys([p.key for p in pending])
        fresh = [p for p in pending if p.key not in known]
        return _Add(cmd, scope, pending, known, self._vectors(scope.tenant_id, fresh))

    def _write_group(self, adds: Sequence[_Add]) -> list[AddResult | BaseException]:
        """One transaction for the group; if it fails, each add alone, so that an error is
        raised only by the add that caused it and the others are still stored."""
        if len(adds) > 1:
            try:
                return list(self._write(adds))
            except Exception:  # noqa: BLE001 - retried one by one below, each its own error
                logger.info("a group of %d adds failed; writing them one by one", len(adds))
        return [_outcome(self._write_one, add) for add in adds]

    def _write_one(self, add: _Add) -> AddResult:
        return self._write([add])[0]

    def _write(self, adds: Sequence[_Add]) -> list[AddResult]:
        known = {k: u for a in adds for k, u in a.known.items()}
        vectors = {k: v for a in adds for k, v in a.vectors.items()}
        made: list[dict[str, MemoryUnit]] = []
        with self._uow(adds[0].scope.tenant_id) as uow:
            for lock in sorted({session_lock(a.scope) for a in adds}):  # one order: no deadlock
                uow.lock(lock)  # writers of one session queue here (replicas)
            known.update(uow.units.by_dedupe_keys([k for k in vectors if k not in known]))
            for add in adds:
                todo = [p for p in add.pending if p.key not in known]
                made.append(
                    self._write_turns(uow, add.scope, add.cmd, todo, [vectors[p.key] for p in todo])
                )
                known.update(made[-1])  # a later add of the group sends it again: a duplicate
            sessions: dict[str, _Add] = {}
            for add, mine in zip(adds, made, strict=True):
                if mine:
                    sessions.setdefault(session_lock(add.scope), add)
            for add in sessions.values():  # once per session, however many adds it had
                refresh_session(uow, add.scope, add.cmd.actor)
            uow.commit()
        return [_result(add, known, mine) for add, mine in zip(adds, made, strict=True)]

    def _vectors(self, tenant_id: str, pending: list[_Pending]) -> dict[str, np.ndarray]:
        """The vectors of messages not stored yet (before any lock is taken)."""
        texts = [key_text(p.message.speaker, p.message.content) for p in pending]
        batch = self._embedder.for_tenant(tenant_id).embed_batch(texts)
        return {p.key: vector for p, vector in zip(pending, batch, strict=True)}

    def _pending(self, cmd: AddCommand, scope: Scope) -> list[_Pending]:
        """One entry per distinct message. A message without a time takes the time of the
        message before it in the batch (a reply follows what it answers), else the batch's
        time, else now."""
        out: dict[str, _Pending] = {}
        previous = cmd.occurred_at
        now = utcnow()
        for message in with_outcome(cmd.messages, cmd.outcome):
            stated = message.occurred_at or previous
            key = dedupe_key(scope, message, stated)
            out.setdefault(key, _Pending(message, key, stated or now))  # duplicates in a batch
            previous = stated
        return list(out.values())

    def _write_turns(
        self,
        uow: UnitOfWork,
        scope: Scope,
        cmd: AddCommand,
        pending: Sequence[_Pending],
        vectors: Sequence[np.ndarray],
    ) -> dict[str, MemoryUnit]:
        if not pending:
            return {}
        position = uow.units.count(
            UnitFilter(
                session_id=scope.session_id,
                user_id=scope.user_id,
                granularities=[Granularity.TURN],
                statuses=None,
            )
        )
        units = [
            _turn_unit(scope, item, position + offset, cmd.actor)
            for offset, item in enumerate(pending)
        ]
        seqs = uow.units.add_many(units, [item.key for item in pending])
        partitions = [partition_of(u) for u in units]
        uow.vectors.put_new(list(zip(seqs, partitions, vectors, strict=True)))
        uow.lexical.put_new(
            [
                (seq, part, key_text(item.message.speaker, unit.content))
                for seq, part, item, unit in zip(seqs, partitions, pending, units, strict=True)
            ]
        )
        return {item.key: unit for item, unit in zip(pending, units, strict=True)}


def _result(add: _Add, known: dict[str, MemoryUnit], made: dict[str, MemoryUnit]) -> AddResult:
    """An add's result; `made`: the turns this add created. A message another add of the
    group stored first is a duplicate here, as if the two adds had come one after the other."""
    turns = [made.get(p.key) or known[p.key] for p in add.pending]
    return AddResult(
        session_id=add.scope.session_id or "",
        turns=turns,
        created=len(made),
        duplicates=len(add.pending) - len(made),
        created_ids=[unit.id for unit in made.values()],
    )


def refresh_session(uow: UnitOfWork, scope: Scope, actor: str | None) -> MemoryUnit:
    """Create or update the session unit of `scope.session_id` from its live turns: sources,
    time span, a text preview, the lexical text of all turns and the mean turn vector."""
    turns = live_turns(uow, scope)
    key = content_hash("session", scope.user_id, scope.agent_id, scope.session_id)
    session = uow.units.by_dedupe_keys([key]).get(key)
    lines = [key_text(t.attributes.get("speaker"), t.content) for t in turns]
    times = [t.occurred_at for t in turns if t.occurred_at]
    if session is not None and session.status is Status.DELETED:
        return session  # deleted sessions stay deleted; their turns are kept as they are
    if session is None:
        session = MemoryUnit(
            id=new_id(),
            scope=scope,
            granularity=Granularity.SESSION,
            content="",
            provenance=Provenance(origin=Origin.MESSAGE, producer=PRODUCER, actor=actor),
        )
        seq = uow.units.add(_fill_session(session, turns, lines, times), dedupe_key=key)
    else:
        seq = uow.units.save(_fill_session(session, turns, lines, times))
    index_session(uow, seq, session, turns)
    return session


def live_turns(uow: UnitOfWork, scope: Scope) -> list[MemoryUnit]:
    """The active turns of `scope.session_id` (of `scope.user_id`), in conversation order."""
    turns = uow.units.find(
        UnitFilter(
            session_id=scope.session_id, user_id=scope.user_id, granularities=[Granularity.TURN]
        )
    )
    turns.sort(key=lambda u: u.attributes.get("position", 0))
    return turns


def index_session(
    uow: UnitOfWork,
    seq: int,
    session: MemoryUnit,
    turns: list[MemoryUnit],
    summary_vector: np.ndarray | None = None,
) -> None:
    """(Re)write a session's index entries from its live turns: the lexical text of all
    turns, and the mean turn vector (or, for a compressed session, its summary's vector)."""
    lines = [key_text(t.attributes.get("speaker"), t.content) for t in turns]
    seqs = uow.units.seqs_of([t.id for t in turns])
    vectors = uow.vectors.get(seqs.values())
    if vectors:
        mean = np.mean(np.stack(list(vectors.values())), axis=0)
        vector = summary_vector if summary_vector is not None else mean
        uow.vectors.put(seq, partition_of(session), vector / (np.linalg.norm(vector) or 1.0))
        uow.lexical.put(seq, partition_of(session), "\n".join(lines))
    else:
        uow.vectors.drop([seq])
        uow.lexical.drop([seq])


def _fill_session(
    session: MemoryUnit, turns: list[MemoryUnit], lines: list[str], times: list[datetime]
) -> MemoryUnit:
    summary = session.attributes.get("summary")
    preview = "\n".join(lines)
    if len(preview) > SESSION_PREVIEW_CHARS:
        preview = preview[:SESSION_PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"
    session.content = summary or preview or "(empty session)"
    session.attributes = {
        **session.attributes,
        "turn_count": len(turns),
        "started_at": _iso(min(times)) if times else None,
        "ended_at": _iso(max(times)) if times else None,
    }
    session.occurred_at = min(times) if times else session.occurred_at
    session.provenance.sources = [t.id for t in turns]
    session.updated_at = utcnow()
    session.status = Status.ACTIVE if turns else session.status
    return session


def _turn_unit(scope: Scope, item: _Pending, position: int, actor: str | None) -> MemoryUnit:
    message = item.message
    attributes: dict[str, Any] = {
        "role": message.role,
        "speaker": message.speaker,
        "position": position,
    }
    if message.client_id:
        attributes["client_id"] = message.client_id
    if message.metadata:
        attributes["metadata"] = message.metadata
    return MemoryUnit(
        id=new_id(),
        scope=scope,
        granularity=Granularity.TURN,
        content=message.content,
        attributes=attributes,
        occurred_at=item.occurred_at,
        provenance=Provenance(origin=Origin.MESSAGE, producer=PRODUCER, actor=actor),
    )


def _outcome(write: Callable[[_Add], AddResult], add: _Add) -> AddResult | BaseException:
    try:
        return write(add)
    except Exception as exc:  # noqa: BLE001 - handed to the caller of this add, who raises it
        return exc


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
