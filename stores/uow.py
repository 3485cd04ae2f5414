"""Unit of work: one transaction over the repositories of one tenant (`UnitOfWork` in
`memsvc.domain.ports`). The repositories are the same SQL on both dialects; the lexical index,
the vector rows and the write lock come from the `Backend` that `bootstrap` chose.

Only services commit. Leaving the `with` block without `commit()` rolls everything back.
After a commit the vector index takes in the vector changes of the transaction.
"""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType

from memsvc.stores.backend import Backend
from memsvc.stores.history import HistoryRepository
from memsvc.stores.jobs import JobRepository
from memsvc.stores.maintenance import mark_pending
from memsvc.stores.scopes import ScopeRepository
from memsvc.stores.units import UnitRepository
from memsvc.stores.vectors import VectorStore
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from memsvc.domain import UnavailableError
from memsvc.domain.auth import TenantRef, as_tenancy
from memsvc.domain.errors import TransientError
from memsvc.domain.ports import LexicalIndex, VectorIndex


class SqlUnitOfWork:
    units: UnitRepository
    history: HistoryRepository
    jobs: JobRepository
    vectors: VectorStore
    lexical: LexicalIndex
    scopes: ScopeRepository
    session: Session

    def __init__(
        self,
        sessions: sessionmaker[Session],
        tenant: TenantRef,
        index: VectorIndex,
        model: str,
        backend: Backend,
        gate: threading.RLock | None = None,
    ) -> None:
        """`gate`: held from enter to exit (the process's one writer at a time, SQLite)."""
        self.tenancy = as_tenancy(tenant)
        if not self.tenancy.tenant_id:
            raise ValueError("a tenant scope is required for every unit of work")
        self.tenant_id = self.tenancy.tenant_id
        self._sessions = sessions
        self._index = index
        self._model = model
        self._backend = backend
        self._gate = gate
        self._committed = False

    def __enter__(self) -> SqlUnitOfWork:
        if self._gate is not None:
            self._gate.acquire()
        try:
            self._open()
        except BaseException:
            if self._gate is not None:
                self._gate.release()  # never left held: every writer of the process waits on it
            raise
        return self

    def _open(self) -> None:
        self.session = self._sessions()
        self.units = self._backend.units(self.session, self.tenancy)
        self.history = HistoryRepository(self.session, self.tenant_id)
        self.jobs = JobRepository(self.session, self.tenancy)
        self.vectors = self._backend.vectors(self.session, self.tenant_id, self._model)
        self.lexical = self._backend.lexical(self.session, self.tenancy)
        self.scopes = ScopeRepository(self.session, self.tenancy)

    def commit(self) -> None:
        changes = self.vectors.finish()
        try:
            self.session.commit()
        except OperationalError as exc:
            raise UnavailableError(f"the database refused the write: {exc.orig}") from exc
        self._committed = True
        self._index.apply(changes)

    def rollback(self) -> None:
        self.session.rollback()

    def lock(self, key: str) -> None:
        self._backend.lock(self.session, key)

    def mark_scrub_pending(self) -> None:
        mark_pending(self.session)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                with contextlib.suppress(DBAPIError):  # a dropped connection: nothing to undo
                    self.session.rollback()
            self.session.close()
        finally:
            if self._gate is not None:
                self._gate.release()
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            raise TransientError(f"the database connection dropped: {exc.orig}") from exc


class SqlUnitOfWorkFactory:
    """Makes units of work: writes on the write engine (on SQLite it locks at BEGIN), reads
    on the read engine."""

    def __init__(
        self, write: Engine, read: Engine, index: VectorIndex, model: str, backend: Backend
    ) -> None:
        self._write = sessionmaker(write, expire_on_commit=False)
        self._read = sessionmaker(read, expire_on_commit=False)
        self.index = index
        self._model = model
        self._backend = backend
        self._gate = threading.RLock() if backend.serial_writes else None

    def __call__(self, tenant: TenantRef, *, write: bool = True) -> SqlUnitOfWork:
        """A unit of work confined to `tenant` (a tenant id, or a tenancy narrowed to a user
        or agent)."""
        if not write:
            return SqlUnitOfWork(self._read, tenant, self.index, self._model, self._backend)
        return SqlUnitOfWork(
            self._write, tenant, self.index, self._model, self._backend, self._gate
        )


# The names the rest of the stores (and tests) knew them by.
UnitOfWork = SqlUnitOfWork
UnitOfWorkFactory = SqlUnitOfWorkFactory
