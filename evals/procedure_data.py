"""Seeded task-trace sets for `memsvc eval procedures`.

A set has scopes; each scope has goals (operations tasks: deploy, roll back, restart, scale,
rotate credentials, restore, migrate; on services or databases, in staging or production),
all over one shared tool vocabulary. Target goals get paraphrased how-to queries; distractor
goals are near neighbours of a target (same task elsewhere, or another task on the same
thing) and are never asked about, so the same tools and words appear in both.

Every goal has a known-good variant (its recipe) and a known-bad one (the recipe with one
mistake: a skipped step, a wrong argument, two steps swapped), each with its own success
rate; a broken goal has only a recipe that rarely works. Runs fail at a step with an error
(the bad variant's own error, or a transient one: registry down, API timeout), and the agent
stops there. Runs are written the way they reach a memory service: OpenAI-style tool-call
messages (sometimes with a retried call), step lists, or prose how-tos, in one interleaved
order per scope, each with its outcome.

Nothing here knows how memsvc parses or ranks: the phrasings are the ones people and agents
use, and the rates are fixed in `TraceConfig`.
"""

from __future__ import annotations

import json
import random
import shlex
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from memsvc.evals.procedure_vocab import (
    ENVS,
    FAMILIES,
    OBJECTS,
    OUTPUTS,
    QUERY_TEMPLATES,
    REQUEST_TEMPLATES,
    TRANSIENT_ERRORS,
    Mutation,
)

Step = tuple[str, dict[str, str]]  # (tool, argument templates)


@dataclass(frozen=True, slots=True)
class TraceConfig:
    """What a generated set looks like (defaults: the benchmark's)."""

    seed: int = 0
    scopes: int = 3
    targets: int = 10  # goals with queries, per scope
    distractors: int = 10  # near-neighbour goals without queries, per scope
    traces_per_goal: int = 8
    queries_per_goal: int = 2
    bad_share: float = 0.35  # runs that follow the known-bad variant
    good_success: float = 0.85
    bad_success: float = 0.15
    broken_share: float = 0.1  # goals whose only recipe rarely works
    broken_success: float = 0.1
    retry_share: float = 0.15  # successful tool-call runs that retry a step after an error
    shapes: tuple[tuple[str, float], ...] = (("tool_calls", 0.6), ("list", 0.2), ("prose", 0.2))


@dataclass(slots=True)
class Goal:
    id: str
    scope: str
    family: str
    obj: str
    env: str
    phrase: str  # canonical: "deploy the web app to staging"
    good: list[Step]
    bad: list[Step]
    bad_error: str
    target: bool
    broken: bool = False


@dataclass(slots=True)
class Trace:
    id: str
    scope: str
    goal: str
    variant: str  # "good" | "bad"
    outcome: Literal["success", "failure"]
    shape: str
    messages: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """The raw trace as one document (what the baselines index)."""
        return "\n".join(f"{m['role']}: {_message_text(m)}" for m in self.messages)


@dataclass(slots=True)
class Query:
    id: str
    scope: str
    goal: str
    text: str


@dataclass(slots=True)
class TraceSet:
    config: TraceConfig
    goals: dict[str, Goal] = field(default_factory=dict)
    traces: list[Trace] = field(default_factory=list)  # in ingest order
    queries: list[Query] = field(default_factory=list)


def generate(config: TraceConfig) -> TraceSet:
    """A seeded set: the same config gives the same set."""
    rng = random.Random(config.seed)
    out = TraceSet(config)
    for s in range(config.scopes):
        scope = f"ops-{config.seed}-{s}"
        goals = _goals(rng, scope, config)
        out.goals.update((g.id, g) for g in goals)
        runs = [(g, i) for g in goals for i in range(config.traces_per_goal)]
        rng.shuffle(runs)
        out.traces += [_trace(rng, g, f"{g.id}/t{i}", config) for g, i in runs]
        out.queries += [
            Query(f"{g.id}/q{i}", scope, g.id, _query(rng, g))
            for g in goals
            if g.target
            for i in range(config.queries_per_goal)
        ]
    return out


# -- goals ------------------------------------------------------------------------------


