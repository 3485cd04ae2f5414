"""Time phrases in a clause, resolved against the turn's time, and what they mean for a fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from memsvc.domain.timeexpr import TimeMention, describe, find_time_mentions

# Stand-in "now" for turns without a time: only absolute mentions are kept then, so the
# result does not depend on the day the extractor runs.
_NO_NOW = datetime(2000, 1, 1, tzinfo=UTC)


def mentions(text: str, now: datetime | None) -> list[TimeMention]:
    """Time mentions in `text`, in order; relative ones only when `now` is known."""
    if now is None:
        return [m for m in find_time_mentions(text, _NO_NOW) if not m.relative]
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)  # stored turn times are UTC
    return sorted(find_time_mentions(text, now), key=lambda m: m.span)


def is_future(mention: TimeMention, now: datetime | None) -> bool:
    """The mention is later than the turn: a plan's time."""
    if mention.direction == "future":
        return True
    return mention.direction == "present" and now is not None and mention.start > _aware(now)


def is_past(mention: TimeMention) -> bool:
    return mention.direction in ("past", "present")


@dataclass(frozen=True, slots=True)
class FactTimes:
    occurred_at: datetime | None
    valid_from: datetime | None


def fact_times(mention: TimeMention | None, now: datetime | None) -> FactTimes:
    """When the stated thing happened and from when it holds.

    Without a time phrase both are the turn's time (a statement holds from when it is made;
    for an undated event the turn's time is the best bound we have). "since X" starts the
    fact at X; a past or present X dates it; a future X dates a plan, which holds from now.
    """
    if mention is None:
        return FactTimes(now, now)
    if mention.direction == "after":
        return FactTimes(now, mention.start)
    if mention.direction == "before":
        return FactTimes(now, now)
    if mention.direction == "past":
        return FactTimes(mention.start, mention.start)
    return FactTimes(mention.start, now)


def phrase(mention: TimeMention) -> str:
    """The absolute phrase for a mention ("yesterday" -> "on 7 May 2023")."""
    return describe(mention)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
