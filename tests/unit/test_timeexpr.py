"""Time expressions against fixed reference times (conventions: memsvc/domain/timeexpr.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from memsvc.domain.queries import TimeWindow
from memsvc.domain.timeexpr import TimeMention, describe, find_time_mentions, query_window

WED = datetime(2023, 5, 10, 15, 0, tzinfo=UTC)  # Wednesday 10 May 2023, mid-afternoon
SUN = datetime(2023, 5, 14, 9, 0, tzinfo=UTC)  # Sunday, the last day of that Monday week
MON = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)  # Monday 15 January 2024
NYE = datetime(2023, 12, 31, 12, 0, tzinfo=UTC)  # Sunday 31 December 2023
LEAP = datetime(2024, 2, 29, 8, 0, tzinfo=UTC)  # Thursday, a leap day
MAR1 = datetime(2023, 3, 1, 8, 0, tzinfo=UTC)  # Wednesday, the day after 28 February 2023


def _at(value: str) -> datetime:
    """'2023-05-06' or '2023-05-06 18:00' as an aware UTC datetime."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _one(text: str, now: datetime) -> TimeMention:
    mentions = find_time_mentions(text, now)
    assert len(mentions) == 1, mentions
    return mentions[0]


WINDOWS = [
    # (now, text, start, end, granularity)
    (WED, "today", "2023-05-10", "2023-05-11", "day"),
    (WED, "yesterday", "2023-05-09", "2023-05-10", "day"),
    (WED, "the day before yesterday", "2023-05-08", "2023-05-09", "day"),
    (WED, "tomorrow", "2023-05-11", "2023-05-12", "day"),
    (WED, "the day after tomorrow", "2023-05-12", "2023-05-13", "day"),
    (WED, "this morning", "2023-05-10 05:00", "2023-05-10 12:00", "part_of_day"),
    (WED, "this afternoon", "2023-05-10 12:00", "2023-05-10 17:00", "part_of_day"),
    (WED, "this evening", "2023-05-10 17:00", "2023-05-11", "part_of_day"),
    (WED, "tonight", "2023-05-10 18:00", "2023-05-11 06:00", "part_of_day"),
    (WED, "last night", "2023-05-09 18:00", "2023-05-10 06:00", "part_of_day"),
    (WED, "yesterday morning", "2023-05-09 05:00", "2023-05-09 12:00", "part_of_day"),
    (WED, "3 days ago", "2023-05-07", "2023-05-08", "day"),
    (WED, "three days ago", "2023-05-07", "2023-05-08", "day"),
    (WED, "a day ago", "2023-05-09", "2023-05-10", "day"),
    (WED, "two weeks ago", "2023-04-24", "2023-05-01", "week"),
    (WED, "a week earlier", "2023-05-01", "2023-05-08", "week"),
    (WED, "two weeks from now", "2023-05-22", "2023-05-29", "week"),
    (WED, "six months ago", "2022-11-01", "2022-12-01", "month"),
    (WED, "twelve years ago", "2011-01-01", "2012-01-01", "year"),
    (WED, "an hour ago", "2023-05-10 14:00", "2023-05-10 15:00", "hour"),
    (MON, "a month ago", "2023-12-01", "2024-01-01", "month"),
    (MON, "a couple of days ago", "2024-01-12", "2024-01-14", "range"),
    (MON, "a few days ago", "2024-01-11", "2024-01-14", "range"),
    (MON, "several weeks ago", "2023-11-27", "2024-01-01", "range"),
    (WED, "last week", "2023-05-01", "2023-05-08", "week"),
    (WED, "this week", "2023-05-08", "2023-05-15", "week"),
    (WED, "next week", "2023-05-15", "2023-05-22", "week"),
    (NYE, "next week", "2024-01-01", "2024-01-08", "week"),
    (MON, "last week", "2024-01-08", "2024-01-15", "week"),
    (WED, "the week before last", "2023-04-24", "2023-05-01", "week"),
    (WED, "the weekend before last", "2023-04-29", "2023-05-01", "weekend"),
    (WED, "the first week of March", "2023-03-01", "2023-03-08", "range"),
    (WED, "the last week of February 2024", "2024-02-23", "2024-03-01", "range"),
    (WED, "last weekend", "2023-05-06", "2023-05-08", "weekend"),
    (WED, "this weekend", "2023-05-13", "2023-05-15", "weekend"),
    (WED, "next weekend", "2023-05-20", "2023-05-22", "weekend"),
    (WED, "over the weekend", "2023-05-06", "2023-05-08", "weekend"),
    (SUN, "over the weekend", "2023-05-13", "2023-05-15", "weekend"),
    (MON, "last month", "2023-12-01", "2024-01-01", "month"),
    (MON, "this month", "2024-01-01", "2024-02-01", "month"),
    (NYE, "next month", "2024-01-01", "2024-02-01", "month"),
    (MON, "last year", "2023-01-01", "2024-01-01", "year"),
    (MON, "next year", "2025-01-01", "2026-01-01", "year"),
    (WED, "the past 3 days", "2023-05-07", "2023-05-11", "range"),
    (WED, "the last two weeks", "2023-04-26", "2023-05-11", "range"),
    (WED, "the past week", "2023-05-03", "2023-05-11", "range"),
    (MON, "the past month", "2023-12-15", "2024-01-16", "range"),
    (LEAP, "the past year", "2023-02-28", "2024-03-01", "range"),
    (WED, "the past few weeks", "2023-04-12", "2023-05-11", "range"),
    (WED, "the next 2 days", "2023-05-10", "2023-05-13", "range"),
    (WED, "earlier this month", "2023-05-01", "2023-05-10 15:00", "range"),
    (WED, "later this week", "2023-05-10 15:00", "2023-05-15", "range"),
    (WED, "in March", "2023-03-01", "2023-04-01", "month"),
    (WED, "in May", "2023-05-01", "2023-06-01", "month"),
    (WED, "in June", "2022-06-01", "2022-07-01", "month"),
    (MON, "in December", "2023-12-01", "2024-01-01", "month"),
    (WED, "March 2023", "2023-03-01", "2023-04-01", "month"),
    (WED, "May, 2021", "2021-05-01", "2021-06-01", "month"),
    (WED, "2022-11", "2022-11-01", "2022-12-01", "month"),
    (WED, "last May", "2022-05-01", "2022-06-01", "month"),
    (WED, "last March", "2023-03-01", "2023-04-01", "month"),
    (WED, "next March", "2024-03-01", "2024-04-01", "month"),
    (WED, "this June", "2023-06-01", "2023-07-01", "month"),
    (WED, "8 May 2023", "2023-05-08", "2023-05-09", "day"),
    (WED, "May 8, 2023", "2023-05-08", "2023-05-09", "day"),
    (WED, "May 8th", "2023-05-08", "2023-05-09", "day"),
    (WED, "the 8th of May", "2023-05-08", "2023-05-09", "day"),
    (WED, "Sept. 5, 2022", "2022-09-05", "2022-09-06", "day"),
    (WED, "June 20", "2022-06-20", "2022-06-21", "day"),
    (WED, "Tuesday, May 9, 2023", "2023-05-09", "2023-05-10", "day"),
    (WED, "2023-05-08", "2023-05-08", "2023-05-09", "day"),
    (WED, "2023/05/08", "2023-05-08", "2023-05-09", "day"),
    (WED, "5/8/2023", "2023-05-08", "2023-05-09", "day"),
    (WED, "25/12/2022", "2022-12-25", "2022-12-26", "day"),
    (MAR1, "Feb 29", "2020-02-29", "2020-03-01", "day"),
    (LEAP, "in 2022", "2022-01-01", "2023-01-01", "year"),
    (LEAP, "the year 2019", "2019-01-01", "2020-01-01", "year"),
    (WED, "in the 1990s", "1990-01-01", "2000-01-01", "decade"),
    (WED, "early May", "2023-05-01", "2023-05-11", "part_of_month"),
    (WED, "mid-April", "2023-04-11", "2023-04-21", "part_of_month"),
    (WED, "late February", "2023-02-21", "2023-03-01", "part_of_month"),
    (LEAP, "late February", "2024-02-21", "2024-03-01", "part_of_month"),
    (WED, "at the end of March", "2023-03-21", "2023-04-01", "part_of_month"),
    (WED, "early 2022", "2022-01-01", "2022-05-01", "part_of_year"),
    (WED, "early last year", "2022-01-01", "2022-05-01", "part_of_year"),
    (WED, "the end of the month", "2023-05-21", "2023-06-01", "part_of_month"),
    (MON, "late last month", "2023-12-21", "2024-01-01", "part_of_month"),
    (MON, "the 15th of last month", "2023-12-15", "2023-12-16", "day"),
    (WED, "mid-2022", "2022-05-01", "2022-09-01", "part_of_year"),
    (WED, "last summer", "2022-06-01", "2022-09-01", "season"),
    (MON, "last summer", "2023-06-01", "2023-09-01", "season"),
    (WED, "next winter", "2023-12-01", "2024-03-01", "season"),
    (MON, "this winter", "2023-12-01", "2024-03-01", "season"),
    (MON, "this summer", "2024-06-01", "2024-09-01", "season"),
    (datetime(2023, 10, 5, tzinfo=UTC), "this winter", "2023-12-01", "2024-03-01", "season"),
    (datetime(2024, 3, 20, tzinfo=UTC), "this winter", "2023-12-01", "2024-03-01", "season"),
    (WED, "this past week", "2023-05-01", "2023-05-08", "week"),
    (SUN, "coming weekend", "2023-05-20", "2023-05-22", "weekend"),
    (SUN, "this coming weekend", "2023-05-20", "2023-05-22", "weekend"),
    (WED, "in the spring", "2023-03-01", "2023-06-01", "season"),
    (WED, "during the autumn", "2022-09-01", "2022-12-01", "season"),
    (WED, "fall 2021", "2021-09-01", "2021-12-01", "season"),
    (WED, "the summer of 2019", "2019-06-01", "2019-09-01", "season"),
    (WED, "winter 2022", "2022-12-01", "2023-03-01", "season"),
    (WED, "early summer 2020", "2020-06-01", "2020-07-01", "month"),
    (MON, "last Christmas", "2023-12-25", "2023-12-26", "day"),
    (datetime(2023, 12, 25, tzinfo=UTC), "last Christmas", "2022-12-25", "2022-12-26", "day"),
    (datetime(2023, 12, 25, tzinfo=UTC), "next Christmas", "2024-12-25", "2024-12-26", "day"),
    (WED, "next Aug 13th", "2023-08-13", "2023-08-14", "day"),
    (WED, "last March 3rd", "2023-03-03", "2023-03-04", "day"),
    (WED, "in October of last year", "2022-10-01", "2022-11-01", "month"),
    (WED, "the summer of next year", "2024-06-01", "2024-09-01", "season"),
    (WED, "on New Year's Eve", "2022-12-31", "2023-01-01", "day"),
]


