"""Where search time goes: per-stage p50/p95 over many searches made with `profile=True`, for
`memsvc bench --profile` and `memsvc eval ... --profile`.

A scope's first search in the process is kept apart from the later ones: it is the cold one
(the scope's turn directory, entity names and index partitions are read then), and averaging
it into the warm searches would hide it. `sdk` is the time of the SDK call around the
service's search (checking the request, converting the result to the public schema; for a
`MemoryClient`, HTTP too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from memsvc import SearchResult

GROUPS = {"first": "first search of a scope (cold)", "later": "later searches (warm)"}


@dataclass(slots=True)
class _Group:
    searches: int = 0
    order: list[str] = field(default_factory=list)  # stages in the order searches run them
    ms: dict[str, list[float]] = field(default_factory=dict)
    statements: dict[str, list[int]] = field(default_factory=dict)

    def add(self, steps: list[tuple[str, float, int]]) -> None:
        """One search's stages (name, ms, statements), in the order they ran: a stage seen
        for the first time goes after the one it followed."""
        self.searches += 1
        before = None
        for name, ms, statements in steps:
            if name not in self.ms:
                self.order.insert(self.order.index(before) + 1 if before else 0, name)
            self.ms.setdefault(name, []).append(ms)
            self.statements.setdefault(name, []).append(statements)
            before = name


class StageTimes:
    """Collects the profiles of searches, grouped into first (per scope) and later ones."""

    def __init__(self) -> None:
        self._groups = {name: _Group() for name in GROUPS}
        self._seen: set[str] = set()

    def add(self, scope: str, result: SearchResult, wall_ms: float) -> None:
        """One search of `scope`, `wall_ms` as its caller timed it."""
        group = self._groups["later" if scope in self._seen else "first"]
        self._seen.add(scope)
        steps = [(s.name, s.ms, s.statements) for s in result.profile or []]
        inside = next((ms for name, ms, _ in steps if name == "search"), wall_ms)
        group.add([*steps, ("sdk", max(0.0, wall_ms - inside), 0)])

    def to_dict(self) -> dict[str, Any]:
        """{group: {"searches": n, "stages": [{name, ran, p50, p95, statements}, ...]}}; a
        stage's percentiles are over the searches it ran in (`ran` of them)."""
        return {
            name: {"searches": group.searches, "stages": _stages(group)}
            for name, group in self._groups.items()
            if group.searches
        }


def _stages(group: _Group) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "ran": len(values),
            "p50": float(np.percentile(values, 50)),
            "p95": float(np.percentile(values, 95)),
            "mean": float(np.mean(values)),
            "statements": float(np.mean(group.statements[name])),
        }
        for name, values in ((n, group.ms[n]) for n in group.order)
    ]


def stages_markdown(data: dict[str, Any]) -> list[str]:
    """One table per group: stage, searches it ran in, p50 / p95 / mean ms, statements."""
    lines: list[str] = []
    for name, group in data.items():
        lines += [
            "",
            f"{GROUPS[name]}: {group['searches']} searches",
            "",
            "| stage | ran in | p50 ms | p95 ms | mean ms | statements |",
            "|---|---|---|---|---|---|",
        ]
        for s in group["stages"]:
            indent = "&nbsp;&nbsp;" * s["name"].count("/")
            lines.append(
                f"| {indent}{s['name']} | {s['ran']} | {s['p50']:.2f} | {s['p95']:.2f} "
                f"| {s['mean']:.2f} | {s['statements']:.1f} |"
            )
    return lines
