"""The `compress` job: session summaries, then topics over the sessions of each user scope.

A session's summary (`attributes["summary"]`, which its content becomes, re-embedded) is
extractive offline and abstractive when an LLM endpoint is configured (falling back to
extractive when the LLM fails). Its sources stay its turns. A summary is keyed by the turns it
covers and how it was made, so compressing again only re-summarises sessions that changed.

Topics: see `topics.py`. Parameters: `sessions` / `topics` (booleans, default true),
`summary_chars`, plus the common `batch_size`, `pause_s`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from memsvc.operations.editing import record
from memsvc.operations.ingest import key_text
from memsvc.operations.lifecycle.common import (
    JobParams,
    Progress,
    batches,
    scope_filter,
    stored_vectors,
    touch,
)
from memsvc.operations.lifecycle.summarise import (
    Source,
    abstractive,
    extractive_many,
    sentences_of,
)
from memsvc.operations.lifecycle.topics import TopicWriter

from memsvc.domain import Granularity, MemoryUnit
from memsvc.domain.filters import UnitFilter, partition_of
from memsvc.domain.jobs import Job, JobContext
from memsvc.domain.ports import Embeddings, UnitOfWorkFactory
from memsvc.domain.units import content_hash
from memsvc.llm import LLM, LLMError
from memsvc.settings import LifecycleSettings

logger = logging.getLogger(__name__)
REASON = "compress"
EXTRACTIVE = "compress/extractive/1"
SESSION_SHARE = 0.8  # of the progress bar


@dataclass(slots=True)
class _Pending:
    session: MemoryUnit
    turns: list[MemoryUnit]
    key: str
    header: str
    central: list[MemoryUnit]  # the turns whose sentences an extractive summary ranks


@dataclass(slots=True)
class _Summary:
    session: MemoryUnit
    text: str
    key: str
    producer: str
    before: dict[str, Any] | None = None


class Compressor:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embedder: Embeddings,
        settings: LifecycleSettings,
        llm: LLM | None = None,
    ) -> None:
        self._uow = uow
        self._embedder = embedder
        self._settings = settings
        self._llm = llm
        self._topics = TopicWriter(uow, embedder, settings)

    @property
    def producer(self) -> str:
        model = getattr(self._llm, "model", "llm")
        return f"compress/llm/{model}" if self._llm is not None else EXTRACTIVE

    def handle(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        """Job handler for kind `compress`."""
        params = JobParams.of(job, self._settings.batch_size)
        chars = int(job.params.get("summary_chars", self._settings.summary_chars))
        progress = Progress(ctx, params, {"dry_run": job.dry_run, "sessions": 0})
        if job.params.get("sessions", True):
            self._sessions(job, params, progress, chars)
        if job.params.get("topics", True) and not job.scope.session_id:
            self._topics.run(job, params, progress)
        return progress.counts

    def _sessions(self, job: Job, params: JobParams, progress: Progress, chars: int) -> None:
        with self._uow(job.scope.tenant_id, write=False) as uow:
            sessions = uow.units.find(
                scope_filter(job.scope, (Granularity.SESSION,), session_bound=True)
            )
        progress.counts["sessions"] = len(sessions)
        done = 0
        for batch in batches(sessions, max(1, params.batch_size // 10)):
            pending = [p for p in (self._pending(job, u, chars, progress) for u in batch) if p]
            if job.dry_run:  # what would be summarised, without spending model time on it
                progress.add("would_summarise", len(pending))
                for p in pending:
                    progress.example({"session": p.session.id, "turns": len(p.turns)})
            elif pending:
                self._write(job, self._summaries(pending, chars, progress), progress)
            done += len(batch)
            progress.step(SESSION_SHARE * done / len(sessions))

    def _pending(
        self, job: Job, session: MemoryUnit, chars: int, progress: Progress
    ) -> _Pending | None:
        """The session and its turns when its summary is missing or stale, else None."""
        with self._uow(job.scope.tenant_id, write=False) as uow:
            turns = uow.units.find(
                UnitFilter(
                    user_id=session.scope.user_id,
                    session_id=session.scope.session_id,
                    granularities=(Granularity.TURN,),
                )
            )
            turns.sort(key=lambda t: t.attributes.get("position", 0))
            key = content_hash(self.producer, str(chars), *(t.id for t in turns))
            if not turns or session.attributes.get("summary_key") == key:
                progress.add("unchanged")
                return None
            central = _central(turns, stored_vectors(uow, turns), max(8, chars // 80))
        return _Pending(session, turns, key, _header(session, turns), central)

    def _summaries(self, pending: list[_Pending], chars: int, progress: Progress) -> list[_Summary]:
        """Abstractive where the LLM answers; extractive for the rest, embedded in one go."""
        done: dict[str, _Summary] = {}
        if self._llm is not None:
            for p in pending:
                text = self._abstractive(p, chars, progress)
                if text is not None:
                    done[p.session.id] = _Summary(p.session, text, p.key, self.producer)
        rest = [p for p in pending if p.session.id not in done]
        groups = [
            Source(
                sentences_of(_items(p.central)),
                p.header,
                pool=[t.content for t in p.turns],
                known=frozenset(str(s) for s, _ in _items(p.turns) if s),
            )
            for p in rest
        ]
        tenant_id = pending[0].session.scope.tenant_id if pending else ""
        embedder = self._embedder.for_tenant(tenant_id)
        for p, text in zip(rest, extractive_many(groups, embedder, chars)):
            # A fallback is keyed apart, so that the next run asks the LLM again.
            key = p.key if self._llm is None else content_hash(p.key, "fallback")
            done[p.session.id] = _Summary(p.session, text, key, EXTRACTIVE)
        return [done[p.session.id] for p in pending]

    def _abstractive(self, p: _Pending, chars: int, progress: Progress) -> str | None:
        assert self._llm is not None
        transcript = "\n".join(key_text(s, c) for s, c in _items(p.turns))
        try:
            return abstractive(self._llm, transcript, p.header, chars)
        except LLMError as exc:  # the LLM is optional: fall back, and say so
            logger.warning("abstractive summary failed (%s); using extractive", exc)
            progress.add("llm_fallbacks")
            progress.counts["llm_error"] = f"{type(exc).__name__}: {exc}"[:300]
            return None

    def _write(self, job: Job, summaries: list[_Summary], progress: Progress) -> None:
        embedder = self._embedder.for_tenant(job.scope.tenant_id)
        vectors = embedder.embed_batch([s.text for s in summaries])
        with self._uow(job.scope.tenant_id) as uow:
            current = uow.units.get_many(s.session.id for s in summaries)
            for summary, vector in zip(summaries, vectors):
                session = current.get(summary.session.id)
                if session is None or session.version != summary.session.version:
                    progress.add("skipped_stale")
                    continue
                _apply_summary(session, summary)
                seq = uow.units.save(session)
                # The session's lexical entry stays its transcript; its vector becomes the
                # summary's, so dense search matches what the summary says.
                uow.vectors.put(seq, partition_of(session), np.asarray(vector))
                record(uow, session, "summarise", summary.before, reason=REASON, job_id=job.id)
                progress.add("summarised")
            uow.commit()


def _apply_summary(session: MemoryUnit, summary: _Summary) -> None:
    summary.before = touch(session)
    session.content = summary.text
    session.attributes = {
        **session.attributes,
        "summary": summary.text,
        "summary_key": summary.key,
        "summary_producer": summary.producer,
    }


def _central(turns: list[MemoryUnit], vectors: np.ndarray, k: int) -> list[MemoryUnit]:
    """The `k` turns closest to the centroid of the session's stored turn vectors, in order.
    Only their sentences are embedded and ranked: the summary picks central sentences, and
    sentences of peripheral turns would not make it anyway."""
    if len(turns) <= k:
        return turns
    centroid = vectors.mean(axis=0)
    keep = set(np.argsort(-(vectors @ centroid))[:k].tolist())
    return [t for i, t in enumerate(turns) if i in keep]


def _items(turns: Sequence[MemoryUnit]) -> list[tuple[str | None, str]]:
    return [(t.attributes.get("speaker"), t.content) for t in turns]


def _header(session: MemoryUnit, turns: Sequence[MemoryUnit]) -> str:
    """`2023-05-08 (Caroline, Melanie): ` — the date and who spoke, kept in every summary."""
    when = session.occurred_at or next((t.occurred_at for t in turns if t.occurred_at), None)
    speakers = list(dict.fromkeys(str(s) for t in turns if (s := t.attributes.get("speaker"))))
    who = f" ({', '.join(speakers[:6])})" if speakers else ""
    date = when.date().isoformat() if when else "undated"
    return f"{date}{who}: "