@pytest.mark.parametrize(("now", "text", "start", "end", "granularity"), WINDOWS)
def test_expression_resolves_to_window(
    now: datetime, text: str, start: str, end: str, granularity: str
) -> None:
    mention = _one(text, now)
    assert (mention.start, mention.end) == (_at(start), _at(end))
    assert mention.granularity == granularity
    assert mention.text == text


WEEKDAYS = [
    # Weeks start on Monday. WED = Wednesday 10 May 2023, SUN = Sunday 14 May 2023.
    (WED, "last Saturday", "2023-05-06"),  # the previous week's Saturday
    (WED, "last Monday", "2023-05-01"),  # the previous week's, not this week's (8 May)
    (WED, "this Monday", "2023-05-08"),  # the current week's, already past
    (WED, "this Saturday", "2023-05-13"),
    (WED, "next Saturday", "2023-05-20"),  # the following week's, not the coming one
    (WED, "next Thursday", "2023-05-18"),
    (WED, "this past Monday", "2023-05-08"),  # the most recent before today
    (WED, "this coming Saturday", "2023-05-13"),  # the first after today
    (WED, "coming Wednesday", "2023-05-17"),  # today excluded
    (SUN, "last Saturday", "2023-05-06"),  # 8 days back: yesterday is this week's
    (SUN, "this Saturday", "2023-05-13"),
    (SUN, "this past Saturday", "2023-05-13"),
    (SUN, "next Saturday", "2023-05-20"),
    (SUN, "this Sunday", "2023-05-14"),
    (MON, "last Sunday", "2024-01-14"),  # the previous week ended yesterday
    (NYE, "next Monday", "2024-01-01"),  # across the year boundary
    (WED, "on Saturday", "2023-05-06"),  # bare: the most recent before today
    (WED, "Wednesday", "2023-05-03"),  # bare: today excluded
    (WED, "I'm going to the dentist on Friday", "2023-05-12"),  # future-marked
    (WED, "we'll meet Wednesday", "2023-05-17"),
]


