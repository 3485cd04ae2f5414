"""The goal of a task, as a short phrase, from the request or how-to that states it.

"Hi! Could you please deploy the web app to staging for me? Thanks" -> "deploy the web app
to staging"; "How do I rotate the API keys?" -> "rotate the API keys". Two goals are the
same task when their stemmed content words mostly agree (`goal_similarity`), so "Please
deploy the web app to staging." and "deploy web app to staging" are one goal, while
"... to production" is another.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from memsvc.domain.text import STOPWORDS, words

MAX_GOAL_CHARS = 160

_GREETING = re.compile(r"^(?:(?:hi|hey|hello|ok|okay|so|alright|morning|please)\b[\s,!.]*)+", re.I)
_REQUEST = re.compile(
    r"^(?:(?:can|could|would|will) (?:you|we|i|someone)(?: please)?(?: help me)?"
    r"|(?:please )?help me(?: to)?|i (?:need|want|would like|'d like)(?: you)? to"
    r"|i need(?: you)? to|let'?s|go ahead and|kindly|please"
    r"|how (?:do|did|can|could|should|would) (?:i|we|you|one)(?: go about)?"
    r"|how to|what(?:'s| is| are) the (?:steps|way|process|procedure) (?:to|for)"
    r"|(?:the )?steps (?:to|for)|remind me how to|show me how to|tell me how to"
    r"|(?:(?:here'?s|here is|this is) )?how (?:i|we|to)|(?:here'?s |here is )?what (?:i|we) did to"
    r"|(?:it'?s |it is )?time to|(?:we|i) (?:have|need|want) to|in order to|to)\s+",
    re.I,
)
_TRAILING = re.compile(
    r"(?:[\s,]+(?:please|for me|thanks|thank you|thx|asap|now|today))+[\s.!?]*$|[\s.!?:;,]+$",
    re.I,
)
# A trailing reference in brackets ("(ticket OPS-1234)", "[JIRA-7]") is not the goal.
_REFERENCE = re.compile(r"\s*[(\[][^()\[\]]*[)\]][\s.!?]*$")
_STEMMER = Stemmer.Stemmer("english")
# Words that say how a request is made, not what it is about.
_NOT_GOAL = frozenset("please thanks thank need want like help able quick quickly ok".split())
# Particles are stop words elsewhere, but "roll out" and "roll back", "scale up" and "scale
# down", "turn on" and "turn off" are different tasks.
_PARTICLES = frozenset("up down out off on over".split())


def goal_phrase(text: str) -> str:
    """The goal stated by a request or a how-to question: its first sentence without
    greetings, request wrappers and trailing politeness. Empty when nothing is left."""
    sentence = _first_sentence(text)
    sentence = _GREETING.sub("", sentence).strip()
    for _ in range(3):  # "Hi, could you please help me to ..." has several layers
        stripped = _REQUEST.sub("", sentence, count=1).strip()
        if stripped == sentence:
            break
        sentence = stripped
    sentence = _TRAILING.sub("", _REFERENCE.sub("", sentence)).strip()
    if len(sentence) > 1 and sentence[1].islower():  # "Deploy the app", not "API keys"
        sentence = sentence[0].lower() + sentence[1:]
    if len(sentence) > MAX_GOAL_CHARS:
        sentence = sentence[: MAX_GOAL_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return sentence


def _first_sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", text)
    for part in parts:
        if len(part.split()) > 1 or not _GREETING.fullmatch(part):
            return part
    return text


@lru_cache(maxsize=4096)
def goal_terms(goal: str) -> frozenset[str]:
    """The stemmed content words of a goal."""
    kept = [w for w in words(goal) if (w not in STOPWORDS or w in _PARTICLES)]
    return frozenset(_STEMMER.stemWord(w) for w in kept if w not in _NOT_GOAL)


def goal_similarity(a: str, b: str) -> float:
    """Jaccard overlap of two goals' stemmed content words (1.0 for the same words)."""
    left, right = goal_terms(a), goal_terms(b)
    if not left or not right:
        return 1.0 if a.strip().lower() == b.strip().lower() else 0.0
    return len(left & right) / len(left | right)
