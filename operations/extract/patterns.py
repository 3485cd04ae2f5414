"""The fact rules: first-person patterns, each with its predicate, kind and confidence.

A rule matches the body of a clause (from its subject on, contractions spelled out): subject,
optional adverbs, the rule's verb phrase, then the object. Rules are tried in order and the
first that yields a predicate wins, so specific rules come before general ones.

Confidences are priors per rule, set by how often the pattern states what it seems to state:
~0.9 for explicit statements ("my dog's name is Rex"), ~0.8 for the usual verb patterns,
0.6-0.7 for patterns that are often chatter ("I'll ...") or need a time phrase to be events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memsvc.operations.extract.deciders import (
    Decide,
    decide_age,
    decide_dated_past,
    decide_have,
    decide_met,
    decide_org,
    decide_place,
    decide_plan,
    decide_practices,
    decide_progressive,
    decide_ran,
    decide_role,
    decide_started,
    decide_trait,
    decide_want,
    decide_went,
    decide_went_doing,
    decide_workplace,
)
from memsvc.operations.extract.lexicon import ADVERBS, PROFILE_ATTRIBUTES
from memsvc.operations.extract.types import FactKind

BASE_CUT = (
    r"because|cause|cuz|since|so that|so|but|which|who|whom|whose|when|whenever|while|"
    r"although|though|if|until|unless|after|before|where|whereas|except|that|and then|and now|"
    r"and it|and that|and they|and she|and he|and we"
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern. `verb` is a regex for the words between subject (and adverbs) and object.
    `cut` are extra words that end the object; `lists` keeps commas (split into items);
    `negative` marks rules that state a negation themselves ("can't stand");
    `plural` allows "we" and "my X and I" as subject; `needs_time` asks for a time phrase
    of that direction in the clause; `definite_confidence` replaces the confidence when the
    object starts with "the" ("I love the colours": often a reaction to a shared photo)."""

    name: str
    verb: str
    predicate: str | Decide
    kind: FactKind
    confidence: float
    cut: str = ""
    lists: bool = False
    negative: bool = False
    plural: bool = False
    needs_time: str | None = None
    definite_confidence: float | None = None

    def regex(self) -> re.Pattern[str]:
        subject = r"(?:I|we|my (?:\w+ )?\w+ and I)" if self.plural else r"I"
        return re.compile(
            rf"^(?P<subj>{subject})\s+(?P<adv>(?:(?:{ADVERBS})\s+)*)"
            rf"(?P<verb>{self.verb})\s+(?P<obj>\S.*)$",
            re.I,
        )


_GO = r"(?:am|are) going to|(?:am|are) gonna"

