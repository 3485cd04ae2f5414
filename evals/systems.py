"""The systems a run compares, each answering every question with ranked hits: memsvc through
its public SDK (embedded `Memory` or `MemoryClient` over HTTP) and the turn baselines."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from memsvc.evals.baselines import BASELINES, Tokenizer, build_index
from memsvc.evals.cache import embed_all
from memsvc.evals.coverage import BUDGETS, covered_by_memsvc, covered_by_ranking
from memsvc.evals.coverage import coverage as coverage_of
from memsvc.evals.loaders import Haystack, Question
from memsvc.evals.metrics import RankedHit
from memsvc.evals.profile import StageTimes
from tqdm import tqdm

from memsvc import Memory, MemoryClient, SearchResult, Unit
from memsvc.embedding import CachedEmbedder
from memsvc.schemas import JobOut

MAX_MESSAGES_PER_ADD = 500  # below the service's default limit of 1,000


@dataclass(slots=True)
class SystemRun:
    """One system's ranked hits per question id, its search latencies, and (memsvc) the
    routes its router took."""

    name: str
    hits: dict[str, list[RankedHit]] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    routes: Counter[str] = field(default_factory=Counter)
    # What the first ten hits were made of (memsvc may return sessions, facts ... too).
    granularities: Counter[str] = field(default_factory=Counter)
    # The top hits' dated texts per question (memsvc), what an LLM reader gets for QA.
    texts: dict[str, list[str]] = field(default_factory=dict)
    # With `--dump-hits`: each question's route and hits with every retriever's vote (memsvc).
    dumps: dict[str, dict[str, Any]] = field(default_factory=dict)
    # With `--coverage`: per question, `coverage@<budget>` of its packed context.
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)
    # With `--profile`: where memsvc's searches spent their time, stage by stage.
    stages: StageTimes | None = None


# Embedded or over HTTP: the same public methods.
MemoryAPI = Memory | MemoryClient


def sdk_session_id(scope_id: str, session_id: str) -> str:
    """Session ids are namespaced by scope: LongMemEval reuses ids across questions."""
    return f"{scope_id}/{session_id}"


def ingest_haystack(
    memory: MemoryAPI,
    haystack: Haystack,
    extract: Literal["auto", "off", "sync", "async"],
    on_session: Callable[[int], object] | None = None,
) -> int:
    """Add a haystack session by session, each turn dated by its session; returns the turns
    (`on_session` hears each session's turn count, for progress bars)."""
    turns = 0
    for session in haystack.sessions:
        messages: list[dict[str, Any]] = [
            {
                "role": t.role,
                "content": t.content,
                "speaker": t.speaker,
                "occurred_at": session.occurred_at,
                "client_id": t.client_id,
                "metadata": {},
            }
            for t in session.turns
        ]
        for i in range(0, len(messages), MAX_MESSAGES_PER_ADD):
            memory.add(
                messages[i : i + MAX_MESSAGES_PER_ADD],
                user_id=haystack.scope_id,
                session_id=sdk_session_id(haystack.scope_id, session.session_id),
                occurred_at=session.occurred_at,
                extract=extract,
            )
        turns += len(messages)
        if on_session:
            on_session(len(messages))
    return turns


JOB_FINISHED = ("succeeded", "failed", "cancelled")


def wait_job(memory: MemoryAPI, job: JobOut) -> JobOut:
    while job.status not in JOB_FINISHED:
        time.sleep(0.02)
        job = memory.get_job(job.id)
    return job


def run_job(memory: MemoryAPI, kind: str, user_id: str, **options: Any) -> JobOut:
    """Queue a lifecycle job for a user scope and wait for it (`RuntimeError` unless it
    succeeded: an evaluation on half-compressed scopes would measure nothing)."""
    job = wait_job(memory, memory.create_job(kind, user_id=user_id, **options))
    if job.status != "succeeded":
        raise RuntimeError(f"{kind} job {job.id} on {user_id} {job.status}: {job.error}")
    return job


def hits_from_sdk(result: SearchResult, sessions: dict[str, str]) -> list[RankedHit]:
    """Convert an SDK `SearchResult` to ranked hits: a turn is named by its client id, every
    hit by the original session id (`sessions` maps SDK session ids back)."""
    out = []
    for hit in result.hits:
        unit = hit.memory
        turn_id = unit.attributes.get("client_id") if hit.granularity == "turn" else None
        session = sessions.get(unit.session_id or "", unit.session_id)
        out.append(RankedHit(str(turn_id) if turn_id else None, session))
    return out


def search_memsvc(
    memory: MemoryAPI,
    questions: Sequence[Question],
    haystacks: dict[str, Haystack],
    options: dict[str, Any],
    progress: bool,
    keep_texts: int = 20,
    dump: bool = False,
    coverage: bool = False,
) -> SystemRun:
    """Ask every question in its own scope with its date as the query time."""
    run = SystemRun("memsvc", stages=StageTimes() if options.get("profile") else None)
    names = _ClientIds(memory)
    sessions = {
        sdk_session_id(h.scope_id, s.session_id): s.session_id
        for h in haystacks.values()
        for s in h.sessions
    }
    for q in tqdm(questions, desc="search memsvc", unit="q", disable=not progress):
        start = time.perf_counter()
        result = memory.search(q.text, user_id=q.scope_id, query_time=q.query_time, **options)
        run.latencies_ms.append((time.perf_counter() - start) * 1000)
        if run.stages is not None:
            run.stages.add(q.scope_id, result, run.latencies_ms[-1])
        run.hits[q.question_id] = hits_from_sdk(result, sessions)
        run.routes[result.route.name] += 1
        run.granularities.update(h.granularity for h in result.hits[:10])
        run.texts[q.question_id] = [_dated(h.memory) for h in result.hits[:keep_texts]]
        if dump:
            run.dumps[q.question_id] = _dump(result, run.hits[q.question_id])
        if coverage and q.gold_turns and not q.excluded:
            names.learn(result)
            run.coverage[q.question_id] = _memsvc_coverage(memory, q, options, names)
    return run


class _ClientIds:
    """Unit id -> client id of the turn it is (from hits seen, else read once)."""

    def __init__(self, memory: MemoryAPI) -> None:
        self._memory = memory
        self._known: dict[str, str | None] = {}

    def learn(self, result: SearchResult) -> None:
        for hit in result.hits:
            if hit.granularity == "turn":
                self._known[hit.memory.id] = hit.memory.attributes.get("client_id")

    def __call__(self, unit_id: str) -> str | None:
        if unit_id not in self._known:
            unit = self._memory.get(unit_id)
            self._known[unit_id] = (
                unit.attributes.get("client_id") if unit.granularity == "turn" else None
            )
        return self._known[unit_id]


def _memsvc_coverage(
    memory: MemoryAPI, q: Question, options: dict[str, Any], names: _ClientIds
) -> dict[str, float]:
    out = {}
    for budget in BUDGETS:
        packed = memory.search(
            q.text, user_id=q.scope_id, query_time=q.query_time, context_budget=budget, **options
        )
        names.learn(packed)
        out[f"coverage@{budget}"] = coverage_of(covered_by_memsvc(packed, names), q.gold_turns)
    return out


def _dump(result: SearchResult, hits: list[RankedHit]) -> dict[str, Any]:
    """What fusion research needs of one search: the route and, per hit, its ids and votes."""
    return {
        "route": result.route.model_dump(),
        "hits": [
            {
                "turn": ranked.turn_id,
                "session": ranked.session_id,
                "granularity": hit.granularity,
                "score": hit.score,
                "key": hit.matched_key is not None,
                "votes": [[v.retriever, v.rank, v.score] for v in hit.retrievers],
            }
            for hit, ranked in zip(result.hits, hits)
        ],
    }


def _dated(unit: Unit) -> str:
    when = unit.occurred_at.strftime("%Y-%m-%d %H:%M") if unit.occurred_at else "undated"
    speaker = unit.attributes.get("speaker") if unit.granularity == "turn" else None
    return f"[{when}] {speaker}: {unit.content}" if speaker else f"[{when}] {unit.content}"


def search_baselines(
    embedder: CachedEmbedder,
    questions: Sequence[Question],
    haystacks: dict[str, Haystack],
    progress: bool,
    coverage: bool = False,
) -> dict[str, SystemRun]:
    """BM25, dense flat and RRF over each question's own scope (indexes built per scope);
    with `coverage`, each one's top turns packed whole under each budget."""
    runs = {name: SystemRun(name) for name in BASELINES}
    tokenizer = Tokenizer()
    query_vectors = embed_all(embedder, [q.text for q in questions])
    by_scope: dict[str, list[Question]] = {}
    for q in questions:
        by_scope.setdefault(q.scope_id, []).append(q)
    bar = tqdm(total=len(questions), desc="search baselines", unit="q", disable=not progress)
    for scope_id, asked in by_scope.items():
        rows = [(t.client_id, s.session_id, t.key_text) for s, t in haystacks[scope_id].turns()]
        vectors = _vectors(embedder, [r[2] for r in rows])
        texts = {r[0]: r[2] for r in rows}
        index = build_index(rows, vectors, tokenizer)
        for q in asked:
            ranked = index.search(q.text, query_vectors[q.text])
            for name, (hits, elapsed_ms) in ranked.items():
                runs[name].hits[q.question_id] = hits
                runs[name].latencies_ms.append(elapsed_ms)
                if coverage and q.gold_turns and not q.excluded:
                    runs[name].coverage[q.question_id] = _packed_coverage(hits, texts, q)
            bar.update(1)
    bar.close()
    return runs


def _packed_coverage(
    hits: Sequence[RankedHit], texts: dict[str, str], q: Question
) -> dict[str, float]:
    return {
        f"coverage@{b}": coverage_of(covered_by_ranking(hits, texts, b), q.gold_turns)
        for b in BUDGETS
    }


def _vectors(embedder: CachedEmbedder, texts: Iterable[str]) -> np.ndarray:
    texts = list(texts)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return embedder.embed_batch(texts)
