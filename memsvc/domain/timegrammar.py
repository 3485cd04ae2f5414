"""The rule table of time expressions: vocabulary, regex building blocks and one resolver per
pattern (`RULES`, in registration order). `memsvc.domain.timeexpr` runs it over a text and
composes the matches into mentions; the conventions the rules follow are documented there.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from memsvc.domain.timecalendar import (
    SEASON_MONTH,
    Ctx,
    Res,
    add_months,
    day_or_part,
    fixed_day,
    month_days,
    month_year,
    narrow_to_third,
    nearest_date,
    pick_season,
    season_days,
    shift,
    unit_window,
    weekday_date,
)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name} | {"sept": 9}
# Common English words or abbreviations: they need a stronger cue than a full month name.
_LOOSE_MONTHS = {"may", "march", "sept"} | {a.lower() for a in calendar.month_abbr if a}
# Fixed-date holidays only (no Easter, no Thanksgiving); the apostrophe is optional.
_HOLIDAYS = {"christmas eve": (12, 24), "christmas day": (12, 25), "christmas": (12, 25)}
_HOLIDAYS |= {"new year's eve": (12, 31), "new year's day": (1, 1), "halloween": (10, 31)}
_HOLIDAYS |= {"valentine's day": (2, 14)}
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()
_COUNTS = {w: (i, i) for i, w in enumerate(_NUMBER_WORDS, 1)} | {"thirty": (30, 30)}
_COUNTS |= {"a": (1, 1), "an": (1, 1), "a couple of": (2, 3), "a couple": (2, 3)}
_COUNTS |= {"couple of": (2, 3), "a few": (2, 4), "few": (2, 4), "several": (3, 7)}


def _alt(words: Iterable[str]) -> str:
    """A regex alternation, longest first so that "a few" wins over "a"."""
    return "|".join(w.replace(" ", r"\s+") for w in sorted(words, key=len, reverse=True))


_WD = _alt(_WEEKDAYS)
_MON = _alt(_MONTHS)
_SEASON = _alt(SEASON_MONTH)
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

_COUNTED = re.compile(
    r"\s+(?:dollars|euros|pounds|people|calories|steps|words|points|times|miles|km|kilometers"
    r"|meters|metres|feet|units|pieces|items)\b",
    re.I,
)
_PUNCT_AFTER = re.compile(r"\s*(?:[.,;:!?)]|$)")

_Handler = Callable[[re.Match[str], Ctx], Res | None]
# In registration order, which matters: of two matches with the same span the earlier rule's wins.
RULES: list[tuple[re.Pattern[str], _Handler]] = []


def _rule(pattern: str) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        RULES.append((re.compile(pattern, re.IGNORECASE), handler))
        return handler

    return register


def _loose_month_ok(ctx: Ctx, m: re.Match[str]) -> bool:
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


def _offset(ctx: Ctx, unit: str, counts: tuple[int, int], sign: int) -> Res:
    lo, hi = sorted((sign * counts[0], sign * counts[1]))
    first, last = unit_window(ctx, unit, lo), unit_window(ctx, unit, hi)
    return Res(first[0], last[1], unit if lo == hi else "range")


@_rule(rf"\b{_COUNT}\s+{_UNIT}\s+(?P<dir>ago|earlier|later|from\s+now)\b")
def _ago(m: re.Match[str], ctx: Ctx) -> Res | None:
    sign = -1 if m["dir"].lower() in ("ago", "earlier") else 1
    if m["dir"].lower() == "later" and not ctx.future(m.start()):
        return None  # "a month later, she called" counts from an event, not from now
    return _offset(ctx, m["unit"].lower(), _count(m["n"]), sign)


@_rule(rf"\bin\s+{_COUNT}\s+{_UNIT}(?P<time>['’]s\s+time|['’]\s+time|\s+time)?\b")
def _in_n_units(m: re.Match[str], ctx: Ctx) -> Res | None:
    if not (m["time"] or ctx.future(m.start())):
        return None  # "I read it in two weeks" is a duration
    return _offset(ctx, m["unit"].lower(), _count(m["n"]), 1)


@_rule(
    rf"\b(?:the|these)\s+(?P<which>past|last|next|coming)\s+(?:{_COUNT}\s+)?{_UNIT}\b(?!\s+of\b)"
)
def _rolling(m: re.Match[str], ctx: Ctx) -> Res | None:
    unit = m["unit"].lower()
    if m["n"] is None and unit in ("day", "hour"):
        return None  # "the last day I was there" is no window
    n = _count(m["n"])[1] if m["n"] else 1
    tomorrow = ctx.at(ctx.today + timedelta(days=1))
    if m["which"].lower() in ("past", "last"):
        return Res(shift(ctx, unit, -n), ctx.now if unit == "hour" else tomorrow, "range")
    end = shift(ctx, unit, n) + (timedelta(0) if unit == "hour" else timedelta(days=1))
    return Res(ctx.now if unit == "hour" else ctx.at(ctx.today), end, "range")


@_rule(
    r"\b(?P<rel>this\s+past|this\s+coming|this|last|next|coming)\s+(?:"
    rf"(?P<unit>week|weekend|month|year)|(?P<wd>{_WD})(?:\s+{_PART})?|(?P<season>{_SEASON})"
    rf"|(?P<m>{_MON})\b(?:\.?\s+{_DAY})?(?P<y>))\b(?!\s+of\b)"
)
def _relative(m: re.Match[str], ctx: Ctx) -> Res | None:
    rel = " ".join(m["rel"].lower().split())
    rel = {"this past": "past", "this coming": "coming"}.get(rel, rel)
    if m["wd"]:
        return day_or_part(ctx, weekday_date(ctx, _WEEKDAYS.index(m["wd"].lower()), rel), m["part"])
    if m["season"]:
        return ctx.days(*pick_season(ctx, m["season"], rel), "season")
    if m["m"]:
        return _relative_month(ctx, m, rel)
    k = {"last": -1, "past": -1, "this": 0, "next": 1, "coming": 1}[rel]
    if rel == "coming" and m["unit"].lower() == "weekend":
        k = int(ctx.today.weekday() >= 5)  # on a weekend, the coming one is next week's
    return _calendar_unit(ctx, m["unit"].lower(), k)


@_rule(r"\bthe\s+(?P<unit>week|weekend|month|year)\s+before\s+last\b")
def _before_last(m: re.Match[str], ctx: Ctx) -> Res | None:
    return _calendar_unit(ctx, m["unit"].lower(), -2)


def _calendar_unit(ctx: Ctx, unit: str, k: int) -> Res:
    """The week, weekend, month or year k units from the current one."""
    if unit != "weekend":
        return Res(*unit_window(ctx, unit, k), unit)
    saturday = ctx.monday + timedelta(weeks=k, days=5)
    return ctx.days(saturday, saturday + timedelta(days=2), "weekend")


def _relative_month(ctx: Ctx, m: re.Match[str], rel: str) -> Res | None:
    if not _loose_month_ok(ctx, m):
        return None  # "this may take a while"
    month, cur, year = _MONTHS[m["m"].lower()], ctx.today.month, ctx.today.year
    if m["d"]:  # "next Aug 13th": the first one after today, "last": the latest before
        found = nearest_date(ctx, month, int(m["d"]), rel in ("next", "coming"), strict=True)
        if rel == "this":
            found = fixed_day(year, month, int(m["d"]))
        return None if found is None else ctx.days(found, found + timedelta(days=1), "day")
    if rel in ("last", "past"):
        year = year if month < cur else year - 1
    elif rel in ("next", "coming"):
        year = year if month > cur else year + 1
    return ctx.days(*month_days(year, month), "month")


@_rule(
    r"\b(?:(?P<day>today|tonight|yesterday|tomorrow)"
    rf"|the\s+day\s+(?P<rel>before\s+yesterday|after\s+tomorrow))(?:\s+{_PART})?\b"
)
def _named_day(m: re.Match[str], ctx: Ctx) -> Res | None:
    word = " ".join((m["day"] or m["rel"]).lower().split())
    k = {"yesterday": -1, "tomorrow": 1, "before yesterday": -2, "after tomorrow": 2}.get(word, 0)
    part = m["part"] or ("night" if word == "tonight" else None)
    return day_or_part(ctx, ctx.today + timedelta(days=k), part)


@_rule(rf"\b(?:this\s+{_PART}|last\s+(?P<night>night))\b")
def _this_part(m: re.Match[str], ctx: Ctx) -> Res | None:
    if m["night"]:
        return day_or_part(ctx, ctx.today - timedelta(days=1), "night")
    return day_or_part(ctx, ctx.today, m["part"])


@_rule(rf"\b(?<!every\s)(?<!each\s)(?P<wd>{_WD})(?:\s+{_PART})?\b")
def _bare_weekday(m: re.Match[str], ctx: Ctx) -> Res | None:
    rel = "upcoming" if ctx.future(m.start()) else "recent"
    return day_or_part(ctx, weekday_date(ctx, _WEEKDAYS.index(m["wd"].lower()), rel), m["part"])


def _calendar_date(ctx: Ctx, m: re.Match[str], month: int, of: bool = False) -> Res | None:
    """A day of a month, with its year or the nearest one (see the module conventions)."""
    if not (of or _loose_month_ok(ctx, m)):
        return None  # "may 5 people come?"
    day = int(m["d"])
    if m["y"]:
        found = fixed_day(int(m["y"]), month, day)
    else:
        found = nearest_date(ctx, month, day, ctx.future(m.start()))
    if found is None:
        return None
    return ctx.days(found, found + timedelta(days=1), "day", relative=not m["y"])


@_rule(
    rf"\b{_LEAD_WD}(?:the\s+)?{_DAY}(?:\s+(?P<of>of))?\s+(?P<m>{_MON})\b"
    rf"(?:\.?,?\s+{_YEAR}\b)?"
)
def _day_month(m: re.Match[str], ctx: Ctx) -> Res | None:
    return _calendar_date(ctx, m, _MONTHS[m["m"].lower()], of=bool(m["of"]))


@_rule(rf"\b{_LEAD_WD}(?P<m>{_MON})\b\.?\s+(?:the\s+)?{_DAY}(?:,?\s+{_YEAR})?\b(?![:.]?\d)")
def _month_day(m: re.Match[str], ctx: Ctx) -> Res | None:
    return _calendar_date(ctx, m, _MONTHS[m["m"].lower()])


@_rule(
    rf"\b(?:{_MOD}[\s-]+)?(?P<of>the\s+month\s+of\s+)?(?P<m>{_MON})\b(?!['’]s\b{_STORY_YEAR})"
    rf"(?:\.?,?\s+(?:of\s+)?{_YEAR}\b{_OF_REL_YEAR})?"
)
def _month(m: re.Match[str], ctx: Ctx) -> Res | None:
    month = _MONTHS[m["m"].lower()]
    if m["y"]:
        year = int(m["y"])
    elif m["ry"]:
        year = ctx.today.year + _REL_YEAR[m["ry"].lower()]
    elif m["mod"] or m["of"] or ctx.cue_before(m.start(), m.end()):
        year = month_year(ctx, month, ctx.future(m.start()))
    else:
        return None  # a bare month name is too often a name or a word
    first, end, narrowed = narrow_to_third(*month_days(year, month), m["mod"])
    granularity = "part_of_month" if narrowed else "month"
    return ctx.days(first, end, granularity, relative=not m["y"])


@_rule(
    rf"\b{_MOD}[\s-]+(?P<rel>this|last|next|the)\s+(?P<unit>month|year)\b(?!\s+(?:of|before|after)\b)"
)
def _part_of_unit(m: re.Match[str], ctx: Ctx) -> Res | None:
    """Early/mid/late this, last, next or "the" (current) month or year."""
    k = {"last": -1, "next": 1}.get(m["rel"].lower(), 0)
    first, end = (t.date() for t in unit_window(ctx, m["unit"].lower(), k))
    first, end, _ = narrow_to_third(first, end, m["mod"])
    return ctx.days(first, end, f"part_of_{m['unit'].lower()}")


@_rule(rf"\b(?:the\s+)?{_DAY}\s+of\s+(?P<rel>last|this|next)\s+month\b")
def _day_of_month(m: re.Match[str], ctx: Ctx) -> Res | None:
    """A day of this, last or next month: "the 15th of last month"."""
    year, month = add_months(ctx.today.year, ctx.today.month, _REL_YEAR[m["rel"].lower()])
    found = fixed_day(year, month, int(m["d"]))
    return None if found is None else ctx.days(found, found + timedelta(days=1), "day")


@_rule(
    r"\b(?:the\s+)?(?P<nth>first|second|third|fourth|last)\s+week\s+of\s+"
    rf"(?P<m>{_MON})\b(?:\.?,?\s+{_YEAR}\b)?"
)
def _week_of_month(m: re.Match[str], ctx: Ctx) -> Res | None:
    month = _MONTHS[m["m"].lower()]
    year = int(m["y"]) if m["y"] else month_year(ctx, month, ctx.future(m.start()))
    first, end = month_days(year, month)
    nth = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}[m["nth"].lower()]
    start = end - timedelta(days=7) if nth < 0 else first + timedelta(weeks=nth)
    return ctx.days(start, start + timedelta(days=7), "range", relative=not m["y"])


@_rule(rf"\b(?:{_MOD}[\s-]+|(?P<the>the\s+year\s+))?{_YEAR}\b(?![-/.]\d)")
def _year(m: re.Match[str], ctx: Ctx) -> Res | None:
    if not (m["mod"] or m["the"] or ctx.cue_before(m.start(), m.end())):
        return None  # "I paid 2000"
    if not (m["mod"] or m["the"]) and _COUNTED.match(ctx.text, m.end()):
        return None  # "in 2000 meters"
    year = int(m["y"])
    first, end, narrowed = narrow_to_third(date(year, 1, 1), date(year + 1, 1, 1), m["mod"])
    return ctx.days(first, end, "part_of_year" if narrowed else "year", relative=False)


@_rule(r"\b(?:the\s+)?(?P<dec>(?:19|20)\d0)['’]?s\b")
def _decade(m: re.Match[str], ctx: Ctx) -> Res | None:
    year = int(m["dec"])
    return ctx.days(date(year, 1, 1), date(year + 10, 1, 1), "decade", relative=False)


@_rule(
    rf"\b{_LEAD_WD}{_YEAR}(?P<sep>[-/])(?P<mo>1[0-2]|0?[1-9])(?P=sep)"
    r"(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)"
)
def _iso_date(m: re.Match[str], ctx: Ctx) -> Res | None:
    return _fixed_date(ctx, int(m["y"]), int(m["mo"]), int(m["d"]))


@_rule(rf"\b{_YEAR}-(?P<mo>1[0-2]|0[1-9])\b(?![-/]\d)")
def _iso_month(m: re.Match[str], ctx: Ctx) -> Res | None:
    return ctx.days(*month_days(int(m["y"]), int(m["mo"])), "month", relative=False)


@_rule(r"\b(?P<a>\d\d?)/(?P<b>\d\d?)/(?P<y>(?:19|20)\d\d|\d\d)\b(?!/)")
def _slash_date(m: re.Match[str], ctx: Ctx) -> Res | None:
    a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
    year += 2000 if year < 100 else 0
    return _fixed_date(ctx, year, *((a, b) if a <= 12 else (b, a)))


def _fixed_date(ctx: Ctx, year: int, month: int, day: int) -> Res | None:
    found = fixed_day(year, month, day)
    return None if found is None else ctx.days(found, found + timedelta(days=1), "day", False)


@_rule(
    rf"\b(?:the\s+)?(?:(?P<mod>early|mid|late)[\s-]+)?(?P<s>{_SEASON})\b"
    rf"(?:\s+(?:of\s+)?{_YEAR}\b{_OF_REL_YEAR}|(?!\s+of\b))"
)
def _season(m: re.Match[str], ctx: Ctx) -> Res | None:
    if m["y"] or m["ry"]:
        year = int(m["y"]) if m["y"] else ctx.today.year + _REL_YEAR[m["ry"].lower()]
        first, end = season_days(m["s"], year)
    elif m["mod"] or ctx.cue_before(m.start(), m.end()):
        rel = "upcoming" if ctx.future(m.start()) else "recent"
        first, end = pick_season(ctx, m["s"], rel)
    else:
        return None  # "summer camp", "I fall"
    first, end, narrowed = narrow_to_third(first, end, m["mod"])
    return ctx.days(first, end, "month" if narrowed else "season", relative=not m["y"])


@_rule(rf"\b(?:(?P<rel>last|this|next)\s+)?(?P<h>{_HOLIDAY})\b")
def _holiday(m: re.Match[str], ctx: Ctx) -> Res | None:
    key = re.sub(r"['’]", "", " ".join(m["h"].lower().split()))
    month, day = next(v for k, v in _HOLIDAYS.items() if k.replace("'", "") == key)
    rel = (m["rel"] or "").lower()
    if rel == "this":
        found = fixed_day(ctx.today.year, month, day)
    elif rel:
        found = nearest_date(ctx, month, day, rel == "next", strict=True)
    else:
        found = nearest_date(ctx, month, day, ctx.future(m.start()))
    return None if found is None else ctx.days(found, found + timedelta(days=1), "day")


@_rule(r"\b(?P<el>earlier|later)\s+(?:this\s+(?P<unit>week|month|year)|(?P<today>today))\b")
def _earlier_later(m: re.Match[str], ctx: Ctx) -> Res | None:
    first, end = unit_window(ctx, (m["unit"] or "day").lower(), 0)
    if m["el"].lower() == "earlier":
        return Res(first, ctx.now, "range", direction="past") if first < ctx.now else None
    return Res(ctx.now, end, "range", direction="future")


@_rule(r"\b(?:on|over|at|during|for)\s+the\s+weekend\b(?!\s+of\b)")
def _the_weekend(m: re.Match[str], ctx: Ctx) -> Res | None:
    weekday = ctx.today.weekday()
    # future: this week's (on a Sunday, the next one); past: the one under way, else the last
    k = int(weekday == 6) if ctx.future(m.start()) else (0 if weekday >= 5 else -1)
    return _calendar_unit(ctx, "weekend", k)
