"""The query router: which retrievers run, with which weights, and why.

It reads (a) features of the query text — a time expression, aggregation ("how many",
"all", "total"), preference or recommendation requests, how-to requests, questions about
what the assistant said, named entities — and (b) the score distribution of a cheap first
pass (as in MemGAS): the normalised entropy of the top-k cosine similarities of turns. A
peaked distribution means one place answers; a flat one means the answer is spread out, so
the search goes wider (more weight on sessions, diversity over sessions).

Deterministic and inspectable: the route lists its weights, the features and the reasons.
`mode="turn"` is the plain hybrid baseline; `mode="all"` runs every retriever with fixed
weights and no routing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from memsvc.retrieval.evidence import Evidence

from memsvc.domain import Granularity, Route, TimeWindow
from memsvc.domain.timeexpr import query_window

# Counting or collecting over many memories. "how many days ago" is a duration, not a count.
AGGREGATION = re.compile(
    r"\b(how many(?! (?:days|weeks|months|years|hours|minutes)\b)|how much|how often"
    r"|number of|in total|total|altogether|combined|all (?:the|of|my)|every|each|list"
    r"|sum of|count)\b",
    re.I,
)
TEMPORAL = re.compile(
    r"\b(when|what (?:date|day|time|month|year)|how long|how many (?:days|weeks|months|years)"
    r"|before|after|earlier|later|first|last time|most recent(?:ly)?|latest|order|ago|since"
    r"|until)\b",
    re.I,
)
PREFERENCE = re.compile(
    r"\b(recommend|suggest|suggestion|any (?:tips|ideas|advice)|what should i|ideas? for"
    r"|prefer|favou?rite|would i (?:like|enjoy))\b",
    re.I,
)
HOWTO = re.compile(
    r"\b(how (?:do|did|does|can|could|should|would|will) (?:i|we|you|one)"
    r"(?! (?:feel|felt|like|enjoy|find|do|know|meet|hear|look|sound|seem|get along)\b)|how to"
    r"|steps? (?:to|for)|procedure|instructions?|runbook|playbook|checklist"
    r"|what(?:'s| is| are| was| were) the (?:right |best |usual )?(?:way|process|recipe"
    r"|commands?)(?: to| for)?|walk (?:me|us) through|(?:remind|show|tell) (?:me|us) how"
    r"|what (?:do|should) (?:i|we) (?:need|have) to (?:do|run|type|use)"
    r"|what (?:do|did|should) (?:i|we) (?:do|run|type) to)\b",
    re.I,
)
ASSISTANT = re.compile(
    r"\b(you (?:told|said|suggested|recommended|mentioned|gave|listed"
    r"|provided|wrote)|remind me (?:what|of) you|our (?:previous|last) "
    r"(?:chat|conversation))\b",
    re.I,
)
ENTITY = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")

# Fixed weights of mode="all" (every list, no routing).
ALL_WEIGHTS = {
    "turn.dense": 1.0,
    "turn.lexical": 1.0,
    "support": 1.0,
    "session": 0.5,
    "topic": 0.3,
    "neighbour": 0.5,
    "feedback": 0.5,
    "author": 0.5,
    "time.dense": 1.0,
    "time.lexical": 1.0,
    "graph": 0.3,
    "procedure": 2.0,
}
# What auto mode always runs. Lexical leads dense a little: names, numbers and rare words
# decide most memory questions, and MiniLM reads only the first 256 tokens of a turn.
BASE_WEIGHTS = {
    "turn.dense": 1.0,
    "turn.lexical": 1.25,
    "support": 1.0,
    "neighbour": 0.5,
    "feedback": 0.5,
    "author": 0.5,
    "graph": 0.3,
}


@dataclass(slots=True)
class Features:
    window: TimeWindow | None = None
    temporal: bool = False
    aggregation: bool = False
    preference: bool = False
    howto: bool = False
    assistant: bool = False
    entities: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "time_window": [
                self.window.start.isoformat() if self.window and self.window.start else None,
                self.window.end.isoformat() if self.window and self.window.end else None,
            ]
            if self.window
            else None,
            "temporal": self.temporal,
            "aggregation": self.aggregation,
            "preference": self.preference,
            "howto": self.howto,
            "assistant": self.assistant,
            "entities": self.entities,
        }


def features(text: str, now: datetime) -> Features:
    return Features(
        window=query_window(text, now),
        temporal=bool(TEMPORAL.search(text)),
        aggregation=bool(AGGREGATION.search(text)),
        preference=bool(PREFERENCE.search(text)),
        howto=bool(HOWTO.search(text)),
        assistant=bool(ASSISTANT.search(text)),
        entities=list(dict.fromkeys(m.group(0) for m in ENTITY.finditer(text))),
    )


def entropy(scores: list[float], temperature: float = 0.05) -> float:
    """Normalised entropy (0 = one clear winner, 1 = flat) of softmax(scores / temperature)."""
    if len(scores) < 2:
        return 0.0
    top = max(scores)
    weights = [math.exp((s - top) / temperature) for s in scores]
    total = sum(weights)
    probs = [w / total for w in weights]
    return -sum(p * math.log(p) for p in probs if p > 0) / math.log(len(probs))


@dataclass(slots=True)
class Plan:
    """A route plus the switches the searcher needs beyond list weights."""

    route: Route
    diversify: bool = False
    window: TimeWindow | None = None
    # Derived granularities searched as extra keys of their source turns (K = V + fact).
    expand: tuple[str, ...] = ()
    # Lists fused by their min-max scaled scores rather than their ranks (`fusion.rrf`).
    scored: tuple[str, ...] = ()


# A how-to's answer is a procedure: its one list weighs about as much as the turn lists
# together, so the best procedure leads the turns that recorded it.
PROCEDURE_WEIGHT = 3.5
PEAKED, FLAT = 0.5, 0.9  # first-pass entropies between which support weight rises
TIME_LEXICAL = 0.8  # time.lexical's weight as a share of turn.lexical's


@dataclass(frozen=True, slots=True)
class LexicalRule:
    """How the lexical weight follows the query's evidence: from `low` (words shared with
    everything, disagreeing with dense) to `high` (rare words, or agreement); `agree_gain`
    is how much agreement counts against a deep lexical list. The defaults are the fixed
    weight memsvc shipped before the rule was fitted (kept to compare against)."""

    low: float = 1.25
    high: float = 1.25
    agree_gain: float = 1.0


# Rank fusion's lexical weight, chosen leave one dataset out by evals/fusion_fit.py (LoCoMo, a
# LongMemEval S sample and two generated sets; least worst-case regret). Lexical lists help
# where a question's words are rare and hurt where look-alikes share them; a weight below
# dense's held up on every set, the old fixed 1.25 only on LoCoMo. The routed search used it
# until score fusion (below) replaced it; replays and comparisons still pass it as `rule`.
LEXICAL = LexicalRule(low=0.25, high=0.5, agree_gain=0.0)
# The routed search fuses the turn lists (and their time-window twins) by their scores, scaled
# per query to [0, 1] (min-max), not by their ranks: a list's votes follow how far its
# scores stand apart (a lexical top far above the rest counts, look-alikes just below a
# common-word match count little), where rank fusion gives every list the same votes by
# rank. Dense 1.5, lexical 1.0: chosen by evals/score_fit.py
# with the least worst-case regret over LoCoMo, a LongMemEval S sample and two generated
# sets, and confirmed through `memsvc eval` on sets no choice used (BENCHMARKS.md, "Score
# fusion of the turn lists"). The rank-fusion rule above stays for replays and comparisons.
SCORED = ("turn.dense", "turn.lexical", "time.dense", "time.lexical")
SCORE_DENSE, SCORE_LEXICAL = 1.5, 1.0


def support_weight(spread: float) -> float:
    """Weight of the supporting lists: 0.3 for a peaked first pass (one clear answer) up to
    1.0 for a flat one (the answer is spread out or missed)."""
    t = min(1.0, max(0.0, (spread - PEAKED) / (FLAT - PEAKED)))
    return round(0.3 + 0.7 * t, 3)


def lexical_weight(seen: Evidence, rule: LexicalRule = LEXICAL) -> float:
    """The lexical lists' weight for one query: high when its words are telling (they match
    few turns, or the lexical top agrees with the dense top), low when they match everything
    and find other turns than dense does (look-alikes sharing common words)."""
    trust = min(1.0, max(0.0, 1.0 - seen.lexical_depth + rule.agree_gain * seen.agree))
    return round(rule.low + (rule.high - rule.low) * trust, 3)


def plan(
    mode: str,
    feats: Features,
    first_pass: list[float],
    seen: Evidence | None = None,
    rule: LexicalRule | None = None,
    priors: bool = False,
) -> Plan:
    """Decide the route. `first_pass` are the top-k turn cosine similarities; `seen` what the
    first dense and lexical passes say about the query's words. The turn lists are fused by
    scaled score, unless a `rule` asks for rank fusion with its lexical weight (replays and
    comparisons, `evals/fusion_fit.py`). `priors`: whether questions
    that aggregate get session and topic priors and diversification (off by default: measured,
    they did not earn their place; see `RetrievalSettings.aggregation_priors`)."""
    spread = entropy(first_pass)
    info = {**feats.as_dict(), "first_pass_entropy": round(spread, 3)}
    if seen is not None:
        info |= seen.as_dict()
    if mode == "turn":
        weights = {"turn.dense": 1.0, "turn.lexical": 1.0}
        return Plan(Route("turn", weights, ["mode=turn: plain hybrid over turns"], info))
    if mode == "all":
        route = Route("all", dict(ALL_WEIGHTS), ["mode=all: every retriever, fixed weights"], info)
        return Plan(route, window=feats.window, expand=("fact", "topic"))
    weights = dict(BASE_WEIGHTS)
    reasons = [
        "always: turns (dense + lexical) with facts as extra keys, the neighbours of the best "
        "turns, pseudo-relevance feedback, whose words count, entities"
    ]
    scored: tuple[str, ...] = ()
    if seen is not None and rule is None:
        weights |= {"turn.dense": SCORE_DENSE, "turn.lexical": SCORE_LEXICAL}
        scored = SCORED
        reasons.append(
            f"turn lists fused by their scores scaled to [0, 1]: dense {SCORE_DENSE:g}, "
            f"lexical {SCORE_LEXICAL:g}"
        )
    elif seen is not None and rule is not None:
        weights["turn.lexical"] = lexical_weight(seen, rule)
        reasons.append(
            f"lexical weight {weights['turn.lexical']:.2f}: its top 10 shares "
            f"{seen.agree:.0%} with dense, and it matched {seen.lexical_depth:.0%} of a full list"
        )
    diversify = False
    if feats.window is not None:
        # The window's lists count as much as the global ones; lexical follows its weight.
        weights |= {
            "time.dense": weights["turn.dense"],
            "time.lexical": TIME_LEXICAL * weights["turn.lexical"],
        }
        reasons.append(f"time expression '{feats.window.source}': search inside its window too")
    weights["support"] = support_weight(spread)
    reasons.append(
        f"first-pass entropy {spread:.2f}: supporting lists weigh {weights['support']:.2f} "
        "(a peaked first pass is trusted, a flat one looks around it)"
    )
    if feats.aggregation and priors:
        weights |= {"session": 0.3, "topic": 0.3}
        diversify = True
        reasons.append(
            "aggregation words: session and topic priors; diversify over sessions if the "
            "best turns crowd into one session"
        )
    elif feats.aggregation:
        reasons.append("aggregation words: session and topic priors are off (the default)")
    if feats.howto:
        weights["procedure"] = PROCEDURE_WEIGHT
        reasons.append(
            "how-to request: procedures, ranked by relevance and how reliably they worked"
        )
    name = "+".join(
        k for k, v in (("time", feats.window), ("wide", diversify), ("howto", feats.howto)) if v
    )
    route = Route(name or "focused", weights, reasons, info)
    return Plan(route, diversify, feats.window, expand=("fact",), scored=scored)


def read_together(mode: str, feats: Features, priors: bool = False) -> tuple[Granularity, ...]:
    """The granularities whose lexical lists a routed search will ask for, so that they are
    read in one go: turns and facts (their keys) in auto and all modes, sessions and topics
    when the query aggregates and priors are on, or in mode all. Mode turn reads turns only."""
    if mode == "turn":
        return ()
    wide = mode == "all" or (feats.aggregation and priors)
    return (Granularity.TURN, Granularity.FACT) + (
        (Granularity.SESSION, Granularity.TOPIC) if wide else ()
    )


def exclude(chosen: Plan, names: tuple[str, ...]) -> None:
    """Leave retrievers out of a plan: a list name ("turn.dense"), a family ("time" drops
    time.dense and time.lexical), or "fact" (no facts as extra keys)."""
    weights = chosen.route.weights
    for name in names:
        for key in [k for k in weights if k == name or k.split(".", 1)[0] == name]:
            weights[key] = 0.0
        if name in chosen.expand:
            chosen.expand = tuple(g for g in chosen.expand if g != name)
        if name == "diversify":
            chosen.diversify = False
    chosen.route.reasons.append("excluded: " + ", ".join(names))
