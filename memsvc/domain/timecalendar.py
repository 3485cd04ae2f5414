"""Resolution of time expressions against a reference time: the context a rule resolves in
(the text and `now`, with its tense and preposition cues), the window type rules return, and
the calendar arithmetic they share. Internal to `memsvc.domain.timeexpr` (conventions there).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple


class Res(NamedTuple):
    """A rule's resolved window [start, end)."""

    start: datetime
    end: datetime
    granularity: str
    relative: bool = True
    direction: str | None = None  # None: computed from the window and now


SEASON_MONTH = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_PARTS = {"morning": (5, 12), "afternoon": (12, 17), "evening": (17, 24), "night": (18, 30)}
_THIRDS = {"early": 0, "beginning": 0, "start": 0, "mid": 1, "middle": 1, "late": 2, "end": 2}

_CUE = re.compile(
    r"\b(?:in|on|during|over|since|before|after|until|till|of|through|throughout)\s+$", re.I
)
_JOIN = r"\s*(?:to|and|until|till|through|thru|-|–)\s*"
RANGE_HEAD = re.compile(r"\b(?:from|between)\s+$", re.I)
_RANGE_TAIL = re.compile(rf"\b(?:from|between)\s+[^.?!,;]{{1,30}}?{_JOIN}$", re.I)
JOIN_RE = re.compile(_JOIN, re.I)
_SENTENCE_END = re.compile(r"[.!?\n]")
_FUTURE = re.compile(
    r"\b(?:will|shall|going\s+to|gonna|planning|plans?\s+to|intend(?:s|ing)?\s+to"
    r"|hop(?:e|es|ing)\s+to|looking\s+forward|upcoming|scheduled|about\s+to)\b|\w['’]ll\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Ctx:
    """The text being searched and the reference time its expressions resolve against."""

    text: str
    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def monday(self) -> date:
        return self.today - timedelta(days=self.today.weekday())

    def at(self, day: date, hours: int = 0) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.now.tzinfo) + timedelta(hours=hours)

    def days(self, first: date, end: date, granularity: str, relative: bool = True) -> Res:
        return Res(self.at(first), self.at(end), granularity, relative)

    def future(self, pos: int) -> bool:
        """Whether the sentence around `pos` speaks of the future (a crude, cheap tense cue)."""
        start = max(self.text.rfind(c, 0, pos) for c in ".!?\n") + 1
        end = _SENTENCE_END.search(self.text, pos)
        return bool(_FUTURE.search(self.text, start, end.start() if end else len(self.text)))

    def cue_before(self, start: int, end: int) -> bool:
        """A preposition before [start, end), or a range "from/between X and" around it."""
        before = self.text[max(0, start - 48) : start]
        if _CUE.search(before) or _RANGE_TAIL.search(before):
            return True
        return bool(RANGE_HEAD.search(before) and JOIN_RE.match(self.text, end))

    def sentence_start(self, pos: int) -> bool:
        before = self.text[:pos].rstrip(" \t\"'“(")
        return not before or before[-1] in ".!?\n"


def add_months(year: int, month: int, k: int) -> tuple[int, int]:
    """(year, month) k months after the given month (k may be negative)."""
    total = year * 12 + month - 1 + k
    return total // 12, total % 12 + 1


def month_days(year: int, month: int) -> tuple[date, date]:
    """The month as days [first, first of the next month)."""
    y, m = add_months(year, month, 1)
    return date(year, month, 1), date(y, m, 1)


def _shift_months(day: date, k: int) -> date:
    y, m = add_months(day.year, day.month, k)
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def unit_window(ctx: Ctx, unit: str, k: int) -> tuple[datetime, datetime]:
    """The calendar `unit` that contains now + k units."""
    if unit == "hour":
        hour = ctx.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=k)
        return hour, hour + timedelta(hours=1)
    if unit == "day":
        first, end = ctx.today + timedelta(days=k), ctx.today + timedelta(days=k + 1)
    elif unit == "week":
        first, end = ctx.monday + timedelta(weeks=k), ctx.monday + timedelta(weeks=k + 1)
    elif unit == "month":
        first, end = month_days(*add_months(ctx.today.year, ctx.today.month, k))
    else:
        first, end = date(ctx.today.year + k, 1, 1), date(ctx.today.year + k + 1, 1, 1)
    return ctx.at(first), ctx.at(end)


