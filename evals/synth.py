"""`memsvc eval synth`: fresh LongMemEval-style test sets, seeded, around real filler chats.

Each persona gets `sessions` sessions over about `months` months, each a window of a real chat
from the filler file. Persona facts are said in passing inside those chats: facts said once,
preferences, values that change (knowledge-update), things spread over several sessions
(multi-session), dated events (temporal-reasoning), and things the assistant said. Other
people's versions of the same facts are said in other sessions (hard negatives). Every question
of a persona carries the persona's whole haystack, so a set with P personas has P distinct
haystacks, which the loader gives one scope each. The output is exactly the LongMemEval schema;
`has_answer` marks the evidence turns of each question and `answer_session_ids` their sessions.
Same seed and same filler file give the same bytes.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from memsvc.evals.synth_assistant import LISTS, SPECS, ListAsk, realise_list, realise_spec
from memsvc.evals.synth_counts import COUNTS
from memsvc.evals.synth_events import FORMS, realise_temporal
from memsvc.evals.synth_facts import realise_changing, realise_count, realise_static
from memsvc.evals.synth_filler import Filler, FillerSession, read_filler
from memsvc.evals.synth_model import Ctx, QuestionPlan, Realised, Timeline
from memsvc.evals.synth_preferences import PREFERENCES
from memsvc.evals.synth_said import USER_FACTS
from memsvc.evals.synth_updates import UPDATES
from memsvc.evals.synth_weave import WovenSession, weave

Style = Literal["long", "chat"]

# Kinds one persona should not hold together (a reader would find the persona incoherent).
CONFLICTS = {
    frozenset(("knee", "five_k")),
    frozenset(("knee", "running_club")),
    frozenset(("knee", "hiking")),
    frozenset(("linux", "laptop")),
}


@dataclass(frozen=True, slots=True)
class Mix:
    """Questions per persona and type (abstention questions come on top)."""

    single_session_user: int = 5
    single_session_assistant: int = 4
    single_session_preference: int = 4
    multi_session: int = 5
    temporal_reasoning: int = 6
    knowledge_update: int = 5
    abstention: int = 2


@dataclass(frozen=True, slots=True)
class SynthConfig:
    seed: int
    filler: Path
    style: Style | None = None  # default: "chat" for a LoCoMo filler file, else "long"
    personas: int = 4
    sessions: int = 60
    months: int = 8
    max_turns: int = 12
    max_chars: int = 1500
    negatives: int = 2  # distractors per fact, on average
    mix: Mix = field(default_factory=Mix)
    start: datetime | None = None  # first possible session (default: drawn from the seed)


def generate(config: SynthConfig) -> list[dict[str, Any]]:
    """The questions of a new set, in LongMemEval's schema."""
    if config.personas < 1:
        raise ValueError(f"personas must be at least 1 (got {config.personas})")
    if config.sessions < 12:  # room for every kind of fact and its distractors
        raise ValueError(f"sessions per persona must be at least 12 (got {config.sessions})")
    rng = random.Random(config.seed)
    filler = read_filler(config.filler, config.max_turns, config.max_chars)
    chat = (config.style or ("chat" if filler.kind == "locomo" else "long")) == "chat"
    unused = list(range(len(filler.sessions)))
    items: list[dict[str, Any]] = []
    for _ in range(config.personas):
        items += _persona(rng, config, _sessions_for(rng, filler, unused, config.sessions), chat)
    seen: set[str] = set()
    for item in items:  # opaque ids, unique in the set
        qid = _opaque_ids(rng, 1, 8)[0]
        while qid in seen:
            qid = _opaque_ids(rng, 1, 8)[0]
        seen.add(qid)
        item["question_id"] = qid + item["question_id"]  # keeps its place, first
    return items


def write(items: list[dict[str, Any]], out: Path) -> None:
    """JSON, gzip-compressed when `out` ends in .gz (no name or time in the header, so the
    bytes depend only on the content)."""
    raw = json.dumps(items, ensure_ascii=False).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".gz":
        with out.open("wb") as handle, gzip.GzipFile("", "wb", 9, handle, mtime=0) as gz:
            gz.write(raw)
    else:
        out.write_bytes(raw)


def _sessions_for(
    rng: random.Random, filler: Filler, unused: list[int], n: int
) -> list[FillerSession]:
    """`n` filler sessions no other persona got (repeats only when the file is too small)."""
    if len(unused) < n:
        unused[:] = list(range(len(filler.sessions)))
    chosen = rng.sample(unused, min(n, len(unused)))
    taken = set(chosen)
    unused[:] = [i for i in unused if i not in taken]
    chosen += [rng.randrange(len(filler.sessions)) for _ in range(n - len(chosen))]
    return [filler.sessions[i] for i in chosen]


