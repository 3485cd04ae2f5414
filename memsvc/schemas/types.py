"""Shape rules and field types shared by every public model."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
)

# Shape rules every entrypoint shares. Sizes and counts an operator may tune (k, page size,
# text lengths) live in `LimitSettings` instead: fields carry a `limit(...)` marker, the
# service enforces the configured value and the OpenAPI schema is written from it.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_JSON_DEPTH = 20


def limit(name: str) -> dict[str, Any]:
    """Mark a field as bounded by `LimitSettings.<name>` (see `memsvc.api.openapi`)."""
    return {"x-limit": name}


def _strict_time(value: Any) -> Any:
    """Date-times come as ISO 8601 text (or datetime objects from Python callers): a bare
    number such as "-1" or 1700000000 is refused rather than read as a Unix time."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _looks_numeric(value):
        raise ValueError("must be an ISO 8601 date-time text, e.g. 2024-04-02T10:00:00Z")
    return value


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC. Times outside
    [1900, 2200) are refused: no conversation happens there, and date arithmetic near the
    ends of the calendar overflows."""
    if value is None:
        return None
    out_of_range = f"date-time must lie between {EARLIEST.date()} and {LATEST.date()} (exclusive)"
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(out_of_range) from exc
    if not EARLIEST <= value < LATEST:
        raise ValueError(out_of_range)
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


def check_json(value: Any, path: str = "", depth: int = 0) -> Any:
    """JSON that every store can keep and read back: finite numbers only (NaN and Infinity
    are not JSON, and SQLite's JSON functions refuse them) and at most MAX_JSON_DEPTH
    levels of nesting."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels at '{path or '.'}'")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{path or '.'}' is {value}; only finite numbers are allowed")
    if isinstance(value, dict):
        for key, item in value.items():
            check_json(item, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json(item, f"{path}[{i}]", depth + 1)
    return value


Time = Annotated[datetime, BeforeValidator(_strict_time), AfterValidator(_utc)]
Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=256, strip_whitespace=True),
    AfterValidator(_no_nul),
]
Text = Annotated[str, StringConstraints(min_length=1), AfterValidator(_no_nul)]
Name32 = Annotated[str, StringConstraints(min_length=1, max_length=32), AfterValidator(_no_nul)]
Name256 = Annotated[str, StringConstraints(max_length=256), AfterValidator(_no_nul)]
Note = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_no_nul)]
JsonObject = Annotated[dict[str, Any], AfterValidator(check_json)]
Count = Annotated[int, Strict()]  # a JSON number; `true` is not 1
GranularityName = Literal["turn", "session", "topic", "fact", "entity", "relation", "procedure"]
StatusName = Literal["active", "superseded", "archived", "deleted"]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
