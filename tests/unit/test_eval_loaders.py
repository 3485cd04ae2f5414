"""Loader rules (docs/evaluation.md): dates, evidence normalisation, question exclusion, and the
stratified sampler."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from memsvc.evals.loaders import (
    Question,
    Turn,
    _locomo,
    _longmemeval,
    locomo_turn_text,
    normalise_evidence,
    parse_lme_date,
    parse_locomo_date,
)
from memsvc.evals.sampling import stratified_sample


def test_longmemeval_dates_ignore_the_weekday() -> None:
    assert parse_lme_date("2023/05/28 (Sun) 19:47") == datetime(2023, 5, 28, 19, 47, tzinfo=UTC)
    assert parse_lme_date("2023/05/28") == datetime(2023, 5, 28, tzinfo=UTC)
    assert parse_lme_date(None) is None


def test_locomo_dates_parse_am_pm_and_month_names() -> None:
    assert parse_locomo_date("1:56 pm on 8 May, 2023") == datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert parse_locomo_date("12:09 am on 13 September, 2023") == datetime(
        2023, 9, 13, 0, 9, tzinfo=UTC
    )
    assert parse_locomo_date("garbage") is None


def test_evidence_is_split_zero_stripped_deduplicated_and_checked() -> None:
    known = {"D8:6", "D9:17", "D30:5"}
    assert normalise_evidence(["D8:6; D9:17"], known) == ["D8:6", "D9:17"]
    assert normalise_evidence(["D30:05", "D30:5"], known) == ["D30:5"]
    assert normalise_evidence(["D", "D99:1"], known) == []


def test_image_turn_appends_its_caption_and_speaker_leads_key_text() -> None:
    text = locomo_turn_text({"text": "Look!", "blip_caption": "a photo of a cat"})
    assert text.startswith("Look!") and "a photo of a cat" in text
    assert locomo_turn_text({"text": "Hi"}) == "Hi"
    assert Turn("D1:1", "user", "Hi", "Ann").key_text == "Ann: Hi"
    assert Turn("s:0", "user", "Hi").key_text == "Hi"


def _lme(qid: str, sessions: list[str]) -> dict[str, object]:
    return {
        "question_id": qid,
        "question_type": "multi-session",
        "question": "q?",
        "answer": 3,
        "question_date": "2023/05/28 (Sun) 19:47",
        "haystack_dates": ["2023/05/01 (Mon) 10:00"] * len(sessions),
        "haystack_session_ids": sessions,
        "haystack_sessions": [
            [
                {"role": "user", "content": "hello", "has_answer": sid == "a"},
                {"role": "assistant", "content": "  "},  # empty: not a turn, index kept
                {"role": "user", "content": "bye"},
            ]
            for sid in sessions
        ],
        "answer_session_ids": ["a"],
    }


def test_longmemeval_items_become_scopes_with_stable_turn_ids() -> None:
    data = _longmemeval([_lme("q1", ["x", "a", "x"]), _lme("q2_abs", ["a"])], Path("f.json"), "h")
    first = data.haystacks["q1"]
    assert [s.session_id for s in first.sessions] == ["x", "a"]  # a repeated session once
    assert [t.client_id for t in first.sessions[1].turns] == ["a:0", "a:2"]
    q1, q2 = data.questions
    assert (q1.gold_sessions, q1.gold_turns, q1.answer, q1.excluded) == (
        ("a",),
        ("a:0",),
        "3",
        None,
    )
    assert q2.excluded == "abstention"


def test_questions_with_the_same_haystack_share_one_scope_and_keep_their_own_labels() -> None:
    first, second, other = _lme("p1", ["x", "a"]), _lme("p2", ["x", "a"]), _lme("p3", ["x", "a"])
    for session in second["haystack_sessions"]:  # type: ignore[attr-defined]
        session[0]["has_answer"] = not session[0]["has_answer"]  # labels differ: same scope
    other["haystack_sessions"][0][2]["content"] = "ciao"  # type: ignore[index]  # text differs
    data = _longmemeval([first, second, other], Path("synth.json"), "h")
    assert set(data.haystacks) == {"p1", "p3"}
    q1, q2, q3 = data.questions
    assert (q1.scope_id, q2.scope_id, q3.scope_id) == ("p1", "p1", "p3")
    assert (q1.gold_turns, q2.gold_turns) == (("a:0",), ("x:0",))


def test_locomo_excludes_adversarial_and_empty_evidence_and_dates_questions() -> None:
    conv = {
        "speaker_a": "Ann",
        "speaker_b": "Ben",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [{"speaker": "Ann", "dia_id": "D1:1", "text": "hi"}],
        "session_2_date_time": "2:00 pm on 9 May, 2023",
        "session_2": [{"speaker": "Ben", "dia_id": "D2:1", "text": "yo"}],
    }
    qa = [
        {"question": "a", "answer": "x", "evidence": ["D2:01"], "category": 4},
        {"question": "b", "adversarial_answer": "y", "evidence": ["D1:1"], "category": 5},
        {"question": "c", "answer": "z", "evidence": ["D7:7"], "category": 1},
    ]
    data = _locomo([{"sample_id": "c1", "conversation": conv, "qa": qa}], Path("l.json"), "h")
    a, b, c = data.questions
    assert (a.gold_turns, a.gold_sessions, a.qtype) == (("D2:1",), ("session_2",), "single-hop")
    assert a.query_time == datetime(2023, 5, 9, 14, 0, tzinfo=UTC)  # after the last session
    assert (b.excluded, b.answer) == ("adversarial", "y")
    assert c.excluded == "no-evidence"
    assert data.notes["evidence_refs_dropped"] == 1


def _questions(counts: dict[str, int]) -> list[Question]:
    out = []
    for qtype, n in counts.items():
        for i in range(n):
            out.append(Question(f"{qtype}{i}", "s", qtype, "q", "a", None, (), ()))
    return out


def test_stratified_sample_is_proportional_seeded_and_keeps_small_types() -> None:
    questions = _questions({"big": 60, "mid": 30, "tiny": 2})
    sample = stratified_sample(questions, 20, seed=1)
    assert len(sample) == 20
    counts = Counter(q.qtype for q in sample)
    assert counts["tiny"] >= 1
    assert abs(counts["big"] - 2 * counts["mid"]) <= 2
    assert sample == stratified_sample(questions, 20, seed=1)
    assert sample != stratified_sample(questions, 20, seed=2)
    assert stratified_sample(questions, 500, seed=0) == questions
