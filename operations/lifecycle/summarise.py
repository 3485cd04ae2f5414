"""Summaries for compression: extractive offline, abstractive with an LLM.

Extractive: the sentences closest to the centroid of all the text's sentence vectors (the
most central ones, as in LexRank with a centroid), picked greedily with a bonus for names and
dates not yet covered and a penalty for repeating a picked sentence, until the length cap;
then put back in their original order. Names and dates that did not make it are listed at
the end, so the summary still finds them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pydantic

from memsvc.domain.ports import Embedder
from memsvc.llm import LLM, truncate_to_budget

_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z'’.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][a-zA-Z'’.-]*)*")
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
    Lol Bye Anyway Sorry Please Mom Dad The A An My Your Our Their His Her""".split()
) | frozenset(_MONTHS.split())
MIN_WORDS = 4
REDUNDANT = 0.92  # cosine above which a sentence repeats one already picked
MENTION_BONUS = 0.08
PROMPT_TOKENS = 6000
SUMMARY_PROMPT = (
    "You summarise conversations for an AI assistant's long-term memory. Write a factual "
    "summary in the third person of at most {words} words. Keep every name of a person, "
    "place, pet or organisation, every date and time, and every number; state who said or "
    'did what. No preamble. Reply with JSON: {{"summary": "..."}}'
)


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    speaker: str | None
    order: int


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SPLIT.split(text.strip()) if s.strip()]


def sentences_of(items: Sequence[tuple[str | None, str]]) -> list[Sentence]:
    """(speaker, text) items, in order, as sentences."""
    out: list[Sentence] = []
    for speaker, text in items:
        for sentence in split_sentences(text):
            out.append(Sentence(sentence, speaker, len(out)))
    return out


def mentions(text: str) -> set[str]:
    """Names (capitalised runs not at the start of the sentence) and date phrases."""
    found = {m.group(0) for m in _DATE.finditer(text)}
    for match in _CAPITALISED.finditer(text):
        words = match.group(0).split()
        if match.start() == 0 or text[: match.start()].rstrip().endswith((".", "!", "?", ":")):
            words = words[1:]  # a sentence opener is capitalised anyway
        name = " ".join(w for w in words if w.strip(".'’") not in _NOT_NAMES).strip(" .'’")
        if name and name not in _NOT_NAMES:
            found.add(name)
    return found


def extractive(
    sentences: Sequence[Sentence], embedder: Embedder, max_chars: int, header: str = ""
) -> str:
    """The most central sentences, names and dates kept, at most `max_chars` long."""
    if not sentences:
        return header.strip()
    vectors = embedder.embed_batch([s.text for s in sentences])
    chosen = _pick(sentences, vectors, max_chars - len(header))
    body = _render([sentences[i] for i in sorted(chosen)])
    text = f"{header}{body}".strip()
    covered = mentions(text)
    rest = sorted({m for s in sentences for m in mentions(s.text)} - covered, key=str.lower)
    tail = ""
    for name in rest:
        candidate = f"{tail}, {name}" if tail else f" Also mentioned: {name}"
        if len(text) + len(candidate) + 1 > max_chars:
            break
        tail = candidate
    return f"{text}{tail}." if tail else text


def _pick(sentences: Sequence[Sentence], vectors: np.ndarray, budget: int) -> list[int]:
    centroid = vectors.mean(axis=0)
    centroid = centroid / (np.linalg.norm(centroid) or 1.0)
    central = vectors @ centroid
    marks = [mentions(s.text) for s in sentences]
    open_ = [
        i for i, s in enumerate(sentences) if len(s.text.split()) >= MIN_WORDS or marks[i]
    ] or list(range(len(sentences)))
    chosen: list[int] = []
    covered: set[str] = set()
    used = 0
    while open_:
        overlap = (vectors[open_] @ vectors[chosen].T).max(axis=1) if chosen else 0.0
        scores = central[open_] + MENTION_BONUS * np.array(
            [min(len(marks[i] - covered), 3) for i in open_]
        )
        scores = scores - np.maximum(np.asarray(overlap) - 0.6, 0.0)
        best = open_[int(np.argmax(scores))]
        open_.remove(best)
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
