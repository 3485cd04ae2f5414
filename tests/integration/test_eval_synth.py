"""`memsvc eval synth` on tiny filler files written here: determinism, exact evidence labels,
computed answers (checked from the generated text, not from the generator's state), one scope
per persona in the loader and the runner."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from memsvc.evals.cli import eval_app
from memsvc.evals.loaders import load, parse_lme_date
from memsvc.evals.runner import RunConfig, run
from memsvc.evals.synth import SynthConfig, generate, write
from memsvc.evals.synth_events import EVENTS, WEEKDAYS
from typer.testing import CliRunner

from memsvc.settings import Settings

SECRET = "SECRET-EVIDENCE-OF-ANOTHER-QUESTION"
TOPICS = "gardening taxes guitars recipes printers hiking budgets poetry".split()


def _filler_session(i: int, turns: int = 12) -> list[dict[str, Any]]:
    topic = TOPICS[i % len(TOPICS)]
    return [
        {
            "role": "user" if j % 2 == 0 else "assistant",
            "content": f"Filler {i}.{j}: a message about {topic} {{with braces}}.",
        }
        for j in range(turns)
    ]


def _write_lme_filler(path: Path, sessions: int = 130) -> None:
    items = []
    for q in range(0, sessions, 10):
        ids = [f"s{i}" for i in range(q, min(q + 10, sessions))]
        items.append(
            {
                "question_id": f"filler{q}",
                "haystack_session_ids": [*ids, f"answer{q}"],
                "haystack_sessions": [
                    *[_filler_session(int(s[1:])) for s in ids],
                    [{"role": "user", "content": SECRET, "has_answer": True}],
                ],
            }
        )
    path.write_text(json.dumps(items))


def _write_locomo_filler(path: Path) -> None:
    conversation: dict[str, Any] = {"speaker_a": "Ann", "speaker_b": "Bo"}
    for n in range(1, 31):
        conversation[f"session_{n}"] = [
            {
                "speaker": "Ann" if j % 2 == 0 else "Bo",
                "dia_id": f"D{n}:{j + 1}",
                "text": f"hey {n}.{j}",
            }
            for j in range(8)
        ]
    path.write_text(json.dumps([{"sample_id": "c", "conversation": conversation, "qa": []}]))


@pytest.fixture(scope="module")
def filler(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("filler") / "lme.json"
    _write_lme_filler(path)
    return path


@pytest.fixture(scope="module")
def items(filler: Path) -> list[dict[str, Any]]:
    return generate(SynthConfig(seed=7, filler=filler, personas=2))


def _evidence(item: dict[str, Any]) -> list[tuple[datetime, str]]:
    """(session date, turn text) of every has_answer turn, in time order."""
    out = []
    for when, session in zip(item["haystack_dates"], item["haystack_sessions"], strict=True):
        day = parse_lme_date(when)
        assert day is not None
        out += [(day, t["content"]) for t in session if t["has_answer"]]
    return sorted(out, key=lambda x: x[0])


def _of(items: list[dict[str, Any]], qtype: str) -> list[dict[str, Any]]:
    return [i for i in items if i["question_type"] == qtype and "_abs" not in i["question_id"]]


def test_same_seed_and_filler_give_identical_bytes(filler: Path, tmp_path: Path) -> None:
    config = SynthConfig(seed=3, filler=filler, personas=1, sessions=20)
    write(generate(config), tmp_path / "a.json.gz")
    write(generate(config), tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    assert json.loads(gzip.decompress((tmp_path / "a.json.gz").read_bytes()))


def test_another_seed_gives_another_set(filler: Path) -> None:
    one = generate(SynthConfig(seed=1, filler=filler, personas=1, sessions=20))
    two = generate(SynthConfig(seed=2, filler=filler, personas=1, sessions=20))
    assert [i["question"] for i in one] != [i["question"] for i in two]
    assert one[0]["haystack_session_ids"] != two[0]["haystack_session_ids"]


def test_items_have_the_longmemeval_schema_and_opaque_unique_ids(
    items: list[dict[str, Any]],
) -> None:
    keys = ["question_id", "question_type", "question", "answer", "question_date"]
    keys += ["haystack_dates", "haystack_session_ids", "haystack_sessions", "answer_session_ids"]
    types = {i["question_type"] for i in items}
    assert types == {
        "single-session-user",
        "single-session-assistant",
        "single-session-preference",
        "multi-session",
        "temporal-reasoning",
        "knowledge-update",
    }
    assert all(list(i) == keys for i in items)
    assert len({i["question_id"] for i in items}) == len(items)
    assert sum(i["question_id"].endswith("_abs") for i in items) == 4  # two per persona
    for item in items:
        assert re.fullmatch(r"[0-9a-f]{8}(_abs)?", item["question_id"])
        assert all(re.fullmatch(r"[0-9a-f]{10}", s) for s in item["haystack_session_ids"])
        assert re.fullmatch(r"\d{4}/\d\d/\d\d \([A-Z][a-z]{2}\) \d\d:\d\d", item["question_date"])
        assert item["question_date"] > max(item["haystack_dates"])
        assert item["haystack_dates"] == sorted(item["haystack_dates"])


def test_answer_sessions_are_exactly_the_sessions_with_evidence_turns(
    items: list[dict[str, Any]], filler: Path
) -> None:
    original = {
        t["content"]
        for i in json.loads(filler.read_text())
        for s in i["haystack_sessions"]
        for t in s
    }
    for item in items:
        labelled = [
            sid
            for sid, session in zip(item["haystack_session_ids"], item["haystack_sessions"])
            if any(t["has_answer"] for t in session)
        ]
        assert item["answer_session_ids"] == labelled
        assert labelled  # abstentions point at their near miss, like LongMemEval's
        # Evidence is woven into a real turn, or is an inserted answer: never bare filler.
        assert all(text not in original for _, text in _evidence(item))


def test_evidence_turns_hold_the_answer(items: list[dict[str, Any]]) -> None:
    for qtype in ("single-session-user", "single-session-assistant"):
        for item in _of(items, qtype):
            (turn,) = [text for _, text in _evidence(item)]
            assert item["answer"].lower() in turn.lower(), item["question"]
    for item in _of(items, "multi-session"):
        turns = [text for _, text in _evidence(item)]
        count = re.fullmatch(r"(\d+) \((.+)\)", item["answer"])
        if count:  # "how many": one evidence turn per thing, each thing in one of them
            assert int(count.group(1)) == len(turns)
            things = count.group(2).lower().split(", ")
            assert all(any(x in t.lower() for t in turns) for x in things)
        assert 2 <= len(turns) <= 4


def test_knowledge_update_answer_is_the_latest_value(items: list[dict[str, Any]]) -> None:
    for item in _of(items, "knowledge-update"):
        turns = [text for _, text in _evidence(item)]
        assert 2 <= len(turns) <= 3
        assert item["answer"] in turns[-1]
        assert all(item["answer"] not in t for t in turns[:-1]), item["question"]


_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_MONTHS = "January February March April May June July August September October November December"
_WHEN = (
    r"earlier today|today|this morning|yesterday afternoon|yesterday|(?:two|three|four|five|six)"
    rf" days ago|(?:on|this past) (?:{'|'.join(WEEKDAYS)})|(?:exactly )?a week ago"
    rf"|on (?:{_MONTHS.replace(' ', '|')}) \d{{1,2}}"
)


def _day(when: str, session: date) -> date:
    """The day a user's relative date names, read as a human would."""
    w = when.lower()
    if w in ("today", "earlier today", "this morning"):
        return session
    if w.startswith("yesterday"):
        return session - timedelta(days=1)
    if w.endswith("days ago"):
        return session - timedelta(days=_NUMBERS[w.split()[0]])
    if w.endswith("a week ago"):
        return session - timedelta(days=7)
    if w.split()[-1].capitalize() in WEEKDAYS:
        back = (session.weekday() - WEEKDAYS.index(w.split()[-1].capitalize())) % 7
        assert 2 <= back <= 6  # never ambiguous with "yesterday" or last week
        return session - timedelta(days=back)
    month, number = when.split()[1], int(when.split()[2])
    named = date(session.year, _MONTHS.split().index(month) + 1, number)
    return named if named <= session else named.replace(year=session.year - 1)


