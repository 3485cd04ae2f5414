"""How LangGraph namespaces, items and filters map onto memsvc scopes and units (see
`memsvc.integrations.langgraph` for the whole mapping)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from langgraph.store.base import InvalidNamespaceError, Item, MatchCondition, SearchItem
from langgraph.store.base.embed import get_text_at_path

from memsvc.schemas import Unit

SESSION_PREFIX = "lg:"  # sessions holding LangGraph items; other sessions are conversations
MAX_SESSION_ID = 256
META = "langgraph"  # the key of an item's record in its turn's metadata


@dataclass(frozen=True, slots=True)
class Mapping:
    """Which memsvc scope a namespace lands in: `user_label` names the namespace label that
    is the memsvc user (e.g. 1 for ("memories", "{user_id}")); otherwise the fixed
    `user_id`. `agent_id` is fixed per store."""

    user_label: int | None = None
    user_id: str | None = None
    agent_id: str | None = None

    def user_of(self, namespace: Sequence[str]) -> str | None:
        """The memsvc user of a namespace, or of every namespace under a prefix (None when
        the prefix does not fix it)."""
        if self.user_label is None:
            return self.user_id
        if len(namespace) <= self.user_label or namespace[self.user_label] == "*":
            return None
        label = namespace[self.user_label]
        if label != label.strip():
            raise InvalidNamespaceError(f"user label {label!r} has surrounding whitespace")
        return label

    def scope(self, namespace: Sequence[str]) -> dict[str, str | None]:
        """The SDK scope arguments of one namespace (its own session)."""
        return {
            "user_id": self.user_of(namespace),
            "agent_id": self.agent_id,
            "session_id": session_id(namespace),
        }


def session_id(namespace: Sequence[str]) -> str:
    """("memories", "alice") -> "lg:memories/alice" (labels percent-encoded)."""
    sid = SESSION_PREFIX + "/".join(quote(label, safe="") for label in namespace)
    if len(sid) > MAX_SESSION_ID:
        raise InvalidNamespaceError(
            f"namespace {tuple(namespace)} is too long for a memsvc session id "
            f"({len(sid)} > {MAX_SESSION_ID} characters once encoded)"
        )
    return sid


def namespace_of(sid: str | None) -> tuple[str, ...] | None:
    """The namespace a session id encodes, or None for sessions that hold no items."""
    if not sid or not sid.startswith(SESSION_PREFIX):
        return None
    return tuple(unquote(label) for label in sid[len(SESSION_PREFIX) :].split("/"))


def matches(namespace: tuple[str, ...], condition: MatchCondition) -> bool:
    """LangGraph's prefix/suffix match with "*" wildcards, label by label."""
    path = tuple(condition.path)
    if len(namespace) < len(path):
        return False
    own = namespace[: len(path)] if condition.match_type == "prefix" else namespace[-len(path) :]
    return all(p in ("*", n) for n, p in zip(own, path, strict=True)) if path else True


TEXT_FIELDS = ("content", "text", "memory", "data")  # the default: the first one present


def content_of(value: dict[str, Any], fields: Sequence[str] | None) -> str:
    """The text memsvc embeds and indexes for an item: its values at `fields` (LangGraph's
    path syntax; "$" is the whole value as JSON); by default the first of `TEXT_FIELDS` the
    value has; the whole value as JSON when they hold no text."""
    paths = fields if fields is not None else [next((f for f in TEXT_FIELDS if f in value), "$")]
    texts = [text for path in paths for text in get_text_at_path(value, path)]
    return "\n".join(t for t in texts if t.strip()) or json.dumps(value, ensure_ascii=False)


def record(namespace: Sequence[str], key: str, value: dict[str, Any], created: datetime) -> dict:
    """What an item's turn keeps in its metadata to be read back as the same item."""
    return {
        META: {
            "namespace": list(namespace),
            "key": key,
            "value": value,
            "created_at": created.isoformat(),
        }
    }


def read(unit: Unit) -> dict[str, Any] | None:
    meta = (unit.attributes.get("metadata") or {}).get(META)
    return meta if isinstance(meta, dict) and "key" in meta else None


def to_item(unit: Unit, score: float | None = None, search: bool = False) -> Item:
    meta = read(unit)
    assert meta is not None, "only units holding an item are read as items"
    fields = {
        "namespace": tuple(meta["namespace"]),
        "key": meta["key"],
        "value": meta["value"],
        "created_at": datetime.fromisoformat(meta["created_at"]),
        "updated_at": unit.created_at,  # each version of an item is a new turn
    }
    return SearchItem(**fields, score=score) if search else Item(**fields)


def passes(value: Any, condition: dict[str, Any] | None) -> bool:
    """LangGraph's filter: exact (nested) matches or `$eq/$ne/$gt/$gte/$lt/$lte`."""
    if not condition:
        return True
    if not isinstance(value, dict):
        return False
    return all(_compare(value.get(key), wanted) for key, wanted in condition.items())


def _compare(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict) and any(str(k).startswith("$") for k in wanted):
        return all(_operator(value, op, operand) for op, operand in wanted.items())
    if isinstance(wanted, dict):
        return passes(value, wanted)
    return bool(value == wanted)


def _operator(value: Any, op: str, operand: Any) -> bool:
    if op == "$eq":
        return bool(value == operand)
    if op == "$ne":
        return bool(value != operand)
    if value is None:
        return False
    compare = {
        "$gt": lambda a, b: a > b,
        "$gte": lambda a, b: a >= b,
        "$lt": lambda a, b: a < b,
        "$lte": lambda a, b: a <= b,
    }.get(op)
    if compare is None:
        raise ValueError(f"unsupported filter operator {op!r} (use $eq/$ne/$gt/$gte/$lt/$lte)")
    return bool(compare(float(value), float(operand)))
