"""The parameters each job kind takes, checked when the job is created: a typo or a value out
of range is a 422 naming the parameter, not a job that fails later in the background."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from memsvc.domain import ValidationError
from memsvc.schemas import Count, Time
from memsvc.settings import RetentionPolicy

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

    batch_size: Count | None = Field(None, ge=1, le=10_000)
    pause_s: float | None = Field(None, ge=0, le=MAX_PAUSE_S, allow_inf_nan=False)
    now: Time | None = None


class ConsolidateParams(BatchParams):
    merge_similarity: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    merge_overlap: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    merge_similarity_alone: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)


class CompressParams(BatchParams):
    summary_chars: Count | None = Field(None, ge=80, le=20_000)
    sessions: StrictBool | None = None
    topics: StrictBool | None = None


class ForgetParams(BatchParams):
    """Any field of the retention policy (`RetentionPolicy`), with the policy's own bounds."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="after")
    def _policy_fields(self) -> ForgetParams:
        extra = dict(self.model_extra or {})
        unknown = sorted(set(extra) - set(RetentionPolicy.model_fields))
        if unknown:
            raise ValueError(f"unknown parameter {unknown[0]!r}")
        RetentionPolicy.model_validate({**RetentionPolicy().model_dump(), **extra}, strict=True)
        return self


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