@pytest.mark.parametrize(("now", "text", "day"), WEEKDAYS)
def test_weekday_conventions(now: datetime, text: str, day: str) -> None:
    mention = _one(text, now)
    assert (mention.start, mention.end) == (_at(day), _at(day) + timedelta(days=1))
    assert mention.granularity == "day"


def test_weekday_with_part_of_day() -> None:
    mention = _one("last Friday night", WED)
    assert (mention.start, mention.end) == (_at("2023-05-05 18:00"), _at("2023-05-06 06:00"))
    assert mention.granularity == "part_of_day"


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("I went to Rome in June", "2022-06-01"),  # June has not begun: last year's
        ("I will go to Rome in June", "2023-06-01"),
        ("We are going to visit in March", "2024-03-01"),
        ("I moved there on June 20", "2022-06-20"),
        ("my exam will be on June 20", "2023-06-20"),
        ("I'll be at the beach in the summer", "2023-06-01"),
        ("I was at the beach in the summer", "2022-06-01"),
        ("we plan to travel over the weekend", "2023-05-13"),
        ("I'm planning a trip for the first week of June", "2023-06-01"),
    ],
)
def test_future_marked_sentence_resolves_forward(text: str, start: str) -> None:
    assert _one(text, WED).start == _at(start)


def test_tense_cue_stays_in_its_sentence() -> None:
    mentions = find_time_mentions("I will call you. I saw her on Friday.", WED)
    assert [m.start for m in mentions] == [_at("2023-05-05")]


