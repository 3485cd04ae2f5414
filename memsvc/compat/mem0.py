"""mem0's `Memory` API over the memsvc SDK, so code written for mem0 runs unchanged:

    from memsvc.compat.mem0 import Memory     # instead of: from mem0 import Memory
    m = Memory()                               # embedded memsvc (~/.memsvc), or Memory(sdk)
    m.add(messages, user_id="alice")
    m.search("What do you know about me?", filters={"user_id": "alice"})["results"]

Every method is one or a few calls of a memsvc SDK object (`memsvc.Memory`, or a
`memsvc.MemoryClient` for a server) and returns mem0's shapes: `{"results": [item, ...]}`
with items `{"id", "memory", "hash", "metadata", "created_at", "updated_at", "user_id",
"agent_id", "run_id", "role", "actor_id", "score"}` (plus `"granularity"`, memsvc's kind of
unit). How mem0's notions map onto memsvc:

- `user_id` / `agent_id` are memsvc's; `run_id` is the session (`session_id`).
- A memory is a memsvc unit: the stored messages (turns, verbatim) and the facts extracted
  from them. `infer=True` extracts facts in the call (`extract="sync"`); `infer=False`
  stores the messages only. `search` is memsvc's routed search, so it can also answer
  with a session or topic summary. Facts belong to the user or agent, not to a run.
- `metadata` is kept on the stored messages; facts reach it through their provenance.
- `search` and `get_all` take the scope top-level (mem0 1.x: `user_id=`, `limit=`) or in
  `filters` (mem0 2.x+: `filters={"user_id": ...}`, `top_k=`).
- `delete` / `delete_all` / `reset` are soft deletes with history kept (memsvc's purge jobs
  remove the text); `delete_all` cascades to what was derived only from what it deletes.
- A message's text cannot change (turns are verbatim): `update` of a stored message's text
  raises; update the extracted facts, or delete and add again.

What memsvc does not do raises `UnsupportedError` (a `ValueError`) saying why: a search
`threshold` (memsvc's fused scores are ranks, not similarities), `rerank`, metadata filters
in `search`, filter operators (`AND`/`OR`/`in`/...), `expiration_date`, custom extraction
`prompt`s, `memory_type="procedural_memory"`, images in messages, and mem0 provider configs
in `from_config` (memsvc is configured by `MEMSVC_*` settings). `AsyncMemory` is not offered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import memsvc
from memsvc.compat._mem0_args import (
    UnsupportedError,
    chunks,
    count,
    merge_scope,
    read_messages,
    refuse,
    scope_of,
    time_of,
)
from memsvc.compat._mem0_shapes import Origin, added_row, history_row, item, scored
from memsvc.domain.errors import NotFoundError
from memsvc.schemas import Unit

__all__ = ["Memory", "UnsupportedError"]

logger = logging.getLogger(__name__)

Sdk = memsvc.Memory | memsvc.MemoryClient
LISTED = ["turn", "fact"]  # what get_all lists: the stored messages and the extracted facts
PAGE = 500


class Memory:
    """mem0's `Memory` over a memsvc SDK object (embedded `memsvc.Memory()` by default)."""

    def __init__(self, memory: Sdk | None = None) -> None:
        self._sdk: Sdk = memory if memory is not None else memsvc.Memory()
        self._owned = memory is None

    @classmethod
    def from_config(cls, config_dict: dict[str, Any]) -> Memory:
        """mem0 builds its LLM, embedder and vector store from this dict; memsvc has its own
        (configured by `MEMSVC_*` settings), so only an empty config is accepted."""
        unknown = sorted(k for k in config_dict if k != "version")
        if unknown:
            raise UnsupportedError(
                f"mem0 provider configuration ({', '.join(unknown)}) does not apply to memsvc: "
                "configure it with MEMSVC_* settings (e.g. MEMSVC_LLM_BASE_URL, "
                "MEMSVC_DATABASE_URL) or pass Memory(memsvc.Memory(settings))"
            )
        return cls()

    # -- writes ---------------------------------------------------------------------------
    def add(
        self,
        messages: str | dict[str, Any] | list[dict[str, Any]],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
        memory_type: str | None = None,
        prompt: str | None = None,
        timestamp: int | float | str | datetime | None = None,
        expiration_date: str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """Store messages (and, with `infer`, the facts extracted from them).

        Returns `{"results": [{"id", "memory", "event", ...}]}`: the stored messages (event
        ADD, or NONE when already stored) and the facts extracted (ADD, or UPDATE when the
        extraction changed a fact that existed)."""
        refuse(memory_type=memory_type, prompt=prompt, expiration_date=expiration_date)
        scope = scope_of(user_id, agent_id, run_id)
        if not scope:
            raise ValueError("At least one of 'user_id', 'agent_id', or 'run_id' must be provided.")
        turns = read_messages(messages, metadata or {})
        if not turns:
            return {"results": []}
        started = datetime.now(UTC)
        result = self._sdk.add(
            turns,
            user_id=scope.get("user_id"),
            agent_id=scope.get("agent_id"),
            session_id=scope.get("run_id"),
            occurred_at=time_of(timestamp),
            extract="sync" if infer else "off",
        )
        fresh = [u for u in result.memories if not result.duplicates or u.created_at >= started]
        out = [{**item(u), "event": "ADD" if u in fresh else "NONE"} for u in result.memories]
        if infer:
            out += [
                {**item(f), "event": "ADD" if f.version == 1 else "UPDATE"}
                for f in self._facts_from(fresh)
            ]
        return {"results": out}

    def update(
        self,
        memory_id: str,
        text: str | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        data: str | None = None,
    ) -> dict[str, str]:
        """Change a memory's text and/or merge into its metadata (a new version, with history)."""
        text = text if text is not None else data
        if text is None and metadata is None:
            raise ValueError("At least one of text or metadata must be provided.")
        unit = self._live(memory_id)
        attributes = None
        if metadata is not None:
            merged = {**(unit.attributes.get("metadata") or {}), **metadata}
            attributes = {**unit.attributes, "metadata": merged}
        self._sdk.update(memory_id, content=text, attributes=attributes, reason="mem0 update")
        return {"message": "Memory updated successfully!"}

    def delete(self, memory_id: str) -> dict[str, str]:
        """Delete one memory (soft: out of search and lists, history kept)."""
        self._live(memory_id)
        self._sdk.delete(memory_id)
        return {"message": "Memory deleted successfully!"}

    def delete_all(
        self, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> dict[str, str]:
        """Delete every memory of a scope, with what was derived only from it."""
        scope = scope_of(user_id, agent_id, run_id)
        if not scope:
            raise ValueError(
                "At least one filter is required to delete all memories. "
                "If you want to delete all memories, use the `reset()` method."
            )
        count = self._delete_every(scope)
        logger.info("deleted %d memories", count)
        return {"message": "Memories deleted successfully!"}

    def reset(self) -> None:
        """Delete every memory of the tenant (soft deletes; memsvc keeps their history)."""
        self._delete_every({})

    # -- reads ----------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int | None = None,
        top_k: int | None = None,
        filters: dict[str, Any] | None = None,
        threshold: float | None = None,
        rerank: bool = False,
        explain: bool = False,
    ) -> dict[str, list[dict[str, Any]]]:
        """memsvc's routed search in a scope; each result has its `score` (fused rank score,
        higher is better) and, with `explain`, `score_details`: the retrievers that found it."""
        if threshold is not None:
            raise UnsupportedError(
                "threshold: memsvc ranks by reciprocal-rank fusion of several retrievers, so "
                "its scores are not similarities and a similarity cut-off has no meaning; "
                "use top_k"
            )
        if rerank:
            raise UnsupportedError(
                "rerank: memsvc has no reranker model; its router fuses "
                "dense, lexical, time and graph retrievers instead"
            )
        scope = merge_scope(filters, user_id, agent_id, run_id, allow_metadata=False)[0]
        result = self._sdk.search(
            query,
            user_id=scope.get("user_id"),
            agent_id=scope.get("agent_id"),
            session_id=scope.get("run_id"),
            k=count(top_k if top_k is not None else limit, 20),
        )
        return {"results": [scored(hit, explain) for hit in result.hits]}

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: dict[str, Any] | None = None,
        limit: int | None = None,
        top_k: int | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """The newest memories of a scope (stored messages and facts); other `filters` keys
        must equal the memory's metadata values."""
        scope, wanted = merge_scope(filters, user_id, agent_id, run_id, allow_metadata=True)
        k = count(top_k if top_k is not None else limit, 20)
        out: list[dict[str, Any]] = []
        for unit in self._pages(scope, LISTED):
            meta = unit.attributes.get("metadata") or {}
            if all(meta.get(key) == value for key, value in wanted.items()):
                out.append(item(unit))
            if len(out) >= k:
                break
        return {"results": out}

    def get(self, memory_id: str) -> dict[str, Any] | None:
        """One memory, or None when there is none with this id."""
        try:
            unit = self._sdk.get(memory_id)
        except NotFoundError:
            return None
        return None if unit.status == "deleted" else {**item(unit), "score": None}

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        """The changes of a memory, oldest first, as mem0's history rows."""
        try:
            entries = sorted(self._sdk.history(memory_id), key=lambda e: e.created_at)
        except NotFoundError:
            return []
        try:
            unit: Unit | None = self._sdk.get(memory_id)
        except NotFoundError:
            unit = None  # deleted: its history stays readable, the memory does not
        origin = Origin.of(unit, entries, memory_id)
        rows = [history_row(origin, e) for e in entries]
        if not any(e.operation in ("create", "import") for e in entries):
            # Turns are stored without a history row; their creation is the unit itself.
            rows.insert(0, added_row(origin))
        return rows

    def close(self) -> None:
        if self._owned:
            self._sdk.close()

    # -- helpers over the SDK ---------------------------------------------------------------
    def _live(self, memory_id: str) -> Unit:
        try:
            unit = self._sdk.get(memory_id)
        except NotFoundError as exc:
            raise ValueError(f"Memory with id {memory_id} not found") from exc
        if unit.status == "deleted":
            raise ValueError(f"Memory with id {memory_id} not found")
        return unit

    def _facts_from(self, turns: list[Unit]) -> list[Unit]:
        facts: dict[str, Unit] = {}
        for turn in turns:
            for unit in self._sdk.provenance(turn.id, depth=1).derived:
                if unit.granularity == "fact" and unit.status == "active":
                    facts[unit.id] = unit
        return list(facts.values())

    def _pages(self, scope: dict[str, str], granularities: list[str] | None) -> Iterator[Unit]:
        cursor: str | None = None
        while True:
            page = self._sdk.list(
                user_id=scope.get("user_id"),
                agent_id=scope.get("agent_id"),
                session_id=scope.get("run_id"),
                granularities=granularities,
                cursor=cursor,
                limit=PAGE,
            )
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def _delete_every(self, scope: dict[str, str]) -> int:
        """Delete page by page until the scope lists nothing (a cascade may take units a
        later page would have listed, so each round lists afresh)."""
        done: set[str] = set()
        while True:
            batch = [u.id for u in self._first_page(scope) if u.id not in done]
            if not batch:
                return len(done)
            for unit_id in batch:
                if unit_id not in done:
                    done.update(self._sdk.delete(unit_id, cascade=True).deleted)
                    done.add(unit_id)

    def _first_page(self, scope: dict[str, str]) -> list[Unit]:
        return next(chunks(self._pages(scope, None), PAGE), [])
