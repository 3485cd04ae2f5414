"""Predicate deciders for the fact rules: each looks at a rule's cleaned object (and match)
and says which predicate applies, with the slot object, or None when the rule does not apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from memsvc.operations.extract.lexicon import (
    CHATTER_VERBS,
    EVENT_NOUNS,
    IRREGULAR_PAST,
    KIN_NOUNS,
    NUMBER_WORDS,
    PET_NOUNS,
    PLAN_VERBS,
    POSSESSION_NOUNS,
    ROLE_NOUNS,
    TRAIT_WORDS,
    WORKPLACE_NOUNS,
)

# Decides the predicate from the cleaned object and the match (None: the rule does not apply)
# and may rewrite the object: returns (predicate, object) or None.
Decide = Callable[[str, re.Match[str]], tuple[str, str] | None]

DETERMINERS = frozenset(
    "a an the some another one two three four five six seven eight nine ten".split()
)
_START_OK_NUMBER = re.compile(r"^(?:\d+|" + "|".join(NUMBER_WORDS) + r")\b", re.I)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text.lower())


def _named(obj: str) -> str | None:
    match = re.search(r"\b(?:named|called)\s+([A-Z][\w-]+(?:\s+and\s+[A-Z][\w-]+)?)", obj)
    return match.group(1) if match else None


def _det_ok(words: list[str]) -> bool:
    return bool(words) and (words[0] in DETERMINERS or bool(_START_OK_NUMBER.match(words[0])))


def decide_have(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    """'I have/own/got/adopted a ...': a pet, a relative or a possession, by the head noun."""
    verb = match.group("verb").lower()
    words = _words(obj)
    if not _det_ok(words) and words[:2] != ["my", "own"]:
        return None
    head = _words(re.split(r"\b(?:named|called|who|that|with)\b", obj)[0])[:4]
    name = _named(obj)
    for word in head:
        if word in PET_NOUNS:
            if verb == "got" and words[0] not in ("a", "an", "one"):
                return None  # "we got a few fish": a catch, not pets
            predicate = "adopted" if verb in ("adopted", "rescued") else "has_pet"
            return predicate, name or _strip_det(obj)
        if word in KIN_NOUNS and verb in ("have", "have got"):
            return "has_" + KIN_NOUNS[word], name or _strip_det(obj)
        if word in POSSESSION_NOUNS and verb in ("have", "own", "have got", "got"):
            return "owns", _strip_det(obj)
    return None


def decide_org(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    """Where one works: "a Berlin startup called Kite" is Kite, else the object as said."""
    return "works_at", _named(obj) or _strip_det(obj)


def decide_workplace(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    """'I've been at X': a workplace only when X is named as one ("a startup called Finch")."""
    head = _words(re.split(r"\b(?:named|called)\b", obj)[0])
    name = _named(obj)
    if name and _det_ok(head) and any(w in WORKPLACE_NOUNS for w in head):
        return "works_at", name
    return None