def _events(item: dict[str, Any]) -> dict[tuple[str, ...], date]:
    """The names and the day of each event told in the question's evidence."""
    found = {}
    for when, text in _evidence(item):
        for event in EVENTS:
            for said in event.said:
                for pattern in (
                    rf"I (?:finally )?{re.escape(said)} (?P<when>{_WHEN})",
                    rf"(?P<when>{_WHEN}), I {re.escape(said)}",
                ):
                    match = re.search(pattern, text, re.IGNORECASE)
                    if match:
                        found[event.noun] = _day(match.group("when"), when.date())
    return found


def test_temporal_answers_follow_from_the_dates_told(items: list[dict[str, Any]]) -> None:
    questions = _of(items, "temporal-reasoning")
    assert len(questions) == 12
    for item in questions:
        events = _events(item)
        assert len(events) == len(_evidence(item)), item["question"]
        days = sorted(events.values())
        first = min(events, key=events.__getitem__)
        answer = item["answer"]
        if answer.endswith(" days"):
            asked = parse_lme_date(item["question_date"])
            assert asked is not None
            n = (days[-1] - days[0]).days if len(days) == 2 else (asked.date() - days[0]).days
            assert answer == f"{n} days", item["question"]
        elif answer in WEEKDAYS:
            assert answer == WEEKDAYS[days[0].weekday()]
        elif ", then " in answer:  # the events, named as the question names them
            names = answer.split(", then ")
            assert all(n in item["question"] for n in names)
            assert [next(e for e in events if n in e) for n in names] == sorted(
                events, key=events.__getitem__
            )
        else:  # which came first / what happened N days before
            assert answer in first
            gap = re.search(r"(\d+) days before", item["question"])
            assert not gap or int(gap.group(1)) == (days[-1] - days[0]).days


