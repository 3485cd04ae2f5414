"""The store on real SQLite files: every field round-trips, history is appended, and one
tenant can never see or touch another tenant's units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from memsvc.stores.units import UnitFilter

from memsvc.bootstrap import Container
from memsvc.domain import (
    AddCommand,
    Granularity,
    ListQuery,
    MemoryUnit,
    Message,
    NotFoundError,
    Origin,
    Provenance,
    Scope,
    SearchQuery,
    Status,
    UpdateCommand,
    new_id,
)
from memsvc.service import MemoryService

T0 = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def full_unit(tenant: str = "t1") -> MemoryUnit:
    return MemoryUnit(
        id=new_id(),
        scope=Scope(tenant, "u1", "a1", "s1"),
        granularity=Granularity.FACT,
        content="The user's dog is named Rex.",
        attributes={"subject": "user", "predicate": "has_pet", "object": "Rex", "n": [1, 2]},
        occurred_at=T0,
        valid_from=T0,
        valid_to=T0 + timedelta(days=30),
        created_at=T0 + timedelta(seconds=1),
        updated_at=T0 + timedelta(seconds=2),
        last_accessed_at=T0 + timedelta(days=1),
        access_count=3,
        status=Status.SUPERSEDED,
        importance=0.8,
        strength=2.5,
        pinned=True,
        version=4,
        superseded_by="other-id",
        provenance=Provenance(
            sources=["turn-a", "turn-b"],
            origin=Origin.EXTRACTION,
            producer="rules/3",
            confidence=0.7,
            actor="key-1",
        ),
    )


def test_every_field_round_trips_through_a_sqlite_file(container: Container) -> None:
    unit = full_unit()
    with container.uow("t1") as uow:
        uow.units.add(unit)
        uow.commit()
    with container.uow("t1", write=False) as uow:
        loaded = uow.units.get(unit.id)
        derived = uow.units.derived_from(["turn-a"])
    assert loaded == unit
    assert derived == {"turn-a": [unit.id]}


def test_repository_refuses_to_run_without_a_tenant(container: Container) -> None:
    with pytest.raises(ValueError, match="tenant"):
        container.uow("")


def test_update_and_delete_append_history(service: MemoryService) -> None:
    added = service.add(AddCommand(Scope("t1", "u1"), [Message("user", "I like green tea")]))
    session = service.list(ListQuery(Scope("t1"), granularities=(Granularity.SESSION,))).items[0]
    service.update("t1", session.id, UpdateCommand(content="Tea talk", reason="rename"))
    service.delete("t1", session.id)
    entries = service.history("t1", session.id)
    assert [e.operation for e in entries] == ["update", "delete"]
    assert entries[0].before is not None and entries[0].after is not None
    assert entries[0].after["content"] == "Tea talk"
    assert entries[0].reason == "rename"
    assert [e.version for e in entries] == [2, 3]
    with pytest.raises(NotFoundError, match="deleted"):
        service.get("t1", session.id)  # a deleted memory is gone for readers
    shown = service.list(ListQuery(Scope("t1"), statuses=(Status.DELETED,))).items
    assert added.turns[0].id in [
        s for u in shown if u.id == session.id for s in u.provenance.sources
    ]


def test_hard_delete_purges_text_from_unit_and_history(service: MemoryService) -> None:
    turn = service.add(AddCommand(Scope("t1", "u1"), [Message("user", "my pin is 4242")])).turns[0]
    service.update("t1", turn.id, UpdateCommand(importance=0.9))
    service.delete("t1", turn.id, hard=True)
    tombs = service.list(ListQuery(Scope("t1", "u1"), statuses=(Status.DELETED,))).items
    # the turn, and its session (derived from that turn only): both kept as empty tombstones
    assert {t.granularity for t in tombs} == {Granularity.TURN, Granularity.SESSION}
    assert turn.id in {t.id for t in tombs} and all(t.content == "" for t in tombs)
    for entry in service.history("t1", turn.id):
        for state in (entry.before, entry.after):
            assert state is None or "content" not in state
    hits = service.search(SearchQuery(Scope("t1", "u1"), "pin 4242")).hits
    assert turn.id not in [h.unit.id for h in hits]


def test_what_quotes_several_turns_goes_with_the_last_of_them_hard_deleted(
    service: MemoryService,
) -> None:
    """Deleting turns one at a time: an entity named in all of them is derived from purged
    turns only once the last goes, and goes with it (tombstones count as purged)."""
    scope = Scope("t1", "u1", None, "s1")
    texts = ["I live in Qarnholt.", "My favourite band is Qarnholt.", "Nice weather."]
    turns = []
    for text in texts:  # extraction after each message links the entity to both mentions
        turns += service.add(AddCommand(scope, [Message("user", text, "Ann")])).turns
        service.extract(scope)
    named = [u for u in service.list(ListQuery(Scope("t1", "u1"))).items if u.content == "Qarnholt"]
    assert [u.granularity for u in named] == [Granularity.ENTITY]
    assert set(named[0].provenance.sources) == {turns[0].id, turns[1].id}
    service.delete("t1", turns[0].id, hard=True)
    assert service.get("t1", named[0].id).content == "Qarnholt"  # another source is left
    service.delete("t1", turns[1].id, hard=True)
    with pytest.raises(NotFoundError):
        service.get("t1", named[0].id)
    left = service.list(ListQuery(Scope("t1", "u1"), statuses=None)).items
    assert not [u for u in left if "Qarnholt" in u.content]


class TestTenantIsolation:
    @pytest.fixture
    def other(self, service: MemoryService) -> str:
        result = service.add(
            AddCommand(Scope("tenant-b", "u1", None, "s1"), [Message("user", "secret plan B")])
        )
        return result.turns[0].id

    def test_get_by_id(self, service: MemoryService, other: str) -> None:
        with pytest.raises(NotFoundError):
            service.get("tenant-a", other)

    def test_list_and_filter(self, service: MemoryService, other: str) -> None:
        page = service.list(ListQuery(Scope("tenant-a", "u1", None, "s1"), statuses=()))
        assert page.items == []

    def test_update_delete_history_provenance(self, service: MemoryService, other: str) -> None:
        with pytest.raises(NotFoundError):
            service.update("tenant-a", other, UpdateCommand(importance=0.1))
        with pytest.raises(NotFoundError):
            service.delete("tenant-a", other, hard=True)
        with pytest.raises(NotFoundError):
            service.history("tenant-a", other)
        with pytest.raises(NotFoundError):
            service.provenance("tenant-a", other)
        assert service.get("tenant-b", other).content == "secret plan B"

    def test_search(self, service: MemoryService, other: str) -> None:
        for user in ("u1", None):
            assert service.search(SearchQuery(Scope("tenant-a", user), "secret plan B")).hits == []
        assert service.search(SearchQuery(Scope("tenant-b", "u1"), "secret plan B")).hits

    def test_store_filters_are_tenant_scoped(self, container: Container, other: str) -> None:
        with container.uow("tenant-a", write=False) as uow:
            assert uow.units.get_many([other]) == {}
            assert uow.units.seqs(UnitFilter(statuses=None)) == []
            assert uow.units.derived_from([other]) == {}