def _goals(rng: random.Random, scope: str, config: TraceConfig) -> list[Goal]:
    combos = [(f, o, e) for f, fam in FAMILIES.items() for o in fam.objects for e in ENVS]
    rng.shuffle(combos)
    targets = combos[: config.targets]
    chosen = set(targets)
    distractors: list[tuple[str, str, str]] = []
    for family, obj, env in targets * 3:
        if len(distractors) >= config.distractors:
            break
        near = [c for c in combos if c not in chosen and _near(c, (family, obj, env))]
        if near:
            pick = rng.choice(near)
            chosen.add(pick)
            distractors.append(pick)
    goals = [_goal(rng, scope, c, config) for c in targets]
    return goals + [replace(_goal(rng, scope, c, config), target=False) for c in distractors]


def _near(a: tuple[str, str, str], b: tuple[str, str, str]) -> bool:
    """Two goals that share two of family, object and environment."""
    return sum(x == y for x, y in zip(a, b)) == 2


def _goal(rng: random.Random, scope: str, combo: tuple[str, str, str], c: TraceConfig) -> Goal:
    family_name, obj, env = combo
    family = FAMILIES[family_name]
    mutation = rng.choice(family.mutations)
    good = [(tool, dict(args)) for tool, args in family.steps]
    return Goal(
        id=f"{scope}/{family_name}/{obj}/{env}",
        scope=scope,
        family=family_name,
        obj=obj,
        env=env,
        phrase=family.phrase.format(obj=OBJECTS[obj].name, env=env),
        good=good,
        bad=_mutate(good, mutation, env),
        bad_error=mutation.error,
        target=True,
        broken=rng.random() < c.broken_share,
    )


def _mutate(steps: list[Step], mutation: Mutation, env: str) -> list[Step]:
    out = [(tool, dict(args)) for tool, args in steps]
    index = next(i for i, (tool, _) in enumerate(out) if tool == mutation.tool)
    if mutation.kind == "skip":
        del out[index]
    elif mutation.kind == "swap":
        out[index], out[index + 1] = out[index + 1], out[index]
    else:  # a wrong argument value ("{other_env}" is the environment it should not touch)
        other = next(e for e in ENVS if e != env)
        out[index][1][mutation.arg] = mutation.value.replace("{other_env}", other)
    return out


# -- runs -------------------------------------------------------------------------------


def _trace(rng: random.Random, goal: Goal, trace_id: str, c: TraceConfig) -> Trace:
    variant = "bad" if not goal.broken and rng.random() < c.bad_share else "good"
    rate = (
        c.broken_success if goal.broken else c.good_success if variant == "good" else c.bad_success
    )
    success = rng.random() < rate
    steps = _instantiate(rng, goal, goal.good if variant == "good" else goal.bad)
    if success:
        failed_at, error = None, None
    elif variant == "bad" or goal.broken:
        failed_at, error = len(steps) - 1, goal.bad_error if variant == "bad" else _broken(goal)
    else:
        failed_at, error = rng.randrange(len(steps)), rng.choice(TRANSIENT_ERRORS)
    shape = rng.choices([s for s, _ in c.shapes], [w for _, w in c.shapes])[0]
    request = _request(rng, goal)
    retry = shape == "tool_calls" and success and rng.random() < c.retry_share
    plan = _Plan(request, goal, steps, failed_at, error, retry)
    messages = _render(rng, shape, plan)
    outcome: Literal["success", "failure"] = "success" if success else "failure"
    return Trace(trace_id, goal.scope, goal.id, variant, outcome, shape, messages)


def _broken(goal: Goal) -> str:
    return f"{OBJECTS[goal.obj].name} no longer accepts this: the {goal.family} API was retired"


def _instantiate(rng: random.Random, goal: Goal, steps: list[Step]) -> list[tuple[str, dict]]:
    values = {
        "repo": OBJECTS[goal.obj].repo,
        "env": goal.env,
        "ver": f"{rng.randint(1, 3)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}",
        "ticket": str(rng.randint(1000, 99999)),
        "date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "replicas": str(rng.randint(3, 12)),
        "sha": f"{rng.getrandbits(28):07x}a",
    }
    return [(tool, {k: v.format(**values) for k, v in args.items()}) for tool, args in steps]


def _request(rng: random.Random, goal: Goal) -> str:
    """How the user asked for it this time (mostly the usual words, sometimes others)."""
    family = FAMILIES[goal.family]
    verb = family.verbs[0] if rng.random() < 0.75 else rng.choice(family.verbs)
    obj = OBJECTS[goal.obj]
    name = obj.name if rng.random() < 0.8 else rng.choice(obj.paraphrases)
    task = family.phrase.replace(family.verbs[0], verb, 1).format(obj=name, env=goal.env)
    template = rng.choice(REQUEST_TEMPLATES)
    return _sentence(template.format(task=task, ticket=rng.randint(1000, 9999)))


