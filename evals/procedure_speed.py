"""Speed of learning a procedure from one 20-step run with the `rules` extractor.

    python -m memsvc.evals.procedure_speed [--steps 20] [--repeat 300]

Three shapes of one 20-step run: OpenAI-style tool calls (a request, 20 calls each with its
result, a closing message: 42 turns), a 20-item step list and a 20-step prose how-to (one
turn each). Times the whole `rules` extractor on the session batch (facts and entities
included, as the write path runs it; no store, no embedding) and `find_procedures` alone, and
prints the median and p95 milliseconds per run. Like `extraction_speed`, it reads internals:
no public API runs the extractor without storing and embedding.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from memsvc.operations.extract.procedures import find_procedures
from memsvc.operations.extract.rules import RulesExtractor
from memsvc.operations.extract.types import ExtractionContext

from memsvc.domain import Granularity, MemoryUnit, Scope

SCOPE = Scope("bench", "agent", None, "run-1")
TOOLS = ("checkout", "run_tests", "build_image", "push_image", "apply", "check_health")


def _turn(position: int, content: str, role: str, **metadata: Any) -> MemoryUnit:
    attributes: dict[str, Any] = {"role": role, "position": position}
    if metadata:
        attributes["metadata"] = metadata
    return MemoryUnit(
        id=f"t{position}",
        scope=SCOPE,
        granularity=Granularity.TURN,
        content=content,
        attributes=attributes,
    )


def _args(i: int) -> dict[str, Any]:
    return {"service": "web", "env": "staging", "tag": f"1.{i}.0", "ticket": 4000 + i}


def tool_run(steps: int) -> list[MemoryUnit]:
    turns = [_turn(0, "Please deploy the web app to staging.", "user")]
    for i in range(steps):
        call = {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": TOOLS[i % len(TOOLS)], "arguments": json.dumps(_args(i))},
        }
        turns.append(_turn(len(turns), json.dumps(_args(i)), "assistant", tool_calls=[call]))
        turns.append(_turn(len(turns), f"ok: step {i} done", "tool", tool_call_id=f"call_{i}"))
    turns.append(_turn(len(turns), "Deployed.", "assistant", outcome="success"))
    return turns


def _commands(steps: int) -> list[str]:
    return [
        f"{TOOLS[i % len(TOOLS)]} --service=web --env=staging --tag=1.{i}.0" for i in range(steps)
    ]


def step_list(steps: int) -> list[MemoryUnit]:
    lines = ["Steps to deploy the web app to staging:"]
    lines += [f"{i}. {cmd}" for i, cmd in enumerate(_commands(steps), start=1)]
    return [_turn(0, "\n".join(lines), "user")]


def prose(steps: int) -> list[MemoryUnit]:
    said = "To deploy the web app to staging I run " + ", then ".join(_commands(steps)) + "."
    return [_turn(0, said, "user")]


def _times(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm caches (compiled patterns, the stemmer)
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _row(name: str, times: Sequence[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1]
    return f"| {name} | {statistics.median(times):.3f} | {p95:.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    extractor = RulesExtractor()
    context = ExtractionContext(scope=SCOPE)
    print(f"{args.steps}-step runs, {args.repeat} repeats; milliseconds per run")
    print("| shape: what runs | median | p95 |\n|---|---|---|")
    for name, build in (("tool calls", tool_run), ("step list", step_list), ("prose", prose)):
        turns = build(args.steps)
        [found] = find_procedures(turns)
        assert len(found.steps) == args.steps, (name, len(found.steps))
        whole = partial(extractor.extract, turns, context)
        print(_row(f"{name}: rules extractor", _times(whole, args.repeat)))
        print(
            _row(f"{name}: find_procedures", _times(partial(find_procedures, turns), args.repeat))
        )


if __name__ == "__main__":
    main()
