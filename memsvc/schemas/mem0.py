"""mem0's export shape, read into memsvc facts.

mem0 exports memories as `Memory.get_all()` returns them: `{"results": [item, ...]}` (mem0
1.1+; a `relations` key, when its graph store is on, is not read), a bare list of items (the
1.0 format), or, from the platform's paginated `get_all`, pages of items (one JSON object a
line works too). An item is `{"id", "memory", "hash", "metadata", "created_at",
"updated_at", "user_id", "agent_id", "run_id", ...}` and becomes a fact:

- its id is kept (a mem0 id is a UUID), so an import run again skips what it stored;
- `user_id` / `agent_id` are memsvc's, `run_id` is the session, as `memsvc.compat.mem0` maps
  them; `metadata` is `attributes.metadata`, and every other field (`hash`, `actor_id`,
  `role`, `categories`, ...) is kept under `attributes.mem0`;
- `created_at` is when the fact was learned and when it occurred; `updated_at` stays;
- provenance `origin=import`, `producer=import/mem0`, the importing key as actor; its
  idempotency key is the one extraction gives the same fact, so hearing it again here
  merges into it.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from memsvc import domain as d
from memsvc.domain.keys import derived_key, norm
from memsvc.domain.transfer import TransferItem
from memsvc.schemas.types import Id, JsonObject, Text, Time

PRODUCER = "import/mem0"
_NAMESPACE = uuid.UUID("6d656d30-0000-4000-8000-6d656d737663")  # ids made for mem0 items


class Mem0Item(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = None
    memory: Text = Field(description="The memory's text.")
    metadata: JsonObject | None = None
    created_at: Time | None = None
    updated_at: Time | None = None
    user_id: Id | None = None
    agent_id: Id | None = None
    run_id: Id | None = None

    def to_domain(self, tenant_id: str, actor: str | None, where: str) -> TransferItem:
        scope = d.Scope(tenant_id, self.user_id, self.agent_id, self.run_id)
        learned = self.created_at or d.utcnow()
        unit = d.MemoryUnit(
            id=self._unit_id(),
            scope=scope,
            granularity=d.Granularity.FACT,
            content=self.memory,
            attributes={"kind": "mem0", "metadata": self.metadata or {}, "mem0": self._extras()},
            occurred_at=self.created_at,
            created_at=learned,
            updated_at=self.updated_at or learned,
            provenance=d.Provenance(origin=d.Origin.IMPORT, producer=PRODUCER, actor=actor),
        )
        key = derived_key(scope, d.Granularity.FACT, norm(self.memory))
        return TransferItem(unit, key, [], where)

    def _unit_id(self) -> str:
        """The mem0 id when it fits memsvc's (36 characters), else one made from it (or
        from the memory and its scope, when it has none): the same item, the same id."""
        if self.id and len(self.id) <= 36:
            return self.id
        basis = self.id or "\x1f".join(
            str(v) for v in (self.user_id, self.agent_id, self.run_id, self.memory)
        )
        return str(uuid.uuid5(_NAMESPACE, basis))

    def _extras(self) -> dict[str, Any]:
        extras = {k: v for k, v in (self.model_extra or {}).items() if v is not None}
        if self.id and len(self.id) > 36:
            extras["id"] = self.id
        return extras


def items_of(document: Any) -> list[Any]:
    """The items of a mem0 export document: `{"results": [...]}`, or a bare list."""
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        return list(document["results"])
    if isinstance(document, list):
        return document
    raise ValueError(
        'a mem0 export is {"results": [...]} (Memory.get_all()), a list of memories, or one '
        "memory object a line"
    )


def is_item(value: Any) -> bool:
    return isinstance(value, dict) and "memory" in value
