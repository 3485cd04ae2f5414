"""Fact kinds described as data, and how one becomes mentions and questions.

- `StaticKind`: said once (single-session-user), or a preference the user lets slip
  (single-session-preference: the question asks for a recommendation and never names it).
- `ChangingKind`: a value that changes over the months (knowledge-update: the answer is the
  latest value; every value's mention is evidence, as in LongMemEval).
- `CountKind`: things mentioned one at a time in several sessions (multi-session: the answer is
  how many, or their total).

Templates fill `{slots}`: the persona's own values, `{who}` (someone else, in distractors and
near misses) and `{mine_<slot>}` (the persona's value reused in a distractor about something
else, e.g. "the Lisbon office").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from memsvc.evals.synth_model import Ctx, Mention, QuestionPlan, Realised, fill, money
from memsvc.evals.synth_world import OTHERS

NOT_ENOUGH = "The information provided is not enough: you never mentioned this."

Slots = dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class StaticKind:
    name: str
    slots: Slots
    said: tuple[str, ...]
    asked: tuple[str, ...]
    answer: str
    others: tuple[str, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangingKind:
    name: str
    values: tuple[str, ...]
    first: tuple[str, ...]  # the first value, {v}
    update: tuple[str, ...]  # a later value, {v} (and {old}, the value before)
    asked: tuple[str, ...]
    others: tuple[str, ...]
    missing: tuple[str, ...] = ()
    slots: Slots = field(default_factory=dict)
    order: Literal["any", "up", "down"] = "any"  # how values move (counts grow, times drop)
    answer: str = "{v}"


@dataclass(frozen=True, slots=True)
class CountKind:
    name: str
    items: tuple[str, ...]
    said: tuple[str, ...]  # one item, {item} (and {n}, {n_money} when amounts are drawn)
    asked: tuple[str, ...]
    others: tuple[str, ...]
    amounts: tuple[int, int, int] | None = None  # (low, high, step) of each item's amount
    answer: str = "{count}"  # {count}, {items}, {total}, {total_money}
    missing: tuple[str, ...] = ()
    slots: Slots = field(default_factory=dict)


def _draw(slots: Slots, ctx: Ctx) -> dict[str, str]:
    return {name: ctx.take(pool) for name, pool in slots.items()}


def _other_values(slots: Slots, ctx: Ctx, mine: dict[str, str], who: str) -> dict[str, str]:
    """Slot values for a distractor: someone else's, different from the persona's."""
    values = {
        name: ctx.rng.choice([x for x in pool if x != mine[name]] or pool)
        for name, pool in slots.items()
    }
    return values | {f"mine_{k}": v for k, v in mine.items()} | {"who": who}


def _people(ctx: Ctx, n: int) -> tuple[list[str], str]:
    """`n` people for distractors and one more, never mentioned, for the near miss."""
    people = ctx.rng.sample(OTHERS, n + 1)
    return people[:n], people[n]


def _distractors(
    ctx: Ctx, templates: tuple[str, ...], values: list[dict[str, str]], avoid: list[int]
) -> list[Mention]:
    rng, timeline = ctx.rng, ctx.timeline
    chosen = rng.sample(templates, min(len(values), len(templates)))
    chosen += [rng.choice(templates) for _ in range(len(values) - len(chosen))]
    return [
        Mention(timeline.pick(rng, avoid=avoid), fill(t, v))
        for t, v in zip(chosen, values, strict=True)
    ]


def _near_miss(
    ctx: Ctx, asked: QuestionPlan, templates: tuple[str, ...], values: dict[str, str]
) -> list[QuestionPlan]:
    """An abstention question next to `asked`: the same fact about someone never mentioned
    (its evidence is `asked`'s, the near miss, as LongMemEval labels its abstentions)."""
    if not templates:
        return []
    question = fill(ctx.rng.choice(templates), values)
    when = ctx.timeline.ask_time(ctx.rng)
    return [QuestionPlan(asked.qtype, question, NOT_ENOUGH, asked.evidence, when, True)]


def realise_static(kind: StaticKind, ctx: Ctx, qtype: str) -> Realised:
    rng, timeline = ctx.rng, ctx.timeline
    mine = _draw(kind.slots, ctx)
    gold = Mention(timeline.pick(rng), fill(rng.choice(kind.said), mine))
    question = QuestionPlan(
        qtype,
        fill(rng.choice(kind.asked), mine),
        fill(kind.answer, mine),
        [gold],
        timeline.ask_time(rng),
    )
    people, stranger = _people(ctx, ctx.n_negatives())
    values = [_other_values(kind.slots, ctx, mine, who) for who in people]
    out = Realised([gold], [question])
    out.mentions += _distractors(ctx, kind.others, values, [gold.session])
    out.near_misses = _near_miss(ctx, question, kind.missing, mine | {"who": stranger})
    return out


def _values(kind: ChangingKind, ctx: Ctx, steps: int) -> list[str]:
    values = [ctx.take(kind.values) for _ in range(steps)]
    if kind.order != "any":
        rank = {v: i for i, v in enumerate(kind.values)}  # pools are listed low to high
        values.sort(key=rank.__getitem__, reverse=kind.order == "down")
    return values


def _spread(ctx: Ctx, n: int) -> list[int]:
    """`n` sessions in time order, one in each of `n` equal stretches of the timeline."""
    total = len(ctx.timeline.starts)
    bounds = [round(total * i / n) for i in range(n + 1)]
    return [
        ctx.timeline.pick(ctx.rng, bounds[i], max(bounds[i + 1], bounds[i] + 1)) for i in range(n)
    ]


def realise_changing(kind: ChangingKind, ctx: Ctx, qtype: str) -> Realised:
    rng = ctx.rng
    steps = rng.choice((2, 2, 3))
    values, mine = _values(kind, ctx, steps), _draw(kind.slots, ctx)
    sessions = _spread(ctx, steps)
    gold = []
    for i, (session, value) in enumerate(zip(sessions, values, strict=True)):
        template = rng.choice(kind.first if i == 0 else kind.update)
        gold.append(Mention(session, fill(template, mine | {"v": value, "old": values[i - 1]})))
    latest = mine | {"v": values[-1]}
    question = QuestionPlan(
        qtype,
        fill(rng.choice(kind.asked), latest),
        fill(kind.answer, latest),
        gold,
        ctx.timeline.ask_time(rng),
    )
    people, stranger = _people(ctx, ctx.n_negatives())
    slots = kind.slots | {"v": kind.values}
    values_of = [_other_values(slots, ctx, latest, who) for who in people]
    out = Realised(list(gold), [question])
    out.mentions += _distractors(ctx, kind.others, values_of, sessions)
    out.near_misses = _near_miss(ctx, question, kind.missing, latest | {"who": stranger})
    return out


def realise_count(kind: CountKind, ctx: Ctx, qtype: str) -> Realised:
    rng = ctx.rng
    n = rng.choice((2, 3, 3, 4))
    mine = _draw(kind.slots, ctx)
    items = [ctx.take(kind.items) for _ in range(n)]
    amounts = [rng.randrange(*kind.amounts) for _ in items] if kind.amounts else [0] * n
    sessions = sorted(_spread(ctx, n))
    templates = rng.sample(kind.said, min(n, len(kind.said)))
    templates += [rng.choice(kind.said) for _ in range(n - len(templates))]
    gold = [
        Mention(s, fill(t, mine | {"item": item, "n": amount, "n_money": money(amount)}))
        for s, t, item, amount in zip(sessions, templates, items, amounts, strict=True)
    ]
    total = sum(amounts)
    answer = fill(
        kind.answer,
        {"count": n, "items": ", ".join(items), "total": total, "total_money": money(total)},
    )
    question = QuestionPlan(
        qtype, fill(rng.choice(kind.asked), mine), answer, gold, ctx.timeline.ask_time(rng)
    )
    people, stranger = _people(ctx, ctx.n_negatives())
    values = []
    for who in people:
        amount = rng.randrange(*kind.amounts) if kind.amounts else 0
        item = rng.choice(kind.items)
        values.append(mine | {"who": who, "item": item, "n": str(amount), "n_money": money(amount)})
    out = Realised(list(gold), [question])
    out.mentions += _distractors(ctx, kind.others, values, sessions)
    out.near_misses = _near_miss(ctx, question, kind.missing, mine | {"who": stranger})
    return out
