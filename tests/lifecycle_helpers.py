"""Hand-written scopes for the lifecycle job tests: units written straight into the store
(with vectors and history, as the write path writes them), jobs run in the foreground, and
exact snapshots of everything the store holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memsvc.operations.editing import index_unit, record
from memsvc.stores.units import UnitFilter

from memsvc import Memory
from memsvc.domain import Granularity, MemoryUnit, Origin, Provenance, Scope, Status, new_id
from memsvc.schemas import JobOut
from tests.conftest import make_settings

TENANT = "default"
MAY = datetime(2023, 5, 8, 10, 0, tzinfo=UTC)


def open_memory(tmp_path: Path, **overrides: Any) -> Memory:
    """An embedded store whose jobs run only when a test runs them (`run`)."""
    overrides.setdefault("jobs", {"run_in_process": False})
    return Memory(make_settings(tmp_path, **overrides))


def run(memory: Memory, kind: str, *, dry_run: bool = False, **params: Any) -> JobOut:
    """Create a job for user `u` (unless `user_id` is given) and run it to the end here."""
    scope = {k: params.pop(k) for k in ("user_id", "agent_id", "session_id") if k in params}
    scope.setdefault("user_id", "u")
    job = memory.create_job(kind, params=params, dry_run=dry_run, **scope)
    memory._container.runner.run_pending()
    return memory.get_job(job.id)


def say(
    memory: Memory, session: str, when: datetime, *texts: str, speaker: str = "Ann"
) -> list[str]:
    """Add turns to a session of user `u`; returns their ids."""
    result = memory.add(
        [{"role": "user", "content": t, "speaker": speaker} for t in texts],
        user_id="u",
        session_id=session,
        occurred_at=when,
        extract="off",  # these tests build the derived units they need by hand
    )
    return [m.id for m in result.memories]


def put(
    memory: Memory,
    granularity: str,
    content: str,
    *,
    sources: Sequence[str] = (),
    attributes: dict[str, Any] | None = None,
    user: str = "u",
    **fields: Any,
) -> str:
    """Write one unit as extraction would: row, provenance edges, vector, lexical, history."""
    box = memory._container
    unit = MemoryUnit(
        id=new_id(),
        scope=Scope(TENANT, user),
        granularity=Granularity(granularity),
        content=content,
        attributes=attributes or {},
        provenance=Provenance(list(sources), Origin.EXTRACTION, "test/1"),
        **fields,
    )
    vector = box.embedder.embed_batch([content])[0]
    with box.uow(TENANT) as uow:
        seq = uow.units.add(unit)
        index_unit(uow, seq, unit, vector)
        record(uow, unit, "create", None, reason="test")
        uow.commit()
    return unit.id


def fact(memory: Memory, text: str, spo: tuple[str, str, str] | None = None, **kw: Any) -> str:
    attributes = dict(zip(("subject", "predicate", "object"), spo)) if spo else {}
    return put(memory, "fact", text, attributes=attributes, **kw)


def unit(memory: Memory, unit_id: str) -> MemoryUnit:
    with memory._container.uow(TENANT, write=False) as uow:
        return uow.units.get(unit_id)


def state(memory: Memory) -> dict[str, dict[str, Any]]:
    """Every unit of the tenant (any status) as its snapshot plus what a snapshot leaves out
    and a job might touch; versions excluded (history moves them on)."""
    with memory._container.uow(TENANT, write=False) as uow:
        units = uow.units.find(UnitFilter(statuses=None))
        seqs = uow.units.seqs_of([u.id for u in units])
        vectors = uow.vectors.get(seqs.values())
    out = {}
    for u in units:
        snap = u.snapshot()
        snap.pop("version")
        vector = vectors.get(seqs[u.id])
        snap["vector"] = None if vector is None else [round(float(x), 5) for x in vector]
        out[u.id] = snap
    return out


def set_access(memory: Memory, unit_id: str, count: int, when: datetime) -> None:
    """Give a unit retrieval hits, as search's batched access tracking does."""
    with memory._container.uow(TENANT) as uow:
        uow.units.record_access({uow.units.seq_of(unit_id): count}, when)
        uow.commit()


def statuses(memory: Memory, *ids: str) -> list[Status]:
    return [unit(memory, i).status for i in ids]
