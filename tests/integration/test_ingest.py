"""Storing messages: turns and their session, idempotency, times and positions."""

from __future__ import annotations

from datetime import UTC, datetime

from memsvc.domain import AddCommand, Granularity, ListQuery, Message, Scope, SearchQuery
from memsvc.service import MemoryService

T0 = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)


def conversation() -> list[Message]:
    return [
        Message("user", "I adopted a beagle called Rex", occurred_at=T0, client_id="m1"),
        Message("assistant", "Beagles are lovely companions", client_id="m2"),
        Message("user", "He loves the beach near Porto", client_id="m3"),
    ]


def units_of(service: MemoryService, granularity: Granularity) -> list:
    page = service.list(ListQuery(Scope("t"), granularities=(granularity,), limit=100))
    return page.items


def test_add_stores_turns_and_one_session_with_provenance(service: MemoryService) -> None:
    result = service.add(AddCommand(Scope("t", "u", None, "s1"), conversation()))
    assert result.created == 3 and result.duplicates == 0 and result.session_id == "s1"
    turns = sorted(units_of(service, Granularity.TURN), key=lambda u: u.attributes["position"])
    assert [t.attributes["position"] for t in turns] == [0, 1, 2]
    assert [t.attributes["client_id"] for t in turns] == ["m1", "m2", "m3"]
    # A message without a time follows the one before it.
    assert all(t.occurred_at == T0 for t in turns)
    [session] = units_of(service, Granularity.SESSION)
    assert session.provenance.sources == [t.id for t in turns]
    assert session.attributes["turn_count"] == 3
    assert service.provenance("t", turns[0].id).derived[0].id == session.id


def test_re_adding_the_same_messages_creates_nothing(service: MemoryService) -> None:
    first = service.add(AddCommand(Scope("t", "u", None, "s1"), conversation()))
    again = service.add(AddCommand(Scope("t", "u", None, "s1"), conversation()))
    assert again.created == 0 and again.duplicates == 3
    assert [u.id for u in again.turns] == [u.id for u in first.turns]
    assert len(units_of(service, Granularity.TURN)) == 3
    assert len(units_of(service, Granularity.SESSION)) == 1


def test_same_content_without_client_id_is_deduplicated_by_hash(service: MemoryService) -> None:
    message = Message("user", "my locker code is 1234", occurred_at=T0)
    service.add(AddCommand(Scope("t", "u", None, "s1"), [message, message]))
    service.add(AddCommand(Scope("t", "u", None, "s1"), [message]))
    assert len(units_of(service, Granularity.TURN)) == 1


def test_same_text_in_another_session_is_a_new_turn(service: MemoryService) -> None:
    service.add(AddCommand(Scope("t", "u", None, "s1"), conversation()))
    service.add(AddCommand(Scope("t", "u", None, "s2"), conversation()))
    assert len(units_of(service, Granularity.TURN)) == 6


def test_later_adds_continue_positions_and_update_the_session(service: MemoryService) -> None:
    service.add(AddCommand(Scope("t", "u", None, "s1"), conversation()[:1]))
    service.add(AddCommand(Scope("t", "u", None, "s1"), conversation()[1:]))
    turns = units_of(service, Granularity.TURN)
    assert sorted(t.attributes["position"] for t in turns) == [0, 1, 2]
    [session] = units_of(service, Granularity.SESSION)
    assert session.attributes["turn_count"] == 3


def test_search_explains_each_hit(service: MemoryService) -> None:
    service.add(AddCommand(Scope("t", "u", None, "s1"), conversation()))
    hits = service.search(SearchQuery(Scope("t", "u"), "beagle called Rex", k=3)).hits
    assert hits[0].unit.content == "I adopted a beagle called Rex"
    names = {v.retriever for v in hits[0].retrievers}
    assert {"turn.dense", "turn.lexical"} <= names
    assert all(v.rank >= 1 for v in hits[0].retrievers)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_a_large_batch_is_stored_whole_and_found(service: MemoryService) -> None:
    """A batch big enough for the bulk path (COPY on PostgreSQL) keeps order, positions,
    vectors and lexical entries."""
    messages = [
        Message(role="user", content=f"Reminder {i}: water plant number {i}.") for i in range(120)
    ]
    messages.append(Message(role="user", content="The violin lesson moved to Thursday."))
    result = service.add(AddCommand(Scope("t", "u", None, "big"), messages, extract="off"))
    assert result.created == 121
    query = ListQuery(Scope("t"), granularities=(Granularity.TURN,), limit=200)
    turns = service.list(query).items
    assert sorted(t.attributes["position"] for t in turns) == list(range(121))
    hits = service.search(SearchQuery(Scope("t", "u"), "when is the violin lesson", k=3)).hits
    assert hits and "violin" in hits[0].unit.content
