"""memsvc's units, hits and history entries in mem0's return shapes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from memsvc.schemas import HistoryEntry, Hit, Unit

EVENTS = {"create": "ADD", "import": "ADD", "delete": "DELETE", "purge": "DELETE"}  # else: UPDATE


def item(unit: Unit) -> dict[str, Any]:
    """A memsvc unit as a mem0 memory item."""
    out: dict[str, Any] = {
        "id": unit.id,
        "memory": unit.content,
        "hash": hashlib.md5(unit.content.encode()).hexdigest(),
        "metadata": unit.attributes.get("metadata") or None,
        "created_at": unit.created_at.isoformat(),
        "updated_at": unit.updated_at.isoformat(),
        "granularity": unit.granularity,
    }
    ids = {"user_id": unit.user_id, "agent_id": unit.agent_id, "run_id": unit.session_id}
    out.update({k: v for k, v in ids.items() if v})
    if unit.granularity == "turn":
        out["role"] = unit.attributes.get("role")
        if unit.attributes.get("speaker"):
            out["actor_id"] = unit.attributes["speaker"]
    return out


def scored(hit: Hit, explain: bool) -> dict[str, Any]:
    out = {**item(hit.memory), "score": hit.score}
    if explain:
        out["score_details"] = {
            "retrievers": [v.model_dump() for v in hit.retrievers],
            "matched_key": hit.matched_key,
            "rank": hit.rank,
        }
    return out


@dataclass(frozen=True, slots=True)
class Origin:
    """What every history row of a memory repeats: when it was made, by whom, in which role,
    and (for a turn, which has no history row of its creation) what it said then."""

    memory_id: str
    created_at: str | None
    role: str | None
    content: str | None = None
    actor: str | None = None

    @classmethod
    def of(cls, unit: Unit | None, entries: list[HistoryEntry], memory_id: str) -> Origin:
        if unit is not None:
            role = unit.attributes.get("role")
            return cls(memory_id, unit.created_at.isoformat(), role, unit.content, unit.actor)
        first = (entries[0].before or entries[0].after or {}) if entries else {}
        role = (first.get("attributes") or {}).get("role")
        return cls(memory_id, None, role, first.get("content"))  # deleted: no unit to read


def history_row(origin: Origin, entry: HistoryEntry) -> dict[str, Any]:
    before, after = entry.before or {}, entry.after or {}
    event = EVENTS.get(entry.operation, "UPDATE")
    return {
        "id": entry.id,
        "memory_id": entry.unit_id,
        "old_memory": before.get("content"),
        "new_memory": after.get("content") if event != "DELETE" else None,
        "event": event,
        "created_at": origin.created_at,
        "updated_at": entry.created_at.isoformat(),
        "is_deleted": event == "DELETE",
        "actor_id": entry.actor,
        "role": origin.role,
        "operation": entry.operation,
    }


def added_row(origin: Origin) -> dict[str, Any]:
    return {
        "id": f"{origin.memory_id}:added",
        "memory_id": origin.memory_id,
        "old_memory": None,
        "new_memory": origin.content,
        "event": "ADD",
        "created_at": origin.created_at,
        "updated_at": origin.created_at,
        "is_deleted": False,
        "actor_id": origin.actor,
        "role": origin.role,
        "operation": "add",
    }
