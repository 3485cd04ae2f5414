"""Fact candidates from the clauses of one turn: match a rule, cut and check the object,
resolve the time phrase, and write a standalone sentence that names the speaker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from memsvc.operations.extract import times
from memsvc.operations.extract.clauses import Clause
from memsvc.operations.extract.lexicon import ADVERBS, KIN_NOUNS, NOT_NAMES, PET_NOUNS
from memsvc.operations.extract.patterns import (
    BASE_CUT,
    CALL_ME,
    COMPILED,
    NAMED_MENTION,
    PROFILE_STATEMENT,
    Rule,
)
from memsvc.operations.extract.speech import expand_contractions, rewrite
from memsvc.operations.extract.types import FactCandidate, FactKind

from memsvc.domain.timeexpr import TimeMention

HEDGE_PENALTY = 0.15
MENTION_CONFIDENCE = 0.9  # explicit statements: "my dog's name is Rex", "my name is Sam"
MAX_OBJECT_WORDS = 8

_BAD_START = frozenset(
    """it its it's that this those these them they you your yours him her he she there what how
    when where why who which whatever anything something nothing everything everyone someone
    anyone one ones not never no myself yourself itself more much all both either neither
    such""".split()
)
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|u|ur)\b", re.I)
# Words that point back into the conversation: the object is not standalone.
_ANAPHORA = re.compile(
    r"\b(?:it|its|this|that|these|those|them|her|hers|him|his|their|theirs|here|there|such|"
    r"one|ones)\b",
    re.I,
)
_LEADING_ADVERBS = re.compile(rf"^(?:(?:{ADVERBS})\s+)+", re.I)
_NEGATION = re.compile(r"\b(?:not|never|no)\b|n't\b", re.I)
_FILLERS = re.compile(
    r"(?:\s+|^)(?:too|together|as well|a lot|so much|very much|lately|these days|right now|"
    r"now|again|"
    r"recently|already|yet|anymore|though|haha|hahaha|lol|tbh|honestly|really|actually|"
    r"at all|and all|and stuff|or something|for sure|anyway|btw|sometimes|once|twice|"
    r"(?:a few|many|several|a couple of|\w+) times|"
    r"(?:every|each|most) (?:\w+ )?(?:day|night|morning|evening|week|weekend|month|year|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?|"
    r"on (?:the )?(?:weekends?|weekdays|mondays|tuesdays|wednesdays|thursdays|fridays|"
    r"saturdays|sundays)|(?:once|twice) a (?:day|week|month|year)|"
    r"every now and then|a bit|a little|so|even)[\s.!,]*$",
    re.I,
)
_LIST_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+(?=\w+ing\b)", re.I)


@dataclass(frozen=True, slots=True)
class Said:
    """Who said a turn, when, and its id: what every fact from the turn shares."""

    speaker: str
    now: datetime | None
    turn_id: str
    producer: str


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A clause body (from its subject, contractions spelled out), the spans of its time
    phrases in body offsets, the time phrase that dates it, and who said it."""

    body: str
    spans: list[tuple[int, int]]
    when: TimeMention | None
    said: Said


def clause_facts(clause: Clause, said: Said) -> list[FactCandidate]:
    """The facts one clause states: the first rule that applies, or nothing."""
    prefix = clause.text[: clause.subject_at]
    body = expand_contractions(clause.body)
    found = times.mentions(prefix + body, said.now)
    offset = len(prefix)
    spans = [(m.span[0] - offset, m.span[1] - offset) for m in found if m.span[0] >= offset]
    parsed = _Parsed(body, spans, found[0] if found else None, said)
    for rule, regex in COMPILED:
        match = regex.match(body)
        if match is None or (_NEGATION.search(match.group("verb")) and not rule.negative):
            continue
        if not _time_ok(rule, parsed.when, said.now):
            continue
        facts = _apply(rule, match, parsed)
        if facts:
            penalty = HEDGE_PENALTY if clause.hedged else 0.0
            for fact in facts:
                fact.confidence = round(fact.confidence - penalty, 2)
            return facts
    return []


def _time_ok(rule: Rule, when: TimeMention | None, now: datetime | None) -> bool:
    if rule.needs_time is None:
        return True
    if when is None:
        return False
    return times.is_future(when, now) if rule.needs_time == "future" else times.is_past(when)