def _query(rng: random.Random, goal: Goal) -> str:
    family = FAMILIES[goal.family]
    i = rng.randrange(len(family.verbs)) if rng.random() < 0.7 else 0
    obj = OBJECTS[goal.obj]
    name = rng.choice(obj.paraphrases) if rng.random() < 0.6 else obj.name
    env = rng.choice(ENVS[goal.env]) if rng.random() < 0.5 else goal.env
    template = rng.choice(QUERY_TEMPLATES)
    task = family.phrase.replace(family.verbs[0], "{verb}", 1).format(
        verb="{verb}", obj=name, env=env
    )
    return _sentence(
        template.format(
            task=task.format(verb=family.verbs[i]), doing=task.format(verb=family.gerunds[i])
        )
    )


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


# -- rendering --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one run does: asked how, which steps, where it fails (if it does) and how."""

    request: str
    goal: Goal
    steps: list[tuple[str, dict]]
    failed_at: int | None
    error: str | None
    retry: bool  # one step fails with a transient error first and is called again

    @property
    def done(self) -> list[tuple[str, dict]]:
        return self.steps if self.failed_at is None else self.steps[: self.failed_at + 1]


def _render(rng: random.Random, shape: str, plan: _Plan) -> list[dict[str, Any]]:
    if shape == "tool_calls":
        return _tool_messages(rng, plan)
    commands = [_command(tool, args) for tool, args in plan.done]
    ending = "It worked." if plan.failed_at is None else f"It failed: {plan.error}."
    phrase = plan.goal.phrase
    if shape == "list":
        header = rng.choice(("Steps to {g}:", "How I {g}:", "Here's what I did to {g}:"))
        lines = [_sentence(header.format(g=phrase))]
        lines += [f"{i}. {cmd}" for i, cmd in enumerate(commands, start=1)]
        return [{"role": "user", "content": "\n".join([*lines, ending])}]
    body = ", then ".join(commands)
    opener = rng.choice(("To {g} I ran {s}.", "To {g}, I ran {s}.", "Here's how I {g}: {s}."))
    return [{"role": "user", "content": opener.format(g=phrase, s=body) + " " + ending}]


def _tool_messages(rng: random.Random, plan: _Plan) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": plan.request}]
    done = plan.done
    retried = rng.randrange(len(done)) if plan.retry else None
    for i, (tool, args) in enumerate(done):
        attempts = [rng.choice(TRANSIENT_ERRORS), None] if i == retried else [None]
        if i == plan.failed_at:
            attempts = [plan.error]
        for problem in attempts:
            call_id = f"call_{rng.getrandbits(40):010x}"
            function = {"name": tool, "arguments": json.dumps(args)}
            call = {"id": call_id, "type": "function", "function": function}
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
            result = json.dumps({"error": problem}) if problem else _output(rng, tool, args)
            messages.append({"role": "tool", "tool_call_id": call_id, "content": result})
    phrase = plan.goal.phrase
    if plan.failed_at is None:
        messages.append({"role": "assistant", "content": f"Done: {phrase}."})
    else:
        messages.append({"role": "assistant", "content": f"I could not {phrase}: {plan.error}."})
    return messages


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _output(rng: random.Random, tool: str, args: dict[str, str]) -> str:
    """What the tool printed (a few lines, as real tools do)."""
    extra = {
        "n": str(rng.randint(12, 900)),
        "secs": f"{rng.uniform(2, 90):.1f}",
        "ms": str(rng.randint(20, 900)),
        "sha": f"{rng.getrandbits(48):012x}",
    }
    return OUTPUTS.get(tool, "ok").format_map(_Blank({**args, **extra}))


def _command(tool: str, args: dict[str, str]) -> str:
    return " ".join([tool, *(f"--{k}={shlex.quote(v)}" for k, v in args.items())])


def _message_text(message: dict[str, Any]) -> str:
    if message.get("tool_calls"):
        calls = [c["function"] for c in message["tool_calls"]]
        return " ".join(f"{c['name']}({c['arguments']})" for c in calls)
    return str(message.get("content") or "")
