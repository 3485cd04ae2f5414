"""Verbatim first-person statements: keys for what a long message says in passing."""

from __future__ import annotations

from tests.unit.test_rules_extractor import extract, turn


def statements(*args: object, **kw: object) -> list[str]:
    result = extract(*args, **kw)  # type: ignore[arg-type]
    return [f.text for f in result.facts if f.kind == "statement"]


def test_a_passing_remark_in_a_long_message_becomes_a_statement() -> None:
    said = statements(
        turn(
            0,
            "Can you suggest some interior design websites? By the way, I'm "
            "also getting Architectural Digest every month, which I love.",
        )
    )
    assert said == ["By the way, I'm also getting Architectural Digest every month, which I love."]


def test_statements_carry_their_turn_and_no_slot() -> None:
    result = extract(
        turn(
            3,
            "I need ideas for dinner. My weekends have been all about Uber "
            "Eats lately, it's been a lifesaver.",
        )
    )
    [fact] = [f for f in result.facts if f.kind == "statement"]
    assert fact.source_turn_ids == ["turn-3"] and fact.predicate is None
    assert fact.rule == "statement" and fact.confidence >= 0.6


def test_named_speakers_are_prefixed() -> None:
    said = statements(
        turn(
            0,
            "Such a fun day. My family and I watched the fireworks from the hill near our house.",
            speaker="Ana",
        )
    )
    assert said == ["Ana: My family and I watched the fireworks from the hill near our house."]


def test_no_statement_from_single_sentences_questions_conditionals_or_the_assistant() -> None:
    assert statements(turn(0, "I have been reading a lot of science fiction lately.")) == []
    assert statements(turn(0, "Hello there. Do you think I should buy the blue jacket?")) == []
    assert statements(turn(0, "Thanks a lot. If I had more time I would learn the violin.")) == []
    assert (
        statements(
            turn(0, "Here are options. I recommend the second one for your trip.", role="assistant")
        )
        == []
    )
