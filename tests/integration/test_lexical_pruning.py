"""Lexical search on a large partition skips the terms most of it contains."""

from __future__ import annotations

import pytest
from memsvc.stores.lexical import SqliteFts
from memsvc.stores.partitions import partition_key
from memsvc.stores.units import UnitFilter

from memsvc.bootstrap import Container
from memsvc.domain import AddCommand, Message, Scope

pytestmark = pytest.mark.sqlite_only  # the FTS5 vocabulary table (PostgreSQL ranks in tsvector)


def test_common_terms_are_dropped_only_on_large_partitions(container: Container) -> None:
    messages = [Message("user", f"coffee every morning, note {i}") for i in range(40)]
    messages.append(Message("user", "coffee with a zebra at the zoo"))
    container.service.add(AddCommand(Scope("t", "u", None, "s"), messages))
    partitions = [partition_key("t", "u", "turn")]
    with container.uow("t", write=False) as uow:
        small = SqliteFts(uow.session, "t")  # default threshold: this partition is small
        large = SqliteFts(uow.session, "t", large=10)
        size = small._size(partitions)
        assert small._selective(size, ["coffee", "zebra"]) == ["coffee", "zebra"]
        assert large._selective(size, ["coffee", "zebra"]) == ["zebra"]
        found = large.search(partitions, "coffee zebra", 5, UnitFilter(user_id="u"))
        assert len(found) == 1  # only the rare term is searched
        assert large.search(partitions, "coffee morning", 5, UnitFilter(user_id="u")) == []