def test_filler_sessions_with_evidence_labels_are_never_used(items: list[dict[str, Any]]) -> None:
    assert SECRET not in json.dumps(items)


def test_loader_reads_the_set_with_one_scope_per_persona(
    items: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "set.json.gz"
    write(items, path)
    data = load(path, "longmemeval")
    assert len(data.haystacks) == 2
    assert len(data.questions) == len(items)
    assert {q.scope_id for q in data.questions} == set(data.haystacks)
    for question, item in zip(data.questions, items, strict=True):
        assert question.gold_sessions == tuple(item["answer_session_ids"])
        assert question.gold_turns  # each question keeps its own labels in the shared scope
        assert question.excluded == ("abstention" if "_abs" in item["question_id"] else None)


def test_chat_style_maps_locomo_speakers_onto_user_and_assistant(tmp_path: Path) -> None:
    path = tmp_path / "locomo.json"
    _write_locomo_filler(path)
    items = generate(SynthConfig(seed=5, filler=path, personas=1, sessions=20))
    turns = [t for s in items[0]["haystack_sessions"] for t in s]
    assert {t["role"] for t in turns} == {"user", "assistant"}
    assert any(t["content"].startswith("hey ") and t["role"] == "user" for t in turns)
    asked = _of(items, "single-session-assistant")
    assert asked and all(
        len(text) < 200 for i in asked for _, text in _evidence(i)
    )  # a friend's reply


def test_cli_writes_a_gzip_set(filler: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.json.gz"
    args = ["synth", "--seed", "9", "--out", str(out), "--filler", str(filler)]
    result = CliRunner().invoke(eval_app, [*args, "--personas", "1", "--sessions", "20"])
    assert result.exit_code == 0, result.output
    assert "written to" in result.output
    assert len(json.loads(gzip.decompress(out.read_bytes()))) == 31
    for extra, message in (
        (["--style", "essay"], "style must be one of"),
        (["--sessions", "5"], "must be at least 12"),
    ):
        bad = CliRunner().invoke(eval_app, [*args, *extra])
        assert bad.exit_code != 0 and message in bad.output
    missing = ["synth", "--out", str(out), "--filler", str(tmp_path / "nope.json")]
    bad = CliRunner().invoke(eval_app, missing)
    assert bad.exit_code != 0 and "no such file" in bad.output


def test_the_runner_ingests_each_persona_once(filler: Path, tmp_path: Path) -> None:
    path = tmp_path / "small.json"
    write(generate(SynthConfig(seed=11, filler=filler, personas=2, sessions=14)), path)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "home",
        embedder={"model": "hash-64"},
    )
    result = run(
        RunConfig(
            kind="longmemeval",
            data=path,
            cache_dir=tmp_path / "cache",
            progress=False,
            qa=False,
            settings=settings,
        )
    )
    assert result.counts["scopes"] == 2
    assert result.ingest.scopes_ingested == 2
    assert result.counts["questions"] == 62
    assert result.summaries["bm25"].overall
