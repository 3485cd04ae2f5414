"""Procedures from task traces, in the shapes agents emit them.

- **Tagged tasks**: turns whose `metadata["task"]` names a task; a turn's step is
  `metadata["step"]` (text), else its tool calls, else its text.
- **Tool-call runs** (OpenAI style): an assistant message with `tool_calls` (kept in the
  turn's metadata by the API), then `tool` messages with the results, matched by
  `tool_call_id`. An untagged run belongs to the user request before it (its goal, see
  `goals.py`); a result that reports an error marks its step and becomes a note.
- **How-tos in words** (prose and step lists): see `howtos.py`.

Outcome: `metadata["outcome"]` (success/failure; `add(..., outcome=...)` sets it on the last
message of the batch) on any turn of a trace; a mark on a turn outside every trace closes the
last open trace before it. `metadata["preconditions"]` (a list of strings) on any turn of a
trace adds preconditions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from memsvc.operations.extract.goals import goal_phrase
from memsvc.operations.extract.howtos import find_howtos
from memsvc.operations.extract.steps import Step, instruction, short, tool_step
from memsvc.operations.extract.types import Outcome, ProcedureCandidate, parse_outcome

from memsvc.domain import MemoryUnit

TAGGED_CONFIDENCE = 0.9
INFERRED_CONFIDENCE = 0.6
MAX_NOTE_CHARS = 160

_ERROR_TEXT = re.compile(
    r"^\W*(?:error|err|failed|failure|fatal|exception|traceback|denied|forbidden)\b"
    r"|\b(?:timed out|timeout|connection refused|permission denied|unavailable"
    r"|internal server error|not found|exit (?:code|status) [1-9]\d*)\b",
    re.I,
)


def find_procedures(turns: Sequence[MemoryUnit]) -> list[ProcedureCandidate]:
    """Procedure candidates of a session batch: tagged tasks, tool-call runs, then how-tos
    in words, each in order of appearance."""
    ordered = sorted(turns, key=lambda t: t.attributes.get("position", 0))
    found = _tagged(ordered) + _tool_runs(ordered) + find_howtos(ordered)
    _close_open_traces(ordered, found)
    return found


def metadata(turn: MemoryUnit) -> Mapping[str, Any]:
    meta = turn.attributes.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _tagged(turns: Sequence[MemoryUnit]) -> list[ProcedureCandidate]:
    tasks: dict[str, list[MemoryUnit]] = {}
    for turn in turns:
        task = metadata(turn).get("task")
        if isinstance(task, str) and task.strip():
            tasks.setdefault(task.strip(), []).append(turn)
    out = []
    results = _results(turns)
    for goal, members in tasks.items():
        steps: list[Step] = []
        for turn in members:
            for step in _steps_of(turn, results):
                if not steps or steps[-1].text != step.text:
                    steps.append(step)
        if steps:
            out.append(_candidate(goal, steps, members, TAGGED_CONFIDENCE))
    return out


def _steps_of(turn: MemoryUnit, results: Mapping[str, str]) -> list[Step]:
    meta = metadata(turn)
    step = meta.get("step")
    if isinstance(step, str) and step.strip():
        return [instruction(step)]
    calls = _call_steps(meta, results)
    if calls:
        return calls
    if turn.attributes.get("role") in ("assistant", "tool") and turn.content.strip():
        return [instruction(turn.content)]
    return []


def _tool_runs(turns: Sequence[MemoryUnit]) -> list[ProcedureCandidate]:
    """Untagged tool calls, grouped by the request that preceded them."""
    out: list[ProcedureCandidate] = []
    results = _results(turns)
    goal: MemoryUnit | None = None
    run: list[MemoryUnit] = []
    for turn in turns:
        if turn.attributes.get("role") == "user":
            out += _inferred(goal, run, results)
            goal, run = turn, []
        elif _joins_run(turn, run):
            run.append(turn)
    return out + _inferred(goal, run, results)


def _joins_run(turn: MemoryUnit, run: list[MemoryUnit]) -> bool:
    """An untagged turn continues a run once a tool call has started it."""
    if isinstance(metadata(turn).get("task"), str):
        return False
    return bool(_tool_calls(metadata(turn))) or bool(run)


def _inferred(
    request: MemoryUnit | None, run: list[MemoryUnit], results: Mapping[str, str]
) -> list[ProcedureCandidate]:
    steps = retried([step for turn in run for step in _call_steps(metadata(turn), results)])
    if not steps:
        return []
    said = request if request is not None else _first_text(run)
    goal = goal_phrase(said.content) if said is not None else ""
    if not goal:
        return []
    members = ([request] if request is not None else []) + run
    return [_candidate(goal, steps, members, INFERRED_CONFIDENCE)]


def retried(steps: list[Step]) -> list[Step]:
    """A call that failed and was made again the same way is one step (the retry); its
    error stays a note of the run."""
    out: list[Step] = []
    for step in steps:
        if out and out[-1].error and out[-1].text == step.text:
            out[-1] = Step(step.text, step.tool, step.args, step.error or out[-1].error)
        else:
            out.append(step)
    return out


def _first_text(run: list[MemoryUnit]) -> MemoryUnit | None:
    return next((t for t in run if t.attributes.get("role") != "tool" and t.content), None)


def _candidate(
    goal: str, steps: list[Step], members: list[MemoryUnit], confidence: float
) -> ProcedureCandidate:
    outcome = outcome_of(members)
    notes = [f"{s.tool or s.slot}: {s.error}" for s in steps if s.error]
    if outcome == "failure" and not notes:
        notes = _last_words(members)
    return ProcedureCandidate(
        goal=goal,
        steps=steps,
        outcome=outcome,
        source_turn_ids=[t.id for t in members],
        confidence=confidence,
        preconditions=_preconditions(members),
        notes=notes,
    )


def _last_words(members: list[MemoryUnit]) -> list[str]:
    """What the agent said last, when a run failed without a tool error."""
    for turn in reversed(members):
        said = turn.attributes.get("role") == "assistant" and turn.content.strip()
        if said and not _tool_calls(metadata(turn)):
            return [_note(turn.content)]
    return []


def _preconditions(members: list[MemoryUnit]) -> list[str]:
    out: list[str] = []
    for turn in members:
        given = metadata(turn).get("preconditions")
        if isinstance(given, list):
            out += [short(str(p)) for p in given if str(p).strip() and short(str(p)) not in out]
    return out


def outcome_of(turns: Sequence[MemoryUnit]) -> Outcome | None:
    """The last outcome mark on `turns` (None when none says how it went)."""
    result: Outcome | None = None
    for turn in turns:
        mark = _mark(turn)
        if mark is not None:
            result = mark
    return result


def _mark(turn: MemoryUnit) -> Outcome | None:
    return parse_outcome(metadata(turn).get("outcome"))


def _close_open_traces(turns: Sequence[MemoryUnit], found: list[ProcedureCandidate]) -> None:
    """An outcome marked on a turn outside every trace (the agent's closing message, say)
    is the outcome of the last trace before it that has none."""
    position = {t.id: t.attributes.get("position", 0) for t in turns}
    used = {i for c in found for i in c.source_turn_ids}
    for turn in turns:
        mark = _mark(turn)
        if mark is None or turn.id in used:
            continue
        here = position[turn.id]
        before = [
            c
            for c in found
            if c.outcome is None and max(position.get(i, 0) for i in c.source_turn_ids) < here
        ]
        if before:
            last = max(before, key=lambda c: max(position.get(i, 0) for i in c.source_turn_ids))
            last.outcome = mark
            last.source_turn_ids.append(turn.id)
            if mark == "failure" and not last.notes and turn.content.strip():
                last.notes = [_note(turn.content)]


def _tool_calls(meta: Mapping[str, Any]) -> list[Any]:
    calls = meta.get("tool_calls")
    return list(calls) if isinstance(calls, list) else []


def _results(turns: Sequence[MemoryUnit]) -> dict[str, str]:
    """tool_call_id -> the error its result reported (results without errors are left out)."""
    out: dict[str, str] = {}
    for turn in turns:
        meta = metadata(turn)
        call_id = meta.get("tool_call_id")
        if turn.attributes.get("role") == "tool" and isinstance(call_id, str):
            error = result_error(turn.content, meta)
            if error:
                out[call_id] = error
    return out


def result_error(content: str, meta: Mapping[str, Any]) -> str | None:
    """The error a tool result reports, if it reports one: `is_error`, a JSON object with
    `error` (or `ok: false`, a failed `status`, a non-zero exit code), or error-like text."""
    if meta.get("is_error") is True:
        return _note(content)
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, TypeError):
        data = None
    if isinstance(data, Mapping):
        if not _failed(data):
            return None
        error = data.get("error") or data.get("message") or content
        return _note(error if isinstance(error, str) else json.dumps(error))
    return _note(content) if _ERROR_TEXT.search(content[:300]) else None


def _failed(data: Mapping[str, Any]) -> bool:
    if data.get("error"):
        return True
    if data.get("ok") is False or data.get("success") is False:
        return True
    if str(data.get("status", "")).lower() in ("error", "failed", "failure"):
        return True
    code = data.get("exit_code", data.get("returncode"))
    return isinstance(code, int) and code != 0


def _call_steps(meta: Mapping[str, Any], results: Mapping[str, str]) -> list[Step]:
    return [s for s in (_call_step(c, results) for c in _tool_calls(meta)) if s is not None]


def _call_step(call: Any, results: Mapping[str, str]) -> Step | None:
    """One tool call (OpenAI-style, flat `{name, args}`, or text) as a step."""
    if isinstance(call, str):
        return instruction(call) if call.strip() else None
    if not isinstance(call, Mapping):
        return None
    inner = call.get("function")
    function: Mapping[str, Any] = inner if isinstance(inner, Mapping) else call
    name = str(function.get("name") or "").strip()
    if not name:
        return None
    error = results.get(str(call.get("id"))) if call.get("id") else None
    return tool_step(name, function.get("arguments", function.get("args")), error)


def _note(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= MAX_NOTE_CHARS else text[: MAX_NOTE_CHARS - 1] + "…"
