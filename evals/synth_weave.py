"""Weaving planned mentions into filler sessions.

A clause is said in passing: added before or after the words of one of the session's real user
turns ("... By the way, we finally moved to Porto last month."). A request with its answer is
inserted as two new turns where the other speaker has just finished. Each mention's evidence
turn is recorded so that every question can label exactly the turns that hold its evidence.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from memsvc.evals.synth_filler import FillerSession
from memsvc.evals.synth_model import Mention, cap

_AFTER = (
    "{orig} By the way, {c}.",
    "{orig}\n\nSide note: {c}.",
    "{orig} (Unrelated, but {c}.)",
    "{orig} Oh, and {c}.",
    "{orig} Not that it matters for this, but {c}.",
    "{orig}\n\nP.S. {C}.",
)
_BEFORE = (
    "{C}. Anyway, here's my question:\n\n{orig}",
    "Quick bit of context: {c}.\n\n{orig}",
    "{C}. Anyway, on to something else.\n\n{orig}",
    "Hi again! {C}. {orig}",
)
_CHAT_AFTER = ("{orig} Btw, {c}!", "{orig} Oh and {c}.", "{orig} Also, {c}.", "{orig} {C}, haha.")
_CHAT_BEFORE = ("{C}! {orig}", "{C}. {orig}", "Oh, {c}. {orig}", "So, {c}. Anyway, {orig}")
_SLOT = re.compile(r"\{(orig|C|c)\}")
_REQUEST = ("{C}", "Different question: {c}", "Oh, also - {c}", "One more thing: {c}")


@dataclass(slots=True)
class _Turn:
    role: str
    content: str
    clauses: list[Mention] = field(default_factory=list)
    evidence_of: list[Mention] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WovenSession:
    """A session's final turns (role, content) and, per turn, the mentions it is evidence of."""

    turns: tuple[tuple[str, str], ...]
    evidence: tuple[tuple[Mention, ...], ...]


def weave(
    rng: random.Random, filler: FillerSession, mentions: list[Mention], chat: bool
) -> WovenSession:
    """`filler` with `mentions` woven in (all of them: a busy session stacks several clauses
    on one user turn)."""
    turns = [_Turn(t.role, t.content) for t in filler.turns]
    users = [t for t in turns if t.role == "user"]  # the real ones, before any insertion
    for mention in (m for m in mentions if m.reply is not None):
        _insert_request(rng, turns, mention, chat)
    clauses = [m for m in mentions if m.reply is None]
    order = rng.sample(users, len(users))
    for i, mention in enumerate(clauses):
        order[i % len(order)].clauses.append(mention)
    for turn in turns:
        for mention in turn.clauses:
            turn.content = _say(rng, turn.content, mention.text, chat)
            turn.evidence_of.append(mention)
    return WovenSession(
        tuple((t.role, t.content) for t in turns), tuple(tuple(t.evidence_of) for t in turns)
    )


def _insert_request(rng: random.Random, turns: list[_Turn], mention: Mention, chat: bool) -> None:
    """The request where the other speaker has just spoken (or first), then the answer."""
    spots = [0] + [i + 1 for i, t in enumerate(turns) if t.role == "assistant"]
    at = rng.choice(spots)
    ask = cap(mention.text) if chat else _fill(rng.choice(_REQUEST), "", mention.text)
    answer = _Turn("assistant", mention.reply or "", evidence_of=[mention])
    turns[at:at] = [_Turn("user", ask), answer]


def _say(rng: random.Random, orig: str, clause: str, chat: bool) -> str:
    before, after = (_CHAT_BEFORE, _CHAT_AFTER) if chat else (_BEFORE, _AFTER)
    template = rng.choice(after if rng.random() < 0.65 else before)
    return _fill(template, orig, clause)


def _fill(template: str, orig: str, clause: str) -> str:
    # Only the template is scanned: filler text is full of braces.
    values = {"orig": orig, "C": cap(clause), "c": clause}
    return _SLOT.sub(lambda m: values[m.group(1)], template)