def test_later_counts_from_now_only_when_future_marked() -> None:
    assert find_time_mentions("A month later, she called me", WED) == []
    assert _one("I will be back 2 days later", WED).start == _at("2023-05-12")


def test_in_n_units_is_a_date_only_when_future_marked() -> None:
    assert find_time_mentions("I read the whole series in two weeks", WED) == []
    assert _one("I will be back in two weeks", WED).start == _at("2023-05-22")
    assert _one("the parcel arrives in 3 days' time", WED).start == _at("2023-05-13")
    assert _one("in a week's time", WED).granularity == "week"


@pytest.mark.parametrize(
    ("text", "expected", "direction"),
    [
        ("yesterday", "yesterday", "past"),
        ("today", "today", "present"),
        ("this week", "this week", "present"),
        ("next month", "next month", "future"),
        ("this morning", "this morning", "past"),  # WED is mid-afternoon
        ("tonight", "tonight", "future"),
        ("earlier today", "earlier today", "past"),
        ("later today", "later today", "future"),
        ("since last March", "since last March", "after"),
        ("before 8 May 2023", "before 8 May 2023", "before"),
        ("until next Friday", "until next Friday", "before"),
    ],
)
def test_direction_relative_to_now(text: str, expected: str, direction: str) -> None:
    mention = _one(text, WED)
    assert (mention.text, mention.direction) == (expected, direction)


@pytest.mark.parametrize(
    ("text", "relative"),
    [
        ("yesterday", True),
        ("in March", True),
        ("May 8", True),  # the year comes from now
        ("8 May 2023", False),
        ("2023-05-08", False),
        ("in 2021", False),
        ("summer 2021", False),
        ("the 1990s", False),
    ],
)
def test_relative_flag(text: str, relative: bool) -> None:
    assert _one(text, WED).relative is relative


def test_spans_point_into_the_text_in_order() -> None:
    text = "I adopted Rex last Saturday and took him to the vet two days ago."
    mentions = find_time_mentions(text, WED)
    assert [m.text for m in mentions] == ["last Saturday", "two days ago"]
    for mention in mentions:
        assert text[mention.span[0] : mention.span[1]] == mention.text
    assert mentions[0].span == (14, 27)


