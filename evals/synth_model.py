"""What the generator plans before it touches any filler: mentions (things said in passing, in
a given session), questions that point at the mentions holding their evidence, and the persona's
timeline of sessions."""

from __future__ import annotations

import random
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(eq=False, slots=True)
class Mention:
    """Words woven into one session: a clause the user says in passing or, when `reply` is set,
    a request of the user (`text`) followed by the other speaker's answer (`reply`). Compared
    by identity: two mentions with the same words are still two mentions."""

    session: int
    text: str
    reply: str | None = None


@dataclass(slots=True)
class QuestionPlan:
    """A question whose evidence is the listed mentions (the reply, for a request)."""

    qtype: str
    question: str
    answer: str
    evidence: list[Mention]
    asked_at: datetime
    abstention: bool = False


@dataclass(slots=True)
class Realised:
    """What one fact adds to a persona: its mentions (evidence and distractors), its
    questions, and abstention questions it could lend (a near miss of the fact)."""

    mentions: list[Mention] = field(default_factory=list)
    questions: list[QuestionPlan] = field(default_factory=list)
    near_misses: list[QuestionPlan] = field(default_factory=list)


@dataclass(slots=True)
class Timeline:
    """A persona's sessions: start times (ascending) and how many more mentions each session
    takes comfortably (its user turns); `pick` prefers sessions with room."""

    starts: list[datetime]
    room: list[int]
    requests: list[int]  # request/answer pairs inserted per session

    def day(self, index: int) -> date:
        return self.starts[index].date()

    def pick(
        self, rng: random.Random, lo: int = 0, hi: int | None = None, avoid: Iterable[int] = ()
    ) -> int:
        """A session index in [lo, hi) not in `avoid`, one with room when there is one."""
        banned = set(avoid)
        span = [i for i in range(lo, len(self.starts) if hi is None else hi) if i not in banned]
        if not span:
            span = [i for i in range(len(self.starts)) if i not in banned] or [0]
        roomy = [i for i in span if self.room[i] > 0]
        index = rng.choice(roomy or span)
        self.room[index] -= 1
        return index

    def pick_for_request(self, rng: random.Random, avoid: Iterable[int] = ()) -> int:
        """A session for a request/answer pair: one without a pair yet, when there is one."""
        banned = set(avoid)
        free = [i for i in range(len(self.starts)) if self.requests[i] == 0 and i not in banned]
        index = rng.choice(free or [i for i in range(len(self.starts)) if i not in banned])
        self.requests[index] += 1
        return index

    def ask_time(self, rng: random.Random) -> datetime:
        """A question date: one to ten days after the last session, at a waking hour."""
        last = self.starts[-1]
        day = last.date() + timedelta(days=rng.randint(1, 10))
        return datetime(day.year, day.month, day.day, rng.randint(8, 22), rng.randint(0, 59))


@dataclass(slots=True)
class Ctx:
    """Everything a fact realiser draws on for one persona."""

    rng: random.Random
    timeline: Timeline
    negatives: int  # distractors per fact (the realiser may vary it by one)
    chat: bool = False  # casual two-person chat rather than a user and an assistant
    used: set[str] = field(default_factory=set)  # names of kinds and pool items already taken

    def take(self, pool: Iterable[str], avoid: Iterable[str] = ()) -> str:
        """A pool item not taken yet in this persona (falls back to any item)."""
        items = list(pool)
        banned = self.used | set(avoid)
        fresh = [x for x in items if x not in banned] or items
        choice = self.rng.choice(fresh)
        self.used.add(choice)
        return choice

    def n_negatives(self) -> int:
        return max(0, self.negatives + self.rng.choice((-1, 0, 0, 1)))


def fill(template: str, values: Mapping[str, object]) -> str:
    """`template` with its `{slots}` filled; unknown slots are an error (a template bug)."""
    return string.Formatter().vformat(template, (), dict(values))


def cap(text: str) -> str:
    """First letter upper-cased (a clause opening a sentence)."""
    return text[:1].upper() + text[1:]


def ordinal(n: int) -> str:
    return ("first", "second", "third", "fourth", "fifth")[n]


def money(amount: int) -> str:
    return f"${amount:,}"
