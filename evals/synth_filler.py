"""Filler for generated test sets: real chats read at run time from a LongMemEval or LoCoMo file.

LongMemEval: the haystack sessions of every question, once each, except sessions that hold
evidence (`has_answer`), so no filler carries another question's labels. LoCoMo: every session
of every conversation, its first speaker mapped to `user` and the other to `assistant`. Long
sessions are cut into windows of at most `max_turns` turns, long turns at a word boundary near
`max_chars`, so that a generated set embeds in minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memsvc.evals.loaders import locomo_turn_text, read_json

_LOCOMO_SESSION = re.compile(r"^session_(\d+)$")


@dataclass(frozen=True, slots=True)
class FillerTurn:
    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class FillerSession:
    turns: tuple[FillerTurn, ...]

    def user_turns(self) -> list[int]:
        return [i for i, t in enumerate(self.turns) if t.role == "user"]


@dataclass(frozen=True, slots=True)
class Filler:
    """The filler sessions of one file, in file order, and what kind of chat they are."""

    kind: str  # "longmemeval" (user and assistant) or "locomo" (two people chatting)
    sessions: tuple[FillerSession, ...]


def read_filler(path: Path, max_turns: int = 12, max_chars: int = 1500) -> Filler:
    """Every usable filler session of `path` (a LongMemEval or LoCoMo file, gzip or plain)."""
    data, _ = read_json(path)
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a JSON list of LongMemEval questions or LoCoMo items")
    if "conversation" in data[0]:
        kind, raw = "locomo", _locomo_sessions(data)
    else:
        kind, raw = "longmemeval", _lme_sessions(data)
    sessions = [
        window
        for turns in raw
        for window in _windows([_turn(r, c, max_chars) for r, c in turns], max_turns)
    ]
    if not sessions:
        raise ValueError(f"{path}: no filler sessions with a user turn")
    return Filler(kind, tuple(sessions))


def _lme_sessions(items: list[dict[str, Any]]) -> list[list[tuple[str, str]]]:
    seen: set[str] = set()
    out = []
    for item in items:
        for sid, session in zip(item["haystack_session_ids"], item["haystack_sessions"]):
            if sid in seen or any(t.get("has_answer") for t in session):
                continue
            seen.add(sid)
            out.append([(str(t["role"]), str(t["content"])) for t in session])
    return out


def _locomo_sessions(items: list[dict[str, Any]]) -> list[list[tuple[str, str]]]:
    out = []
    for item in items:
        conv = item["conversation"]
        first = conv.get("speaker_a")
        numbers = sorted(int(m.group(1)) for k in conv if (m := _LOCOMO_SESSION.match(k)))
        for n in numbers:
            turns = conv[f"session_{n}"]
            out.append(
                [
                    ("user" if t.get("speaker") == first else "assistant", locomo_turn_text(t))
                    for t in turns
                ]
            )
    return out


def _turn(role: str, content: str, max_chars: int) -> FillerTurn:
    text = content.strip()
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > max_chars // 2 else max_chars].rstrip() + " ..."
    return FillerTurn("assistant" if role == "assistant" else "user", text)


def _windows(turns: list[FillerTurn], max_turns: int) -> list[FillerSession]:
    """Consecutive windows of at most `max_turns` non-empty turns, each starting with the user
    and holding at least one user turn."""
    turns = [t for t in turns if t.content]
    out = []
    start = 0
    while start < len(turns):
        while start < len(turns) and turns[start].role != "user":
            start += 1
        window = tuple(turns[start : start + max_turns])
        if window:
            out.append(FillerSession(window))
        start += max_turns
    return out
