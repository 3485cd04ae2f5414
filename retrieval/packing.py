"""Context packing: turn hits into a prompt-ready text under a token budget — grouped by
session with dates, in chronological order, without repeating what another hit already says."""

from __future__ import annotations

from collections import defaultdict

from memsvc.domain import Granularity, Hit, MemoryUnit
from memsvc.domain.text import estimate_tokens


def _line(unit: MemoryUnit) -> str:
    if unit.granularity is Granularity.TURN:
        who = unit.attributes.get("speaker") or unit.attributes.get("role") or "?"
        return f"{who}: {unit.content}"
    return f"[{unit.granularity}] {unit.content}"


def _when(unit: MemoryUnit) -> str:
    return unit.occurred_at.strftime("%Y-%m-%d") if unit.occurred_at else "undated"


def pack(hits: list[Hit], budget: int) -> str:
    """Take hits best first while they fit (derived units whose source turns are already in
    are skipped), then render by session, oldest first."""
    chosen: list[MemoryUnit] = []
    ids: set[str] = set()
    used = 0
    for hit in hits:
        unit = hit.unit
        sources = set(unit.provenance.sources)
        if unit.id in ids or (
            unit.granularity is not Granularity.TURN and sources and sources <= ids
        ):
            continue
        cost = estimate_tokens(_line(unit)) + 1
        if used + cost + 12 > budget:  # leave room for one session header
            continue
        chosen.append(unit)
        ids.add(unit.id)
        used += cost
    return _render(chosen, budget)


def _render(units: list[MemoryUnit], budget: int) -> str:
    groups: dict[str, list[MemoryUnit]] = defaultdict(list)
    for unit in units:
        groups[unit.scope.session_id or "(no session)"].append(unit)
    ordered = sorted(groups.items(), key=lambda g: min(_when(u) for u in g[1]))
    lines: list[str] = []
    for session, members in ordered:
        members.sort(key=lambda u: (_when(u), u.attributes.get("position", 0)))
        header = f"## Session {session} ({_when(members[0])})"
        block = [header, *(_line(u) for u in members)]
        if estimate_tokens("\n".join(lines + block)) > budget:
            break
        lines += block
    return "\n".join(lines)
