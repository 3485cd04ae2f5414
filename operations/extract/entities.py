"""Named entities in a sentence: the scope's known entities (gazetteer), then capitalised
names typed by what they are called (hints from fact rules, speakers, place and name lists,
suffixes such as "University" or "Festival") or by the words before them ("work at", "in").

Untyped capitalised words are skipped; untyped multi-word names are kept as "other" with a
low confidence. Aliases are linked only on evidence: a known alias, "Melanie (Mel)",
"Melanie, aka Mel", "Mel for short", or a full name and its first name in the same batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from memsvc.operations.extract.clauses import LEAD_WORDS
from memsvc.operations.extract.lexicon import (
    EVENT_SUFFIXES,
    FIRST_NAMES,
    NOT_NAMES,
    ORG_SUFFIXES,
    PLACE_SUFFIXES,
    PLACES,
    ROLE_NOUNS,
)
from memsvc.operations.extract.types import EntityType, KnownEntity, entity_type

from memsvc.domain.text import STOPWORDS

_TOKEN = re.compile(r"[A-Za-z][\w&.'-]*[\w]|[A-Za-z]")
# "and" is no connector: "Emma and Noah" are two people.
_CONNECTORS = frozenset("of the de del da van von & upon".split())
_PLACE_PREFIXES = frozenset("Lake Mount Mt Cape Fort Port Isle Saint St".split())
_TITLES = frozenset("Mr Mrs Ms Dr Prof Aunt Uncle Grandma Grandpa Coach".split())
_CUES: tuple[tuple[re.Pattern[str], EntityType, float], ...] = (
    (
        re.compile(
            r"\b(?:work|works|worked|working|job|intern|interned|employed|hired)"
            r"\s+(?:at|for|by|with)\s+$",
            re.I,
        ),
        "organisation",
        0.8,
    ),
    (
        re.compile(rf"\b(?:{'|'.join(sorted(ROLE_NOUNS))})s?\s+(?:at|for|with)\s+$", re.I),
        "organisation",
        0.7,
    ),
    (
        re.compile(
            r"\b(?:joined|volunteer|volunteers|volunteered|volunteering)\s+(?:at\s+)?$", re.I
        ),
        "organisation",
        0.65,
    ),
    (
        re.compile(
            r"\b(?:live|lives|lived|living|moved|move|moving|born|raised|grew up|"
            r"visited|visit|visiting|trip|travel|traveled|travelled|flew|fly|flying|"
            r"drove|vacation|holiday)\s+(?:in|to|back to|up in|out to)?\s*$",
            re.I,
        ),
        "place",
        0.75,
    ),
    (
        re.compile(r"\b(?:in|near|(?:am|is|are|come|comes|came|back|flew|drove) from)\s+$", re.I),
        "place",
        0.6,
    ),
    (
        re.compile(
            r"\b(?:bought|purchased|ordered|got)\s+(?:(?:a|an|the|my|myself|new)\s+)+$", re.I
        ),
        "product",
        0.65,
    ),
    (re.compile(r"\bmy\s+new\s+$", re.I), "product", 0.6),
    (re.compile(r"\b(?:attended|attending|attend)\s+(?:the\s+)?$", re.I), "event", 0.65),
    (re.compile(r"\b(?:met|meet|meeting|with|named|called)\s+$", re.I), "person", 0.6),
)
_ALIAS_PATTERNS = (
    re.compile(r"\b(?P<name>[A-Z]\w+(?: [A-Z]\w+)?) \((?P<alias>[A-Z]\w+)\)"),
    re.compile(
        r"\b(?P<name>[A-Z]\w+(?: [A-Z]\w+)?),? (?:aka|a\.k\.a\.|also known as|"
        r"or (?P<alias2>[A-Z]\w+) for short)(?: (?P<alias>[A-Z]\w+))?"
    ),
    re.compile(r"\b(?P<alias>[A-Z]\w+) is short for (?P<name>[A-Z]\w+)"),
    re.compile(
        r"\b(?i:my name is) (?P<name>[A-Z]\w+(?: [A-Z]\w+)?),? (?:but |and )?"
        r"(?i:everyone|everybody|people|friends|my friends|they|you can) calls? me "
        r"(?P<alias>[A-Z]\w+)"
    ),
)


@dataclass(slots=True)
class Found:
    """One entity seen in one sentence."""

    name: str
    type: EntityType
    confidence: float
    aliases: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Names to recognise as they are: the scope's entities and the speakers."""

    known: tuple[KnownEntity, ...] = ()
    speakers: frozenset[str] = frozenset()

    def lookup(self, name: str) -> KnownEntity | None:
        for entity in self.known:
            if name == entity.name or name in entity.aliases:
                return entity
        if name in self.speakers:
            return KnownEntity(name, "person")
        return None

    def names(self) -> Iterable[tuple[str, KnownEntity]]:
        for entity in self.known:
            yield entity.name, entity
            for alias in entity.aliases:
                yield alias, entity


