"""Group commit: adds that arrive together are written in one transaction, and each caller
still gets the result it would have got alone (and its own error, if it has one)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from memsvc.operations.ingest import Ingestor

from memsvc.bootstrap import Container, build
from memsvc.domain import AddCommand, AddResult, Granularity, ListQuery, Message, Scope
from memsvc.domain.errors import UnavailableError
from memsvc.embedding import HashingEmbedder
from memsvc.settings import Settings

SCOPE = Scope("t", "u", None, "s1")


class FailingEmbedder(HashingEmbedder):
    """The hashing embedder, failing on texts that say "boom"."""

    def __init__(self) -> None:
        super().__init__(64)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if any("boom" in t for t in texts):
            raise UnavailableError("the embedder failed on this text")
        return super().embed_batch(texts)


@pytest.fixture
def box(settings: Settings) -> Iterator[Container]:
    container = build(settings, embedder=FailingEmbedder())
    yield container
    container.close()


def together(ingestor: Ingestor, cmds: list[AddCommand]) -> list[AddResult | Exception]:
    """Each command added from its own thread, all at once: its result or its error."""
    start = threading.Barrier(len(cmds))

    def call(cmd: AddCommand) -> AddResult | Exception:
        start.wait()
        try:
            return ingestor.add(cmd)
        except Exception as exc:  # noqa: BLE001 - the test looks at which add failed
            return exc

    with ThreadPoolExecutor(len(cmds)) as pool:
        return list(pool.map(call, cmds))


def grouped(box: Container, size: int) -> Ingestor:
    """An ingestor over the store whose groups are exactly `size` adds."""
    return Ingestor(box.uow, box.embedder, max_group=size, wait_s=30.0)


def one(text: str, client_id: str) -> AddCommand:
    return AddCommand(SCOPE, [Message("user", text, client_id=client_id)])


def turns(box: Container) -> list:
    page = box.service.list(ListQuery(Scope("t"), granularities=(Granularity.TURN,), limit=100))
    return sorted(page.items, key=lambda u: u.attributes["position"])


def test_adds_arriving_together_share_one_transaction(box: Container) -> None:
    ingestor = grouped(box, 4)
    results = together(ingestor, [one(f"message number {i}", f"m{i}") for i in range(4)])
    assert ingestor.groups == 1
    assert all(isinstance(r, AddResult) and r.created == 1 for r in results)
    stored = turns(box)
    assert [t.attributes["position"] for t in stored] == [0, 1, 2, 3]
    assert {t.id for t in stored} == {r.turns[0].id for r in results}  # type: ignore[union-attr]
    page = box.service.list(ListQuery(Scope("t"), granularities=(Granularity.SESSION,)))
    [session] = page.items
    assert session.attributes["turn_count"] == 4


def test_a_message_sent_twice_in_one_group_is_stored_once(box: Container) -> None:
    ingestor = grouped(box, 3)
    results = together(ingestor, [one("same", "m1"), one("same", "m1"), one("other", "m2")])
    assert ingestor.groups == 1
    assert len(turns(box)) == 2
    first, second, _ = (r for r in results if isinstance(r, AddResult))
    assert sorted([first.created, second.created]) == [0, 1]
    assert first.turns[0].id == second.turns[0].id


def test_an_add_that_fails_before_its_group_fails_alone(box: Container) -> None:
    ingestor = grouped(box, 2)  # the failing add never joins: a group of the other two
    results = together(ingestor, [one("fine", "m1"), one("boom", "m2"), one("also fine", "m3")])
    assert isinstance(results[1], UnavailableError)
    assert [r.created for r in results if isinstance(r, AddResult)] == [1, 1]
    assert sorted(t.content for t in turns(box)) == ["also fine", "fine"]


def test_an_add_that_fails_within_its_group_fails_alone(box: Container) -> None:
    # NaN is not JSON: storage refuses it (the API refuses it at the edge; here it reaches
    # the store), so the group's transaction fails and its adds are written one by one.
    ingestor = grouped(box, 3)
    bad = AddCommand(SCOPE, [Message("user", "odd", client_id="m2", metadata={"x": float("nan")})])
    results = together(ingestor, [one("fine", "m1"), bad, one("also fine", "m3")])
    assert ingestor.groups == 1
    assert isinstance(results[1], Exception) and not isinstance(results[1], AddResult)
    assert [r.created for r in results if isinstance(r, AddResult)] == [1, 1]
    assert sorted(t.content for t in turns(box)) == ["also fine", "fine"]


def test_adds_of_different_sessions_in_one_group_keep_their_sessions(box: Container) -> None:
    ingestor = grouped(box, 3)
    scopes = [Scope("t", "u", None, f"s{i}") for i in range(2)] + [Scope("t", "u", None, None)]
    cmds = [AddCommand(s, [Message("user", f"hello {i}")]) for i, s in enumerate(scopes)]
    results = [r for r in together(ingestor, cmds) if isinstance(r, AddResult)]
    ids = [r.session_id for r in results]
    assert ids[:2] == ["s0", "s1"] and ids[2] not in ("s0", "s1", "")
    assert {t.scope.session_id for t in turns(box)} == set(ids)
    assert all(t.attributes["position"] == 0 for t in turns(box))
