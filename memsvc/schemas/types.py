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
    Field,
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
    """Naive datetimes are taken as UTC; aware ones are converted to UTC. Years outside
    1900-2199, as written, are refused: no conversation happens there, and date arithmetic
    near the ends of the calendar overflows. (The year as written, not in UTC, is what the
    schema's pattern can state; the offset moves a time by less than a day.)"""
    if value is None:
        return None
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError(
            f"date-time must lie between {EARLIEST.year} and {LATEST.year - 1} (the year as "
            f"written), not in {value.year}"
        )
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _whole(value: Any) -> Any:
    """JSON has one number type: 24.0 is the integer 24, as JSON Schema reads it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _stripped(value: str) -> str:
    """Surrounding whitespace is dropped ("u1 " is "u1"); an id of only whitespace is none."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or only whitespace")
    return value


def plain_text(value: str) -> str:
    """Text every store can keep: no NUL, and valid Unicode (a lone surrogate such as \\ud800
    cannot be written as UTF-8)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    if printable(value) != value:
        raise ValueError("holds a lone surrogate; send valid Unicode text")
    return value


def check_json(value: Any, path: str = "", depth: int = 0) -> Any:
    """JSON that every store can keep and read back: finite numbers only (NaN and Infinity
    are not JSON, and SQLite's JSON functions refuse them), text that is valid Unicode (a
    lone surrogate such as \\ud800 cannot be written as UTF-8) and at most MAX_JSON_DEPTH
    levels of nesting."""
    where = printable(path or ".")
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels at '{where}'")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{where}' is {value}; only finite numbers are allowed")
    if isinstance(value, str) and printable(value) != value:
        raise ValueError(f"'{where}' holds a lone surrogate; send valid Unicode text")
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if printable(str(key)) != key:
                raise ValueError(f"key '{printable(inner)}' holds a lone surrogate")
            check_json(item, inner, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json(item, f"{path}[{i}]", depth + 1)
    return value


def printable(text: str) -> str:
    """`text` with lone surrogates (which UTF-8 cannot hold) written as \\udxxx escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


Time = Annotated[
    datetime,
    BeforeValidator(_strict_time),
    AfterValidator(_utc),
    Field(json_schema_extra={"pattern": "^(19|20|21)[0-9]{2}-"}),  # the years _utc admits
]
# Ids, texts and roles hold something besides whitespace ("\\S" reads as Python's str.strip()
# does, which is what the server applies).
NOT_BLANK = Field(json_schema_extra={"pattern": "\\S"})
Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=256),
    AfterValidator(_stripped),
    AfterValidator(plain_text),
    NOT_BLANK,
]
Text = Annotated[str, StringConstraints(min_length=1), AfterValidator(plain_text), NOT_BLANK]
Name32 = Annotated[
    str, StringConstraints(min_length=1, max_length=32), AfterValidator(plain_text), NOT_BLANK
]
Name256 = Annotated[str, StringConstraints(max_length=256), AfterValidator(plain_text)]
Note = Annotated[str, StringConstraints(max_length=2000), AfterValidator(plain_text)]
JsonObject = Annotated[dict[str, Any], AfterValidator(check_json)]
# A JSON number; `true` and "24" are not counts. A bounded optional count puts its bounds
# before WHOLE, `Annotated[int, Strict(), Field(ge=1, le=9), WHOLE] | None`: bounds given on
# the field after a validator come out in the schema as "ge"/"le", which nothing reads.
WHOLE = BeforeValidator(_whole)
Count = Annotated[int, Strict(), WHOLE]
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]  # not "0.5", not `true`
Flag = Annotated[bool, Strict()]  # `true` or `false`, not 1 or "yes"
GranularityName = Literal["turn", "session", "topic", "fact", "entity", "relation", "procedure"]
StatusName = Literal["active", "superseded", "archived", "deleted"]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