RULES: tuple[Rule, ...] = (
    # preferences
    Rule(
        "dislike",
        r"hate|dislike|detest|loathe|can't stand|cannot stand|can not stand|"
        r"do not like|don't like|do not enjoy|don't enjoy|am not (?:a (?:big |huge )?fan of|"
        r"into|fond of)",
        "dislikes",
        "preference",
        0.8,
        lists=True,
        definite_confidence=0.55,
        negative=True,
    ),
    Rule(
        "like",
        r"like|love|enjoy|adore|am (?:really |so |very )?(?:loving|enjoying|into|passionate about|"
        r"obsessed with|keen on|fond of|a (?:big |huge )?fan of)|"
        r"have (?:gotten|got|been) (?:(?:really|so|super|very) )?into",
        "likes",
        "preference",
        0.85,
        lists=True,
        definite_confidence=0.55,
    ),
    Rule("prefer", r"prefer", "prefers", "preference", 0.85, cut=r"over|to|rather than|than"),
    # where one lives, works, studies; who one is
    Rule(
        "live",
        r"(?:live|am living|have lived|have been living|reside|am based) in",
        decide_place("lives_in"),
        "fact",
        0.85,
        cut=r"with|for|and",
        plural=True,
    ),
    Rule(
        "moved",
        r"moved to|relocated to|moved back to|moved in together in|"
        r"moved into (?:a |an |the |our |my )?(?:[\w-]+ ){0,2}?(?:place|home|house|"
        r"apartment|flat|condo) in",
        decide_place("lives_in", True),
        "fact",
        0.8,
        cut=r"with|for|to|and",
        plural=True,
    ),
    Rule(
        "from",
        r"am from|come from|grew up in|was raised in|was born and raised in",
        decide_place("is_from", True),
        "profile",
        0.85,
        cut=r"with|and",
    ),
    Rule(
        "new_job",
        r"(?:got|started|accepted|landed|began) (?:a |my )?(?:new )?"
        r"(?:job|position|role|internship)(?: as (?:a|an) [\w ]+?)? (?:at|with)|"
        r"(?:got|was|have been) hired (?:at|by)",
        decide_org,
        "fact",
        0.85,
        cut=r"as|in|on|and|for",
    ),
    Rule(
        "work_at",
        r"(?:work|(?:am|have been) (?:now |currently |still )?working|have worked|intern|"
        r"am interning)"
        r"(?: part-time| full-time| remotely| from home)? (?:at|for)",
        decide_org,
        "fact",
        0.85,
        cut=r"as|in|on|and|for",
    ),
    Rule(
        "been_at",
        r"have been at|am (?:now )?at",
        decide_workplace,
        "fact",
        0.8,
        cut=r"as|in|on|and|for|since",
    ),
    Rule(
        "volunteer",
        r"(?:volunteer|am volunteering|have been volunteering) (?:at|for|with)",
        "volunteers_at",
        "fact",
        0.8,
        cut=r"as|in|on|and|for",
    ),
    Rule("work_as", r"work as|am working as", "works_as", "fact", 0.85, cut=r"at|for|in|and"),
    Rule(
        "student_at",
        r"am (?:a )?(?:\w+ )?student at|study at|go to school at",
        "studies_at",
        "fact",
        0.85,
        cut=r"and|in",
    ),
    Rule(
        "study",
        r"study|am studying|major in|am majoring in|have been studying",
        "studies",
        "fact",
        0.8,
        cut=r"at|in|and|for",
    ),
    Rule("allergic", r"am allergic to", "allergic_to", "profile", 0.9, lists=True),
    Rule("age", r"am|just turned|turned", decide_age, "profile", 0.85),
    Rule("role", r"am (?:a|an)", decide_role, "profile", 0.8, cut=r"and"),
    Rule("trait", r"am", decide_trait, "profile", 0.8),
    # possessions, pets and relatives
    Rule(
        "have",
        r"have|own|have got|got|adopted|rescued",
        decide_have,
        "fact",
        0.8,
        cut=r"and|who|that|at|in|for|from",
        plural=True,
    ),
    # plans and wishes
    Rule(
        "plan",
        r"(?:am|was) planning (?:to|on)|plan to|plan on|intend to|am intending to|"
        r"have decided to|decided to|am about to|am hoping to|hope to|"
        r"am looking forward to|look forward to|can't wait to|cannot wait to|" + _GO,
        decide_plan,
        "plan",
        0.8,
        negative=True,
        plural=True,
        cut=r"with|and",
    ),
    Rule("will", r"will", decide_plan, "plan", 0.65, cut=r"with|and"),
    Rule("want", r"want to|really want to|am dying to", decide_want, "plan", 0.7, cut=r"with|and"),
    Rule(
        "progressive",
        r"(?:am|are) [a-z]+ing",
        decide_progressive,
        "plan",
        0.75,
        needs_time="future",
        plural=True,
        cut=r"with|and|for",
    ),
    # events
    Rule(
        "went_doing", r"went", decide_went_doing, "event", 0.8, plural=True, cut=r"with|and|for|to"
    ),
    Rule(
        "went_to",
        r"went to|went over to|went out to|have been to|traveled to|"
        r"travelled to|took a trip to|flew to|drove to",
        decide_went,
        "event",
        0.8,
        plural=True,
        cut=r"with|and|for|to|on|at",
    ),
    Rule(
        "back_from",
        r"got back from|came back from|returned from|am back from",
        decide_place("visited", True),
        "event",
        0.75,
        plural=True,
        cut=r"with|and|for|to|on|at",
    ),
    Rule(
        "visited",
        r"visited|toured|explored",
        "visited",
        "event",
        0.8,
        plural=True,
        cut=r"with|and|for|to|on",
    ),
    Rule(
        "attended",
        r"attended|participated in|took part in|competed in|performed at",
        "attended",
        "event",
        0.8,
        plural=True,
        cut=r"with|and|for|to|on",
    ),
    Rule(
        "bought",
        r"bought|purchased|ordered|got myself",
        "bought",
        "event",
        0.8,
        plural=True,
        cut=r"with|and|for|from|at|on",
    ),
    Rule(
        "started",
        r"started|began|took up|picked up|have started",
        decide_started,
        "event",
        0.75,
        cut=r"with|and|for|at|in",
        plural=True,
    ),
    Rule(
        "finished",
        r"finished|completed|finally finished",
        "finished",
        "event",
        0.8,
        plural=True,
        cut=r"with|and|for|at|in",
    ),
    Rule("ran", r"ran|have run", decide_ran, "event", 0.8, plural=True, cut=r"with|and|in"),
    Rule("adopted", r"adopted|rescued", "adopted", "event", 0.8, plural=True, cut=r"with|and|from"),
    Rule(
        "joined",
        r"joined|became a member of",
        "joined",
        "event",
        0.8,
        cut=r"with|and|as|for|to",
        plural=True,
    ),
    Rule(
        "signed_up",
        r"signed up for|registered for|enrolled in|signed up to",
        "signed_up_for",
        "event",
        0.8,
        plural=True,
        cut=r"with|and|at",
    ),
    Rule("graduated", r"graduated from", "graduated_from", "event", 0.85, cut=r"with|and|in"),
    Rule(
        "met",
        r"met|got to meet|finally met",
        decide_met,
        "event",
        0.7,
        plural=True,
        cut=r"with|and|at|in|for|to|through",
    ),
    Rule("won", r"won", "won", "event", 0.8, plural=True, cut=r"with|and|at|in|for"),
    Rule("practices", r"have been", decide_practices, "fact", 0.75, cut=r"with|and"),
    Rule(
        "dated_past",
        r"[a-z]+",
        decide_dated_past,
        "event",
        0.65,
        needs_time="past",
        plural=True,
        cut=r"with|and|for",
    ),
)

