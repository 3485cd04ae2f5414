"""Export and import of memory units with their provenance, history and idempotency keys.

Export reads a scope a page at a time (by seq, one short read transaction per page), so it
runs in constant memory and holds no connection while a slow reader catches up. Units come
oldest first, so an import writes them in the order they were made.

Import is idempotent and resumable. It reads its input twice: first it checks every item
(the input is well-formed, every unit lies in the caller's tenancy, no id belongs to another
tenant), and refuses the whole input if one fails, before anything is written; then it
writes in batches, one transaction each. A unit already present (by id) is skipped, with its
history: running an import again, or again after it stopped half-way, continues where it
stopped. Ids are kept, so provenance edges, `superseded_by` and relations' entity ids hold.
Every imported unit gets one more history entry, `import` (who imported it, and when).
Vectors are not imported: see `transfer_index`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from memsvc.operations.transfer_index import (
    index_new,
    reindex_sessions,
    sessions_touched,
    texts_to_embed,
)
from memsvc.stores.units import UnitFilter
from memsvc.stores.uow import UnitOfWork, UnitOfWorkFactory
from sqlalchemy.exc import IntegrityError

from memsvc.domain import ConflictError, ForbiddenError, HistoryEntry, Scope, Status, new_id, utcnow
from memsvc.domain.auth import TenantRef, as_tenancy
from memsvc.domain.ports import Embeddings
from memsvc.domain.transfer import ExportSummary, ImportReport, TransferItem

PAGE = 500  # units an export reads per transaction
BATCH = 200  # units an import writes per transaction
T = TypeVar("T")

ItemSource = Callable[[], Iterable[TransferItem]]  # opens the input (it is read twice)


@dataclass(slots=True)
class ImportCommand:
    tenant: TenantRef
    items: ItemSource
    actor: str | None = None  # the importing key: the actor of each `import` history entry
    reason: str = "import"
    progress: Callable[[int], None] | None = None  # hears how many items each batch took


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class Transfer:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embedder: Embeddings,
        after_write: Callable[[int], None] | None = None,
        sizes: tuple[int, int] = (BATCH, PAGE),
    ) -> None:
        """`after_write` hears how many units each batch stored (planner statistics);
        `sizes` are the units an import writes and an export reads per transaction."""
        self._uow = uow
        self._embedder = embedder
        self._after_write = after_write
        self._batch, self._page = sizes

    # -- export -----------------------------------------------------------------------------
    def summary(self, tenant: TenantRef, scope: Scope) -> ExportSummary:
        """What an export of `scope` holds (counted before it starts)."""
        where = export_filter(scope)
        with self._uow(tenant, write=False) as uow:
            units, history = uow.units.count(where), uow.units.count_history(where)
        return ExportSummary(scope, self._embedder.name, units, history)

    def export(self, tenant: TenantRef, scope: Scope) -> Iterator[TransferItem]:
        """Every unit of `scope` (any status), oldest first, with its key and history."""
        where, after = export_filter(scope), 0
        while True:
            with self._uow(tenant, write=False) as uow:
                page = uow.units.export_page(where, after, self._page)
                history = uow.history.for_units([u.id for _, u, _ in page])
            for _, unit, key in page:
                yield TransferItem(unit, key, history.get(unit.id, []))
            if len(page) < self._page:
                return
            after = page[-1][0]

    # -- import -----------------------------------------------------------------------------
    def import_(self, cmd: ImportCommand) -> ImportReport:
        """Check the whole input, then write it in batches (see the module's docstring)."""
        self._check(cmd)
        report = ImportReport()
        for chunk in chunked(cmd.items(), self._batch):
            done = self._import_batch(cmd, chunk)
            report.add(done)
            if self._after_write is not None:
                self._after_write(done.created)
            if cmd.progress is not None:
                cmd.progress(len(chunk))
        return report

    def _check(self, cmd: ImportCommand) -> None:
        tenancy = as_tenancy(cmd.tenant)
        for chunk in chunked(cmd.items(), PAGE):
            for item in chunk:
                if not tenancy.admits(item.unit.scope):
                    raise ForbiddenError(
                        f"{item.where}: memory {item.unit.id} belongs to user "
                        f"{item.unit.scope.user_id!r}, agent {item.unit.scope.agent_id!r}, "
                        "outside what this API key may write"
                    )
            with self._uow(cmd.tenant, write=False) as uow:
                _check_ids(uow, chunk)

    def _import_batch(self, cmd: ImportCommand, items: list[TransferItem]) -> ImportReport:
        with self._uow(cmd.tenant, write=False) as uow:
            present = uow.units.seqs_of([i.unit.id for i in items])
            fresh = _first_of_each([i for i in items if i.unit.id not in present])
            clashes = _drop_held_keys(uow, fresh)
            sessions = sessions_touched(uow, [i.unit for i in fresh])
        units = [i.unit for i in fresh]
        texts = texts_to_embed(units, sessions.values())
        tenant_id = as_tenancy(cmd.tenant).tenant_id
        rows = self._embedder.for_tenant(tenant_id).embed_batch(texts)
        vectors = dict(zip(texts, rows, strict=True))
        with self._uow(cmd.tenant) as uow:
            try:
                written = _write(uow, cmd, fresh)
                index_new(uow, units, written, vectors)
                reindex_sessions(uow, sessions.values(), vectors)
                uow.commit()
            except IntegrityError as exc:
                raise ConflictError(
                    "another write stored some of these memories at the same time; run the "
                    "import again: it continues where it stopped"
                ) from exc
        history = sum(len(i.history) + 1 for i in fresh)
        return ImportReport(len(items), len(fresh), len(items) - len(fresh), history, clashes)


def export_filter(scope: Scope) -> UnitFilter:
    return UnitFilter(
        user_id=scope.user_id,
        agent_id=scope.agent_id,
        session_id=scope.session_id,
        statuses=None,
    )


def _check_ids(uow: UnitOfWork, chunk: list[TransferItem]) -> None:
    """Ids are unique in the whole database: refuse units and history entries whose ids are
    taken by memories this import may not touch."""
    taken = uow.units.taken_ids([i.unit.id for i in chunk])
    if taken:
        where = next(i.where for i in chunk if i.unit.id in taken)
        raise ConflictError(
            f"{where}: memory id {min(taken)} already exists in this database outside "
            "your tenant (or your key's scope); import into another database, or purge it there"
        )
    mine = uow.units.seqs_of([i.unit.id for i in chunk])
    entries = {h.id: i for i in chunk if i.unit.id not in mine for h in i.history}
    taken = uow.history.existing_ids(list(entries))
    if taken:
        entry = min(taken)
        raise ConflictError(
            f"{entries[entry].where}: history entry id {entry} already exists in this "
            "database for another memory; the file does not belong to this database's memories"
        )


def _first_of_each(items: list[TransferItem]) -> list[TransferItem]:
    """The first item of each id (a repeated id is present by the time it is read again)."""
    seen: dict[str, TransferItem] = {}
    for item in items:
        seen.setdefault(item.unit.id, item)
    return list(seen.values())


def _drop_held_keys(uow: UnitOfWork, items: list[TransferItem]) -> int:
    """Clear the idempotency keys another unit here holds already (or an earlier item of
    the batch); the unit is still imported. Returns how many were cleared."""
    holders = uow.units.by_dedupe_keys([i.key for i in items if i.key])
    taken = {k: u.id for k, u in holders.items()}
    cleared = 0
    for item in items:
        if item.key is None:
            continue
        if taken.setdefault(item.key, item.unit.id) != item.unit.id:
            item.key = None
            cleared += 1
    return cleared


def _write(uow: UnitOfWork, cmd: ImportCommand, items: list[TransferItem]) -> list[int]:
    """Insert the units with their history and an `import` entry each; their seqs."""
    seqs = uow.units.add_many([i.unit for i in items], [i.key for i in items])
    now = utcnow()
    for item in items:
        for entry in item.history:
            uow.history.add(entry)
        unit = item.unit
        after = unit.snapshot() if unit.status is not Status.DELETED else None
        uow.history.add(
            HistoryEntry(
                new_id(),
                unit.id,
                unit.version,
                "import",
                None,
                after,
                cmd.actor,
                cmd.reason,
                None,
                now,
            )
        )
    return seqs
