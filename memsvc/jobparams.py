"""The parameters each job kind takes, checked when the job is created: a typo or a value out
of range is a 422 naming the parameter, not a job that fails later in the background. The
same models are the job request's `params` in the OpenAPI schema (`memsvc.schemas.jobs`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
)

from memsvc.domain import ValidationError
from memsvc.schemas.types import WHOLE, Flag, GranularityName, Number, Time

MAX_PAUSE_S = 10.0


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # What queued the job, when it was not a person ("schedule", "threshold: 50 new turns").
    trigger: Annotated[str, StringConstraints(max_length=200)] | None = None


class ExtractParams(_Params):
    """Extraction takes no parameters: it reads the session of the job's scope."""


class BatchParams(_Params):
    """What every lifecycle job understands. `batch_size`: units or groups per transaction;
    `pause_s`: a pause between batches (throttling); `now`: the clock the job reads."""

    batch_size: Annotated[int, Strict(), Field(ge=1, le=10_000), WHOLE] | None = None
    pause_s: Number | None = Field(None, ge=0, le=MAX_PAUSE_S)
    now: Time | None = None


class ConsolidateParams(BatchParams):
    merge_similarity: Number | None = Field(None, gt=0, le=1)
    merge_overlap: Number | None = Field(None, ge=0, le=1)
    merge_similarity_alone: Number | None = Field(None, gt=0, le=1)


class CompressParams(BatchParams):
    summary_chars: Annotated[int, Strict(), Field(ge=80, le=20_000), WHOLE] | None = None
    sessions: Flag | None = None
    topics: Flag | None = None


class ForgetParams(BatchParams):
    """Fields of the retention policy (`RetentionPolicy` documents them; same names and
    bounds) that override the tenant's policy for this job."""

    base_days: Number | None = Field(None, gt=0)
    importance_gain: Number | None = Field(None, ge=0)
    access_gain: Number | None = Field(None, ge=0)
    archive_below: Number | None = Field(None, ge=0, le=1)
    grace_days: Number | None = Field(None, ge=0)
    purge: Flag | None = None
    purge_turns: Flag | None = None
    age_from: Literal["learned", "occurred"] | None = None
    granularities: list[GranularityName] | None = Field(None, max_length=7)


PARAMS: dict[str, type[_Params]] = {
    "extract": ExtractParams,
    "consolidate": ConsolidateParams,
    "compress": CompressParams,
    "forget": ForgetParams,
}


def check_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The job's parameters, validated for its kind (JSON-ready, unset ones left out)."""
    model = PARAMS.get(kind, _Params)
    try:
        checked = model.model_validate(params)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "params"
        message = first["msg"].removeprefix("Value error, ")
        raise ValidationError(
            f"{kind} job parameter {name}: {message}", field=f"params.{name}"
        ) from exc
    return checked.model_dump(mode="json", exclude_none=True)