COMPILED: tuple[tuple[Rule, re.Pattern[str]], ...] = tuple((r, r.regex()) for r in RULES)

# Mentions anywhere in a clause: "my dog Rex", "my dog's name is Rex", "my best friend Ana".
_MODIFIERS = (
    r"(?:(?:best|older|younger|little|big|baby|twin|step|oldest|youngest|eldest|late|dear|"
    r"good|close|old|new|sweet|other|second|first|\w+ year old|\w+-year-old) )*"
)
NAMED_MENTION = re.compile(
    rf"\b(?i:my|our) (?P<mods>{_MODIFIERS})(?P<noun>[a-z]+)"
    r"(?:'s name is|,? (?:who is |who's )?(?:named|called)|,?) "
    r"(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?: (?P<last>[A-Z][a-z]+))?\b"
)
# "My name is X", "call me X", "My X is Y" for profile attributes, "my favourite X is Y".
PROFILE_STATEMENT = re.compile(
    r"^my (?:(?P<fav>(?:all-time |absolute )?favou?rite) (?P<thing>(?:[\w-]+ ){0,2}?[\w-]+)|"
    r"(?P<attr>" + "|".join(sorted(PROFILE_ATTRIBUTES, key=len, reverse=True)) + r"))"
    r" (?:is|are|has to be|has always been) (?P<obj>\S.*)$",
    re.I,
)
CALL_ME = re.compile(
    r"(?:^|\b(?:everyone|everybody|people|friends|they|you can|please))\s*calls? me "
    r"(?P<obj>[A-Z]\w+)",
    re.I,
)
