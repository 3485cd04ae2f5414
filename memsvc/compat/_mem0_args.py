"""mem0's arguments read for memsvc: scopes, filters, messages, counts and times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from memsvc.schemas import Unit

ENTITY_KEYS = ("user_id", "agent_id", "run_id")


class UnsupportedError(ValueError):
    """A mem0 feature memsvc does not offer; the message says what to do instead."""


def refuse(**features: Any) -> None:
    why = {
        "memory_type": "memsvc extracts procedures from task traces itself (kind procedural)",
        "prompt": "memsvc's extractors (rules, or llm with MEMSVC_EXTRACTION_EXTRACTOR=llm) "
        "take no per-call prompt",
        "expiration_date": "memsvc expires memories by its retention policy (forget jobs) and "
        "by validity in time (valid_to), not by a date per memory",
    }
    for name, value in features.items():
        if value is not None:
            raise UnsupportedError(f"{name}: {why[name]}")


def scope_of(user_id: Any, agent_id: Any, run_id: Any) -> dict[str, str]:
    given = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
    scope: dict[str, str] = {}
    for key, value in given.items():
        if value is None:
            continue
        text = str(value).strip()
        if not text:
            raise ValueError(f"Invalid {key}: cannot be empty or whitespace-only.")
        scope[key] = text
    return scope


def merge_scope(
    filters: dict[str, Any] | None,
    user_id: Any,
    agent_id: Any,
    run_id: Any,
    *,
    allow_metadata: bool,
) -> tuple[dict[str, str], dict[str, Any]]:
    """The scope from top-level ids and/or `filters` (mem0 1.x and 2.x+ styles), and the
    remaining metadata filters."""
    filters = dict(filters or {})
    top = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
    for key in ENTITY_KEYS:
        if key in filters and top[key] is not None and str(filters[key]) != str(top[key]):
            raise ValueError(
                f"{key} given twice with different values ({top[key]!r} and "
                f"filters[{key!r}]={filters[key]!r})"
            )
        top[key] = filters.pop(key, top[key])
    scope = scope_of(top["user_id"], top["agent_id"], top["run_id"])
    if not scope:
        raise ValueError(
            "filters must contain at least one of: user_id, agent_id, run_id. "
            "Example: filters={'user_id': 'u1'}"
        )
    operators = [k for k, v in filters.items() if k in ("AND", "OR", "NOT") or isinstance(v, dict)]
    if operators:
        raise UnsupportedError(
            f"filter operators ({', '.join(operators)}): memsvc filters by "
            "scope and, in get_all, by equal metadata values"
        )
    if filters and not allow_metadata:
        raise UnsupportedError(
            f"metadata filters in search ({', '.join(filters)}): memsvc scopes a search "
            "before it runs and does not filter its hits afterwards (that returns short "
            "lists); use get_all(filters=...) to list by metadata"
        )
    return scope, filters


def read_messages(messages: Any, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """mem0's message forms (a string, one dict, a list of dicts) as memsvc messages.
    System messages are instructions, not memories, and are skipped (as mem0 does)."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    elif isinstance(messages, dict):
        messages = [messages]
    elif not isinstance(messages, list):
        raise ValueError("messages must be str, dict, or list[dict]")
    out = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise ValueError(f"messages[{i}] must be a dict with 'role' and 'content'")
        if not isinstance(message["content"], str):
            raise UnsupportedError(f"messages[{i}].content: memsvc stores text messages only")
        if message["role"] == "system":
            continue
        out.append(
            {
                "role": message["role"],
                "content": message["content"],
                "speaker": message.get("name"),
                "metadata": metadata,
            }
        )
    return out


def count(value: Any, default: int) -> int:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"top_k must be a positive integer, got {value!r}")
    return value


def time_of(timestamp: int | float | str | datetime | None) -> datetime | None:
    """mem0's `timestamp` (Unix seconds, as its platform takes it) as the messages' time."""
    if timestamp is None or isinstance(timestamp, datetime):
        return timestamp
    if isinstance(timestamp, int | float):
        return datetime.fromtimestamp(timestamp, UTC)
    return datetime.fromisoformat(timestamp)


def chunks(items: Iterator[Unit], size: int) -> Iterator[list[Unit]]:
    chunk: list[Unit] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