def shift(ctx: Ctx, unit: str, k: int) -> datetime:
    """Midnight of today + k units (hours: now + k hours)."""
    if unit == "hour":
        return ctx.now + timedelta(hours=k)
    days = {"day": 1, "week": 7}.get(unit)
    if days:
        return ctx.at(ctx.today + timedelta(days=days * k))
    return ctx.at(_shift_months(ctx.today, k * (12 if unit == "year" else 1)))


def weekday_date(ctx: Ctx, wd: int, rel: str) -> date:
    """The date of weekday `wd` (0 is Monday) that `rel` points to: past/recent, coming/upcoming
    (relative to today), or last/this/next (the Monday-Sunday week)."""
    today, cur = ctx.today, ctx.today.weekday()
    if rel in ("past", "recent"):
        return today - timedelta(days=(cur - wd - 1) % 7 + 1)
    if rel in ("coming", "upcoming"):
        return today + timedelta(days=(wd - cur - 1) % 7 + 1)
    return ctx.monday + timedelta(days=7 * {"last": -1, "this": 0, "next": 1}[rel] + wd)


def day_or_part(ctx: Ctx, day: date, part: str | None) -> Res:
    """The whole day, or its morning, afternoon, evening or night."""
    if not part:
        return ctx.days(day, day + timedelta(days=1), "day")
    first, end = _PARTS[part.lower()]
    return Res(ctx.at(day, first), ctx.at(day, end), "part_of_day")


def narrow_to_third(first: date, end: date, mod: str | None) -> tuple[date, date, bool]:
    """Narrow [first, end) to its early/mid/late third; the flag says whether it did."""
    if not mod:
        return first, end, False
    i = _THIRDS[re.sub(r"the|of|\s", "", mod.lower())]
    if (end - first).days < 32:  # a month: days 1-10, 11-20, 21-end
        return (
            first.replace(day=1 + 10 * i),
            (end if i == 2 else first.replace(day=11 + 10 * i)),
            True,
        )
    months = 4 if first.month == 1 and end.year > first.year else 1  # a year, else a season
    lo = add_months(first.year, first.month, months * i)
    hi = add_months(*lo, months)
    return date(*lo, 1), date(*hi, 1), True


def month_year(ctx: Ctx, month: int, future: bool) -> int:
    """The year of a month named without one: the latest that has started, or (`future`) the
    first not yet over; the current month counts either way."""
    cur, year = ctx.today.month, ctx.today.year
    if future:
        return year if month >= cur else year + 1
    return year if month <= cur else year - 1


def fixed_day(year: int, month: int, day: int) -> date | None:
    """The date, or None if there is no such day (30 February)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def nearest_date(ctx: Ctx, month: int, day: int, future: bool, strict: bool = False) -> date | None:
    """The nearest such date up to today (from today when `future`); `strict` excludes today."""
    step = 1 if future else -1
    for k in range(9):  # 8 years always hold a leap day
        found = fixed_day(ctx.today.year + step * k, month, day)
        if found is None or (strict and found == ctx.today):
            continue
        if (found >= ctx.today) if future else (found <= ctx.today):
            return found
    return None


def season_days(name: str, year: int) -> tuple[date, date]:
    """A season of `year` as days [first, end); winter starts in December of `year`."""
    month = SEASON_MONTH[name.lower()]
    return date(year, month, 1), date(*add_months(year, month, 3), 1)


def pick_season(ctx: Ctx, name: str, rel: str) -> tuple[date, date]:
    """The season `name` that `rel` points to: last/past (ended), next/coming (not started),
    upcoming (not over), recent (started), else "this" (the one nearest today in this year)."""
    today = ctx.today
    options = [season_days(name, y) for y in range(today.year - 2, today.year + 2)]
    if rel in ("last", "past"):
        return [o for o in options if o[1] <= today][-1]
    if rel in ("next", "coming"):
        return next(o for o in options if o[0] > today)
    if rel == "upcoming":
        return next(o for o in options if o[1] > today)
    if rel == "recent":
        return [o for o in options if o[0] <= today][-1]
    year = (date(today.year, 1, 1), date(today.year + 1, 1, 1))  # "this": nearest in this year

    def distance(o: tuple[date, date]) -> int:
        return max((o[0] - today).days, (today - o[1]).days + 1, 0)

    return min((o for o in options if o[0] < year[1] and o[1] > year[0]), key=distance)
