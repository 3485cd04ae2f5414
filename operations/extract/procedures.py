"""Procedures from task traces: turns tagged with a task, or runs of tool calls.

A turn belongs to a task when `attributes["metadata"]["task"]` names it; its step is
`metadata["step"]` (text) or else its tool calls or its text, and `metadata["outcome"]`
(success/failure) on any turn of the task gives the outcome (the last one wins). Untagged
runs of tool calls become a procedure whose goal is the user message that started them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from memsvc.operations.extract.types import Outcome, ProcedureCandidate

from memsvc.domain import MemoryUnit

TAGGED_CONFIDENCE = 0.9
INFERRED_CONFIDENCE = 0.6
MAX_STEP_CHARS = 200

_SUCCESS = frozenset("success succeeded successful ok done passed completed resolved".split())
_FAILURE = frozenset("failure failed fail error errored aborted cancelled canceled".split())


def find_procedures(turns: Sequence[MemoryUnit]) -> list[ProcedureCandidate]:
    """Procedure candidates of a session batch, tagged tasks first, in order of appearance."""
    ordered = sorted(turns, key=lambda t: t.attributes.get("position", 0))
    return _tagged(ordered) + _tool_runs(ordered)


def _metadata(turn: MemoryUnit) -> Mapping[str, Any]:
    meta = turn.attributes.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _tagged(turns: Sequence[MemoryUnit]) -> list[ProcedureCandidate]:
    tasks: dict[str, list[MemoryUnit]] = {}
    for turn in turns:
        task = _metadata(turn).get("task")
        if isinstance(task, str) and task.strip():
            tasks.setdefault(task.strip(), []).append(turn)
    out = []
    for goal, members in tasks.items():
        steps: list[str] = []
        for turn in members:
            for step in _steps_of(turn):
                if not steps or steps[-1] != step:
                    steps.append(step)
        if steps:
            outcome = _outcome(members)
            out.append(
                ProcedureCandidate(
                    goal=goal,
                    steps=steps,
                    outcome=outcome,
                    source_turn_ids=[t.id for t in members],
                    confidence=TAGGED_CONFIDENCE,
                )
            )
    return out


def _steps_of(turn: MemoryUnit) -> list[str]:
    meta = _metadata(turn)
    step = meta.get("step")
    if isinstance(step, str) and step.strip():
        return [_short(step)]
    calls = [c for c in (_call_text(c) for c in _tool_calls(meta)) if c]
    if calls:
        return calls
    if turn.attributes.get("role") in ("assistant", "tool") and turn.content.strip():
        return [_short(turn.content)]
    return []


def _tool_runs(turns: Sequence[MemoryUnit]) -> list[ProcedureCandidate]:
    """Untagged tool calls, grouped by the user message that preceded them."""
    out: list[ProcedureCandidate] = []
    goal: MemoryUnit | None = None
    run: list[MemoryUnit] = []
    for turn in turns:
        if turn.attributes.get("role") == "user":
            if run and goal is not None:
                out.append(_inferred(goal, run))
            goal, run = turn, []
        elif _joins_run(turn, run):
            run.append(turn)
    if run and goal is not None:
        out.append(_inferred(goal, run))
    return out


def _joins_run(turn: MemoryUnit, run: list[MemoryUnit]) -> bool:
    """An untagged turn continues a run once a tool call has started it."""
    if isinstance(_metadata(turn).get("task"), str):
        return False
    return bool(_tool_calls(_metadata(turn))) or bool(run)


def _inferred(goal: MemoryUnit, run: list[MemoryUnit]) -> ProcedureCandidate:
    steps = [call for turn in run for call in map(_call_text, _tool_calls(_metadata(turn))) if call]
    return ProcedureCandidate(
        goal=_short(re.split(r"(?<=[.!?])\s", goal.content.strip())[0]),
        steps=steps,
        outcome=_outcome(run),
        source_turn_ids=[goal.id] + [t.id for t in run],
        confidence=INFERRED_CONFIDENCE,
    )


def _outcome(turns: Sequence[MemoryUnit]) -> Outcome | None:
    result: Outcome | None = None
    for turn in turns:
        value = str(_metadata(turn).get("outcome", "")).strip().lower()
        if value in _SUCCESS:
            result = "success"
        elif value in _FAILURE:
            result = "failure"
    return result


def _tool_calls(meta: Mapping[str, Any]) -> list[Any]:
    calls = meta.get("tool_calls")
    return list(calls) if isinstance(calls, list) else []


def _call_text(call: Any) -> str:
    """One tool call as a step: `name(arg=value, ...)` (OpenAI-style or flat dicts, or text)."""
    if isinstance(call, str):
        return _short(call)
    if not isinstance(call, Mapping):
        return ""
    inner = call.get("function")
    function: Mapping[str, Any] = inner if isinstance(inner, Mapping) else call
    name = str(function.get("name") or "").strip()
    if not name:
        return ""
    args = function.get("arguments", function.get("args"))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError:
            return _short(f"{name}({args})")
    if isinstance(args, Mapping):
        inner = ", ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in args.items())
        return _short(f"{name}({inner})")
    return f"{name}()"


def _short(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= MAX_STEP_CHARS else text[: MAX_STEP_CHARS - 1] + "…"
