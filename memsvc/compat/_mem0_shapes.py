"""memsvc's units, hits and history entries in mem0's return shapes."""

from __future__ import annotations

import hashlib
from typing import Any

from memsvc.schemas import HistoryEntry, Hit, Unit

EVENTS = {"create": "ADD", "delete": "DELETE", "purge": "DELETE"}  # any other change: UPDATE


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


def history_row(unit: Unit, entry: HistoryEntry) -> dict[str, Any]:
    before, after = entry.before or {}, entry.after or {}
    event = EVENTS.get(entry.operation, "UPDATE")
    return {
        "id": entry.id,
        "memory_id": entry.unit_id,
        "old_memory": before.get("content"),
        "new_memory": after.get("content") if event != "DELETE" else None,
        "event": event,
        "created_at": unit.created_at.isoformat(),
        "updated_at": entry.created_at.isoformat(),
        "is_deleted": event == "DELETE",
        "actor_id": entry.actor,
        "role": unit.attributes.get("role"),
        "operation": entry.operation,
    }


def added_row(unit: Unit) -> dict[str, Any]:
    return {
        "id": f"{unit.id}:added",
        "memory_id": unit.id,
        "old_memory": None,
        "new_memory": unit.content,
        "event": "ADD",
        "created_at": unit.created_at.isoformat(),
        "updated_at": unit.created_at.isoformat(),
        "is_deleted": False,
        "actor_id": unit.actor,
        "role": unit.attributes.get("role"),
        "operation": "add",
    }