def decide_role(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    """'I am a/an <role>' when the head noun is an occupation or role."""
    head = re.split(r"\s+(?:at|for|in|with|of|who|from|and|on|to)\s+", obj)[0]
    words = _words(head)
    if not words or words[-1] not in ROLE_NOUNS or len(words) > 4:
        return None
    return "is", _strip_det(obj if " of " in obj else head)


def decide_trait(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    words = _words(obj)
    return ("is", obj) if len(words) == 1 and words[0] in TRAIT_WORDS else None


def decide_plan(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    """A verb phrase that is a plan, not chatter; "going to <place>" is a trip."""
    words = _words(obj)
    if not words:
        return None
    verb = match.group("verb").lower()
    going = re.search(r"going|gonna", verb) is not None
    if going and (words[0] in DETERMINERS or words[0] == "my" or obj[0].isupper()):
        return "plans_to", "go to " + obj
    if words[0] in CHATTER_VERBS or words[0] in DETERMINERS or obj[0].isupper():
        return None
    if (going or verb == "will") and words[0] not in PLAN_VERBS:
        return None  # "I'll stay positive", "I'm gonna keep going": resolve, not plan
    return "plans_to", obj


def decide_want(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    words = _words(obj)
    if not words or words[0] in CHATTER_VERBS or words[0] in DETERMINERS:
        return None
    return "wants_to", obj


ING_LEMMA = {
    "going": "go",
    "heading": "head",
    "flying": "fly",
    "traveling": "travel",
    "travelling": "travel",
    "driving": "drive",
    "visiting": "visit",
    "moving": "move",
    "leaving": "leave",
    "starting": "start",
    "attending": "attend",
    "taking": "take",
    "hosting": "host",
    "running": "run",
    "participating": "participate",
    "competing": "compete",
    "getting": "get",
}


def decide_progressive(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    """'I'm flying to Rome next week': a present progressive with a future time is a plan."""
    verb = match.group("verb").lower().split()[-1]
    if verb == "going" and obj.lower().startswith("to ") and not obj[3:4].isupper():
        return None  # "going to make it": the plan rule's business
    if verb in ("feeling", "thinking", "hoping", "wondering", "trying", "looking", "doing"):
        return None
    return "plans_to", f"{ING_LEMMA.get(verb, verb)} {obj}"


_TRIVIAL_PLACES = frozenset("bed sleep work it there here home church".split())


def decide_went(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    words = _words(obj)
    content = [w for w in words if w not in DETERMINERS and w != "my"]
    if (
        not content
        or content[0] in _TRIVIAL_PLACES
        or words[0] in ("the", "my")
        and (content[0] in ("bathroom", "toilet", "store", "shop", "gym", "office", "kitchen"))
    ):
        return None
    if any(w in EVENT_NOUNS for w in content[:4]):
        return "attended", _strip_det(obj)
    return "visited", _strip_det(obj)


def decide_met(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    return ("met", obj) if obj[0].isupper() or obj.lower().startswith("my ") else None


def decide_ran(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    keys = ("marathon", "race", "5k", "10k", "triathlon", "ultra")
    return ("finished", _strip_det(obj)) if any(k in obj.lower() for k in keys) else None


def decide_went_doing(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    first = _words(obj)[:1]
    return ("did", obj) if first and first[0].endswith("ing") else None


def decide_dated_past(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    """'<past verb> ...' with a past time phrase: a dated event named by its own verb."""
    verb = match.group("verb")
    lower = verb.lower()
    if not (lower in IRREGULAR_PAST or (lower.endswith("ed") and len(lower) > 4)):
        return None
    if lower in ("said", "told", "thought", "felt", "wanted", "needed", "asked", "had"):
        return None
    return "did", f"{verb} {obj}"


def decide_age(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    found = re.fullmatch(r"(\d{1,3})(?:\s+(?:years?|yrs?)(?:\s+old)?)?", obj.strip(), re.I)
    return ("age", found.group(1)) if found else None


# "I've been thinking about ... for weeks" is no activity one practises.
_NOT_PRACTICE = frozenset(
    """thinking wondering feeling trying looking hoping wanting meaning considering planning
    struggling dealing waiting worrying going getting having""".split()
)


def decide_practices(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    """'I've been playing guitar for ten years': an ongoing activity with a duration."""
    raw = match.group("obj")
    first = _words(obj)[:1]
    if not first or first[0] in _NOT_PRACTICE:
        return None
    if re.match(r"\w+ing\b", obj) and re.search(r"\b(?:for|since)\b", raw):
        return "practices", re.split(r"\s+(?:for|since)\s+", obj)[0]
    return None


_NOT_STARTED = frozenset(
    """feeling thinking realizing realising noticing worrying wondering crying laughing getting
    to""".split()
)
_MENTAL = frozenset(
    """feel think realize realise notice worry wonder get cry laugh see enjoy like love appreciate
    understand miss""".split()
)


def decide_started(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
    """'I started a blog / learning Spanish', not 'I started feeling better'."""
    words = _words(obj)
    if not words or (
        words[0] in _NOT_STARTED and (words[0] != "to" or words[1:2] == [] or words[1] in _MENTAL)
    ):
        return None
    if match.group("verb").lower() == "picked up" and not words[0].endswith("ing"):
        return None  # "picked up running" is a hobby, "picked up my sister" an errand
    return "started", _strip_det(obj)


_PLACE_NOUNS = frozenset(
    """town city village apartment house suburb suburbs area neighborhood neighbourhood
    countryside state country condo flat cabin farm dorm studio""".split()
)


def decide_place(predicate: str, named_only: bool = False) -> Decide:
    """A place object: a capitalised name or (unless `named_only`) a noun for a dwelling."""

    def decide(obj: str, match: re.Match[str]) -> tuple[str, str] | None:
        if obj[:1].isupper():
            return predicate, obj
        if not named_only and any(w in _PLACE_NOUNS for w in _words(obj)):
            return predicate, _strip_det(obj)
        return None

    return decide


def _strip_det(text: str) -> str:
    return re.sub(r"^(?:a|an|the|some)\s+", "", text.strip(), flags=re.I)
