"""The pure rules under the lifecycle jobs (no store): when two statements are one, how
duplicate groups form, the retention formula, what a summary keeps."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from memsvc.operations.lifecycle.forget import decide, retention
from memsvc.operations.lifecycle.similarity import (
    MergeRule,
    Statement,
    candidate_pairs,
    same_statement,
    star_groups,
)
from memsvc.operations.lifecycle.summarise import by_speaker, mentions, split_sentences

from memsvc.domain import Granularity, MemoryUnit, Scope, Status
from memsvc.settings import RetentionPolicy

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def fact(text: str, **attributes: str) -> MemoryUnit:
    return MemoryUnit("id", Scope("t", "u"), Granularity.FACT, text, attributes=attributes)


@pytest.mark.parametrize(
    ("a", "b", "cosine", "same"),
    [
        ("The user works at Google.", "the user works at google", 0.1, True),  # same text
        ("The user works at Google.", "The user works at Google now.", 0.93, True),
        ("The user works at Google.", "The user works at Google now.", 0.85, False),
        ("The user adores hiking.", "The user loves to hike.", 0.98, True),  # paraphrase
        ("The user has 2 dogs.", "The user has 3 dogs.", 0.99, False),  # numbers
        ("The user likes cats.", "The user does not like cats.", 0.99, False),  # negation
        ("The user likes cats.", "The user never liked cats.", 0.99, False),
    ],
)
def test_same_statement(a: str, b: str, cosine: float, same: bool) -> None:
    rule = MergeRule(similarity=0.9, overlap=0.5, similarity_alone=0.97)
    assert same_statement(Statement.of(fact(a)), Statement.of(fact(b)), cosine, rule) is same


def test_other_objects_of_one_predicate_are_never_the_same_statement() -> None:
    boston = fact(
        "The user lives in Boston.", subject="the user", predicate="lives_in", object="Boston"
    )
    denver = fact(
        "The user lives in Denver.", subject="the user", predicate="lives_in", object="Denver"
    )
    assert not same_statement(Statement.of(boston), Statement.of(denver), 0.999, MergeRule())


def test_groups_are_stars_around_the_earliest_not_chains() -> None:
    # 0~1, 1~2, 3~4, 0~4: 0 takes 1 and 4; 2 (like 1, not like 0) and 3 stay alone.
    assert star_groups(5, [(0, 1), (1, 2), (3, 4), (0, 4)]) == [[0, 1, 4]]
    assert star_groups(4, [(2, 3)]) == [[2, 3]]


def unit(importance: float = 0.5, hits: int = 0, **fields: object) -> MemoryUnit:
    return MemoryUnit(
        "id",
        Scope("t", "u"),
        Granularity.FACT,
        "x",
        importance=importance,
        access_count=hits,
        created_at=T0,
        **fields,  # type: ignore[arg-type]
    )


def test_retention_grows_with_importance_and_hits_and_restarts_at_the_last_hit() -> None:
    policy = RetentionPolicy(base_days=10, importance_gain=2.0, access_gain=1.0)
    later = T0 + timedelta(days=20)
    assert retention(unit(0.5), policy, later) == pytest.approx(math.exp(-20 / 20))
    assert retention(unit(1.0), policy, later) == pytest.approx(math.exp(-20 / 30))
    recalled = unit(0.5, hits=2, last_accessed_at=T0 + timedelta(days=15))
    assert retention(recalled, policy, later) == pytest.approx(math.exp(-5 / 60))
    stronger = unit(0.5, strength=3.0)
    assert retention(stronger, policy, later) == pytest.approx(math.exp(-20 / 60))
    occurred = RetentionPolicy(base_days=10, age_from="occurred")
    old = unit(0.0, occurred_at=T0 - timedelta(days=10))
    assert retention(old, occurred, T0) == pytest.approx(math.exp(-1))


def test_decisions_respect_pins_granularities_and_the_grace_period() -> None:
    policy = RetentionPolicy(base_days=1, archive_below=0.5, grace_days=30)
    now = T0 + timedelta(days=100)
    assert decide(unit(), policy, now).action == "archive"  # type: ignore[union-attr]
    assert decide(unit(pinned=True), policy, now) is None
    assert decide(unit(), policy.model_copy(update={"granularities": ["turn"]}), now) is None
    archived = unit(
        status=Status.ARCHIVED, attributes={"archived_at": (now - timedelta(days=29)).isoformat()}
    )
    assert decide(archived, policy, now) is None
    assert decide(archived, policy, now + timedelta(days=2)).action == "purge"  # type: ignore[union-attr]
    assert (
        decide(archived, policy.model_copy(update={"purge": False}), now + timedelta(days=2))
        is None
    )


def test_mentions_keep_names_and_dates_but_not_sentence_openers_or_speakers() -> None:
    text = (
        "Hey Mel! I went to Sweden last week with Anna's sister. Thanks, Caroline. It was May 2023."
    )
    assert mentions(text, frozenset({"Caroline"})) == {
        "Mel",
        "Sweden",
        "last week",
        "Anna",
        "May 2023",
    }
    assert split_sentences("Hi! I moved. Then (finally) we left.") == [
        "Hi!",
        "I moved.",
        "Then (finally) we left.",
    ]
    runs = by_speaker("Ann: I went. Bob: Great! Ann: ok", ["Ann", "Bob"])
    assert runs == [("Ann", "I went."), ("Bob", "Great!"), ("Ann", "ok")]


def test_candidate_pairs_come_from_the_stored_vectors() -> None:
    vectors = np.eye(3, dtype=np.float32)
    vectors[2] = vectors[0]
    assert candidate_pairs(vectors, 0.9) == [(0, 2, 1.0)]
