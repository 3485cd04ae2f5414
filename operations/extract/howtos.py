"""How-tos in words: prose ("To deploy the app I run make build, then push the image to the
registry, then kubectl apply -f deploy.yaml.") and step lists ("Steps to rotate the keys:"
then "1. ...", "2. ..." or "- ..." lines).

A how-to needs a goal and at least two steps. The goal comes from the sentence that opens
it ("To X", "In order to X", "Here's how I X:", "The way to X is to", "I X by ...", a list's
header), else from the request the message answers.
(Turns tagged with a task are read as traces.) Leading "make sure ..." / "you need ..." items
and sentences are preconditions, not steps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from memsvc.operations.extract.goals import goal_phrase
from memsvc.operations.extract.lexicon import IRREGULAR_PAST
from memsvc.operations.extract.steps import Step, instruction, short
from memsvc.operations.extract.types import Outcome, ProcedureCandidate, parse_outcome

from memsvc.domain import MemoryUnit

PROSE_CONFIDENCE = 0.8  # a person describing what they do
ANSWER_CONFIDENCE = 0.6  # an assistant's how-to, or a list without a goal of its own
MIN_STEPS = 2

# A verb in the past tense: "When I got home, I ..." tells a story, not a habit ("set",
# "put", "read" ... read the same in the present: "When I set up a laptop, I ...").
_SAME_IN_PRESENT = frozenset("set put read hit hurt quit shut cut let spread cost".split())
_PAST = r"(?:\w+ed|" + "|".join(sorted(IRREGULAR_PAST - _SAME_IN_PRESENT)) + ")"
_SUBJECT = r"(?:I|we|you)(?:\s+(?:usually|always|normally|typically|just|first|then))*"
_OPENERS = (
    # "To deploy the app I run make build, then ..." / "In order to X, we first ..."
    re.compile(rf"^(?:to|in order to)\s+(?P<goal>.+?),?\s+{_SUBJECT}\s+(?P<rest>.+)$", re.I),
    # "To deploy the app, run make build, then ..." / "To deploy the app: ..."
    re.compile(r"^(?:to|in order to)\s+(?P<goal>[^,:;]+)[,:;]\s*(?P<rest>.+)$", re.I),
    # "Here's how I deploy the app: first ..., then ..."
    re.compile(
        r"^(?:here'?s |this is )?how (?:I|we|you|to) (?P<goal>[^:]+?)\s*:\s*(?P<rest>.+)$", re.I
    ),
    # "The way to deploy the app is to run make build, then ..."
    re.compile(
        r"^(?:the )?(?:way|steps?|process|procedure|recipe) (?:to|for) (?P<goal>.+?)"
        r"(?:\s+(?:is|are)(?:\s+to)?\s*:?\s+|\s*:\s*)(?P<rest>.+)$",
        re.I,
    ),
    # "I deployed the app by running make build, then pushing ..."
    re.compile(r"^(?:I|we) (?P<goal>[^,]+?) by (?P<rest>.+)$", re.I),
    # "When I set up a laptop I install Homebrew, then ..." (a habit; not "When I got home")
    re.compile(
        rf"^(?:when|whenever|each time|every time)\s+(?:I|we)\s+(?P<goal>(?!{_PAST}\b)[^,]+?)"
        rf",?\s+{_SUBJECT}\s+(?P<rest>.+)$",
        re.I,
    ),
    # "For a release we bump the version, tag the commit, and then run ..."
    re.compile(rf"^for\s+(?P<goal>[^,]+?),?\s+{_SUBJECT}\s+(?P<rest>.+)$", re.I),
    # "My usual way to make cold brew: grind ..., then ..."
    re.compile(
        r"^(?:my|our) (?:usual |own |favou?rite |go-to |preferred )?"
        r"(?:way|steps?|process|procedure|recipe|routine) (?:to|for) (?P<goal>[^:]+?)"
        r"(?:\s+(?:is|are)(?:\s+to)?\s*:?\s+|\s*:\s*)(?P<rest>.+)$",
        re.I,
    ),
)
_SEQUENCE = re.compile(
    r"\s*(?:[;,]\s*|\s)(?:and\s+)?(?:then|after that|afterwards|next|finally|lastly)\b[,:]?\s*"
    r"|\s*;\s*",
    re.I,
)
_CONTINUES = re.compile(
    r"^(?:then|next|after that|afterwards|finally|lastly|second(?:ly)?|third(?:ly)?)\b[,:]?\s*",
    re.I,
)
_LEAD = re.compile(rf"^(?:(?:first(?:ly)?|and|then|also|just|simply|{_SUBJECT})\b[,:]?\s*)+", re.I)
_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•]|step \d{1,2}[.:)]?)\s+(?P<item>\S.*)$", re.I)
_INLINE_ITEMS = re.compile(r"\s(?=(?:\d{1,2}[.)]|step \d{1,2}[.:)]?)\s)", re.I)
_PRECONDITION = re.compile(
    r"^(?:make sure|ensure|be sure|you(?:'ll)? (?:need|must|have to)|it requires|requires?"
    r"|prerequisites?|before (?:you|I|we) (?:start|begin))\b",
    re.I,
)
_FAILED = re.compile(
    r"\b(?:fail(?:ed|s|ing|ure)?|error|broke|crashed|didn'?t work|couldn'?t|timed out)\b", re.I
)
_HEADER = re.compile(r"^(?:steps?|how|to|in order to|here'?s how)\b|:\s*$", re.I)


def find_howtos(turns: Sequence[MemoryUnit]) -> list[ProcedureCandidate]:
    """Prose and step-list how-tos of a session batch, in order."""
    out: list[ProcedureCandidate] = []
    request: MemoryUnit | None = None
    for turn in turns:
        role = turn.attributes.get("role")
        if role == "tool" or _has_calls(turn) or _metadata(turn).get("task"):
            continue  # tool traces and tagged tasks are read as traces
        found = _in_turn(turn, request)
        out += found
        if role == "user" and not found:
            request = turn
    return out


def _in_turn(turn: MemoryUnit, request: MemoryUnit | None) -> list[ProcedureCandidate]:
    listed = _step_list(turn, request)
    if listed is not None:
        return [listed]
    return [c for c in (_prose(turn, s) for s in _sentences(turn.content)) if c is not None]


def _prose(turn: MemoryUnit, sentence: tuple[str, list[str]]) -> ProcedureCandidate | None:
    """One sentence that opens a how-to, with the sentences that continue it."""
    text, following = sentence
    for opener in _OPENERS:
        match = opener.match(text)
        if match is None:
            continue
        goal = goal_phrase("to " + match.group("goal")) or match.group("goal").strip()
        parts = [match.group("rest"), *following]
        found = _steps(p for part in parts for p in _chain(part))
        if goal and len(found[0]) >= MIN_STEPS:
            return _candidate(turn, goal, found, _confidence(turn))
    return None


_COMMA_STEP = re.compile(r",\s+(?:and\s+)?(?=[a-z])")


def _chain(text: str) -> list[str]:
    """The steps of a chained sentence: "then"-separated, and, once "then" or "finally"
    marks it as a sequence, comma-separated too ("bump the version, tag the commit, and
    then run ...")."""
    pieces = _SEQUENCE.split(text)
    if len(pieces) < 2:
        return pieces
    return [p for piece in pieces for p in _COMMA_STEP.split(piece)]


def _step_list(turn: MemoryUnit, request: MemoryUnit | None) -> ProcedureCandidate | None:
    lines = _lines(turn.content)
    first = next((i for i, line in enumerate(lines) if _ITEM.match(line)), None)
    if first is None:
        return None
    items = []
    for line in lines[first:]:
        match = _ITEM.match(line)
        if match is None:
            break
        items.append(match.group("item"))
    found = _steps(items)
    if len(found[0]) < MIN_STEPS:
        return None
    goal, confidence = _list_goal(turn, lines[:first], request)
    if not goal:
        return None
    return _candidate(turn, goal, found, confidence)


def _list_goal(
    turn: MemoryUnit, before: list[str], request: MemoryUnit | None
) -> tuple[str, float]:
    header = before[-1] if before else ""
    if header and _HEADER.search(header):
        return goal_phrase(header), _confidence(turn)
    if request is not None:
        return goal_phrase(request.content), ANSWER_CONFIDENCE
    return "", 0.0


def _steps(parts: Any) -> tuple[list[Step], list[str]]:
    """Steps from the pieces of a how-to; leading preconditions apart."""
    steps: list[Step] = []
    preconditions: list[str] = []
    for part in parts:
        text = _LEAD.sub("", part.strip()).strip().rstrip(".!;,").strip()
        if not text or len(text.split()) > 40:
            continue
        if not steps and _PRECONDITION.match(text):
            preconditions.append(text)
        else:
            steps.append(instruction(text))
    return steps, preconditions


def _candidate(
    turn: MemoryUnit, goal: str, found: tuple[list[Step], list[str]], confidence: float
) -> ProcedureCandidate:
    """`found`: the steps and the preconditions."""
    steps, preconditions = found
    outcome = _outcome(turn)
    return ProcedureCandidate(
        goal=goal,
        steps=steps,
        outcome=outcome,
        source_turn_ids=[turn.id],
        confidence=confidence,
        preconditions=preconditions,
        notes=_failure_notes(turn.content) if outcome == "failure" else [],
    )


def _failure_notes(text: str) -> list[str]:
    """What a failed how-to says went wrong ("It failed: the registry was down.")."""
    lines = [s for line in text.splitlines() for s, _ in _sentences(line)]
    return [short(s.rstrip(".")) for s in lines if _FAILED.search(s)][:2]


def _sentences(text: str) -> list[tuple[str, list[str]]]:
    """Each sentence with the sentences after it that continue a sequence ("Then ...")."""
    flat = re.sub(r"\s+", " ", text).strip()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", flat) if s]
    out = []
    for i, sentence in enumerate(sentences):
        following = []
        for later in sentences[i + 1 :]:
            if not _CONTINUES.match(later):
                break
            following.append(_CONTINUES.sub("", later))
        out.append((sentence, following))
    return out


def _lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out: list[str] = []
    for line in lines:
        pieces = _INLINE_ITEMS.split(line)
        if len(pieces) > 2:  # "To deploy: 1) build 2) push 3) apply" on one line
            out += [p.strip() for p in pieces if p.strip()]
        else:
            out.append(line)
    return out


def _confidence(turn: MemoryUnit) -> float:
    return PROSE_CONFIDENCE if turn.attributes.get("role") != "assistant" else ANSWER_CONFIDENCE


def _metadata(turn: MemoryUnit) -> Mapping[str, Any]:
    meta = turn.attributes.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _has_calls(turn: MemoryUnit) -> bool:
    return bool(_metadata(turn).get("tool_calls"))


def _outcome(turn: MemoryUnit) -> Outcome | None:
    return parse_outcome(_metadata(turn).get("outcome"))