def _timeline(rng: random.Random, config: SynthConfig, fillers: list[FillerSession]) -> Timeline:
    start = config.start or datetime(2022, 1, 1) + timedelta(days=rng.randrange(900))
    days = sorted(rng.sample(range(config.months * 30), len(fillers)))
    starts = [
        start + timedelta(days=d, hours=rng.randint(7, 22), minutes=rng.randrange(60)) for d in days
    ]
    room = [len(f.user_turns()) for f in fillers]
    return Timeline(starts, room, [0] * len(fillers))


def _choose(rng: random.Random, pool: tuple[Any, ...], n: int, chosen: set[str]) -> list[Any]:
    """`n` kinds of `pool` (fewer if the pool is short) that do not conflict with `chosen`."""
    out: list[Any] = []
    for kind in rng.sample(pool, len(pool)):
        if len(out) == n:
            break
        if not any(frozenset((kind.name, c)) in CONFLICTS for c in chosen):
            out.append(kind)
            chosen.add(kind.name)
    return out


def _plan(ctx: Ctx, mix: Mix) -> list[Realised]:
    rng, chosen = ctx.rng, set[str]()
    plans = [
        realise_static(k, ctx, "single-session-user")
        for k in _choose(rng, USER_FACTS, mix.single_session_user, chosen)
    ]
    plans += [
        realise_static(k, ctx, "single-session-preference")
        for k in _choose(rng, PREFERENCES, mix.single_session_preference, chosen)
    ]
    plans += [
        realise_changing(k, ctx, "knowledge-update")
        for k in _choose(rng, UPDATES, mix.knowledge_update, chosen)
    ]
    plans += [
        realise_count(k, ctx, "multi-session")
        for k in _choose(rng, COUNTS, mix.multi_session, chosen)
    ]
    asks = _choose(rng, LISTS + SPECS, mix.single_session_assistant, chosen)
    plans += [
        realise_list(k, ctx) if isinstance(k, ListAsk) else realise_spec(k, ctx) for k in asks
    ]
    forms = rng.sample(list(FORMS), len(FORMS))
    taken: set = set()
    plans += [
        realise_temporal(ctx, forms[i % len(forms)], taken) for i in range(mix.temporal_reasoning)
    ]
    near = [q for p in plans for q in p.near_misses]
    plans.append(Realised(questions=rng.sample(near, min(mix.abstention, len(near)))))
    return plans


def _persona(
    rng: random.Random, config: SynthConfig, fillers: list[FillerSession], chat: bool
) -> list[dict[str, Any]]:
    timeline = _timeline(rng, config, fillers)
    plans = _plan(Ctx(rng, timeline, config.negatives, chat), config.mix)
    mentions = [m for p in plans for m in p.mentions]
    woven = [
        weave(rng, filler, [m for m in mentions if m.session == i], chat)
        for i, filler in enumerate(fillers)
    ]
    ids = _opaque_ids(rng, len(fillers), 10)
    dates = [_lme_date(s) for s in timeline.starts]
    return [_item(q, woven, ids, dates) for q in (q for p in plans for q in p.questions)]


def _item(
    question: QuestionPlan,
    woven: list[WovenSession],
    ids: list[str],
    dates: list[str],
) -> dict[str, Any]:
    gold: set[int] = {id(m) for m in question.evidence}
    sessions = [
        [
            {"role": role, "content": content, "has_answer": any(id(m) in gold for m in ev)}
            for (role, content), ev in zip(s.turns, s.evidence, strict=True)
        ]
        for s in woven
    ]
    answer_ids = [ids[i] for i, s in enumerate(sessions) if any(t["has_answer"] for t in s)]
    return {
        "question_id": "_abs" if question.abstention else "",  # the opaque id comes first
        "question_type": question.qtype,
        "question": question.question,
        "answer": question.answer,
        "question_date": _lme_date(question.asked_at),
        "haystack_dates": dates,
        "haystack_session_ids": ids,
        "haystack_sessions": sessions,
        "answer_session_ids": answer_ids,
    }


def _opaque_ids(rng: random.Random, n: int, digits: int) -> list[str]:
    return [f"{rng.getrandbits(4 * digits):0{digits}x}" for _ in range(n)]


def _lme_date(when: datetime) -> str:
    """LongMemEval's date format: `2023/05/28 (Sun) 19:47` (weekday names not localised)."""
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[when.weekday()]
    return f"{when:%Y/%m/%d} ({weekday}) {when:%H:%M}"