def find_entities(
    sentence: str, gazetteer: Gazetteer, hints: Mapping[str, str] | None = None
) -> list[Found]:
    """The entities named in one sentence, each once."""
    hints = hints or {}
    found: dict[str, Found] = {}
    taken: list[tuple[int, int]] = []
    for surface, entity in sorted(gazetteer.names(), key=lambda p: -len(p[0])):
        for match in re.finditer(rf"(?<![\w-]){re.escape(surface)}(?![\w-])", sentence):
            if not _overlaps(match.span(), taken):
                taken.append(match.span())
                item = found.setdefault(entity.name, Found(entity.name, entity.type, 0.9))
                if surface != entity.name:
                    item.aliases.add(surface)
    for start, end in _capitalised_spans(sentence):
        if _overlaps((start, end), taken):
            continue
        name = sentence[start:end]
        typed = _type_of(sentence, (start, end), gazetteer, hints)
        if typed is not None and name not in found:
            found[name] = Found(name, typed[0], typed[1])
    _link_aliases(sentence, found)
    return list(found.values())


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


def _capitalised_spans(sentence: str) -> list[tuple[int, int]]:
    """Runs of capitalised tokens (joined by "of", "de", "&" ...), without sentence-initial
    common words, titles and time words."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(sentence)]
    spans: list[list[int]] = []  # token indexes of the runs
    run: list[int] = []
    for i, (_, _, word) in enumerate(tokens):
        capital = word[0].isupper() and _bare(word) not in NOT_NAMES
        joined = bool(run) and _joined(sentence, tokens, run[-1], i)
        if capital:
            if run and not joined:
                spans.append(run)
                run = []
            run.append(i)
        elif run and not (joined and word.lower() in _CONNECTORS):
            spans.append(run)
            run = []
    if run:
        spans.append(run)
    out = []
    for idx in spans:
        if idx[0] == 0 and _bare(tokens[0][2]).lower() in STOPWORDS | LEAD_WORDS:
            idx = idx[1:]
        if idx:
            out.append((idx[0], idx[-1]))
    return [(tokens[a][0], _end(tokens[b])) for a, b in out]


def _joined(sentence: str, tokens: list[tuple[int, int, str]], last: int, i: int) -> bool:
    """Tokens `last` and `i` belong to one name: only spaces and connectors between them."""
    between = range(last + 1, i)
    if not all(tokens[j][2].lower() in _CONNECTORS for j in between):
        return False
    gaps = [sentence[tokens[j][1] : tokens[j + 1][0]] for j in range(last, i)]
    return all(not gap.strip() for gap in gaps)


def _end(token: tuple[int, int, str]) -> int:
    word = token[2]
    return token[1] - (2 if word.endswith("'s") else 0)


def _bare(word: str) -> str:
    return word[:-2] if word.endswith("'s") else word.rstrip(".")


def _type_of(
    sentence: str,
    span: tuple[int, int],
    gazetteer: Gazetteer,
    hints: Mapping[str, str],
) -> tuple[EntityType, float] | None:
    """The type of the name at `span`, with a confidence, or None when nothing says."""
    name, before, after = sentence[span[0] : span[1]], sentence[: span[0]], sentence[span[1] :]
    words = name.split()
    at_start = not before.strip(" \"'")
    if name in hints:
        return entity_type(hints[name]), 0.9
    known = gazetteer.lookup(name)
    if known is not None:
        return known.type, 0.9
    if name in PLACES:
        return "place", 0.85
    suffixed = _by_affix(words)
    if suffixed is not None:
        return suffixed, 0.8
    if re.search(r"\b(?:" + "|".join(_TITLES) + r")\.?\s+$", before):
        return "person", 0.8
    if words[0] in FIRST_NAMES and not name.isupper():
        return "person", 0.8 if len(words) > 1 else 0.75
    if at_start or name.isupper():
        return None  # a capitalised first word or an acronym is no evidence of a name
    for cue, kind, confidence in _CUES:
        if cue.search(before) and not _modifier(after, kind):
            return kind, confidence
    return ("other", 0.4) if len(words) > 1 else None


def _by_affix(words: list[str]) -> EntityType | None:
    last, first = words[-1].rstrip("."), words[0]
    if len(words) > 1 and (last in ORG_SUFFIXES or first in ("University", "Bank", "College")):
        return "organisation"
    if len(words) > 1 and (last in PLACE_SUFFIXES or first in _PLACE_PREFIXES):
        return "place"
    if len(words) > 1 and last in EVENT_SUFFIXES:
        return "event"
    return None


def _modifier(after: str, kind: EntityType) -> bool:
    """ "in Spanish class": a capitalised word before a lower-case noun is an adjective."""
    nxt = re.match(r"\s+([a-z][\w'-]*)", after)
    if nxt is None or kind != "place":
        return False
    word = nxt.group(1)
    return word not in STOPWORDS and word not in LEAD_WORDS


def _link_aliases(sentence: str, found: dict[str, Found]) -> None:
    """Explicit aliases: "Melanie (Mel)", "Melanie, aka Mel", "Melanie, or Mel for short"."""
    for pattern in _ALIAS_PATTERNS:
        for match in pattern.finditer(sentence):
            alias = match.groupdict().get("alias") or match.groupdict().get("alias2")
            name = match.group("name")
            if not alias or name not in found or alias == name:
                continue
            found[name].aliases.add(alias)
            found.pop(alias, None)
