"""Sentences of a conversation, and the text each is embedded under: shared by compression
(which embeds them) and purges (which must drop those cached vectors again)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


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


def embed_key(sentence: Sentence) -> str:
    """The text a sentence is embedded as: with its speaker first, like a turn, so that a
    one-sentence turn reuses the vector cached when the turn was ingested."""
    return f"{sentence.speaker}: {sentence.text}" if sentence.speaker else sentence.text
