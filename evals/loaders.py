"""Loaders for LongMemEval and LoCoMo files into one shape: haystacks (one scope each) of dated
sessions of turns, and questions that point at their haystack and their gold evidence.

Both formats are read from gzip or plain JSON. Scoring rules (which questions count, how
evidence ids are normalised) follow docs/evaluation.md.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Kind = Literal["longmemeval", "locomo"]

# LoCoMo's categories as the dataset's own evaluation code numbers them (see data/README.md).
LOCOMO_CATEGORIES = {
    1: "multi-hop",
    2: "temporal",
    3: "open-domain",
    4: "single-hop",
    5: "adversarial",
}
_DIA_ID = re.compile(r"D(\d+):(\d+)")
_LOCOMO_SESSION = re.compile(r"^session_(\d+)$")


@dataclass(frozen=True, slots=True)
class Turn:
    """One message. `client_id` is stable across runs: `session_id:index` or a LoCoMo dia_id."""

    client_id: str
    role: str
    content: str
    speaker: str | None = None
    has_answer: bool = False

    @property
    def key_text(self) -> str:
        """The text memsvc embeds for this turn (speaker first, as `operations.ingest` does)."""
        return f"{self.speaker}: {self.content}" if self.speaker else self.content


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    occurred_at: datetime | None
    turns: tuple[Turn, ...]


@dataclass(frozen=True, slots=True)
class Haystack:
    """Everything one scope holds: a LongMemEval question's history (shared by the questions
    whose histories are identical) or a LoCoMo conversation. Its turns' `has_answer` are those
    of the first question; each `Question` carries its own gold turns."""

    scope_id: str
    sessions: tuple[Session, ...]

    def turns(self) -> list[tuple[Session, Turn]]:
        return [(s, t) for s in self.sessions for t in s.turns]


@dataclass(frozen=True, slots=True)
class Question:
    """A question with its gold evidence. `excluded` names why it is not scored for recall
    (`abstention`, `adversarial`, `no-evidence`) or is None."""

    question_id: str
    scope_id: str
    qtype: str
    text: str
    answer: str
    query_time: datetime | None
    gold_sessions: tuple[str, ...]
    gold_turns: tuple[str, ...]
    excluded: str | None = None


@dataclass(slots=True)
class Dataset:
    kind: Kind
    name: str
    path: Path
    sha256: str
    haystacks: dict[str, Haystack]
    questions: list[Question]
    notes: dict[str, int] = field(default_factory=dict)

    def distinct_texts(self) -> list[str]:
        """Every distinct turn text as memsvc embeds it, in first-seen order."""
        seen: dict[str, None] = {}
        for haystack in self.haystacks.values():
            for _, turn in haystack.turns():
                seen.setdefault(turn.key_text, None)
        return list(seen)


def read_json(path: Path) -> tuple[Any, str]:
    """The parsed JSON of a gzip or plain file, and the sha256 of its uncompressed bytes."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return json.loads(raw), hashlib.sha256(raw).hexdigest()


def load(path: Path, kind: Kind) -> Dataset:
    """Load a file of the given kind."""
    data, digest = read_json(path)
    if kind == "longmemeval":
        return _longmemeval(data, path, digest)
    return _locomo(data, path, digest)


def detect_kind(path: Path) -> Kind:
    data, _ = read_json(path)
    first = data[0] if isinstance(data, list) and data else {}
    return "locomo" if "conversation" in first else "longmemeval"


def dataset_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".json"):
        name = name.removesuffix(suffix)
    return name


# -- LongMemEval -------------------------------------------------------------------------------
def parse_lme_date(value: str | None) -> datetime | None:
    """`2023/05/28 (Sun) 19:47` as an aware UTC datetime (the weekday is redundant)."""
    if not value:
        return None
    text = re.sub(r"\s*\([A-Za-z]+\)\s*", " ", value).strip()
    for fmt in ("%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _longmemeval(items: list[dict[str, Any]], path: Path, digest: str) -> Dataset:
    haystacks: dict[str, Haystack] = {}
    questions: list[Question] = []
    alike: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for item in items:
        qid = str(item["question_id"])
        sessions = _lme_sessions(item)
        scope = _scope_of(qid, sessions, haystacks, alike)
        haystacks.setdefault(scope, Haystack(scope, sessions))
        gold_turns = tuple(t.client_id for s in sessions for t in s.turns if t.has_answer)
        questions.append(
            Question(
                question_id=qid,
                scope_id=scope,
                qtype=str(item.get("question_type", "unknown")),
                text=str(item["question"]),
                answer=str(item.get("answer", "")),
                query_time=parse_lme_date(item.get("question_date")),
                gold_sessions=tuple(dict.fromkeys(map(str, item.get("answer_session_ids", [])))),
                gold_turns=gold_turns,
                excluded="abstention" if qid.endswith("_abs") else None,
            )
        )
    return Dataset("longmemeval", dataset_name(path), path, digest, haystacks, questions)


def _scope_of(
    qid: str,
    sessions: tuple[Session, ...],
    haystacks: dict[str, Haystack],
    alike: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]],
) -> str:
    """The scope of an earlier question whose haystack is this one (same sessions, dates and
    texts; only the `has_answer` labels may differ), else the question's own id.

    Generated sets (`memsvc eval synth`) ask many questions about one persona's history: they
    share one scope, ingested once. LongMemEval's own files give each question its own
    haystack, so their scopes stay named by question."""
    key = (
        tuple(s.session_id for s in sessions),
        tuple(s.occurred_at.isoformat() if s.occurred_at else "" for s in sessions),
    )
    texts = [(t.client_id, t.role, t.content) for s in sessions for t in s.turns]
    for scope in alike.get(key, []):
        if [(t.client_id, t.role, t.content) for _, t in haystacks[scope].turns()] == texts:
            return scope
    alike.setdefault(key, []).append(qid)
    return qid


