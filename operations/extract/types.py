"""What extractors produce: candidate facts, entities, relations and procedures.

Candidates are not units. The write path decides what becomes a unit (facts -> semantic/fact,
entities -> graph/entity, relations -> graph/relation, procedures -> procedural/procedure);
each candidate carries what that needs: source turn ids, times, slot triple, confidence and
the producer (`"<extractor name>/<version>"`).

Predicate vocabulary of the slot triples (subject is the speaker's name, or "the user"):

| predicate | object | kind |
|---|---|---|
| name, nickname, age, birthday, hometown, ... (`my X is Y`) | Y | profile |
| is | a role, occupation or trait ("nurse", "vegan") | profile |
| is_from, allergic_to | a place / what | profile |
| lives_in, works_at, works_as, volunteers_at, studies, studies_at | place / org / ... | fact |
| has_pet, owns | a pet (its name when given) / a thing | fact |
| has_<kin> (has_sister, has_friend, has_kid, ...) | the relative's name, or "two kids" | fact |
| practices | an ongoing activity ("playing guitar") | fact |
| likes, dislikes, prefers, favorite_<thing> | what | preference |
| plans_to, wants_to | what (a verb phrase: "visit Japan") | plan |
| visited, attended, bought, started, finished, adopted, joined, graduated_from, met, \
signed_up_for, won | what | event |
| did | a dated event in the speaker's own words ("painted the fence") | event |

`(subject, predicate)` is the slot: a new value for a slot such as lives_in supersedes the old
one; predicates that collect values (likes, visited, has_sister, ...) are in `MULTI_VALUED`.
Relations use the same labels (speaker -> entity named in the object).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from memsvc.operations.extract.lexicon import KIN_NOUNS
from memsvc.operations.extract.steps import Step

from memsvc.domain import MemoryUnit, Scope

# "statement": a person's own first-person sentence kept verbatim when no rule parsed it, so
# the turn is also found by what it says in passing (LongMemEval's K = V + fact keys).
FactKind = Literal["fact", "preference", "plan", "event", "profile", "statement"]
EntityType = Literal["person", "place", "organisation", "product", "pet", "event", "other"]
Outcome = Literal["success", "failure"]

_SUCCESS = frozenset("success succeeded successful ok done passed completed resolved".split())
_FAILURE = frozenset("failure failed fail error errored aborted cancelled canceled".split())


def parse_outcome(value: object) -> Outcome | None:
    """An outcome mark ("success", "failed", "done", ...) as success/failure; None if unclear."""
    text = str(value or "").strip().lower()
    if text in _SUCCESS:
        return "success"
    if text in _FAILURE:
        return "failure"
    return None


ENTITY_TYPES: tuple[EntityType, ...] = (
    "person",
    "place",
    "organisation",
    "product",
    "pet",
    "event",
    "other",
)


def entity_type(value: str) -> EntityType:
    """`value` if it is one of `ENTITY_TYPES`, else "other"."""
    return next((kind for kind in ENTITY_TYPES if kind == value), "other")


# Predicates whose values accumulate instead of replacing each other.
MULTI_VALUED = frozenset(
    """likes dislikes prefers visited attended bought started finished adopted joined met won
    owns has_pet signed_up_for practices plans_to wants_to graduated_from studies did is
    allergic_to volunteers_at nickname""".split()
) | frozenset("has_" + kin for kin in set(KIN_NOUNS.values()))

# The subject of facts stated by an unnamed user; the write path maps it to the scope's user.
USER_SUBJECT = "the user"


@dataclass(frozen=True, slots=True)
class KnownEntity:
    """An entity the scope already knows, so later sessions recognise it (the gazetteer)."""

    name: str
    type: EntityType
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExtractionContext:
    """What an extractor knows besides the turns themselves.

    `speakers` maps a role to a display name when the turns carry none (e.g. {"user": "Ana"}).
    `person_roles` are the roles whose first-person statements are facts about the speaker:
    the user by default; add "assistant" for chats where both sides are people.
    """

    scope: Scope
    session_time: datetime | None = None
    speakers: dict[str, str] = field(default_factory=dict)
    known_entities: tuple[KnownEntity, ...] = ()
    person_roles: frozenset[str] = frozenset({"user"})


@dataclass(slots=True)
class FactCandidate:
    """A standalone statement about a speaker, with its optional slot triple.

    `text` names the speaker and has relative dates resolved ("Ana went to Rome on 7 May
    2023."). `occurred_at` is when the thing happened (or is planned), `valid_from` when a
    state started to hold; both None when the turn has no time.
    """

    text: str
    subject: str
    predicate: str | None
    object: str | None
    kind: FactKind
    source_turn_ids: list[str]
    confidence: float
    producer: str
    occurred_at: datetime | None = None
    valid_from: datetime | None = None
    rule: str | None = None  # the rule that fired, for debugging and per-rule measurement


@dataclass(slots=True)
class EntityCandidate:
    name: str
    type: EntityType
    source_turn_ids: list[str]
    confidence: float
    aliases: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RelationCandidate:
    source: str
    label: str
    target: str
    source_turn_ids: list[str]
    confidence: float
    valid_from: datetime | None = None


@dataclass(slots=True)
class ProcedureCandidate:
    """One run (trace) of a task: its goal, its steps in order, what had to hold first, how
    it ended, and `notes` on what went wrong (tool errors, the agent's last word on a
    failure)."""

    goal: str
    steps: list[Step]
    outcome: Outcome | None
    source_turn_ids: list[str]
    confidence: float
    preconditions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ExtractionResult:
    extractor: str
    version: str
    facts: list[FactCandidate] = field(default_factory=list)
    entities: list[EntityCandidate] = field(default_factory=list)
    relations: list[RelationCandidate] = field(default_factory=list)
    procedures: list[ProcedureCandidate] = field(default_factory=list)

    @property
    def producer(self) -> str:
        return f"{self.extractor}/{self.version}"


class Extractor(Protocol):
    """Turns a batch of turns (one session, in order) into candidates. Deterministic ones
    return equal results for equal input."""

    name: str
    version: str

    def extract(self, turns: Sequence[MemoryUnit], context: ExtractionContext) -> ExtractionResult:
        """Extract candidates from `turns`; every candidate names its source turn ids."""
        ...
