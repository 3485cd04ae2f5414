"""The `rules` extractor: offline, deterministic, pure Python (regular expressions and word
lists; no spaCy, whose English models are not installable from PyPI).

Facts come from the first-person statements of people (the user, or every named speaker in
chats between people), never from assistant turns, questions or conditionals; entities from
the same sentences; relations join a fact's speaker to the entities in its object;
procedures come from task-tagged turns and tool calls. See `patterns.py` for the rules and
`types.py` for the predicate vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from memsvc.operations.extract.clauses import (
    clauses,
    clean,
    is_conditional,
    is_question,
    sentences,
)
from memsvc.operations.extract.entities import Found, Gazetteer, find_entities
from memsvc.operations.extract.facts import Said, clause_facts, mention_facts
from memsvc.operations.extract.procedures import find_procedures
from memsvc.operations.extract.types import (
    USER_SUBJECT,
    EntityCandidate,
    ExtractionContext,
    ExtractionResult,
    FactCandidate,
    RelationCandidate,
)

from memsvc.domain import MemoryUnit

NAME = "rules"
VERSION = "3"  # 3: facts said in passing (issue 11)
SPEAKER_CONFIDENCE = 0.95
_GENERIC_SPEAKERS = frozenset("user human me you customer client speaker".split())
# Fact objects that type the entity they name.
_OBJECT_TYPES = {
    "works_at": "organisation",
    "volunteers_at": "organisation",
    "studies_at": "organisation",
    "graduated_from": "organisation",
    "lives_in": "place",
    "is_from": "place",
    "bought": "product",
    "has_pet": "pet",
    "adopted": "pet",
    "name": "person",
    "nickname": "person",
}
# Fact predicates that are no relation between the speaker and an entity.
_NOT_RELATIONS = frozenset("did is age name practices started finished".split())


@dataclass(slots=True)
class _Batch:
    """What accumulates over the turns of one batch."""

    facts: dict[tuple[object, ...], FactCandidate] = field(default_factory=dict)
    entities: dict[str, EntityCandidate] = field(default_factory=dict)
    turn_entities: dict[str, list[str]] = field(default_factory=dict)
    speakers: dict[str, list[str]] = field(default_factory=dict)


class RulesExtractor:
    """Facts, entities, relations and procedures by rules. Same input, same output."""

    name = NAME
    version = VERSION

    def extract(self, turns: Sequence[MemoryUnit], context: ExtractionContext) -> ExtractionResult:
        """Extract candidates from one session batch of turns (any order; sorted by position)."""
        ordered = sorted(turns, key=lambda t: (t.attributes.get("position", 0), t.id))
        gazetteer = Gazetteer(context.known_entities, frozenset(_speaker_names(ordered, context)))
        batch = _Batch()
        for turn in ordered:
            said = self._said(turn, context)
            if said is not None:
                _read_turn(turn, said, gazetteer, batch)
        _link_first_names(batch.entities)
        result = ExtractionResult(self.name, self.version)
        result.facts = list(batch.facts.values())
        result.entities = _speaker_entities(batch) + list(batch.entities.values())
        result.relations = _relations(result.facts, batch)
        result.procedures = find_procedures(ordered)
        return result

    def _said(self, turn: MemoryUnit, context: ExtractionContext) -> Said | None:
        role = str(turn.attributes.get("role") or "")
        if role not in context.person_roles:
            return None
        name = turn.attributes.get("speaker") or context.speakers.get(role)
        speaker = USER_SUBJECT if not name or name.lower() in _GENERIC_SPEAKERS else str(name)
        now = turn.occurred_at or context.session_time
        return Said(speaker, now, turn.id, f"{self.name}/{self.version}")


def _read_turn(turn: MemoryUnit, said: Said, gazetteer: Gazetteer, batch: _Batch) -> None:
    said_sentences = sentences(clean(turn.content))
    for sentence in said_sentences:
        if is_question(sentence):
            continue
        hints: dict[str, str] = {}
        facts = mention_facts(sentence, said, hints)
        for clause in clauses(sentence):
            facts.extend(clause_facts(clause, said))
        if not facts and len(said_sentences) > 1:
            facts.extend(statement(sentence, said))
        for fact in facts:
            _add_fact(batch, fact)
            kind = _OBJECT_TYPES.get(fact.predicate or "")
            if (
                kind
                and fact.object
                and re.fullmatch(r"[A-Z][\w'-]*(?: [A-Z][\w'-]*)*", fact.object)
            ):
                hints.setdefault(fact.object, kind)
        for found in find_entities(sentence, gazetteer, hints):
            if found.name != said.speaker:
                _add_entity(batch, found, turn.id)
        if facts and said.speaker != USER_SUBJECT:
            batch.speakers.setdefault(said.speaker, [])
            if turn.id not in batch.speakers[said.speaker]:
                batch.speakers[said.speaker].append(turn.id)


STATEMENT_CONFIDENCE = 0.6
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|my|mine|myself|we|we're|we've|our)\b")


def statement(sentence: str, said: Said) -> list[FactCandidate]:
    """A first-person sentence no rule parsed, kept verbatim as an untyped fact: in a long
    message it is a key to the turn by what was said in passing ("By the way, I just got a
    subscription to ..."). Conditionals and short sentences are left out."""
    if len(sentence.split()) < 5 or is_conditional(sentence) or not _FIRST_PERSON.search(sentence):
        return []
    text = sentence if said.speaker == USER_SUBJECT else f"{said.speaker}: {sentence}"
    return [
        FactCandidate(
            text=text,
            subject=said.speaker,
            predicate=None,
            object=None,
            kind="statement",
            source_turn_ids=[said.turn_id],
            confidence=STATEMENT_CONFIDENCE,
            producer=said.producer,
            occurred_at=said.now,
            rule="statement",
        )
    ]


def _speaker_names(turns: Sequence[MemoryUnit], context: ExtractionContext) -> set[str]:
    names = {n for n in context.speakers.values() if n}
    names.update(str(t.attributes["speaker"]) for t in turns if t.attributes.get("speaker"))
    return {n for n in names if n.lower() not in _GENERIC_SPEAKERS}


def _add_fact(batch: _Batch, fact: FactCandidate) -> None:
    """Keep one candidate per statement: the same slot value (and, for events, the same
    date) said twice is one fact with both turns as sources."""
    dated = fact.occurred_at.date() if fact.kind == "event" and fact.occurred_at else None
    key = (fact.subject, fact.predicate, (fact.object or fact.text).lower(), dated)
    kept = batch.facts.get(key)
    if kept is None:
        batch.facts[key] = fact
        return
    kept.confidence = max(kept.confidence, fact.confidence)
    kept.source_turn_ids.extend(i for i in fact.source_turn_ids if i not in kept.source_turn_ids)


def _add_entity(batch: _Batch, found: Found, turn_id: str) -> None:
    entity = batch.entities.get(found.name)
    if entity is None:
        entity = EntityCandidate(found.name, found.type, [turn_id], found.confidence)
        batch.entities[found.name] = entity
    elif turn_id not in entity.source_turn_ids:
        entity.source_turn_ids.append(turn_id)
    if found.confidence > entity.confidence:
        entity.type, entity.confidence = found.type, found.confidence
    entity.aliases = sorted(set(entity.aliases) | found.aliases)
    batch.turn_entities.setdefault(turn_id, [])
    if found.name not in batch.turn_entities[turn_id]:
        batch.turn_entities[turn_id].append(found.name)


def _link_first_names(entities: dict[str, EntityCandidate]) -> None:
    """ "Anna" and "Anna Smith" in one batch: "Anna" is an alias, when only one full name
    starts with it."""
    people = [e for e in entities.values() if e.type == "person"]
    for short in [e for e in people if " " not in e.name]:
        full = [e for e in people if e.name.split()[0] == short.name and e is not short]
        if len(full) == 1:
            target = full[0]
            target.aliases = sorted(set(target.aliases) | {short.name})
            target.source_turn_ids.extend(
                i for i in short.source_turn_ids if i not in target.source_turn_ids
            )
            del entities[short.name]


def _speaker_entities(batch: _Batch) -> list[EntityCandidate]:
    return [
        EntityCandidate(name, "person", list(ids), SPEAKER_CONFIDENCE)
        for name, ids in batch.speakers.items()
        if name not in batch.entities
    ]


def _relations(facts: Sequence[FactCandidate], batch: _Batch) -> list[RelationCandidate]:
    """Speaker -> entity edges for facts whose object names an entity seen in the same turn."""
    out: dict[tuple[str, str, str], RelationCandidate] = {}
    for fact in facts:
        if not fact.predicate or not fact.object or fact.predicate in _NOT_RELATIONS:
            continue
        names = {n for t in fact.source_turn_ids for n in batch.turn_entities.get(t, [])}
        for name in sorted(names):
            entity = batch.entities.get(name) or _by_alias(batch, name)
            if entity is None or not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", fact.object):
                continue
            label = _label(fact.predicate, entity.type)
            key = (fact.subject, label, entity.name)
            if key not in out:
                out[key] = RelationCandidate(
                    source=fact.subject,
                    label=label,
                    target=entity.name,
                    source_turn_ids=list(fact.source_turn_ids),
                    confidence=round(min(fact.confidence, entity.confidence), 2),
                    valid_from=fact.valid_from,
                )
    return list(out.values())


def _by_alias(batch: _Batch, name: str) -> EntityCandidate | None:
    return next((e for e in batch.entities.values() if name in e.aliases), None)


def _label(predicate: str, target_type: str) -> str:
    if predicate == "adopted" and target_type == "pet":
        return "has_pet"
    if predicate.startswith("favorite_"):
        return "likes"
    return predicate