def _apply(rule: Rule, match: re.Match[str], parsed: _Parsed) -> list[FactCandidate]:
    start = match.start("obj")
    end = _cut(parsed.body, start, rule)
    raw = _drop_spans(parsed.body, start, end, parsed.spans)
    items = _items(raw) if rule.lists else [raw]
    speaker = parsed.said.speaker
    out = []
    for item in items:
        obj = _clean_object(item)
        if not _valid_object(obj, rule):
            continue
        if isinstance(rule.predicate, str):
            decided: tuple[str, str] | None = (rule.predicate, _strip_det(obj))
        else:
            decided = rule.predicate(obj, match)
        if decided is None:
            continue
        name = _named_after(parsed.body[end:]) if decided[0] in _NAMEABLE else None
        if name and not decided[1][:1].isupper():
            decided, obj = (decided[0], name), f"{obj} named {name}"
        text = _sentence(parsed.body[:start] + obj, speaker, parsed.when)
        slot = (decided[0], _own(decided[1], speaker))
        fact = _fact(parsed, text, slot, rule)
        if rule.definite_confidence is not None and obj.lower().startswith("the "):
            fact.confidence = rule.definite_confidence
        out.append(fact)
    return out


# Slots whose object is better a name, when the clause gives one after the object.
_NAMEABLE = frozenset(("has_pet", "adopted"))
# ", a tabby named Olive" / ", her name is Luna" right after the cut object.
_NAME_AFTER = re.compile(
    r"^[^,.;!?]{0,30},\s*(?:(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(?:named|called)\s+|"
    r"(?:and\s+)?(?:his|her|its|their) names? (?:is|are)\s+)"
    r"(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b"
)


def _named_after(rest: str) -> str | None:
    """The name a pet is given after the object: "got a cat, a tabby named Olive"."""
    match = _NAME_AFTER.match(rest)
    return match.group("name") if match and match.group("name") not in NOT_NAMES else None


def _fact(parsed: _Parsed, text: str, slot: tuple[str, str], rule: Rule) -> FactCandidate:
    when_times = times.fact_times(parsed.when, parsed.said.now)
    return FactCandidate(
        text=text,
        subject=parsed.said.speaker,
        predicate=slot[0],
        object=slot[1],
        kind=rule.kind,
        source_turn_ids=[parsed.said.turn_id],
        confidence=rule.confidence,
        producer=parsed.said.producer,
        occurred_at=when_times.occurred_at,
        valid_from=when_times.valid_from,
        rule=rule.name,
    )


def _cut(body: str, start: int, rule: Rule) -> int:
    """Where the object ends: at a conjunction, a subordinate clause, punctuation or one of
    the rule's own stop words ("with" for trips, "to" after "prefer" ...)."""
    words = BASE_CUT + ("|" + rule.cut if rule.cut else "")
    punct = r"[;:!?.()\"]|,(?!\s*\w+ing\b)" if rule.lists else r"[,;:!?.()\"]"
    stop = re.compile(rf"{punct}|\s+-+\s+|\s+(?:{words})\b", re.I)
    found = stop.search(body, start)
    return found.start() if found else len(body)


