"""Topics: the sessions of a user scope clustered by their vectors (agglomerative, average
linkage, a cosine distance threshold), each cluster of at least `topic_min_sessions` written
as an `episodic/topic` unit: its content a summary of the member sessions (keywords, span,
central sentences), its sources the sessions (whose sources are the turns).

Re-clustering updates rather than duplicates: a topic's dedupe key is its scope and its
anchor, the earliest session of the cluster, so a topic that gains sessions keeps its unit.
A topic whose anchor is in no cluster any more is superseded (by the topic that now holds
most of its sessions). A topic whose sessions and their texts did not change is left alone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from memsvc.operations.editing import index_unit, record
from memsvc.operations.lifecycle.common import (
    JobParams,
    Progress,
    batches,
    by_owner,
    scope_filter,
    stored_vectors,
    touch,
)
from memsvc.operations.lifecycle.summarise import (
    Source,
    by_speaker,
    extractive_many,
    is_date,
    mentions,
    sentences_of,
)
from sklearn.cluster import AgglomerativeClustering

from memsvc.domain import (
    Granularity,
    MemoryUnit,
    Origin,
    Provenance,
    Scope,
    Status,
    new_id,
)
from memsvc.domain.jobs import Job
from memsvc.domain.ports import Embeddings, UnitOfWork, UnitOfWorkFactory
from memsvc.domain.text import content_words
from memsvc.domain.units import content_hash
from memsvc.settings import LifecycleSettings

REASON = "compress"
PRODUCER = "compress/topics/1"
KEYWORDS = 5
Owner = tuple[str | None, str | None]
# The `2023-05-08 (Caroline, Melanie): ` a session summary starts with.
_SUMMARY_HEADER = re.compile(r"^\d{4}-\d{2}-\d{2}(?: \([^)]*\))?: |^undated(?: \([^)]*\))?: ")


_TAIL = re.compile(r" Also mentioned: .*$")
_SPEAKERS = re.compile(r"^\S+ \(([^)]*)\): ")
# Words of chat that say nothing about what a topic is.
_FILLERS = frozenset(
    """also mentioned thanks thank really great awesome glad love loved yeah wow cool nice good
    sounds amazing know think like just much time last next sure totally pretty things thing
    something feel feeling felt keep always made make going doing want wanted wish""".split()
)


def _speakers(session: MemoryUnit) -> list[str]:
    found = _SPEAKERS.match(session.content)
    return [n.strip() for n in found.group(1).split(",")] if found else []


def _keywords(texts: Sequence[str], known: frozenset[str]) -> list[str]:
    """Names found in the most sessions first, then content words, KEYWORDS in all."""
    lowered = {k.lower() for k in known}
    names = Counter(
        n
        for t in texts
        for n in mentions(t, known)
        if n[:1].isupper() and not _digits(n) and not is_date(n)
    )
    words = Counter(
        w
        for t in texts
        for w in set(content_words(t))
        if len(w) > 3 and w.isalpha() and w not in _FILLERS and w not in lowered
    )
    ranked = [n for n, _ in names.most_common()] + [w for w, _ in words.most_common()]
    out: list[str] = []
    for word in ranked:
        if word.lower() not in {o.lower() for o in out}:
            out.append(word)
    return out[:KEYWORDS]


@dataclass(slots=True)
class TopicDraft:
    scope: Scope
    key: str
    members: list[MemoryUnit]
    summary_key: str
    content: str = ""


def clusters(vectors: np.ndarray, distance: float, min_size: int) -> list[list[int]]:
    """Index groups of at least `min_size` rows; rows are L2-normalised (zero rows skipped)."""
    usable = [i for i in range(len(vectors)) if np.linalg.norm(vectors[i]) > 0]
    if len(usable) < max(2, min_size):
        return []
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average"
    )
    labels = model.fit_predict(vectors[usable])
    groups: dict[int, list[int]] = {}
    for row, label in zip(usable, labels.tolist()):
        groups.setdefault(label, []).append(row)
    return [g for g in groups.values() if len(g) >= min_size]


def _when(unit: MemoryUnit) -> datetime:
    return unit.occurred_at or unit.created_at


class TopicWriter:
    def __init__(
        self, uow: UnitOfWorkFactory, embedder: Embeddings, settings: LifecycleSettings
    ) -> None:
        self._uow = uow
        self._embedder = embedder
        self._settings = settings

    def run(self, job: Job, params: JobParams, progress: Progress) -> None:
        """Cluster, then write topics in batches (one transaction each); supersede the
        topics that vanished in the last one."""
        drafts, vanished, existing = self.plan(job)
        progress.counts.update({"topics": len(drafts), "topics_vanished": len(vanished)})
        todo = [d for d in drafts if d.summary_key != _summary_key_of(d, existing)]
        progress.counts["topics_unchanged"] = len(drafts) - len(todo)
        if job.dry_run:
            progress.add("would_write_topics", len(todo))
            progress.add("would_supersede_topics", len(vanished))
            progress.step(1.0)
            return
        chunks = list(batches(todo, max(1, params.batch_size // 10))) or [[]]
        for i, chunk in enumerate(chunks):
            for draft in chunk:
                draft.content = self._content(draft)
            texts = [d.content for d in chunk]
            embedder = self._embedder.for_tenant(job.scope.tenant_id)
            vectors = embedder.embed_batch(texts) if chunk else np.zeros((0, 1))
            with self._uow(job.scope.tenant_id) as uow:
                for draft, vector in zip(chunk, vectors):
                    progress.add(self._write(uow, draft, vector, job.id))
                if i == len(chunks) - 1:
                    progress.add("topics_superseded", _supersede(uow, vanished, drafts, job.id))
                uow.commit()
            progress.step(0.8 + 0.2 * (i + 1) / len(chunks))

    def plan(self, job: Job) -> tuple[list[TopicDraft], list[MemoryUnit], dict[str, MemoryUnit]]:
        """Topic drafts for every cluster, the active topics no cluster keeps, and the topic
        units (any status) that already hold the drafts' keys."""
        with self._uow(job.scope.tenant_id, write=False) as uow:
            sessions = uow.units.find(scope_filter(job.scope, (Granularity.SESSION,)))
            vectors = stored_vectors(uow, sessions)
            topics = uow.units.find(scope_filter(job.scope, (Granularity.TOPIC,)))
            row = {s.id: i for i, s in enumerate(sessions)}
            drafts: list[TopicDraft] = []
            for (user, agent), owned in by_owner(sessions).items():
                scope = Scope(job.scope.tenant_id, user, agent)
                owned.sort(key=lambda s: (_when(s), s.id))
                matrix = vectors[[row[s.id] for s in owned]]
                for group in clusters(
                    matrix, self._settings.topic_distance, self._settings.topic_min_sessions
                ):
                    drafts.append(_draft(scope, [owned[i] for i in sorted(group)]))
            existing = uow.units.by_dedupe_keys(d.key for d in drafts)
        kept = {u.id for u in existing.values()}
        vanished = [t for t in topics if t.id not in kept]
        return drafts, vanished, existing

    def _content(self, draft: TopicDraft) -> str:
        """Keywords (names, then words, found in most of the sessions), the span, then the
        central sentences of the sessions' summaries."""
        members = draft.members
        texts = [_TAIL.sub("", _SUMMARY_HEADER.sub("", s.content)) for s in members]
        known = frozenset(str(n) for s in members for n in _speakers(s))
        first, last = _when(members[0]).date(), _when(members[-1]).date()
        header = (
            f"Topic: {', '.join(_keywords(texts, known))} "
            f"({len(members)} sessions, {first} to {last}). "
        )
        items = [run for t in texts for run in by_speaker(t, known)]
        source = Source(sentences_of(items), header, known=known)
        embedder = self._embedder.for_tenant(draft.scope.tenant_id)
        [content] = extractive_many([source], embedder, self._settings.summary_chars)
        return content

    def _write(self, uow: UnitOfWork, draft: TopicDraft, vector: np.ndarray, job_id: str) -> str:
        existing = uow.units.by_dedupe_keys([draft.key]).get(draft.key)
        attributes = _attributes(draft)
        if existing is None:
            unit = MemoryUnit(
                id=new_id(),
                scope=draft.scope,
                granularity=Granularity.TOPIC,
                content=draft.content,
                attributes=attributes,
                occurred_at=_when(draft.members[0]),
                provenance=Provenance(
                    sources=[s.id for s in draft.members],
                    origin=Origin.COMPRESSION,
                    producer=PRODUCER,
                ),
            )
            seq = uow.units.add(unit, dedupe_key=draft.key)
            index_unit(uow, seq, unit, vector)
            record(uow, unit, "create", None, reason=REASON, job_id=job_id)
            return "topics_created"
        before = touch(existing)
        existing.content = draft.content
        existing.attributes = attributes
        existing.status, existing.superseded_by = Status.ACTIVE, None
        existing.occurred_at = _when(draft.members[0])
        existing.provenance.sources = [s.id for s in draft.members]
        seq = uow.units.save(existing)
        index_unit(uow, seq, existing, vector)
        record(uow, existing, "summarise", before, reason=REASON, job_id=job_id)
        return "topics_updated"


