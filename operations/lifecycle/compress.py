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
from memsvc.operations.lifecycle.common import JobParams, Progress, batches, scope_filter, touch
from memsvc.operations.lifecycle.summarise import abstractive, extractive, sentences_of
from memsvc.operations.lifecycle.topics import TopicWriter
from memsvc.stores.partitions import partition_of
from memsvc.stores.units import UnitFilter
from memsvc.stores.uow import UnitOfWorkFactory

from memsvc.domain import Granularity, MemoryUnit
from memsvc.domain.jobs import Job, JobContext
from memsvc.domain.ports import Embedder
from memsvc.domain.units import content_hash
from memsvc.llm import LLM, LLMError
from memsvc.settings import LifecycleSettings

logger = logging.getLogger(__name__)
REASON = "compress"
EXTRACTIVE = "compress/extractive/1"
SESSION_SHARE = 0.8  # of the progress bar


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
        embedder: Embedder,
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
            summaries = [s for s in (self._summarise(job, u, chars, progress) for u in batch) if s]
            if job.dry_run:
                progress.add("would_summarise", len(summaries))
                for s in summaries:
                    progress.example({"session": s.session.id, "turns": s.session.content[:80]})
            elif summaries:
                self._write(job, summaries, progress)
            done += len(batch)
            progress.step(SESSION_SHARE * done / len(sessions))

    def _summarise(
        self, job: Job, session: MemoryUnit, chars: int, progress: Progress
    ) -> _Summary | None:
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
        if job.dry_run:  # what would be summarised, without spending model time on it
            return _Summary(session, "", key, self.producer)
        header = _header(session, turns)
        text, producer = self._text(turns, header, chars, progress)
        return _Summary(session, text, key, producer)

    def _text(
        self, turns: Sequence[MemoryUnit], header: str, chars: int, progress: Progress
    ) -> tuple[str, str]:
        items = [(t.attributes.get("speaker"), t.content) for t in turns]
        if self._llm is not None:
            transcript = "\n".join(key_text(s, c) for s, c in items)
            try:
                return abstractive(self._llm, transcript, header, chars), self.producer
            except LLMError as exc:  # the LLM is optional: fall back, and say so
                logger.warning("abstractive summary failed (%s); using extractive", exc)
                progress.add("llm_fallbacks")
                progress.counts["llm_error"] = f"{type(exc).__name__}: {exc}"[:300]
        return extractive(sentences_of(items), self._embedder, chars, header), EXTRACTIVE

    def _write(self, job: Job, summaries: list[_Summary], progress: Progress) -> None:
        vectors = self._embedder.embed_batch([s.text for s in summaries])
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


def _header(session: MemoryUnit, turns: Sequence[MemoryUnit]) -> str:
    """`2023-05-08 (Caroline, Melanie): ` — the date and who spoke, kept in every summary."""
    when = session.occurred_at or next((t.occurred_at for t in turns if t.occurred_at), None)
    speakers = list(dict.fromkeys(str(s) for t in turns if (s := t.attributes.get("speaker"))))
    who = f" ({', '.join(speakers[:6])})" if speakers else ""
    date = when.date().isoformat() if when else "undated"
    return f"{date}{who}: "
