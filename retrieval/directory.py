"""A per-scope directory of turns (session, position, length, role, speaker) held in memory,
so the supporting retrievers (neighbours, authors) look turns up without a query each. It is
rebuilt when the scope's turn partition changes version, which every write of a turn (or
removal of its vector) bumps; none of these attributes changes otherwise."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from memsvc.domain.ports import UnitOfWork

Stamp = tuple[tuple[str, int], ...]  # (partition, version) of the partitions a cache follows


@dataclass(frozen=True, slots=True)
class TurnInfo:
    session_id: str | None
    position: int
    length: int
    role: str | None
    speaker: str | None


@dataclass(slots=True)
class TurnDirectory:
    turns: dict[int, TurnInfo]
    by_position: dict[tuple[str | None, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for seq, info in self.turns.items():
            self.by_position[(info.session_id, info.position)] = seq

    def at(self, session_id: str | None, position: int) -> int | None:
        return self.by_position.get((session_id, position))


class DirectoryCache:
    def __init__(self, size: int = 128) -> None:
        self._items: OrderedDict[tuple[str, str | None], tuple[Stamp, TurnDirectory]]
        self._items = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, uow: UnitOfWork, user_id: str | None, stamp: Stamp) -> TurnDirectory:
        """The directory of the user's (or tenant's) turns; `stamp` is the versions of the
        scope's turn partitions as the search read them."""
        key = (uow.tenant_id, user_id)
        with self._lock:
            cached = self._items.get(key)
            if cached and cached[0] == stamp:
                self._items.move_to_end(key)
                return cached[1]
        rows = uow.units.turn_directory(user_id)
        directory = TurnDirectory(
            {seq: TurnInfo(sid, pos, n, role, speaker) for seq, sid, pos, n, role, speaker in rows}
        )
        with self._lock:
            self._items[key] = (stamp, directory)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return directory
