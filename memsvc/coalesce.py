"""Coalescing: calls made at the same time from many threads are run as one batch.

The first caller of a key leads: it waits up to `wait_s` for company (at most `max_items`
items), runs the batch, hands every caller its own outcome (a result or the exception to
raise), then passes the lead to the first caller that queued meanwhile. A lone caller pays
at most `wait_s`; under load, batches form by themselves while the one before them runs.
Batches of different keys (tenants) run side by side.

The write path uses it for group commit (`Ingestor`: one embedding batch and one
transaction for the adds of many callers) and to share embedding batches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class _Slot(Generic[T]):
    item: T
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to lead the next batch rather than with an outcome
    outcome: object = None


class Coalescer(Generic[T, R]):
    """`run(items)` returns one outcome per item, in order: a result, or an exception that
    only that item's caller raises. An exception escaping `run` is every caller's."""

    def __init__(
        self,
        run: Callable[[Sequence[T]], Sequence[R | BaseException]],
        max_items: int = 64,
        wait_s: float = 0.0,
    ) -> None:
        self._run = run
        self._max = max(1, max_items)
        self._wait_s = max(0.0, wait_s)
        self._cond = threading.Condition()
        self._queues: dict[Hashable, list[_Slot[T]]] = {}
        self._leading: set[Hashable] = set()
        self.batches = 0  # batches run (tests and metrics)

    def submit(self, key: Hashable, item: T) -> R:
        slot: _Slot[T] = _Slot(item)
        with self._cond:
            queue = self._queues.setdefault(key, [])
            queue.append(slot)
            lead = key not in self._leading
            if lead:
                self._leading.add(key)
            elif len(queue) >= self._max:
                self._cond.notify_all()  # a full batch need not wait longer
        if not lead:
            slot.done.wait()
            lead = slot.lead
        if lead:
            self._lead(key)
        if isinstance(slot.outcome, BaseException):
            raise slot.outcome
        return cast(R, slot.outcome)

    def _lead(self, key: Hashable) -> None:
        batch = self._gather(key)
        try:
            outcomes: Sequence[object] = self._run([s.item for s in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} outcomes for a batch of {len(batch)}")
        except BaseException as exc:  # noqa: BLE001 - it is every caller's: each raises it
            outcomes = [exc] * len(batch)
        finally:
            self._pass_lead(key)
        for slot, outcome in zip(batch, outcomes, strict=True):
            slot.outcome = outcome
            slot.done.set()

    def _gather(self, key: Hashable) -> list[_Slot[T]]:
        """The leader's batch: what is queued once the wait is over or the batch is full."""
        deadline = time.monotonic() + self._wait_s
        with self._cond:
            queue = self._queues[key]
            while len(queue) < self._max and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            batch = queue[: self._max]
            del queue[: self._max]
            self.batches += 1
        return batch

    def _pass_lead(self, key: Hashable) -> None:
        """The first caller queued since the batch was taken leads the next one."""
        with self._cond:
            queue = self._queues[key]
            if queue:
                queue[0].lead = True
                queue[0].done.set()
            else:
                self._leading.discard(key)
                del self._queues[key]
