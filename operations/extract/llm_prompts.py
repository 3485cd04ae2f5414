"""Prompts and structured-output schemas of the `llm` extractor and of the decision step.

The model sees the session's turns numbered `[0]`, `[1]`, ... and answers with those numbers;
the extractor maps them back to turn ids, so provenance never depends on the model copying an
opaque id. Replies are validated by the pydantic models below (their JSON schema is sent as
`response_format`); the validators are lenient about values a model often gets slightly wrong
(an unknown kind, a confidence of 1.2, an unparseable date) so one odd field does not waste a
whole call, and strict about shape (a reply that is not this object is malformed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Literal

from memsvc.operations.extract.types import ENTITY_TYPES, ExtractionContext
from pydantic import BaseModel, Field, field_validator

from memsvc.domain import MemoryUnit

FACT_KINDS = ("fact", "preference", "plan", "event", "profile")
MAX_KNOWN_ENTITIES = 100  # a gazetteer longer than this costs more prompt than it helps


def _lenient(value: Any, allowed: Sequence[str], default: str) -> str:
    text = str(value or "").strip().lower()
    return text if text in allowed else default


def parse_when(value: str | None, zone: tzinfo | None) -> datetime | None:
    """A model's ISO date or datetime as an aware datetime (None when absent or unparseable).

    A bare date means the start of that day in the session's zone (UTC when unknown).
    """
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
        parsed = datetime(day.year, day.month, day.day)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone or UTC)


class _Item(BaseModel):
    turns: list[int] = Field(default_factory=list, description="numbers of the source turns")
    confidence: float = Field(0.8, description="0 to 1")

    @field_validator("confidence", mode="before")
    @classmethod
    def _clamp(cls, value: Any) -> float:
        try:
            return min(1.0, max(0.0, float(value)))
        except (TypeError, ValueError):
            return 0.8


class FactOut(_Item):
    text: str = Field(description="standalone sentence naming the person, with absolute dates")
    subject: str = Field("the user", description="the person's name, or 'the user'")
    predicate: str | None = Field(None, description="snake_case relation, e.g. lives_in")
    object: str | None = None
    kind: Literal["fact", "preference", "plan", "event", "profile"] = "fact"
    date: str | None = Field(None, description="ISO date it happened, starts or is planned")

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        return _lenient(value, FACT_KINDS, "fact")

    @field_validator("predicate", mode="before")
    @classmethod
    def _snake(cls, value: Any) -> str | None:
        text = "_".join(str(value or "").strip().lower().replace("-", " ").split())
        return text or None


class EntityOut(_Item):
    name: str
    type: Literal["person", "place", "organisation", "product", "pet", "event", "other"] = "other"
    aliases: list[str] = Field(default_factory=list)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> str:
        text = _lenient(value, (*ENTITY_TYPES, "organization"), "other")
        return "organisation" if text == "organization" else text


class RelationOut(_Item):
    source: str
    label: str
    target: str
    date: str | None = Field(None, description="ISO date from which it holds")


class StepOut(BaseModel):
    """One step: a tool call (`tool` and `args`) or an instruction (`text`)."""

    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    text: str | None = None


class ProcedureOut(_Item):
    goal: str
    steps: list[StepOut] = Field(default_factory=list)
    preconditions: list[str] = Field(default_factory=list)
    outcome: Literal["success", "failure"] | None = None
    notes: list[str] = Field(default_factory=list, description="what went wrong, if it failed")

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> list[Any]:
        """Steps as objects; a bare string is an instruction."""
        items = value if isinstance(value, list) else []
        return [{"text": item} if isinstance(item, str) else item for item in items]

    @field_validator("outcome", mode="before")
    @classmethod
    def _outcome(cls, value: Any) -> str | None:
        text = str(value or "").strip().lower()
        return text if text in ("success", "failure") else None


class ExtractionReply(BaseModel):
    """What the extraction call answers."""

    facts: list[FactOut] = Field(default_factory=list)
    entities: list[EntityOut] = Field(default_factory=list)
    relations: list[RelationOut] = Field(default_factory=list)
    procedures: list[ProcedureOut] = Field(default_factory=list)


class DecisionOut(BaseModel):
    fact: int = Field(description="number of the new fact")
    action: Literal["ADD", "UPDATE", "SUPERSEDE", "NOOP", "DELETE"]
    existing: int | None = Field(None, description="number of the existing fact it concerns")
    text: str | None = Field(None, description="for UPDATE: the merged statement")
    reason: str = ""

    @field_validator("action", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> str:
        return str(value or "").strip().upper()


class DecisionReply(BaseModel):
    """What the decision call answers."""

    decisions: list[DecisionOut] = Field(default_factory=list)


EXTRACT_SYSTEM = """You extract long-term memories from one conversation session.
The turns are numbered [0], [1], ...; cite those numbers in "turns" for every item.
Answer with one JSON object: {"facts": [...], "entities": [...], "relations": [...], \
"procedures": [...]}.