def _lme_sessions(item: dict[str, Any]) -> tuple[Session, ...]:
    ids = [str(s) for s in item.get("haystack_session_ids", [])]
    dates = list(item.get("haystack_dates", [])) + [None] * len(ids)
    out: list[Session] = []
    seen: set[str] = set()
    for sid, date, raw in zip(ids, dates, item.get("haystack_sessions", [])):
        if sid in seen:  # a few S haystacks repeat a session verbatim: one scope holds it once
            continue
        seen.add(sid)
        turns = tuple(
            Turn(
                client_id=f"{sid}:{i}",
                role=str(t.get("role", "user")),
                content=str(t.get("content", "")),
                has_answer=bool(t.get("has_answer", False)),
            )
            for i, t in enumerate(raw)
            if str(t.get("content", "")).strip()
        )
        out.append(Session(sid, parse_lme_date(date), turns))
    return tuple(out)


# -- LoCoMo -----------------------------------------------------------------------------------
def parse_locomo_date(value: str | None) -> datetime | None:
    """`1:56 pm on 8 May, 2023` as an aware UTC datetime."""
    if not value:
        return None
    text = " ".join(value.replace(",", ", ").split()).replace(" ,", ",")
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def locomo_turn_text(turn: dict[str, Any]) -> str:
    """The turn's text; an image turn appends its caption so the picture is searchable."""
    text = str(turn.get("text", "")).strip()
    caption = str(turn.get("blip_caption") or "").strip()
    return f"{text} [shared an image: {caption}]" if caption else text


def normalise_evidence(refs: list[Any], known: set[str]) -> list[str]:
    """`"D8:6; D9:17"` -> two ids, `D30:05` -> `D30:5`; unknown ids dropped; duplicates once."""
    out: dict[str, None] = {}
    for ref in refs:
        for session, index in _DIA_ID.findall(str(ref)):
            dia_id = f"D{int(session)}:{int(index)}"
            if dia_id in known:
                out.setdefault(dia_id, None)
    return list(out)


def _locomo(items: list[dict[str, Any]], path: Path, digest: str) -> Dataset:
    haystacks: dict[str, Haystack] = {}
    questions: list[Question] = []
    notes = {"evidence_refs_dropped": 0}
    for conv_index, item in enumerate(items):
        scope = str(item.get("sample_id") or f"conv-{conv_index}")
        sessions = _locomo_sessions(item["conversation"])
        haystacks[scope] = Haystack(scope, sessions)
        session_of = {t.client_id: s.session_id for s in sessions for t in s.turns}
        dates = [s.occurred_at for s in sessions if s.occurred_at]
        # LoCoMo gives no question dates: ask "now", right after the last session.
        query_time = max(dates) if dates else None
        for i, qa in enumerate(item.get("qa", [])):
            refs = [str(r) for r in qa.get("evidence", [])]
            gold = normalise_evidence(refs, set(session_of))
            notes["evidence_refs_dropped"] += max(0, len(refs) - len(gold))
            category = int(qa.get("category", 0))
            excluded = "adversarial" if category == 5 else None if gold else "no-evidence"
            answer = qa.get("answer", qa.get("adversarial_answer", ""))
            questions.append(
                Question(
                    question_id=f"{scope}:q{i}",
                    scope_id=scope,
                    qtype=LOCOMO_CATEGORIES.get(category, f"category-{category}"),
                    text=str(qa["question"]),
                    answer=str(answer),
                    query_time=query_time,
                    gold_sessions=tuple(dict.fromkeys(session_of[g] for g in gold)),
                    gold_turns=tuple(gold),
                    excluded=excluded,
                )
            )
    return Dataset("locomo", dataset_name(path), path, digest, haystacks, questions, notes)


def _locomo_sessions(conv: dict[str, Any]) -> tuple[Session, ...]:
    numbers = sorted(int(m.group(1)) for k in conv if (m := _LOCOMO_SESSION.match(k)))
    out = []
    for n in numbers:
        turns = []
        for j, raw in enumerate(conv[f"session_{n}"]):
            dia = _DIA_ID.fullmatch(str(raw.get("dia_id", "")))
            client_id = f"D{int(dia.group(1))}:{int(dia.group(2))}" if dia else f"D{n}:{j + 1}"
            speaker = str(raw.get("speaker") or "") or None
            turns.append(Turn(client_id, "user", locomo_turn_text(raw), speaker))
        date = parse_locomo_date(conv.get(f"session_{n}_date_time"))
        out.append(Session(f"session_{n}", date, tuple(turns)))
    return tuple(out)
