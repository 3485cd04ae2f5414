"""Cutting a message into sentences and clauses, and telling which ones state something.

A clause is kept for fact extraction when it is not part of a question, not conditional or
wishful, and starts (after discourse markers and time phrases) with a first-person subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\bshared\b[^)]*\)")
_ABBREVIATIONS = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|vs|etc|e\.g|i\.e|approx)\.", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+|(?<=[.!?])(?=[A-Z])")
_LOWER_I = re.compile(r"(?<![\w'])i(?=$|[\s,.!?;:]|['’](?:m|ve|ll|d)\b)")

# A subject that starts a new clause after a comma or a conjunction.
_SUBJ = r"(?:I|I'm|I've|I'll|I'd|we|we're|we've|my|it|it's|that|that's|this|he|she|they|there)"
# Phrases that link a clause to the one before without being part of it.
_LINKS = r"(?:on top of that|to top it (?:all )?off|in the meantime|meanwhile|besides|also|now)"
_CLAUSE_SPLIT = re.compile(
    rf"\s*[;–—]\s*|\s+-+\s+|:\s+"
    rf"|,\s+(?=(?:(?:and|but|so|then|or|plus)\s+)?(?:{_LINKS},?\s+)?{_SUBJ}\b)"
    rf"|\s+(?:and|but|so|or|then|plus|since|while|when|after|before|as)\s+"
    rf"(?=(?:{_LINKS},?\s+)?{_SUBJ}\b)"
    rf"|,?\s+(?=(?:because|cause|cuz|although|though|whereas|which|unless)\b)",
    re.I,
)
_LEADING_CONJUNCTION = re.compile(
    rf"^(?:(?:and|but|so|or|then|plus|since|while|when|after|before|as|{_LINKS}),?\s+)+", re.I
)

# Words that may stand before the subject: discourse markers and the words of time phrases.
LEAD_WORDS = frozenset(
    """oh ohh ah well yeah yes yep yup so and but also actually anyway anyways honestly btw
    haha hahaha lol wow hey hi ok okay um umm hmm plus then finally recently lately sure
    right now today tonight yesterday tomorrow last next this past coming earlier later
    just guess what fun fact in fact luckily sadly unfortunately fortunately personally
    speaking of which by the way funny enough a an few couple of ago week weekend weeks month
    months year years day days morning afternoon evening night on at monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july
    august september october november december earlier over summer winter spring fall
    autumn back before after one two three four five six seven eight nine ten
    """.split()
)

_HEDGE = re.compile(
    r"^I (?:think|guess|believe|feel like|reckon|suppose|am pretty sure|am sure)(?: that)?\s+",
    re.I,
)
# "I should mention I'm vegan": a speaker announcing what follows, not a modal statement.
_ANNOUNCE = re.compile(
    r"^I (?:should|must|have to|need to|forgot to|meant to|wanted to|want to) "
    r"(?:mention|say|add|tell you|admit)(?: that)?,?\s+(?=\w)",
    re.I,
)
# "Me and my sister started ...": the same subject as "My sister and I".
_ME_AND = re.compile(
    r"^(?P<lead>(?:\w+,?\s+)*?)me and (?P<who>my (?:(?:best|older|younger|little|big|twin) )?"
    r"\w+)\b",
    re.I,
)
# A statement with its "I" left out ("Just moved to Austin!"): a first word of these verbs.
_DROPPED_I = re.compile(
    r"^(?:(?:just|finally|recently|officially)\s+)+(?=(?:moved|relocated|started|adopted|"
    r"bought|joined|finished|got|signed up|graduated|visited|went|ran|won|came)\b)"
    r"|^(?=(?:moved|relocated) to\b)",
    re.I,
)
_QUESTION_START = re.compile(
    r"^(?:(?:what|why|how|where|when|who|which)\s+)?"
    r"(?:do|does|did|can|could|would|should|will|shall|is|are|was|were|have|has|may|am)\s+"
    r"(?:I|you|we|they|he|she|it|there|your|my)\b",
    re.I,
)
# Conditionals make the whole sentence unasserted; wishes and modals only their clause.
_CONDITIONAL = re.compile(r"\b(?:if|unless|in case|what if|whether|hypothetically)\b", re.I)
_IRREALIS = re.compile(
    r"\b(?:would|wouldn't|could|couldn't|might|maybe|perhaps|wish|imagine|suppose|wonder|"
    r"wondering|should|shouldn't|pretend|dream of|dreaming of|someday|probably|"
    r"I'd|used to|supposed to|ought to|trying to decide|not sure)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Clause:
    """A clause that may state a fact. `text` is the clause; `subject_at` is where its
    first-person subject starts (what comes before is markers and time phrases)."""

    text: str
    subject_at: int
    hedged: bool = False

    @property
    def body(self) -> str:
        """The clause from its subject on."""
        return self.text[self.subject_at :]


def clean(text: str) -> str:
    """Normalise quotes and a lower-case "i", and drop bracketed annotations (image captions
    and the like), which are not the speaker's words."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = _BRACKETED.sub(" ", text)
    text = _LOWER_I.sub("I", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def sentences(text: str) -> list[str]:
    """Split a cleaned message into sentences (abbreviations such as "Dr." do not end one)."""
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0)[:-1] + "\x00", text)
    parts = _SENTENCE_END.split(protected)
    return [p.replace("\x00", ".").strip() for p in parts if p and p.strip()]


