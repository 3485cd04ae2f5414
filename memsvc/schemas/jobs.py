"""Public models of jobs, health statistics, the entity graph and procedures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
)

from memsvc.jobparams import CompressParams, ConsolidateParams, ExtractParams, ForgetParams
from memsvc.schemas.memories import Unit
from memsvc.schemas.types import (
    Flag,
    Id,
    RequestModel,
)


class _JobRequest(RequestModel):
    user_id: Id | None = None
    agent_id: Id | None = None
    session_id: Id | None = None
    dry_run: Flag = False
    kind: str
    params: BaseModel  # each kind narrows both

    def params_dict(self) -> dict[str, Any]:
        """The parameters that were set, JSON-ready."""
        return self.params.model_dump(mode="json", exclude_none=True)


class ExtractJob(_JobRequest):
    """Extract facts, entities, relations and procedures from the scope's turns."""

    kind: Literal["extract"]
    params: ExtractParams = Field(default_factory=ExtractParams)


class ConsolidateJob(_JobRequest):
    """Merge near-duplicate facts, supersede contradicted ones, resolve entity aliases."""

    kind: Literal["consolidate"]
    params: ConsolidateParams = Field(default_factory=ConsolidateParams)


class CompressJob(_JobRequest):
    """Write session and topic summaries."""

    kind: Literal["compress"]
    params: CompressParams = Field(default_factory=CompressParams)


class ForgetJob(_JobRequest):
    """Archive memories whose retention fell below the policy's threshold; purge old ones."""

    kind: Literal["forget"]
    params: ForgetParams = Field(default_factory=ForgetParams)


# One model per kind, told apart by `kind`: the schema lists each kind's parameters, and a
# request with a parameter its kind does not take is a 422 before any job is queued.
JobRequest = Annotated[
    ExtractJob | ConsolidateJob | CompressJob | ForgetJob, Field(discriminator="kind")
]


class JobOut(BaseModel):
    id: str
    kind: str
    user_id: str | None
    agent_id: str | None
    session_id: str | None
    params: dict[str, Any]
    status: str
    dry_run: bool
    progress: float
    counts: dict[str, Any]
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_domain(cls, job: Any) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            user_id=job.scope.user_id,
            agent_id=job.scope.agent_id,
            session_id=job.scope.session_id,
            params=job.params,
            status=str(job.status),
            dry_run=job.dry_run,
            progress=job.progress,
            counts=job.counts,
            error=job.error,
            attempts=job.attempts,
            created_at=job.created_at,
            updated_at=job.updated_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class EntityOut(BaseModel):
    """An entity with the relations that leave it and that point at it."""

    entity: Unit
    outgoing: list[Unit]
    incoming: list[Unit]


class Neighbourhood(BaseModel):
    entities: list[Unit]
    relations: list[Unit]


class OutcomeRequest(RequestModel):
    outcome: Literal["success", "failure"]
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None


class RevertOut(BaseModel):
    """The reverted job (its counts now say when and by whom) and what the revert did."""

    job: JobOut
    restored: int = Field(description="Memories set back to their state before the job.")
    removed: int = Field(description="Memories the job had created, removed again.")


class StatsOut(BaseModel):
    """Memory health of a scope."""

    user_id: str | None
    agent_id: str | None
    total: int
    by_kind: dict[str, int]
    by_granularity: dict[str, int]
    by_status: dict[str, int]
    by_granularity_status: dict[str, dict[str, int]]
    active_facts: int
    duplicate_pairs: int = Field(description="Pairs of active facts above the merge threshold.")
    duplicate_rate: float = Field(description="Share of active facts with a near-duplicate.")
    duplicate_sampled: bool
    superseded_share: float = Field(description="Superseded among memories not deleted.")
    archived_share: float = Field(description="Archived among memories not deleted.")
    last_jobs: dict[str, JobOut | None]

    @classmethod
    def from_domain(cls, stats: Any) -> StatsOut:
        return cls(
            user_id=stats.scope.user_id,
            agent_id=stats.scope.agent_id,
            total=stats.total,
            by_kind=stats.by_kind,
            by_granularity=stats.by_granularity,
            by_status=stats.by_status,
            by_granularity_status=stats.by_granularity_status,
            active_facts=stats.active_facts,
            duplicate_pairs=stats.duplicate_pairs,
            duplicate_rate=stats.duplicate_rate,
            duplicate_sampled=stats.duplicate_sampled,
            superseded_share=stats.superseded_share,
            archived_share=stats.archived_share,
            last_jobs={k: JobOut.from_domain(j) if j else None for k, j in stats.last_jobs.items()},
        )
