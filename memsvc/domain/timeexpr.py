"""Time expressions in text, resolved against a reference time ("now"). Standard library only.

The query router turns a query's expressions into an `occurred_at` window (`query_window`); the
rules extractor makes a message's relative dates absolute (`find_time_mentions` + `describe`).
This module runs the rule table (`timegrammar`: patterns and resolvers; `timecalendar`: the
resolution context and calendar arithmetic) and joins, opens and renders what it finds.

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
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from memsvc.domain.queries import TimeWindow
from memsvc.domain.timecalendar import JOIN_RE, RANGE_HEAD, Ctx, Res
from memsvc.domain.timegrammar import RULES

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


_PART_NAMES = {5: "morning", 12: "afternoon", 17: "evening", 18: "night"}
_OPS = (
    r"before|prior\s+to|up\s+until|until|till|by|after|ever\s+since|since"
    r"|starting(?:\s+(?:from|on|in))?"
)
_OPERATOR = re.compile(rf"\b(?P<op>{_OPS})\s+$", re.I)
_OP_START = re.compile(rf"(?P<op>{_OPS})\b", re.I)
_ABSORB = re.compile(r"\b(?P<p>on|in|at|during|over|throughout|for)\s+$", re.I)
_PREP_START = re.compile(r"(?:on|in|at|during|over|for|between|from)\b", re.I)


# --- public API ------------------------------------------------------------------------------


def find_time_mentions(text: str, now: datetime) -> list[TimeMention]:
    """All time expressions in `text`, resolved against `now`, in order of appearance,
    non-overlapping (longest match wins). A naive `now` is taken as UTC."""
    ctx = Ctx(text, now if now.tzinfo else now.replace(tzinfo=UTC))
    found: list[TimeMention] = []
    for pattern, handler in RULES:
        for match in pattern.finditer(text):
            try:
                res = handler(match, ctx)
                if res is not None:
                    found.append(_mention(ctx, match.span(), res))
            except (OverflowError, ValueError):
                continue  # "9000 years ago": a date the calendar cannot hold is no window
    chosen: list[TimeMention] = []
    for mention in sorted(found, key=lambda m: (m.span[0] - m.span[1], m.span[0])):
        if all(mention.span[1] <= c.span[0] or mention.span[0] >= c.span[1] for c in chosen):
            chosen.append(mention)
    chosen.sort(key=lambda m: m.span[0])
    try:
        return [_absorb(ctx, _operator(ctx, m)) for m in _join_ranges(ctx, chosen)]
    except (OverflowError, ValueError):
        return []


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


def _mention(ctx: Ctx, span: tuple[int, int], res: Res) -> TimeMention:
    direction = res.direction or (
        "past" if res.end <= ctx.now else "future" if res.start > ctx.now else "present"
    )
    text = ctx.text[span[0] : span[1]]
    return TimeMention(text, res.start, res.end, span, res.relative, res.granularity, direction)


def _join_ranges(ctx: Ctx, mentions: list[TimeMention]) -> list[TimeMention]:
    """Join "between X and Y" / "from X to Y" into one range mention from X.start to Y.end."""
    out: list[TimeMention] = []
    i = 0
    while i < len(mentions):
        first = mentions[i]
        head = RANGE_HEAD.search(ctx.text[max(0, first.span[0] - 16) : first.span[0]])
        joined = None
        if head and i + 1 < len(mentions):
            last = mentions[i + 1]
            if JOIN_RE.fullmatch(ctx.text, first.span[1], last.span[0]):
                joined = _range(ctx, first, last, first.span[0] - len(head[0]))
        out.append(joined or first)
        i += 2 if joined else 1
    return out


def _range(ctx: Ctx, first: TimeMention, last: TimeMention, begin: int) -> TimeMention | None:
    if last.end <= first.start and last.relative and last.granularity in ("day", "month"):
        try:  # "from December to February" said in January: the February after
            last = replace(last, end=last.end.replace(year=last.end.year + 1))
        except ValueError:
            return None
    if last.end <= first.start:
        return None
    res = Res(first.start, last.end, "range", first.relative or last.relative)
    return _mention(ctx, (begin, last.span[1]), res)


def _operator(ctx: Ctx, mention: TimeMention) -> TimeMention:
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


def _absorb(ctx: Ctx, mention: TimeMention) -> TimeMention:
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