def is_question(sentence: str) -> bool:
    """A question (asked, not stated): ends with "?" or opens like one."""
    return sentence.rstrip().endswith("?") or bool(_QUESTION_START.match(sentence))


def is_conditional(sentence: str) -> bool:
    return bool(_CONDITIONAL.search(sentence))


def clauses(sentence: str) -> list[Clause]:
    """The clauses of a stated, unconditional sentence that begin with a first-person
    subject and are not wishes, guesses or modal."""
    if is_question(sentence) or is_conditional(sentence):
        return []
    out = []
    for part in _merge_leads(_CLAUSE_SPLIT.split(_me_and(sentence))):
        part = _LEADING_CONJUNCTION.sub("", part.strip(" ,.!"))
        hedged = False
        while (hedge := _HEDGE.match(part) or _ANNOUNCE.match(part)) is not None:
            part, hedged = part[hedge.end() :], hedged or hedge.re is _HEDGE
        if not part or _IRREALIS.search(part):
            continue
        at = subject_start(part)
        if at is None:
            part, at = _with_dropped_i(part)
        if at is not None:
            out.append(Clause(part, at, hedged))
    return out


def _me_and(sentence: str) -> str:
    """ "Me and my sister went ..." -> "My sister and I went ...", after leading markers."""
    if "me and " not in sentence.lower():
        return sentence  # the common case, without running the pattern
    match = _ME_AND.match(sentence)
    if match is None or not all(w in LEAD_WORDS for w in re.findall(r"[\w']+", match["lead"])):
        return sentence
    return f"{match['lead']}{match['who']} and I{sentence[match.end() :]}"


def _with_dropped_i(part: str) -> tuple[str, int | None]:
    """A clause that opens with "just/finally <past verb>" (or "moved to") after markers
    and time words: the speaker's own statement with the "I" dropped, as chat writes it."""
    if _DROPPED_CUE.search(part) is None:
        return part, None  # most clauses without a subject: no cue word at all
    words = list(re.finditer(r"[\w']+", part))
    first = next((w for w in words if w.group(0).lower() not in _DROPPED_LEADS), None)
    if first is None or _DROPPED_I.match(part[first.start() :]) is None:
        return part, None
    return f"{part[: first.start()]}I {part[first.start() :]}", first.start()


_DROPPED_CUE = re.compile(r"\b(?:just|finally|recently|officially|moved|relocated)\b", re.I)
# Lead words that may stand before a dropped "I" (not "just" and the like: they are the cue).
_DROPPED_LEADS = LEAD_WORDS - frozenset("just finally recently".split())

_MY_SOMEONE = re.compile(r"(?P<lead>(?:[\w']+[\s,]+)*?)(?:my|My) (?:\w+ )?\w+")


def _merge_leads(parts: list[str]) -> list[str]:
    """Glue a part made only of markers and time words ("Last Friday,") to the next one, so
    the clause keeps its time phrase."""
    out: list[str] = []
    carry = ""
    for part in parts:
        someone = _MY_SOMEONE.fullmatch(part.strip(" ,"))
        if someone and all(w in LEAD_WORDS for w in re.findall(r"[\w']+", someone["lead"].lower())):
            carry += part.strip(" ,") + " and "  # "My colleagues and I went ...": one subject
            continue
        words = re.findall(r"[\w']+", part.lower())
        if words and all(w in LEAD_WORDS or w.isdigit() for w in words):
            carry += part.strip() + " "
            continue
        out.append(carry + part)
        carry = ""
    return out


_SUBJECT = re.compile(r"\b(?:I|we|We|my|My)\b")


def subject_start(clause: str) -> int | None:
    """Where the first-person subject of `clause` starts, if only discourse markers and time
    phrases stand before it."""
    match = _SUBJECT.search(clause)
    if match is None:
        return None
    prefix = re.findall(r"[\w']+", clause[: match.start()].lower())
    if not all(w in LEAD_WORDS or w.isdigit() for w in prefix):
        return None
    return match.start()