facts: what the people in the conversation state about themselves and people they know \
(not the assistant's suggestions, not questions, not hypotheticals).
- "text": one standalone sentence that names the person (their name, or "The user" when \
unnamed) and never uses I/you/he/she; replace relative dates ("yesterday", "last week", \
"next Friday") by absolute ones ("on 7 May 2023") computed from the session date or the \
turn's time.
- "subject": the person's name as written in the transcript, or "the user".
- "predicate" and "object" when the fact is a slot, in snake_case: name, age, birthday, \
is, is_from, lives_in, works_at, works_as, studies_at, has_pet, has_sister, owns, likes, \
dislikes, prefers, favorite_<thing>, plans_to, wants_to, visited, attended, bought, \
started, finished, adopted, joined, met, did.
- "kind": fact | preference | plan | event | profile.
- "date": ISO date (YYYY-MM-DD) when it happened, started or is planned, if known.
- "confidence": 0 to 1.
entities: people, places, organisations, products, pets and events that are named; \
"type" is one of person, place, organisation, product, pet, event, other; "aliases" are \
other names used for the same thing. Reuse the spelling of known entities.
relations: {"source", "label", "target"} between a person and a named entity, with a \
predicate above as label (e.g. the user -works_at-> Google); "date" from when it holds.
procedures: a task that was carried out or explained step by step: an agent's run of \
tool calls (assistant turns that call tools, then the tool turns with their results), a \
numbered or bulleted list of steps, or a how-to in prose ("To deploy the app I run make \
build, then ..."). One procedure per run of a task:
- "goal": what the task achieves, as a short imperative phrase without the request's \
wording ("deploy the web app to staging", not "Can you deploy ...?").
- "steps" in order: {"tool": name, "args": {...}} for a tool call, with the arguments as \
they were called, or {"text": "short imperative phrase"} for an instruction. A call that \
failed and was made again the same way is one step.
- "preconditions": what had to hold first ("on the VPN"), if said.
- "outcome": success | failure | null (unknown); "notes": what went wrong when it failed \
(the tool error, in a few words).
Extract nothing that is not in the turns. Empty lists are fine."""

DECIDE_SYSTEM = """You maintain a person's long-term memory. For each NEW fact, compare it \
with the EXISTING facts listed under it and choose one action:
- ADD: new information, unrelated to or compatible with the existing facts.
- UPDATE: it is about the same thing as existing fact E and adds detail or corrects it; \
give in "text" one statement that merges both.
- SUPERSEDE: it replaces existing fact E, which is no longer true (a changed job, city, \
relationship status, preference).
- NOOP: existing fact E already says it.
Name the existing fact in "existing" for UPDATE, SUPERSEDE and NOOP, and give a short \
"reason". Answer with one JSON object: {"decisions": [{"fact": 0, "action": "ADD", \
"existing": null, "text": null, "reason": "..."}]} with one decision per new fact."""


def speaker_of(turn: MemoryUnit, context: ExtractionContext) -> str:
    """The display name of a turn's speaker, or "" when the transcript has none."""
    role = str(turn.attributes.get("role") or "")
    return str(turn.attributes.get("speaker") or context.speakers.get(role) or "")


def header(context: ExtractionContext, turns: Sequence[MemoryUnit]) -> str:
    """Session date, the people whose statements count, and the known entities."""
    when = context.session_time
    if when is None:
        lines = ["Session date: unknown (keep dates only where the text gives them)"]
    else:
        lines = [f"Session date: {when:%A %d %B %Y, %H:%M} {when.tzname() or ''}".rstrip()]
    people = sorted(
        {_who(t, context) for t in turns if t.attributes.get("role") in context.person_roles}
    )
    lines.append("Facts come from: " + (", ".join(people) or "nobody in this batch"))
    known = [
        f"{e.name} [{e.type}" + (f"; also {', '.join(e.aliases)}]" if e.aliases else "]")
        for e in context.known_entities[:MAX_KNOWN_ENTITIES]
    ]
    if known:
        lines.append("Known entities: " + "; ".join(known))
    return "\n".join(lines)


def _who(turn: MemoryUnit, context: ExtractionContext) -> str:
    name = speaker_of(turn, context)
    role = str(turn.attributes.get("role") or "user")
    return f"{role} ({name})" if name else role


def turn_line(number: int, turn: MemoryUnit, context: ExtractionContext) -> str:
    """One numbered turn: `[3] 2023-05-08 10:02 user (Ana): text`."""
    when = f" {turn.occurred_at:%Y-%m-%d %H:%M}" if turn.occurred_at else ""
    return f"[{number}]{when} {_who(turn, context)}: {turn.content}"


def decision_block(
    number: int, text: str, when: datetime | None, existing: Sequence[tuple[int, MemoryUnit]]
) -> str:
    """One NEW fact of the decision prompt, followed by its numbered EXISTING neighbours."""
    said = f" (stated {when:%Y-%m-%d})" if when else ""
    lines = [f"NEW {number}: {text}{said}"]
    for ref, unit in existing:
        since = unit.valid_from or unit.occurred_at
        held = f" (since {since:%Y-%m-%d})" if since else ""
        lines.append(f"  EXISTING {ref}: {unit.content}{held}")
    return "\n".join(lines)
