"""Summaries for compression: extractive offline, abstractive with an LLM.

Extractive: the sentences closest to the centroid of all the text's sentence vectors (the
most central ones, as in LexRank with a centroid), picked greedily with a bonus for names and
dates not yet covered and a penalty for repeating a picked sentence, until the length cap;
then put back in their original order. Names and dates that did not make it are listed at
the end, so the summary still finds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pydantic
from memsvc.operations.sentences import (  # noqa: F401  (re-exported)
    Sentence,
    embed_key,
    sentences_of,
    split_sentences,
)

from memsvc.domain.ports import Embedder
from memsvc.domain.text import content_words
from memsvc.llm import LLM
from memsvc.tokens import truncate_to_budget

_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z'’-]*(?: (?:of |the |de )?[A-Z][a-zA-Z'’-]*)*")
_POSSESSIVE = re.compile(r"['’]s$")
_OPENERS = (".", "!", "?", ":", '"', "“")
_MONTHS = "January February March April May June July August September October November December"
_DATE = re.compile(
    r"\b(?:(?:\d{1,2}\s+)?(?:" + "|".join(_MONTHS.split()) + r")(?:\s+\d{1,2}(?:st|nd|rd|th)?)?"
    r"(?:,?\s+\d{4})?|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|(?:19|20)\d{2}"
    r"|yesterday|today|tomorrow|tonight|(?:last|next|this)\s+(?:week|weekend|month|year"
    r"|summer|winter|spring|fall|autumn)|\d+\s+(?:days?|weeks?|months?|years?)\s+ago)\b",
    re.IGNORECASE,
)
# Capitalised words that are not names: sentence openers, interjections, the pronoun I.
_NOT_NAMES = frozenset(
    """I I'm I've I'll I'd Oh Wow Hey Hi Hello Yeah Yes No Ok OK Okay Thanks Thank Sure Well
    So And But Or Also That's It's That This What How Why When Where Who Haha Aww Awesome Great
    Cool Nice Good Sounds Congrats Congratulations Definitely Absolutely Totally Really Omg
    Lol Bye Anyway Sorry Please Mom Dad The A An My Your Our Their His Her Here There It Its
    Let Life Everyone Everything Someone Something Nothing Nobody Anyone Today Yup Yep Hmm Ah
    Fri Sat Sun Mon Tue Wed Thu We You He She They Me Him Them Us""".split()
) | frozenset(_MONTHS.split())
MIN_WORDS = 4  # content words (not stop words, not the speakers' names)
DENSITY_BONUS = 0.01  # per content word, up to 12: prefer sentences that say something
REDUNDANT = 0.92  # cosine above which a sentence repeats one already picked
MENTION_BONUS = 0.08
PROMPT_TOKENS = 6000
SUMMARY_PROMPT = (
    "You summarise conversations for an AI assistant's long-term memory. Write a factual "
    "summary in the third person of at most {words} words. Keep every name of a person, "
    "place, pet or organisation, every date and time, and every number; state who said or "
    'did what. No preamble. Reply with JSON: {{"summary": "..."}}'
)


def is_date(phrase: str) -> bool:
    return _DATE.fullmatch(phrase) is not None


def by_speaker(text: str, speakers: Iterable[str]) -> list[tuple[str | None, str]]:
    """A rendered summary ("Ann: ... Bob: ...") back into (speaker, text) runs."""
    names = sorted({re.escape(s) for s in speakers if s}, key=len, reverse=True)
    if not names:
        return [(None, text)]
    parts = re.split(rf"(?:^|(?<=\s))({'|'.join(names)}): ", text)
    out: list[tuple[str | None, str]] = [(None, parts[0])] if parts[0].strip() else []
    out += [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    return [(who, said.strip()) for who, said in out if said.strip()]


def mentions(text: str, known: frozenset[str] = frozenset()) -> set[str]:
    """Names (capitalised runs that do not open a sentence) and date phrases; `known` names
    (the speakers, already in a summary's header) are left out."""
    found = {m.group(0) for m in _DATE.finditer(text)}
    for match in _CAPITALISED.finditer(text):
        words = match.group(0).split()
        before = text[: match.start()].rstrip()
        if not before or before.endswith(_OPENERS):
            words = words[1:]  # a sentence opener is capitalised anyway
        words = [_POSSESSIVE.sub("", w) for w in words]
        words = [w for w in words if w not in _NOT_NAMES and "'" not in w and "’" not in w]
        name = " ".join(words)
        if name and name not in known:
            found.add(name)
    return found


@dataclass(frozen=True, slots=True)
class Source:
    """What one extractive summary is made from: candidate sentences, a header to lead with,
    texts whose names and dates must be kept (`pool`), and names not worth listing."""

    sentences: Sequence[Sentence]
    header: str = ""
    pool: Sequence[str] = ()
    known: frozenset[str] = frozenset()


def informative(source: Source) -> list[Sentence]:
    """Sentences worth a place in a summary: enough content words, or a name or date
    ("Thanks, Mel!" and "Wow." are not); all of them when none is."""
    known = {k.lower() for k in source.known}
    kept = [
        s
        for s in source.sentences
        if len([w for w in content_words(s.text) if w not in known]) >= MIN_WORDS
        or mentions(s.text, source.known)
    ]
    return kept or list(source.sentences)


def extractive_many(sources: Sequence[Source], embedder: Embedder, max_chars: int) -> list[str]:
    """`extractive` for several sources at once: one embedding call for all their sentences."""
    kept = [informative(source) for source in sources]
    keys = [embed_key(s) for group in kept for s in group]
    vectors = embedder.embed_batch(keys) if keys else np.zeros((0, 1), dtype=np.float32)
    out, start = [], 0
    for group, source in zip(kept, sources):
        rows = vectors[start : start + len(group)]
        out.append(extractive(replace(source, sentences=group), rows, max_chars))
        start += len(group)
    return out


def extractive(source: Source, vectors: np.ndarray, max_chars: int) -> str:
    """The most central sentences, at most `max_chars` long; names and dates of the
    sentences (and of the pool) that did not make it are listed at the end while room lasts."""
    sentences, header = source.sentences, source.header
    if not sentences:
        return header.strip()
    chosen = _pick(source, vectors, max_chars - len(header))
    body = _render([sentences[i] for i in sorted(chosen)])
    text = f"{header}{body}".strip()
    covered = mentions(text, source.known)
    texts = [s.text for s in sentences] + list(source.pool)
    rest = {m for t in texts for m in mentions(t, source.known)} - covered
    tail = ""
    for name in sorted(rest, key=str.lower):
        candidate = f"{tail}, {name}" if tail else f" Also mentioned: {name}"
        if len(text) + len(candidate) + 1 > max_chars:
            break
        tail = candidate
    return f"{text}{tail}." if tail else text


def _pick(source: Source, vectors: np.ndarray, budget: int) -> list[int]:
    """Greedy: centrality, plus names and dates not yet covered, plus specificity (content
    words), minus closeness to what is already picked; within the character budget."""
    sentences = source.sentences
    centroid = vectors.mean(axis=0)
    central = vectors @ (centroid / (np.linalg.norm(centroid) or 1.0))
    marks = [mentions(s.text, source.known) for s in sentences]
    dense = np.array([min(len(content_words(s.text)), 12) for s in sentences]) * DENSITY_BONUS
    open_ = list(range(len(sentences)))
    chosen: list[int] = []
    covered: set[str] = set()
    used = 0
    while open_:
        overlap = (vectors[open_] @ vectors[chosen].T).max(axis=1) if chosen else 0.0
        fresh = np.array([min(len(marks[i] - covered), 3) for i in open_])
        scores = central[open_] + dense[open_] + MENTION_BONUS * fresh
        scores = scores - np.maximum(np.asarray(overlap) - 0.6, 0.0)
        best = open_.pop(int(np.argmax(scores)))
        cost = len(sentences[best].text) + 1 + len(sentences[best].speaker or "") + 2
        too_close = chosen and float((vectors[chosen] @ vectors[best]).max()) > REDUNDANT
        if used + cost > budget or too_close:
            continue
        chosen.append(best)
        covered |= marks[best]
        used += cost
    return chosen


def _render(sentences: Sequence[Sentence]) -> str:
    """Sentences in order, each run of one speaker under one `Speaker:` prefix."""
    parts: list[str] = []
    speaker: str | None = None
    for sentence in sentences:
        if sentence.speaker and sentence.speaker != speaker:
            parts.append(f"{sentence.speaker}: {sentence.text}")
        else:
            parts.append(sentence.text)
        speaker = sentence.speaker
    return " ".join(parts)


class SummaryReply(pydantic.BaseModel):
    summary: str = pydantic.Field(min_length=1)


def abstractive(llm: LLM, transcript: str, header: str, max_chars: int) -> str:
    """An LLM's summary of `transcript`, cut to `max_chars` at a word; raises `LLMError`."""
    messages = [
        {"role": "system", "content": SUMMARY_PROMPT.format(words=max(max_chars // 7, 20))},
        {"role": "user", "content": f"{header}\n{transcript}".strip()},
    ]
    reply = llm.chat(
        truncate_to_budget(messages, PROMPT_TOKENS), max_tokens=max_chars // 2, schema=SummaryReply
    )
    summary = " ".join(str(reply.parsed.summary).split())  # type: ignore[union-attr]
    text = f"{header}{summary}"
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] + " …"
    return text
