"""Re-embedding a store whose vectors another embedder made (a change of model or backend).

Vectors are derived data: SQL keeps every unit's text, so the texts are embedded again, under
the rules an import follows (`transfer_index.vector_text`), and the new vectors carry the new
embedder's name. Vectors of two embedders are never searched together: `bootstrap` runs this
before the store serves (SQLite), or refuses to start until `memsvc reembed` has run
(PostgreSQL, where other processes may be writing with the old embedder).

Each batch is its own transaction and only vectors that another embedder made are picked, so
an interrupted re-embedding goes on where it stopped. Every unit but sessions goes first, then
the sessions, whose vector is the mean of their turns' (or their summary's, once compressed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from memsvc.operations.transfer_index import Vectors, reindex_sessions, vector_text
from memsvc.stores.partitions import partition_of
from memsvc.stores.uow import UnitOfWorkFactory

from memsvc.domain import MemoryUnit, Status
from memsvc.domain.ports import Embeddings

PAGE = 256  # vectors per transaction


class Reembedder:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embedder: Embeddings,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """`uow` writes vectors stamped with `embedder`'s name; `progress` hears how many
        vectors each batch re-embedded."""
        self._uow = uow
        self._embedder = embedder
        self._progress = progress or (lambda n: None)

    def run(self, tenants: Sequence[str]) -> int:
        """Re-embed every vector of these tenants that another embedder made; returns how
        many."""
        done = 0
        for tenant in tenants:
            done += self._pass(tenant, sessions=False)
            done += self._pass(tenant, sessions=True)  # their turns' vectors are new now
        return done

    def _pass(self, tenant: str, sessions: bool) -> int:
        after, done = 0, 0
        while True:
            with self._uow(tenant, write=False) as uow:
                seqs = uow.vectors.stale(after, PAGE, sessions)
                units = uow.units.by_seqs(seqs)
            if not seqs:
                return done
            if sessions:
                self._sessions(tenant, units)
            else:
                self._units(tenant, units)
            after, done = seqs[-1], done + len(seqs)
            self._progress(len(seqs))

    def _units(self, tenant: str, units: dict[int, MemoryUnit]) -> None:
        texts = {seq: vector_text(unit) for seq, unit in units.items()}
        vectors = self._embed(tenant, [t for t in texts.values() if t is not None])
        with self._uow(tenant) as uow:
            for seq, unit in units.items():
                text = texts[seq]
                if text is None:  # deleted: a unit written today would have no vector
                    uow.vectors.drop([seq])
                else:
                    uow.vectors.put(seq, partition_of(unit), vectors[text])
            uow.commit()

    def _sessions(self, tenant: str, units: dict[int, MemoryUnit]) -> None:
        live = [u for u in units.values() if u.status is not Status.DELETED]
        summaries = [str(s.attributes["summary"]) for s in live if s.attributes.get("summary")]
        vectors = self._embed(tenant, summaries)
        with self._uow(tenant) as uow:
            uow.vectors.drop([seq for seq, u in units.items() if u.status is Status.DELETED])
            reindex_sessions(uow, live, vectors)
            uow.commit()

    def _embed(self, tenant: str, texts: list[str]) -> Vectors:
        if not texts:
            return {}
        return dict(zip(texts, self._embedder.for_tenant(tenant).embed_batch(texts)))