def _draft(scope: Scope, members: list[MemoryUnit]) -> TopicDraft:
    anchor = members[0]  # the earliest session: stable while the cluster grows
    key = content_hash("topic", scope.user_id, scope.agent_id, anchor.id)
    summary_key = content_hash(PRODUCER, *(f"{s.id}:{content_hash(s.content)}" for s in members))
    return TopicDraft(scope, key, members, summary_key)


def _summary_key_of(draft: TopicDraft, existing: dict[str, MemoryUnit]) -> str | None:
    unit = existing.get(draft.key)
    if unit is None or unit.status is not Status.ACTIVE:
        return None
    return unit.attributes.get("summary_key")


def _attributes(draft: TopicDraft) -> dict[str, Any]:
    members = draft.members
    return {
        "sessions": [s.id for s in members],
        "session_count": len(members),
        "anchor": members[0].id,
        "summary": draft.content,
        "summary_key": draft.summary_key,
        "started_at": _when(members[0]).isoformat(),
        "ended_at": _when(members[-1]).isoformat(),
    }


def _supersede(
    uow: UnitOfWork, vanished: Sequence[MemoryUnit], drafts: Sequence[TopicDraft], job_id: str
) -> int:
    """Supersede topics no cluster kept, by the topic holding most of their sessions."""
    holders = uow.units.by_dedupe_keys(d.key for d in drafts)
    done = 0
    for old in vanished:
        current = uow.units.get_many([old.id]).get(old.id)
        if current is None or current.status is not Status.ACTIVE:
            continue
        mine = set(current.provenance.sources)
        best = max(
            holders.values(),
            key=lambda t: len(mine & set(t.provenance.sources)),
            default=None,
        )
        shares = best is not None and mine & set(best.provenance.sources)
        before = touch(current)
        current.status = Status.SUPERSEDED
        current.superseded_by = best.id if shares and best is not None else None
        uow.units.save(current)
        record(uow, current, "supersede", before, reason=REASON, job_id=job_id)
        done += 1
    return done


def _digits(text: str) -> bool:
    return any(c.isdigit() for c in text)