def test_longest_match_wins_and_mentions_do_not_overlap() -> None:
    text = "the day before yesterday, on the 8th of May 2023 and last week"
    mentions = find_time_mentions(text, WED)
    assert [m.text for m in mentions] == [
        "the day before yesterday",
        "on the 8th of May 2023",
        "last week",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I went hiking on Saturday", "on Saturday"),
        ("we met in March", "in March"),
        ("she left during the summer", "during the summer"),
        ("I've been ill for the past week", "for the past week"),
        ("it rained at the end of April", "at the end of April"),
        ("I bought it for tomorrow", "tomorrow"),  # "for" only before a range
    ],
)
def test_preposition_in_front_is_taken_in(text: str, expected: str) -> None:
    assert _one(text, WED).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "may I ask you something?",
        "May I ask you something?",
        "it may rain",
        "this may take a while",
        "March on, soldiers",
        "we will march on the capital",
        "I will sue them",
        "I'd like a second opinion",
        "I fall asleep easily",
        "the summer camp was fun",
        "the spring in my step",
        "the fall of the empire",
        "I had lunch with Jan",
        "June's cat is called Tom",
        "I paid 2000 dollars",
        "I ran in 2000 meters of snow",
        "room 2023 is on the left",
        "I go swimming on Mondays",
        "every Monday I go swimming",
        "the last day of school",
        "the last time I went there",
        "I recently started running",
        "lately I've been tired",
        "years ago I lived there",
        "how many days ago did I buy it",
        "the shop next to the station",
        "we sat down and watched the sun set",
        "may 5 people come?",
        "February 30, 2023",
        "13/13/2023",
        "before I moved",
        "in October of the same year",
        "certifi 2023.5.7 is installed",
        "it was 5:30",
        "at the end of the day it worked",
    ],
)
def test_non_time_phrases_give_nothing(text: str) -> None:
    assert find_time_mentions(text, WED) == []


def test_month_abbreviation_needs_a_cue() -> None:
    # "Jan" alone is a name; after a preposition it is read as January (documented).
    assert _one("since Jan", MON).start == _at("2024-01-01")
    assert _one("Jan 5", MON).start == _at("2024-01-05")


def test_naive_now_is_utc_and_aware_now_keeps_its_zone() -> None:
    naive = _one("yesterday", datetime(2023, 5, 10, 15, 0))
    assert naive.start == _at("2023-05-09") and naive.start.tzinfo is UTC
    eastern = timezone(timedelta(hours=-5))
    aware = _one("yesterday", datetime(2023, 5, 10, 1, 0, tzinfo=eastern))
    assert aware.start == datetime(2023, 5, 9, tzinfo=eastern)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("between May 1 and May 5, 2023", "2023-05-01", "2023-05-06"),
        ("from March to April", "2023-03-01", "2023-05-01"),
        ("from 2019 until 2021", "2019-01-01", "2022-01-01"),
        ("between Christmas and New Year's Eve", "2022-12-25", "2023-01-01"),
    ],
)
def test_ranges_join_into_one_mention(text: str, start: str, end: str) -> None:
    mention = _one(text, WED)
    assert (mention.start, mention.end, mention.granularity) == (_at(start), _at(end), "range")


def test_range_rolls_its_end_into_the_next_year() -> None:
    mention = _one("from December to February", MON.replace(month=1, day=5))
    assert (mention.start, mention.end) == (_at("2023-12-01"), _at("2024-03-01"))


def test_query_window_is_none_without_time_expression() -> None:
    assert query_window("what is my dog's name?", WED) is None
    assert query_window("may I ask what my favourite colour is?", WED) is None


def test_query_window_of_one_mention() -> None:
    window = query_window("What did I cook last Saturday?", WED)
    assert window == TimeWindow(_at("2023-05-06"), _at("2023-05-07"), "last Saturday")


