"""Rewriting a first-person clause so that it names the speaker ("I love it" -> "Ana loves it").

Good enough to read, not a grammar: the verb after the subject agrees with a third-person
singular subject, and the speaker's pronouns elsewhere become the speaker's name.
"""

from __future__ import annotations

import re

from memsvc.operations.extract.lexicon import ADVERBS, IRREGULAR_PAST, MODALS

_CONTRACTIONS = (
    (re.compile(r"\bI'm\b", re.I), "I am"),
    (re.compile(r"\bI've\b", re.I), "I have"),
    (re.compile(r"\bI'll\b", re.I), "I will"),
    (re.compile(r"\bI'd\b", re.I), "I would"),
    (re.compile(r"\bwe're\b", re.I), "we are"),
    (re.compile(r"\bwe've\b", re.I), "we have"),
    (re.compile(r"\bwe'll\b", re.I), "we will"),
    (re.compile(r"\bIm\b"), "I am"),
    (re.compile(r"\bIve\b"), "I have"),
)

_AGREEMENT = {
    "am": "is",
    "have": "has",
    "haven't": "hasn't",
    "do": "does",
    "don't": "doesn't",
    "go": "goes",
    "be": "is",
}
# Adverbs that may stand between the subject and its verb (not "do": that is the verb).
_ADVERB_RE = re.compile(
    rf"((?:(?:{'|'.join(a for a in ADVERBS.split('|') if a not in ('do', 'did'))})\s+)*)"
    r"([\w']+)"
)
_FIRST_PERSON = [
    (re.compile(r"\bmyself\b", re.I), "themself"),
    (re.compile(r"\bmine\b", re.I), "{s}'s"),
    (re.compile(r"\bmy\b", re.I), "{s}'s"),
    (re.compile(r"\bme\b"), "{s}"),
    (re.compile(r"\bour\b", re.I), "{s}'s"),
    (re.compile(r"\bours\b", re.I), "{s}'s"),
    (re.compile(r"\bus\b"), "{s} and others"),
]


def expand_contractions(text: str) -> str:
    """Spell out the subject contractions ("I'm" -> "I am") that the rules match on."""
    for pattern, full in _CONTRACTIONS:
        text = pattern.sub(full, text)
    return text


def third_person(verb: str) -> str:
    """The third-person singular present of `verb`; past forms and modals stay as they are."""
    lower = verb.lower()
    if lower in _AGREEMENT:
        return _AGREEMENT[lower]
    if lower in MODALS or lower in IRREGULAR_PAST or lower.endswith(("ed", "n't")):
        return verb
    if lower.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if len(lower) > 2 and lower.endswith("y") and lower[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _agree(rest: str) -> str:
    """Make the first verb of `rest` (after adverbs) agree with a singular third person."""
    match = _ADVERB_RE.match(rest)
    if match is None:
        return rest
    return match.group(1) + third_person(match.group(2)) + rest[match.end() :]


_SUBJECT = re.compile(r"^(?:I|we|my ((?:\w+ )?\w+) and I)\b\s*", re.I)
_INNER_I = re.compile(r"\bI\b\s*")


def rewrite(body: str, speaker: str) -> str:
    """`body` (a clause from its first-person subject on, contractions expanded) with the
    speaker named: "I love my dog" -> "<speaker> loves <speaker>'s dog"."""
    match = _SUBJECT.match(body)
    if match is None:
        return _pronouns(body, speaker)
    rest = body[match.end() :]
    head = match.group(0).strip().lower()
    if head == "i":
        subject, rest = speaker, _agree(rest)
    elif head == "we":
        subject = f"{speaker} and others"
    else:
        subject = f"{speaker} and {speaker}'s {match.group(1)}"
    out = subject + " " + _inner_i(_pronouns(rest, speaker), speaker)
    return out[0].upper() + out[1:]


def _inner_i(text: str, speaker: str) -> str:
    parts = _INNER_I.split(text)
    out = parts[0]
    for part in parts[1:]:
        out += f"{speaker} " + _agree(part)
    return out


def _pronouns(text: str, speaker: str) -> str:
    for pattern, replacement in _FIRST_PERSON:
        text = pattern.sub(replacement.format(s=speaker), text)
    return text
