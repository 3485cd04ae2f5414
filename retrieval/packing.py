"""Context packing: a prompt-ready text under a token budget that mixes granularities.

1. **Facts** the search matched, current ones with their validity and what they replaced
   ("since 2024-06-02; before: The user lives in Lisbon (until 2024-06-02)").
2. **Summaries** of the best sessions and topics, for questions that aggregate ("how many").
3. **Turns**, best first, rendered by session in chronological order under a header that
   gives the session's date.

Each part has a share of the budget; what a part leaves unused goes to the turns. Every item
carries the tail of its unit id (`[#1a2b3c4d]`), and the result lists the items with their
full ids and sources, so a reader can cite them and an evaluator can tell what was covered.
Tokens are estimated as characters / 4 (`memsvc.domain.text.estimate_tokens`).

A procedure is packed as its goal, numbered steps, preconditions and track record; one that
keeps failing is flagged so the reader does not follow it blindly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from memsvc.domain import ContextItem, Granularity, Hit, MemoryUnit
from memsvc.domain.text import estimate_tokens

FACT_SHARE = 0.3
SUMMARY_SHARE = 0.25
HEADER_TOKENS = 12


@dataclass(slots=True)
class Material:
    """What the search found beyond its hits: matched facts (best first) with the facts they
    replaced, and session or topic summaries (best first, for aggregation)."""

    facts: list[MemoryUnit] = field(default_factory=list)
    replaced: dict[str, list[MemoryUnit]] = field(default_factory=dict)  # fact id -> older
    summaries: list[MemoryUnit] = field(default_factory=list)


@dataclass(slots=True)
class Packed:
    text: str
    items: list[ContextItem]


def tag(unit: MemoryUnit) -> str:
    return f"[#{unit.id.replace('-', '')[-8:]}]"


def pack(hits: list[Hit], budget: int, material: Material | None = None) -> Packed:
    material = material or Material()
    items: list[ContextItem] = []
    fact_lines = _take(
        [(u, _fact_line(u, material.replaced.get(u.id, []))) for u in material.facts],
        int(budget * FACT_SHARE),
        items,
    )
    summary_lines = _take(
        [(u, _summary_line(u)) for u in material.summaries],
        int(budget * SUMMARY_SHARE),
        items,
    )
    blocks = []
    if fact_lines:
        blocks.append("\n".join(["## Facts", *fact_lines]))
    if summary_lines:
        blocks.append("\n".join(["## Summaries", *summary_lines]))
    used = estimate_tokens("\n".join(blocks)) if blocks else 0
    turns = _turns(hits, budget - used - 1, items)
    text = "\n".join([*blocks, turns] if turns else blocks)
    return Packed(text, items)


def _take(
    lines: Sequence[tuple[MemoryUnit, str]], budget: int, items: list[ContextItem]
) -> list[str]:
    """Lines in order while they fit under `budget` (with room for a section header)."""
    out: list[str] = []
    used = HEADER_TOKENS
    for unit, line in lines:
        cost = estimate_tokens(line) + 1
        if used + cost > budget:
            continue
        out.append(line)
        items.append(_item(unit))
        used += cost
    return out


def _item(unit: MemoryUnit) -> ContextItem:
    return ContextItem(unit.id, unit.granularity, tuple(unit.provenance.sources))


def _fact_line(fact: MemoryUnit, replaced: list[MemoryUnit]) -> str:
    since = f"since {_day(fact.valid_from)}" if fact.valid_from else ""
    before = "; ".join(
        f"{old.content} (until {_day(old.valid_to)})" for old in replaced if old.valid_to
    )
    notes = "; ".join(p for p in (since, f"before: {before}" if before else "") if p)
    return f"- {fact.content}" + (f" ({notes})" if notes else "") + f" {tag(fact)}"


def _summary_line(unit: MemoryUnit) -> str:
    text = unit.attributes.get("summary") or unit.content
    when = _day(unit.occurred_at) if unit.occurred_at else "undated"
    return f"- {unit.granularity} {when}: {text} {tag(unit)}"


def _day(when: object) -> str:
    return when.strftime("%Y-%m-%d") if hasattr(when, "strftime") else "?"


def _line(unit: MemoryUnit) -> str:
    if unit.granularity is Granularity.TURN:
        who = unit.attributes.get("speaker") or unit.attributes.get("role") or "?"
        return f"{who}: {unit.content} {tag(unit)}"
    if unit.granularity is Granularity.PROCEDURE:
        return f"{_procedure(unit)} {tag(unit)}"
    return f"[{unit.granularity}] {unit.content} {tag(unit)}"


def _procedure(unit: MemoryUnit) -> str:
    """`[procedure] goal: 1. step 2. step (requires: ...) — succeeded 7 of 8 times; ...`"""
    a = unit.attributes
    steps = [str(s) for s in a.get("steps", [])]
    if not steps:
        return f"[procedure] {unit.content}"
    found = a.get("reliability")
    reliability: dict[str, Any] = found if isinstance(found, dict) else {}
    flag = " KEEPS FAILING, do not rely on it" if reliability.get("keeps_failing") else ""
    text = f"[procedure{flag}] {a.get('goal', '')}: "
    text += " ".join(f"{i}. {step}" for i, step in enumerate(steps, start=1))
    if a.get("preconditions"):
        text += f" (requires: {'; '.join(map(str, a['preconditions']))})"
    if reliability.get("summary"):
        text += f" — {reliability['summary']}"
    return text


def _when(unit: MemoryUnit) -> str:
    return unit.occurred_at.strftime("%Y-%m-%d") if unit.occurred_at else "undated"


def _turns(hits: list[Hit], budget: int, items: list[ContextItem]) -> str:
    """Take hits best first while they fit (derived units whose sources are already in are
    skipped, except procedures: their steps merged over runs and how they went are new),
    then render by session, oldest first. A unit that opens a session pays for its header
    here, so that rendering never has to drop a session the ranking chose."""
    covered = {i.unit_id for i in items} | {s for i in items for s in i.sources}
    chosen: list[MemoryUnit] = []
    opened: set[str] = set()
    used = 0
    for hit in hits:
        unit = hit.unit
        sources = set(unit.provenance.sources)
        redundant = unit.granularity not in (Granularity.TURN, Granularity.PROCEDURE)
        if unit.id in covered or (redundant and sources and sources <= covered):
            continue
        session = _session(unit)
        cost = estimate_tokens(_line(unit)) + 1
        if session not in opened:
            cost += estimate_tokens(_header(unit)) + 1
        if used + cost > budget:
            continue
        chosen.append(unit)
        covered.add(unit.id)
        opened.add(session)
        used += cost
    return _render(chosen, budget, items)


def _session(unit: MemoryUnit) -> str:
    return unit.scope.session_id or "(no session)"


def _header(first: MemoryUnit) -> str:
    """A session's header: its date (the items name their units; the reader needs when)."""
    return f"## Session {_when(first)}"


def _render(units: list[MemoryUnit], budget: int, items: list[ContextItem]) -> str:
    groups: dict[str, list[MemoryUnit]] = defaultdict(list)
    for unit in units:
        groups[_session(unit)].append(unit)
    ordered = sorted(groups.values(), key=lambda members: min(_when(u) for u in members))
    lines: list[str] = []
    for members in ordered:
        members.sort(key=lambda u: (_when(u), u.attributes.get("position", 0)))
        block = [_header(members[0]), *(_line(u) for u in members)]
        if estimate_tokens("\n".join(lines + block)) > budget:
            break
        lines += block
        items.extend(_item(u) for u in members)
    return "\n".join(lines)
