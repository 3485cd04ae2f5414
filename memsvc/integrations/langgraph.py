"""LangGraph's `BaseStore` over the memsvc SDK, so LangGraph agents (and LangMem's memory
tools) keep their long-term memory in memsvc:

    from memsvc import Memory
    from memsvc.integrations.langgraph import MemsvcStore

    store = MemsvcStore(Memory(), user_label=1)         # ("memories", "{user_id}") namespaces
    graph = builder.compile(store=store)

How the store maps onto memsvc:

- A namespace is a memsvc session: ("memories", "alice") is session "lg:memories/alice"
  (labels percent-encoded). Its user is the label at `user_label` ("alice" with
  `user_label=1`), or the store's fixed `user_id`; its agent is the store's `agent_id`.
  So what LangGraph writes under ("memories", "alice") is alice's memory in memsvc too,
  visible to its search, inspector and lifecycle jobs.
- An item is one turn of that session (role "memory"), stored without extraction. Its
  content, which memsvc embeds and indexes, is the value's text at `fields` (LangGraph's
  path syntax, "$" being the whole value as JSON; a put's `index=[...]` overrides it); by
  default the first of "content", "text", "memory", "data" the value has, else "$". The
  value itself, key and creation time ride in the turn's metadata.
- Turns are verbatim, so a put on an existing key adds the new version as a new turn, then
  deletes the old one (soft: memsvc keeps its history). A delete is a soft delete.
- `get` and `put` find a key by listing the turns of its namespace (once per namespace per
  batch: the SDK has no lookup by key), so they cost O(items in the namespace).
- `search` without `query` lists the namespaces under the prefix, filters and orders newest
  first. With `query` it is memsvc's hybrid search (dense + lexical, turns) in the
  narrowest scope holding the prefix: the namespace's session when the prefix is one
  namespace, else their common user (or the tenant); hits outside the prefix or failing
  `filter` are dropped and k widened until enough are found, the scope runs out, or k
  reaches `max_k` (memsvc's default limit, 200).
- `list_namespaces` reads the scope's sessions that hold items.
- Not supported: TTLs (`supports_ttl = False`, so a `ttl` raises), and `index=False` (memsvc
  indexes every unit, so such items are still found by `query`).

`batch` needs a sync client (`memsvc.Memory`, `MemoryClient`); `abatch` takes either: with
an `AsyncMemoryClient` it awaits it, with a sync one it runs `batch` in a worker thread.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import (
    BaseStore,
    GetOp,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchOp,
    validate_op_namespace,
)

from memsvc.client import AsyncMemoryClient, Memory, MemoryClient
from memsvc.integrations import _lg_namespaces as ns
from memsvc.schemas import Unit

__all__ = ["MemsvcStore"]

Client = Memory | MemoryClient | AsyncMemoryClient
PAGE = 500
ROLE = "memory"


@dataclass(frozen=True, slots=True)
class _Call:
    """One SDK call the store's logic asks its driver to make."""

    method: str
    kwargs: dict[str, Any]


Steps = Generator[_Call, Any, Any]  # the logic, written once for the sync and async drivers


@dataclass(slots=True)
class _Batch:
    """What one batch has read: the items of each namespace, newest version first."""

    items: dict[tuple[str, ...], dict[str, list[Unit]]] = field(default_factory=dict)
    sessions: dict[str | None, list[tuple[str, ...]]] = field(default_factory=dict)