def test_query_window_is_the_hull_of_mentions() -> None:
    window = query_window("Did I run more in March or in April?", WED)
    assert window == TimeWindow(_at("2023-03-01"), _at("2023-05-01"), "in March; in April")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("what did I buy before May 2023?", None, "2023-05-01"),
        ("what did I buy until May 2023?", None, "2023-06-01"),
        ("what did I buy by next Friday?", None, "2023-05-20"),
        ("what did I buy after March?", "2023-04-01", None),
        ("what have I read since March?", "2023-03-01", None),
        ("what have I read since yesterday?", "2023-05-09", None),
        ("anything after 2020 and before June 2021?", "2021-01-01", "2021-06-01"),
        ("since last month, what did I do on the 3rd of May?", "2023-05-03", "2023-05-04"),
        ("what did I buy after yesterday's party?", "2023-05-09", None),
        ("what did I buy before last week's trip?", None, "2023-05-08"),
    ],
)
def test_query_window_open_ends(text: str, start: str | None, end: str | None) -> None:
    window = query_window(text, WED)
    assert window is not None
    assert window.start == (_at(start) if start else None)
    assert window.end == (_at(end) if end else None)


def test_query_window_is_none_when_bounds_contradict() -> None:
    assert query_window("what did I do before 2020 and after 2021?", WED) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yesterday", "on 9 May 2023"),
        ("on Saturday", "on 6 May 2023"),
        ("last week", "in the week of 1 May 2023"),
        ("two weeks ago", "in the week of 24 April 2023"),
        ("last weekend", "on the weekend of 6 May 2023"),
        ("last month", "in April 2023"),
        ("in March", "in March 2023"),
        ("early May", "in early May 2023"),
        ("mid-April", "in mid-April 2023"),
        ("last summer", "in summer 2022"),
        ("next winter", "in winter 2023/24"),
        ("last year", "in 2022"),
        ("late 2021", "in late 2021"),
        ("in the 1990s", "in the 1990s"),
        ("this morning", "on the morning of 10 May 2023"),
        ("last night", "on the night of 9 May 2023"),
        ("an hour ago", "at around 14:00 on 10 May 2023"),
        ("a few days ago", "between 6 and 8 May 2023"),
        ("for the past 3 days", "between 7 and 10 May 2023"),
        ("over the last month", "between 10 April and 10 May 2023"),
        ("from March to April", "between March and April 2023"),
        ("earlier today", "on 10 May 2023"),
        ("since last March", "since March 2023"),
        ("before yesterday", "before 9 May 2023"),
        ("until the 2nd of May", "until 2 May 2023"),
    ],
)
def test_describe_renders_absolute_time(text: str, expected: str) -> None:
    assert describe(_one(text, WED)) == expected


def test_describe_replaces_the_span_in_a_sentence() -> None:
    text = "I adopted a dog last Saturday and we walked in the park on Monday."
    out = text
    for mention in reversed(find_time_mentions(text, WED)):
        out = out[: mention.span[0]] + describe(mention) + out[mention.span[1] :]
    assert out == "I adopted a dog on 6 May 2023 and we walked in the park on 8 May 2023."


def test_earlier_today_at_midnight_falls_back_to_today() -> None:
    mention = _one("earlier today", datetime(2023, 5, 10, tzinfo=UTC))
    assert (mention.text, mention.granularity) == ("today", "day")


def test_random_word_salad_keeps_the_invariants() -> None:
    """Spans index the text, windows are non-empty, mentions are ordered and disjoint."""
    vocab = (
        "last this next coming past the a few several couple of two 3 days weeks months years "
        "ago later earlier from now in on since before after until by between and to may March "
        "June Jan summer fall winter weekend week month year today tonight yesterday tomorrow "
        "morning night Saturday Monday 2023 1999 2020s 5/8/2023 2024-02-29 2023-02-30 early mid "
        "late end start 8th 29 Feb christmas first second 15th will , . ?"
    ).split()
    rng = random.Random(20230510)
    for _ in range(500):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 12)))
        now = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 2000))
        mentions = find_time_mentions(text, now)
        for mention in mentions:
            assert text[mention.span[0] : mention.span[1]] == mention.text
            assert mention.start < mention.end
            assert describe(mention)
        for first, second in zip(mentions, mentions[1:]):
            assert first.span[1] <= second.span[0]
        window = query_window(text, now)
        if window is not None and window.start is not None and window.end is not None:
            assert window.start < window.end