def _drop_spans(body: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """The object text with its time phrases taken out (they are appended resolved)."""
    text = body[start:end]
    for s, e in sorted(spans, reverse=True):
        s, e = max(s, start) - start, min(e, end) - start
        if s < e:
            text = text[:s] + " " + text[e:]
    return re.sub(r"\s+", " ", text).strip()


def _items(raw: str) -> list[str]:
    """A list object ("hiking, biking and swimming") as its items when they are short."""
    parts = [p.strip() for p in _LIST_SPLIT.split(raw) if p and p.strip()]
    if len(parts) > 1 and all(len(p.split()) <= MAX_OBJECT_WORDS for p in parts):
        return [re.sub(r"^(?:and|or)\s+", "", p, flags=re.I) for p in parts]
    return [raw]


def _clean_object(text: str) -> str:
    text = _LEADING_ADVERBS.sub("", text.strip(" ,.!"))
    previous = None
    while previous != text:
        previous, text = text, _FILLERS.sub("", text).strip(" ,.!")
    # "about/around" are left of a time phrase taken out ("about two months ago").
    return re.sub(
        r"\s+(?:on|in|at|since|for|from|to|of|with|and|or|the|a|an|my|about|around|almost|"
        r"nearly|roughly)$",
        "",
        text,
    )


def _valid_object(obj: str, rule: Rule) -> bool:
    words = obj.split()
    if not words or len(words) > MAX_OBJECT_WORDS or _SECOND_PERSON.search(obj):
        return False
    if _ANAPHORA.search(obj) and rule.name not in ("age",):
        return False
    first = words[0].lower().strip(",")
    return first not in _BAD_START or rule.name in ("age",)


def _strip_det(text: str) -> str:
    return re.sub(r"^(?:a|an|the|some)\s+", "", text.strip(), flags=re.I)


def _own(slot: str, speaker: str) -> str:
    """Slot objects say whose: "my sister" -> "<speaker>'s sister"."""
    return re.sub(r"\bmy\b", f"{speaker}'s", slot, flags=re.I)


def _sentence(body: str, speaker: str, when: TimeMention | None) -> str:
    text = rewrite(body.strip(), speaker)
    if when is not None:
        text += " " + times.phrase(when)
    return text.rstrip(" ,") + "."


def mention_facts(sentence: str, said: Said, kind_of: dict[str, str]) -> list[FactCandidate]:
    """Facts stated in passing: "my dog Rex", "my sister's name is Ana", "my name is Sam",
    "call me Sam", "my favourite food is sushi". `kind_of` collects name -> pet/person for
    the entity finder."""
    out = []
    for match in NAMED_MENTION.finditer(sentence):
        noun, name, last = match.group("noun").lower(), match.group("name"), match.group("last")
        if name in NOT_NAMES or (noun not in PET_NOUNS and noun not in KIN_NOUNS):
            continue
        if last and last not in NOT_NAMES and noun not in PET_NOUNS:
            name = f"{name} {last}"
        owner = f"{said.speaker}'s {match.group('mods')}{noun}"
        text = f"{owner[0].upper()}{owner[1:]} is named {name}."
        if noun in PET_NOUNS:
            kind_of[name] = "pet"
            slot = ("has_pet", name)
        else:
            kind_of[name] = "person"
            slot = ("has_" + KIN_NOUNS[noun], name)
        out.append(_mention_fact(text, said, slot, "fact"))
    out.extend(_profile_facts(expand_contractions(sentence.strip(" .!")), said))
    return out


def _profile_facts(sentence: str, said: Said) -> list[FactCandidate]:
    out = []
    call = CALL_ME.search(sentence)
    if call and call.group("obj") not in NOT_NAMES:
        name = call.group("obj")
        text = f"{said.speaker} goes by {name}."
        out.append(_mention_fact(text[0].upper() + text[1:], said, ("nickname", name), "profile"))
    match = PROFILE_STATEMENT.match(sentence)
    if match is None:
        return out
    obj = _clean_object(re.split(r"[,;!?]|\s+(?:and|but|because|so)\s+", match.group("obj"))[0])
    if not _valid_object(obj, _PROFILE_RULE) or _NEGATION.search(obj):
        return out
    if match.group("fav"):
        thing = match.group("thing").lower()
        slot = ("favorite_" + re.sub(r"\W+", "_", thing), _strip_det(obj))
        kind: FactKind = "preference"
        text = f"{said.speaker}'s favorite {thing} is {obj}."
    else:
        attr = match.group("attr").lower()
        slot, kind = (re.sub(r"\W+", "_", attr), _strip_det(obj)), "profile"
        text = f"{said.speaker}'s {attr} is {obj}."
    return [*out, _mention_fact(text[0].upper() + text[1:], said, slot, kind)]


_PROFILE_RULE = Rule("profile", "", "", "profile", 0.9)


def _mention_fact(text: str, said: Said, slot: tuple[str, str], kind: FactKind) -> FactCandidate:
    return FactCandidate(
        text=text,
        subject=said.speaker,
        predicate=slot[0],
        object=slot[1],
        kind=kind,
        source_turn_ids=[said.turn_id],
        confidence=MENTION_CONFIDENCE,
        producer=said.producer,
        occurred_at=said.now,
        valid_from=said.now,
        rule="mention" if kind == "fact" else "profile",
    )
