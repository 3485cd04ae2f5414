"""Time expressions in text, resolved against a reference time ("now"). Standard library only.

The query router turns a query's expressions into an `occurred_at` window (`query_window`); the
rules extractor makes a message's relative dates absolute (`find_time_mentions` + `describe`).

Conventions (each one is pinned by tests/unit/test_timeexpr.py):

- Windows are half-open [start, end) in the timezone of `now` (UTC when `now` is naive); calendar
  units run from midnight to midnight. Weeks start on Monday.
- Weekdays: "this Saturday" is the Saturday of the current week, "last Saturday" the one of the
  previous week and "next Saturday" the one of the following week, even when that is 8 or 13
  days away. "this past Saturday" is the most recent Saturday before today and "(this) coming
  Saturday" the first one after today ("this past week" is last week). A bare "(on) Saturday"
  is the most recent one before today, or the first one after today in a future-marked
  sentence (will, 'll, going to, plan to, ...).
- Months and seasons without a year: the most recent one that has started (the current one
  counts), or in a future-marked sentence the first one not yet over. "last May" is the most
  recent May before the current month, "next May" the first after it, "this May" this year's.
  Seasons are meteorological, northern hemisphere: spring Mar-May, summer Jun-Aug, autumn/fall
  Sep-Nov, winter Dec-Feb; "winter 2023" starts in December 2023. "last summer" is the most
  recent one that has ended, "this summer" the one containing today, else the nearest one that
  overlaps the current year. "May of last year" is May 2022 (said in 2023); "in October of that
  year" counts from a story's year and gives nothing.
- Day and month without a year: the most recent such date up to today (the next one from today
  in a future-marked sentence); "Feb 29" finds the nearest leap year.
- "N units ago|earlier" and "N units later|from now" are the calendar hour, day, week, month or
  year that contains now -/+ N units ("two weeks ago" is that Monday-Sunday week); "the week
  before last" is two weeks ago. "in N units" is as often a duration as a date ("I read it in
  two weeks") and "N units later" usually counts from an event ("a month later, she called"),
  so both count only in a future-marked sentence (or as "in N units' time"). Counts: digits,
  "a"/"an", one..twenty, thirty; fuzzy counts span a range of units: a couple (of) = 2-3,
  a few = 2-4, several = 3-7.
- "the past/last N units" is a rolling window from today - N units to the end of today (hours:
  to now), "the next/coming N units" from today to the end of today + N units; without N, one.
- early/mid/late (also the beginning|start / middle / end of) a month = days 1-10/11-20/21-end;
  of a year Jan-Apr/May-Aug/Sep-Dec; of a season its first/second/third month. This works for
  "early last year" and "the end of the month" too ("the" month or year is the current one).
- "the first/second/third/fourth week of May" = days 1-7/8-14/15-21/22-28, "the last week of
  May" its last seven days. Fixed-date holidays (Christmas (Eve), New Year's Eve/Day,
  Halloween, Valentine's Day) resolve like a day and month; movable feasts are not known.
- Parts of day: morning 05-12, afternoon 12-17, evening 17-24, night (tonight, last night) 18-06.
- Slash dates d/d/yyyy are month/day/year (US) unless the first number is over 12.
- "before/until/till/by X" and "after/since/starting X" give one mention whose text includes the
  operator, whose start/end are those of X and whose direction is "before" or "after".
  `query_window` opens the window on that side: before X -> (-inf, X.start), until/by X ->
  (-inf, X.end), after X -> [X.end, inf), since X -> [X.start, inf); for an event inside X
  ("after yesterday's party") the bound is X's far side. "between X and Y" and "from X to Y"
  give one mention with granularity "range".
- Numeric dates: 2023-05-08, 2023/05/08, 2023-05 (a month); not dotted (2023.5.7 is a version).
  Decades only with four digits ("the 1990s"; "the 90s" is as often a temperature).
- Precision over recall, since a false window hides the right memories while a missed one only
  loses a boost: a month or season alone needs a preposition before it ("in May", "during the
  summer") or a day or year with it; "may", "march" and month abbreviations ("Jan") need a
  further cue (an ordinal, a year, a capital letter mid-sentence, a preposition, or punctuation
  after). "recently", "lately", "the other day", "years ago", weekday abbreviations, clock
  times and events ("before I moved") give nothing. Month names used as names ("since April")
  do match when the cue is there.
- A mention takes in a preposition in front of it (on/in/at/during/over/throughout; "for" before
  a range) so that `describe` can replace the whole span: "on Saturday" -> "on 6 May 2023".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from memsvc.domain.queries import TimeWindow

__all__ = ["TimeMention", "describe", "find_time_mentions", "query_window"]


@dataclass(frozen=True, slots=True)
class TimeMention:
    """One time expression in a text, resolved to the window [start, end)."""

    text: str  # the phrase as written, e.g. "last Saturday"
    start: datetime  # inclusive, in the timezone of `now`
    end: datetime  # exclusive
    span: tuple[int, int]  # character offsets of `text` in the input
    relative: bool  # resolved against `now` ("yesterday") rather than absolute ("8 May 2023")
    granularity: str  # hour, day, part_of_day, week, weekend, month, part_of_month, season,
    # year, part_of_year, decade or range
    direction: str  # past, present or future relative to now; before or after for an operator


class _Res(NamedTuple):
    start: datetime
    end: datetime
    granularity: str
    relative: bool = True
    direction: str | None = None  # None: computed from the window and now


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name} | {"sept": 9}
# Common English words or abbreviations: they need a stronger cue than a full month name.
_LOOSE_MONTHS = {"may", "march", "sept"} | {a.lower() for a in calendar.month_abbr if a}
# Fixed-date holidays only (no Easter, no Thanksgiving); the apostrophe is optional.
_HOLIDAYS = {"christmas eve": (12, 24), "christmas day": (12, 25), "christmas": (12, 25)}
_HOLIDAYS |= {"new year's eve": (12, 31), "new year's day": (1, 1), "halloween": (10, 31)}
_HOLIDAYS |= {"valentine's day": (2, 14)}
_SEASON_MONTH = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_PARTS = {"morning": (5, 12), "afternoon": (12, 17), "evening": (17, 24), "night": (18, 30)}
_PART_NAMES = {5: "morning", 12: "afternoon", 17: "evening", 18: "night"}
_THIRDS = {"early": 0, "beginning": 0, "start": 0, "mid": 1, "middle": 1, "late": 2, "end": 2}
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()
_COUNTS = {w: (i, i) for i, w in enumerate(_NUMBER_WORDS, 1)} | {"thirty": (30, 30)}
_COUNTS |= {"a": (1, 1), "an": (1, 1), "a couple of": (2, 3), "a couple": (2, 3)}
_COUNTS |= {"couple of": (2, 3), "a few": (2, 4), "few": (2, 4), "several": (3, 7)}
_OPS = (
    r"before|prior\s+to|up\s+until|until|till|by|after|ever\s+since|since"
    r"|starting(?:\s+(?:from|on|in))?"
)


def _alt(words: Iterable[str]) -> str:
    """A regex alternation, longest first so that "a few" wins over "a"."""
    return "|".join(w.replace(" ", r"\s+") for w in sorted(words, key=len, reverse=True))


_WD = _alt(_WEEKDAYS)
_MON = _alt(_MONTHS)
_SEASON = _alt(_SEASON_MONTH)
_HOLIDAY = _alt(_HOLIDAYS).replace("'", "['’]?")
_COUNT = rf"(?P<n>\d{{1,3}}|{_alt(_COUNTS)})"
_UNIT = r"(?P<unit>hour|day|week|month|year)s?"
_PART = r"(?P<part>morning|afternoon|evening|night)"
_DAY = r"(?P<d>3[01]|[12]\d|0?[1-9])(?P<ord>st|nd|rd|th)?"
_YEAR = r"(?P<y>(?:19|20)\d\d)"
_MOD = r"(?P<mod>early|mid|late|(?:the\s+)?(?:beginning|start|middle|end)\s+of)"
# "in October of that year" counts from the story's year, which we do not know
_STORY_YEAR = r"|\s+of\s+(?:that|the\s+same|the\s+following|the\s+previous)\s+year"
_OF_REL_YEAR = r"|\s+of\s+(?P<ry>last|this|next)\s+year\b"  # "(in) May of last year"
_REL_YEAR = {"last": -1, "this": 0, "next": 1}
_LEAD_WD = rf"(?:(?:{_WD}),?\s+)?"  # "Tuesday, May 9": the date wins over the weekday

_CUE = re.compile(
    r"\b(?:in|on|during|over|since|before|after|until|till|of|through|throughout)\s+$", re.I
)
_JOIN = r"\s*(?:to|and|until|till|through|thru|-|–)\s*"
_RANGE_HEAD = re.compile(r"\b(?:from|between)\s+$", re.I)
_RANGE_TAIL = re.compile(rf"\b(?:from|between)\s+[^.?!,;]{{1,30}}?{_JOIN}$", re.I)
_JOIN_RE = re.compile(_JOIN, re.I)
_OPERATOR = re.compile(rf"\b(?P<op>{_OPS})\s+$", re.I)
_OP_START = re.compile(rf"(?P<op>{_OPS})\b", re.I)
_ABSORB = re.compile(r"\b(?P<p>on|in|at|during|over|throughout|for)\s+$", re.I)
_PREP_START = re.compile(r"(?:on|in|at|during|over|for|between|from)\b", re.I)
_COUNTED = re.compile(
    r"\s+(?:dollars|euros|pounds|people|calories|steps|words|points|times|miles|km|kilometers"
    r"|meters|metres|feet|units|pieces|items)\b",
    re.I,
)
_PUNCT_AFTER = re.compile(r"\s*(?:[.,;:!?)]|$)")
_SENTENCE_END = re.compile(r"[.!?\n]")
_FUTURE = re.compile(
    r"\b(?:will|shall|going\s+to|gonna|planning|plans?\s+to|intend(?:s|ing)?\s+to"
    r"|hop(?:e|es|ing)\s+to|looking\s+forward|upcoming|scheduled|about\s+to)\b|\w['’]ll\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class _Ctx:
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

    def days(self, first: date, end: date, granularity: str, relative: bool = True) -> _Res:
        return _Res(self.at(first), self.at(end), granularity, relative)

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
        return bool(_RANGE_HEAD.search(before) and _JOIN_RE.match(self.text, end))

    def sentence_start(self, pos: int) -> bool:
        before = self.text[:pos].rstrip(" \t\"'“(")
        return not before or before[-1] in ".!?\n"


_Handler = Callable[[re.Match[str], _Ctx], _Res | None]
_RULES: list[tuple[re.Pattern[str], _Handler]] = []


def _rule(pattern: str) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _RULES.append((re.compile(pattern, re.IGNORECASE), handler))
        return handler

    return register


# --- calendar arithmetic -------------------------------------------------------------------


def _add_months(year: int, month: int, k: int) -> tuple[int, int]:
    total = year * 12 + month - 1 + k
    return total // 12, total % 12 + 1


def _month_days(year: int, month: int) -> tuple[date, date]:
    y, m = _add_months(year, month, 1)
    return date(year, month, 1), date(y, m, 1)


def _shift_months(day: date, k: int) -> date:
    y, m = _add_months(day.year, day.month, k)
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def _unit_window(ctx: _Ctx, unit: str, k: int) -> tuple[datetime, datetime]:
    """The calendar `unit` that contains now + k units."""
    if unit == "hour":
        hour = ctx.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=k)
        return hour, hour + timedelta(hours=1)
    if unit == "day":
        first, end = ctx.today + timedelta(days=k), ctx.today + timedelta(days=k + 1)
    elif unit == "week":
        first, end = ctx.monday + timedelta(weeks=k), ctx.monday + timedelta(weeks=k + 1)
    elif unit == "month":
        first, end = _month_days(*_add_months(ctx.today.year, ctx.today.month, k))
    else:
        first, end = date(ctx.today.year + k, 1, 1), date(ctx.today.year + k + 1, 1, 1)
    return ctx.at(first), ctx.at(end)


def _shift(ctx: _Ctx, unit: str, k: int) -> datetime:
    """Midnight of today + k units (hours: now + k hours)."""
    if unit == "hour":
        return ctx.now + timedelta(hours=k)
    days = {"day": 1, "week": 7}.get(unit)
    if days:
        return ctx.at(ctx.today + timedelta(days=days * k))
    return ctx.at(_shift_months(ctx.today, k * (12 if unit == "year" else 1)))


def _weekday(ctx: _Ctx, wd: int, rel: str) -> date:
    today, cur = ctx.today, ctx.today.weekday()
    if rel in ("past", "recent"):
        return today - timedelta(days=(cur - wd - 1) % 7 + 1)
    if rel in ("coming", "upcoming"):
        return today + timedelta(days=(wd - cur - 1) % 7 + 1)
    return ctx.monday + timedelta(days=7 * {"last": -1, "this": 0, "next": 1}[rel] + wd)


def _day_or_part(ctx: _Ctx, day: date, part: str | None) -> _Res:
    if not part:
        return ctx.days(day, day + timedelta(days=1), "day")
    first, end = _PARTS[part.lower()]
    return _Res(ctx.at(day, first), ctx.at(day, end), "part_of_day")


def _third(first: date, end: date, mod: str | None) -> tuple[date, date, bool]:
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
    lo = _add_months(first.year, first.month, months * i)
    hi = _add_months(*lo, months)
    return date(*lo, 1), date(*hi, 1), True


def _month_year(ctx: _Ctx, month: int, future: bool) -> int:
    cur, year = ctx.today.month, ctx.today.year
    if future:
        return year if month >= cur else year + 1
    return year if month <= cur else year - 1


def _fixed_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _nearest_date(
    ctx: _Ctx, month: int, day: int, future: bool, strict: bool = False
) -> date | None:
    """The nearest such date up to today (from today when `future`); `strict` excludes today."""
    step = 1 if future else -1
    for k in range(9):  # 8 years always hold a leap day
        found = _fixed_day(ctx.today.year + step * k, month, day)
        if found is None or (strict and found == ctx.today):
            continue
        if (found >= ctx.today) if future else (found <= ctx.today):
            return found
    return None


def _season_days(name: str, year: int) -> tuple[date, date]:
    month = _SEASON_MONTH[name.lower()]
    return date(year, month, 1), date(*_add_months(year, month, 3), 1)


def _pick_season(ctx: _Ctx, name: str, rel: str) -> tuple[date, date]:
    today = ctx.today
    options = [_season_days(name, y) for y in range(today.year - 2, today.year + 2)]
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


def _loose_month_ok(ctx: _Ctx, m: re.Match[str]) -> bool:
    """Accept "may", "march" and abbreviations only with a further cue: they are words too."""
    token = m["m"]
    if token.lower() not in _LOOSE_MONTHS or m["y"] or m.groupdict().get("ord"):
        return True
    if token[0].isupper() and not ctx.sentence_start(m.start("m")):
        return True
    return bool(_PUNCT_AFTER.match(ctx.text, m.end())) or ctx.cue_before(m.start(), m.end())


# --- rules: one pattern and one resolver each ----------------------------------------------


def _count(token: str) -> tuple[int, int]:
    key = " ".join(token.lower().split())
    return (int(key), int(key)) if key.isdigit() else _COUNTS[key]


def _offset(ctx: _Ctx, unit: str, counts: tuple[int, int], sign: int) -> _Res:
    lo, hi = sorted((sign * counts[0], sign * counts[1]))
    first, last = _unit_window(ctx, unit, lo), _unit_window(ctx, unit, hi)
    return _Res(first[0], last[1], unit if lo == hi else "range")


@_rule(rf"\b{_COUNT}\s+{_UNIT}\s+(?P<dir>ago|earlier|later|from\s+now)\b")
def _ago(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    sign = -1 if m["dir"].lower() in ("ago", "earlier") else 1
    if m["dir"].lower() == "later" and not ctx.future(m.start()):
        return None  # "a month later, she called" counts from an event, not from now
    return _offset(ctx, m["unit"].lower(), _count(m["n"]), sign)


@_rule(rf"\bin\s+{_COUNT}\s+{_UNIT}(?P<time>['’]s\s+time|['’]\s+time|\s+time)?\b")
def _in_n_units(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    if not (m["time"] or ctx.future(m.start())):
        return None  # "I read it in two weeks" is a duration
    return _offset(ctx, m["unit"].lower(), _count(m["n"]), 1)


@_rule(
    rf"\b(?:the|these)\s+(?P<which>past|last|next|coming)\s+(?:{_COUNT}\s+)?{_UNIT}\b(?!\s+of\b)"
)
def _rolling(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    unit = m["unit"].lower()
    if m["n"] is None and unit in ("day", "hour"):
        return None  # "the last day I was there" is no window
    n = _count(m["n"])[1] if m["n"] else 1
    tomorrow = ctx.at(ctx.today + timedelta(days=1))
    if m["which"].lower() in ("past", "last"):
        return _Res(_shift(ctx, unit, -n), ctx.now if unit == "hour" else tomorrow, "range")
    end = _shift(ctx, unit, n) + (timedelta(0) if unit == "hour" else timedelta(days=1))
    return _Res(ctx.now if unit == "hour" else ctx.at(ctx.today), end, "range")


@_rule(
    r"\b(?P<rel>this\s+past|this\s+coming|this|last|next|coming)\s+(?:"
    rf"(?P<unit>week|weekend|month|year)|(?P<wd>{_WD})(?:\s+{_PART})?|(?P<season>{_SEASON})"
    rf"|(?P<m>{_MON})\b(?:\.?\s+{_DAY})?(?P<y>))\b(?!\s+of\b)"
)
def _relative(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    rel = " ".join(m["rel"].lower().split())
    rel = {"this past": "past", "this coming": "coming"}.get(rel, rel)
    if m["wd"]:
        return _day_or_part(ctx, _weekday(ctx, _WEEKDAYS.index(m["wd"].lower()), rel), m["part"])
    if m["season"]:
        return ctx.days(*_pick_season(ctx, m["season"], rel), "season")
    if m["m"]:
        return _relative_month(ctx, m, rel)
    k = {"last": -1, "past": -1, "this": 0, "next": 1, "coming": 1}[rel]
    if rel == "coming" and m["unit"].lower() == "weekend":
        k = int(ctx.today.weekday() >= 5)  # on a weekend, the coming one is next week's
    return _calendar_unit(ctx, m["unit"].lower(), k)


@_rule(r"\bthe\s+(?P<unit>week|weekend|month|year)\s+before\s+last\b")
def _before_last(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _calendar_unit(ctx, m["unit"].lower(), -2)


def _calendar_unit(ctx: _Ctx, unit: str, k: int) -> _Res:
    """The week, weekend, month or year k units from the current one."""
    if unit != "weekend":
        return _Res(*_unit_window(ctx, unit, k), unit)
    saturday = ctx.monday + timedelta(weeks=k, days=5)
    return ctx.days(saturday, saturday + timedelta(days=2), "weekend")


def _relative_month(ctx: _Ctx, m: re.Match[str], rel: str) -> _Res | None:
    if not _loose_month_ok(ctx, m):
        return None  # "this may take a while"
    month, cur, year = _MONTHS[m["m"].lower()], ctx.today.month, ctx.today.year
    if m["d"]:  # "next Aug 13th": the first one after today, "last": the latest before
        found = _nearest_date(ctx, month, int(m["d"]), rel in ("next", "coming"), strict=True)
        if rel == "this":
            found = _fixed_day(year, month, int(m["d"]))
        return None if found is None else ctx.days(found, found + timedelta(days=1), "day")
    if rel in ("last", "past"):
        year = year if month < cur else year - 1
    elif rel in ("next", "coming"):
        year = year if month > cur else year + 1
    return ctx.days(*_month_days(year, month), "month")


@_rule(
    r"\b(?:(?P<day>today|tonight|yesterday|tomorrow)"
    rf"|the\s+day\s+(?P<rel>before\s+yesterday|after\s+tomorrow))(?:\s+{_PART})?\b"
)
def _named_day(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    word = " ".join((m["day"] or m["rel"]).lower().split())
    k = {"yesterday": -1, "tomorrow": 1, "before yesterday": -2, "after tomorrow": 2}.get(word, 0)
    part = m["part"] or ("night" if word == "tonight" else None)
    return _day_or_part(ctx, ctx.today + timedelta(days=k), part)


@_rule(rf"\b(?:this\s+{_PART}|last\s+(?P<night>night))\b")
def _this_part(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    if m["night"]:
        return _day_or_part(ctx, ctx.today - timedelta(days=1), "night")
    return _day_or_part(ctx, ctx.today, m["part"])


@_rule(rf"\b(?<!every\s)(?<!each\s)(?P<wd>{_WD})(?:\s+{_PART})?\b")
def _bare_weekday(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    rel = "upcoming" if ctx.future(m.start()) else "recent"
    return _day_or_part(ctx, _weekday(ctx, _WEEKDAYS.index(m["wd"].lower()), rel), m["part"])


def _calendar_date(ctx: _Ctx, m: re.Match[str], month: int, of: bool = False) -> _Res | None:
    """A day of a month, with its year or the nearest one (see the module conventions)."""
    if not (of or _loose_month_ok(ctx, m)):
        return None  # "may 5 people come?"
    day = int(m["d"])
    if m["y"]:
        found = _fixed_day(int(m["y"]), month, day)
    else:
        found = _nearest_date(ctx, month, day, ctx.future(m.start()))
    if found is None:
        return None
    return ctx.days(found, found + timedelta(days=1), "day", relative=not m["y"])


@_rule(
    rf"\b{_LEAD_WD}(?:the\s+)?{_DAY}(?:\s+(?P<of>of))?\s+(?P<m>{_MON})\b"
    rf"(?:\.?,?\s+{_YEAR}\b)?"
)
def _day_month(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _calendar_date(ctx, m, _MONTHS[m["m"].lower()], of=bool(m["of"]))


@_rule(rf"\b{_LEAD_WD}(?P<m>{_MON})\b\.?\s+(?:the\s+)?{_DAY}(?:,?\s+{_YEAR})?\b(?![:.]?\d)")
def _month_day(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _calendar_date(ctx, m, _MONTHS[m["m"].lower()])


@_rule(
    rf"\b(?:{_MOD}[\s-]+)?(?P<of>the\s+month\s+of\s+)?(?P<m>{_MON})\b(?!['’]s\b{_STORY_YEAR})"
    rf"(?:\.?,?\s+(?:of\s+)?{_YEAR}\b{_OF_REL_YEAR})?"
)
def _month(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    month = _MONTHS[m["m"].lower()]
    if m["y"]:
        year = int(m["y"])
    elif m["ry"]:
        year = ctx.today.year + _REL_YEAR[m["ry"].lower()]
    elif m["mod"] or m["of"] or ctx.cue_before(m.start(), m.end()):
        year = _month_year(ctx, month, ctx.future(m.start()))
    else:
        return None  # a bare month name is too often a name or a word
    first, end, narrowed = _third(*_month_days(year, month), m["mod"])
    granularity = "part_of_month" if narrowed else "month"
    return ctx.days(first, end, granularity, relative=not m["y"])


@_rule(
    rf"\b{_MOD}[\s-]+(?P<rel>this|last|next|the)\s+(?P<unit>month|year)\b(?!\s+(?:of|before|after)\b)"
)
def _part_of_unit(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    """Early/mid/late this, last, next or "the" (current) month or year."""
    k = {"last": -1, "next": 1}.get(m["rel"].lower(), 0)
    first, end = (t.date() for t in _unit_window(ctx, m["unit"].lower(), k))
    first, end, _ = _third(first, end, m["mod"])
    return ctx.days(first, end, f"part_of_{m['unit'].lower()}")


@_rule(rf"\b(?:the\s+)?{_DAY}\s+of\s+(?P<rel>last|this|next)\s+month\b")
def _day_of_month(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    """A day of this, last or next month: "the 15th of last month"."""
    year, month = _add_months(ctx.today.year, ctx.today.month, _REL_YEAR[m["rel"].lower()])
    found = _fixed_day(year, month, int(m["d"]))
    return None if found is None else ctx.days(found, found + timedelta(days=1), "day")


@_rule(
    r"\b(?:the\s+)?(?P<nth>first|second|third|fourth|last)\s+week\s+of\s+"
    rf"(?P<m>{_MON})\b(?:\.?,?\s+{_YEAR}\b)?"
)
def _week_of_month(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    month = _MONTHS[m["m"].lower()]
    year = int(m["y"]) if m["y"] else _month_year(ctx, month, ctx.future(m.start()))
    first, end = _month_days(year, month)
    nth = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}[m["nth"].lower()]
    start = end - timedelta(days=7) if nth < 0 else first + timedelta(weeks=nth)
    return ctx.days(start, start + timedelta(days=7), "range", relative=not m["y"])


@_rule(rf"\b(?:{_MOD}[\s-]+|(?P<the>the\s+year\s+))?{_YEAR}\b(?![-/.]\d)")
def _year(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    if not (m["mod"] or m["the"] or ctx.cue_before(m.start(), m.end())):
        return None  # "I paid 2000"
    if not (m["mod"] or m["the"]) and _COUNTED.match(ctx.text, m.end()):
        return None  # "in 2000 meters"
    year = int(m["y"])
    first, end, narrowed = _third(date(year, 1, 1), date(year + 1, 1, 1), m["mod"])
    return ctx.days(first, end, "part_of_year" if narrowed else "year", relative=False)


@_rule(r"\b(?:the\s+)?(?P<dec>(?:19|20)\d0)['’]?s\b")
def _decade(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    year = int(m["dec"])
    return ctx.days(date(year, 1, 1), date(year + 10, 1, 1), "decade", relative=False)


@_rule(
    rf"\b{_LEAD_WD}{_YEAR}(?P<sep>[-/])(?P<mo>1[0-2]|0?[1-9])(?P=sep)"
    r"(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)"
)
def _iso_date(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return _fixed_date(ctx, int(m["y"]), int(m["mo"]), int(m["d"]))


@_rule(rf"\b{_YEAR}-(?P<mo>1[0-2]|0[1-9])\b(?![-/]\d)")
def _iso_month(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    return ctx.days(*_month_days(int(m["y"]), int(m["mo"])), "month", relative=False)


@_rule(r"\b(?P<a>\d\d?)/(?P<b>\d\d?)/(?P<y>(?:19|20)\d\d|\d\d)\b(?!/)")
def _slash_date(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
    year += 2000 if year < 100 else 0
    return _fixed_date(ctx, year, *((a, b) if a <= 12 else (b, a)))


def _fixed_date(ctx: _Ctx, year: int, month: int, day: int) -> _Res | None:
    found = _fixed_day(year, month, day)
    return None if found is None else ctx.days(found, found + timedelta(days=1), "day", False)


@_rule(
    rf"\b(?:the\s+)?(?:(?P<mod>early|mid|late)[\s-]+)?(?P<s>{_SEASON})\b"
    rf"(?:\s+(?:of\s+)?{_YEAR}\b{_OF_REL_YEAR}|(?!\s+of\b))"
)
def _season(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    if m["y"] or m["ry"]:
        year = int(m["y"]) if m["y"] else ctx.today.year + _REL_YEAR[m["ry"].lower()]
        first, end = _season_days(m["s"], year)
    elif m["mod"] or ctx.cue_before(m.start(), m.end()):
        rel = "upcoming" if ctx.future(m.start()) else "recent"
        first, end = _pick_season(ctx, m["s"], rel)
    else:
        return None  # "summer camp", "I fall"
    first, end, narrowed = _third(first, end, m["mod"])
    return ctx.days(first, end, "month" if narrowed else "season", relative=not m["y"])


@_rule(rf"\b(?:(?P<rel>last|this|next)\s+)?(?P<h>{_HOLIDAY})\b")
def _holiday(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    key = re.sub(r"['’]", "", " ".join(m["h"].lower().split()))
    month, day = next(v for k, v in _HOLIDAYS.items() if k.replace("'", "") == key)
    rel = (m["rel"] or "").lower()
    if rel == "this":
        found = _fixed_day(ctx.today.year, month, day)
    elif rel:
        found = _nearest_date(ctx, month, day, rel == "next", strict=True)
    else:
        found = _nearest_date(ctx, month, day, ctx.future(m.start()))
    return None if found is None else ctx.days(found, found + timedelta(days=1), "day")


@_rule(r"\b(?P<el>earlier|later)\s+(?:this\s+(?P<unit>week|month|year)|(?P<today>today))\b")
def _earlier_later(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    first, end = _unit_window(ctx, (m["unit"] or "day").lower(), 0)
    if m["el"].lower() == "earlier":
        return _Res(first, ctx.now, "range", direction="past") if first < ctx.now else None
    return _Res(ctx.now, end, "range", direction="future")


@_rule(r"\b(?:on|over|at|during|for)\s+the\s+weekend\b(?!\s+of\b)")
def _the_weekend(m: re.Match[str], ctx: _Ctx) -> _Res | None:
    weekday = ctx.today.weekday()
    # future: this week's (on a Sunday, the next one); past: the one under way, else the last
    k = int(weekday == 6) if ctx.future(m.start()) else (0 if weekday >= 5 else -1)
    return _calendar_unit(ctx, "weekend", k)


# --- public API ------------------------------------------------------------------------------


def find_time_mentions(text: str, now: datetime) -> list[TimeMention]:
    """All time expressions in `text`, resolved against `now`, in order of appearance,
    non-overlapping (longest match wins). A naive `now` is taken as UTC."""
    ctx = _Ctx(text, now if now.tzinfo else now.replace(tzinfo=UTC))
    found: list[TimeMention] = []
    for pattern, handler in _RULES:
        for match in pattern.finditer(text):
            res = handler(match, ctx)
            if res is not None:
                found.append(_mention(ctx, match.span(), res))
    chosen: list[TimeMention] = []
    for mention in sorted(found, key=lambda m: (m.span[0] - m.span[1], m.span[0])):
        if all(mention.span[1] <= c.span[0] or mention.span[0] >= c.span[1] for c in chosen):
            chosen.append(mention)
    chosen.sort(key=lambda m: m.span[0])
    return [_absorb(ctx, _operator(ctx, m)) for m in _join_ranges(ctx, chosen)]


def query_window(text: str, now: datetime) -> TimeWindow | None:
    """The occurred_at window a search query asks about, or None without a time expression.

    The hull of the query's mentions, narrowed by its open-ended ones ("before X", "since X"):
    "after May and before August" is June-July. None as well when they contradict each other.
    `TimeWindow.source` lists the phrases it came from, joined by "; ".
    """
    mentions = find_time_mentions(text, now)
    if not mentions:
        return None
    closed = [m for m in mentions if m.direction not in ("before", "after")]
    start = min((m.start for m in closed), default=None)
    end = max((m.end for m in closed), default=None)
    for mention in mentions:
        if mention.direction in ("before", "after"):
            # "after last week's party": the party is inside X, so the bound is X's far side
            event = text[mention.span[1] : mention.span[1] + 2] in ("'s", "’s")
            lo, hi = _open_bounds(mention, event)
            start = lo if start is None or (lo is not None and lo > start) else start
            end = hi if end is None or (hi is not None and hi < end) else end
    if start is not None and end is not None and start >= end:
        return None
    return TimeWindow(start, end, "; ".join(m.text for m in mentions))


def describe(mention: TimeMention) -> str:
    """An absolute rendering that can replace the mention's span in a fact sentence:
    'on 7 May 2023', 'in the week of 1 May 2023', 'in May 2023', 'since March 2023'."""
    prep, phrase = _render(mention)
    if mention.direction not in ("before", "after"):
        return f"{prep} {phrase}".strip()
    op = _OP_START.match(mention.text)
    word = " ".join(op["op"].lower().split()) if op else mention.direction
    if mention.granularity == "range":
        phrase = _day_text(mention.start.date())
    return f"{word} {phrase}"


# --- composition and rendering -----------------------------------------------------------------


def _mention(ctx: _Ctx, span: tuple[int, int], res: _Res) -> TimeMention:
    direction = res.direction or (
        "past" if res.end <= ctx.now else "future" if res.start > ctx.now else "present"
    )
    text = ctx.text[span[0] : span[1]]
    return TimeMention(text, res.start, res.end, span, res.relative, res.granularity, direction)


def _join_ranges(ctx: _Ctx, mentions: list[TimeMention]) -> list[TimeMention]:
    """Join "between X and Y" / "from X to Y" into one range mention from X.start to Y.end."""
    out: list[TimeMention] = []
    i = 0
    while i < len(mentions):
        first = mentions[i]
        head = _RANGE_HEAD.search(ctx.text[max(0, first.span[0] - 16) : first.span[0]])
        joined = None
        if head and i + 1 < len(mentions):
            last = mentions[i + 1]
            if _JOIN_RE.fullmatch(ctx.text, first.span[1], last.span[0]):
                joined = _range(ctx, first, last, first.span[0] - len(head[0]))
        out.append(joined or first)
        i += 2 if joined else 1
    return out


def _range(ctx: _Ctx, first: TimeMention, last: TimeMention, begin: int) -> TimeMention | None:
    if last.end <= first.start and last.relative and last.granularity in ("day", "month"):
        try:  # "from December to February" said in January: the February after
            last = replace(last, end=last.end.replace(year=last.end.year + 1))
        except ValueError:
            return None
    if last.end <= first.start:
        return None
    res = _Res(first.start, last.end, "range", first.relative or last.relative)
    return _mention(ctx, (begin, last.span[1]), res)


def _operator(ctx: _Ctx, mention: TimeMention) -> TimeMention:
    """Take in "before/after/since/until ..." in front of a mention, as an open direction."""
    hit = _OPERATOR.search(ctx.text[max(0, mention.span[0] - 24) : mention.span[0]])
    if hit is None or mention.granularity == "range":
        return mention
    begin = mention.span[0] - (len(hit.string) - hit.start())
    op = " ".join(hit["op"].lower().split())
    side = "before" if op in ("before", "prior to", "up until", "until", "till", "by") else "after"
    text = ctx.text[begin : mention.span[1]]
    return replace(mention, text=text, span=(begin, mention.span[1]), direction=side)


def _open_bounds(mention: TimeMention, event: bool) -> tuple[datetime | None, datetime | None]:
    """(start, end) of the open window: before X ends at X.start, until X at X.end, after X
    starts at X.end, since X at X.start; for an event inside X ("after X's party"), the far side."""
    op = _OP_START.match(mention.text)
    word = " ".join(op["op"].lower().split()) if op else ""
    if mention.direction == "before":
        return None, mention.start if word in ("before", "prior to") and not event else mention.end
    return (mention.end if word == "after" and not event else mention.start), None


def _absorb(ctx: _Ctx, mention: TimeMention) -> TimeMention:
    """Take in a preposition before the mention, so that describe() can replace the span."""
    if mention.direction in ("before", "after") or _PREP_START.match(mention.text):
        return mention
    hit = _ABSORB.search(ctx.text[max(0, mention.span[0] - 16) : mention.span[0]])
    if hit is None or (hit["p"].lower() == "for" and mention.granularity != "range"):
        return mention
    begin = mention.span[0] - (len(hit.string) - hit.start())
    return replace(mention, text=ctx.text[begin : mention.span[1]], span=(begin, mention.span[1]))


def _day_text(day: date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def _render(m: TimeMention) -> tuple[str, str]:
    """(preposition, phrase) for a mention's window."""
    first, g = m.start.date(), m.granularity
    month = f"{calendar.month_name[first.month]} {first.year}"
    if g == "hour":
        return "at around", f"{m.start:%H:%M} on {_day_text(first)}"
    if g == "part_of_day":
        return "on", f"the {_PART_NAMES.get(m.start.hour, 'day')} of {_day_text(first)}"
    if g in ("day", "week", "weekend"):
        pre = {"day": "", "week": "the week of ", "weekend": "the weekend of "}[g]
        return ("in" if g == "week" else "on"), pre + _day_text(first)
    if g in ("month", "part_of_month"):
        third = ("early ", "mid-", "late ")[min(first.day // 10, 2)] if g != "month" else ""
        return "in", third + month
    if g == "season":
        name = {3: "spring", 6: "summer", 9: "autumn", 12: "winter"}[first.month]
        tail = f"/{(first.year + 1) % 100:02d}" if first.month == 12 else ""
        return "in", f"{name} {first.year}{tail}"
    if g in ("year", "part_of_year"):
        third = ("early ", "mid-", "late ")[(first.month - 1) // 4] if g != "year" else ""
        return "in", f"{third}{first.year}"
    if g == "decade":
        return "in", f"the {first.year}s"
    return "", _range_text(m)


def _range_text(m: TimeMention) -> str:
    first, last = m.start.date(), (m.end - timedelta(microseconds=1)).date()
    if first == last:
        return f"on {_day_text(first)}"
    whole_months = first.day == 1 and m.end.day == 1 and m.end.time() == time()
    if whole_months and m.start.time() == time():
        a, b = calendar.month_name[first.month], calendar.month_name[last.month]
        if first.year == last.year:
            return f"between {a} and {b} {last.year}"
        return f"between {a} {first.year} and {b} {last.year}"
    if (first.year, first.month) == (last.year, last.month):
        return f"between {first.day} and {_day_text(last)}"
    if first.year == last.year:
        return f"between {first.day} {calendar.month_name[first.month]} and {_day_text(last)}"
    return f"between {_day_text(first)} and {_day_text(last)}"