class MemsvcStore(BaseStore):
    """LangGraph's `BaseStore` with memsvc as its storage and search (see the module doc)."""

    supports_ttl = False

    def __init__(
        self,
        client: Client,
        *,
        user_label: int | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        fields: Sequence[str] | None = None,
        max_k: int = 200,
    ) -> None:
        if user_label is not None and user_id is not None:
            raise ValueError("give user_label (the user comes from the namespace) or user_id")
        if user_label is not None and user_label < 0:
            raise ValueError("user_label is the index of a namespace label (0 or more)")
        self._client = client
        self._map = ns.Mapping(user_label, user_id, agent_id)
        self._fields = list(fields) if fields is not None else None
        self._max_k = max_k

    # -- BaseStore --------------------------------------------------------------------------
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        if isinstance(self._client, AsyncMemoryClient):
            raise TypeError(
                "MemsvcStore over an AsyncMemoryClient is async only: use the a* methods "
                "(aput, asearch, ...) or pass memsvc.Memory / MemoryClient"
            )
        steps = self._batch(list(ops))
        try:
            call = next(steps)
            while True:
                call = steps.send(getattr(self._client, call.method)(**call.kwargs))
        except StopIteration as done:
            return list(done.value)

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        if not isinstance(self._client, AsyncMemoryClient):
            return await asyncio.to_thread(self.batch, list(ops))
        steps = self._batch(list(ops))
        try:
            call = next(steps)
            while True:
                pending: Awaitable[Any] = getattr(self._client, call.method)(**call.kwargs)
                call = steps.send(await pending)
        except StopIteration as done:
            return list(done.value)

    # -- the logic, as steps ----------------------------------------------------------------
    def _batch(self, ops: list[Op]) -> Steps:
        seen = _Batch()
        results: list[Result] = []
        for op in ops:
            validate_op_namespace(op)
            if isinstance(op, GetOp):
                results.append((yield from self._get(op, seen)))
            elif isinstance(op, PutOp):
                results.append((yield from self._put(op, seen)))
            elif isinstance(op, SearchOp):
                results.append((yield from self._search(op, seen)))
            elif isinstance(op, ListNamespacesOp):
                results.append((yield from self._list_namespaces(op, seen)))
            else:
                raise TypeError(f"unknown store operation {op!r}")
        return results

    def _get(self, op: GetOp, seen: _Batch) -> Steps:
        versions = (yield from self._items(tuple(op.namespace), seen)).get(op.key)
        return ns.to_item(versions[0]) if versions else None

    def _put(self, op: PutOp, seen: _Batch) -> Steps:
        namespace = tuple(op.namespace)
        items = yield from self._items(namespace, seen)
        old = items.pop(op.key, [])
        if op.value is not None:
            if op.ttl is not None:
                raise NotImplementedError("MemsvcStore does not support TTLs")
            value = dict(op.value)
            created = _meta(old[0])["created_at"] if old else None
            message = {
                "role": ROLE,
                "content": ns.content_of(value, op.index or self._fields),
                "client_id": f"lg-{uuid.uuid4().hex}",  # every put is a new version
                "metadata": ns.record(namespace, op.key, value, _time(created)),
            }
            added = yield _Call(
                "add", {"messages": [message], **self._map.scope(namespace), "extract": "off"}
            )
            items[op.key] = [added.memories[0]]
        for unit in old:
            yield _Call("delete", {"memory_id": unit.id})
        seen.sessions.clear()  # a namespace may have appeared or emptied
        return None

    def _search(self, op: SearchOp, seen: _Batch) -> Steps:
        prefix = tuple(op.namespace_prefix)
        under = yield from self._namespaces(MatchCondition("prefix", prefix), seen)
        if not under:
            return []
        if op.query is None:
            found: list[Unit] = []
            for namespace in under:
                found += [v[0] for v in (yield from self._items(namespace, seen)).values()]
            kept = [u for u in found if ns.passes(_meta(u)["value"], op.filter)]
            kept.sort(key=lambda u: u.created_at, reverse=True)
            page = kept[op.offset : op.offset + op.limit]
            return [ns.to_item(u, search=True) for u in page]
        return (yield from self._query(op, under))

    def _query(self, op: SearchOp, under: list[tuple[str, ...]]) -> Steps:
        users = {self._map.user_of(n) for n in under}
        scope = {
            "user_id": users.pop() if len(users) == 1 else None,
            "agent_id": self._map.agent_id,
            "session_id": ns.session_id(under[0]) if len(under) == 1 else None,
        }
        wanted, inside = op.offset + op.limit, set(under)
        k = min(max(wanted, 10), self._max_k)
        while True:
            result = yield _Call(
                "search", {"query": op.query, **scope, "k": k, "granularities": ["turn"]}
            )
            hits = [(h.memory, h.score) for h in result.hits if _holds(h.memory, inside, op)]
            if len(hits) >= wanted or len(result.hits) < k or k >= self._max_k:
                break
            k = min(k * 4, self._max_k)
        page = hits[op.offset : op.offset + op.limit]
        return [ns.to_item(unit, score, search=True) for unit, score in page]

    def _list_namespaces(self, op: ListNamespacesOp, seen: _Batch) -> Steps:
        conditions = tuple(op.match_conditions or ())
        prefix = next((c for c in conditions if c.match_type == "prefix"), None)
        found = yield from self._namespaces(prefix or MatchCondition("prefix", ()), seen)
        kept = {
            n[: op.max_depth] if op.max_depth is not None else n
            for n in found
            if all(ns.matches(n, c) for c in conditions)
        }
        return sorted(kept)[op.offset : op.offset + op.limit]

    # -- reads over the SDK -----------------------------------------------------------------
    def _items(self, namespace: tuple[str, ...], seen: _Batch) -> Steps:
        """key -> the units holding it (newest first) in one namespace, read once a batch."""
        if namespace not in seen.items:
            by_key: dict[str, list[Unit]] = {}
            scope = self._map.scope(namespace)
            for unit in (yield from self._all(scope, "turn")):
                meta = ns.read(unit)
                if meta is not None and tuple(meta["namespace"]) == namespace:
                    by_key.setdefault(meta["key"], []).append(unit)
            seen.items[namespace] = by_key
        return seen.items[namespace]

    def _namespaces(self, prefix: MatchCondition, seen: _Batch) -> Steps:
        """The namespaces holding items under a prefix (from the sessions of its scope)."""
        user = self._map.user_of(prefix.path)
        if user not in seen.sessions:
            scope = {"user_id": user, "agent_id": self._map.agent_id, "session_id": None}
            sessions = yield from self._all(scope, "session")
            found = {
                ns.namespace_of(s.session_id) for s in sessions if s.attributes.get("turn_count")
            }
            seen.sessions[user] = sorted(n for n in found if n is not None)
        return [n for n in seen.sessions[user] if ns.matches(n, prefix)]

    def _all(self, scope: dict[str, str | None], granularity: str) -> Steps:
        units: list[Unit] = []
        cursor = None
        while True:
            page = yield _Call(
                "list", {**scope, "granularities": [granularity], "cursor": cursor, "limit": PAGE}
            )
            units += page.items
            if not page.next_cursor:
                return units
            cursor = page.next_cursor


def _holds(unit: Unit, inside: set[tuple[str, ...]], op: SearchOp) -> bool:
    meta = ns.read(unit)
    return (
        meta is not None
        and tuple(meta["namespace"]) in inside
        and ns.passes(meta["value"], op.filter)
    )


def _meta(unit: Unit) -> dict[str, Any]:
    meta = ns.read(unit)
    if meta is None:
        raise ValueError(f"memory {unit.id} holds no LangGraph item")
    return meta


def _time(iso: str | None) -> datetime:
    return datetime.fromisoformat(iso) if iso else datetime.now(UTC)
