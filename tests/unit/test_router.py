"""Router decisions on hand-written queries, against a fixed query time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from memsvc.retrieval import router
from memsvc.retrieval.evidence import Evidence

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
PEAKED = [0.9, 0.3, 0.25, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]
FLAT = [0.42, 0.42, 0.41, 0.41, 0.41, 0.40, 0.40, 0.40, 0.40, 0.40]


def route(
    text: str, first_pass: list[float] = PEAKED, mode: str = "auto", priors: bool = False
) -> router.Plan:
    return router.plan(mode, router.features(text, NOW), first_pass, priors=priors)


def test_plain_question_runs_the_focused_route() -> None:
    plan = route("what is the name of my dog")
    assert plan.route.name == "focused"
    assert plan.window is None and not plan.diversify
    assert plan.route.weights["turn.dense"] > 0 and plan.route.weights["turn.lexical"] > 0
    assert plan.expand == ("fact",)


def test_temporal_expression_adds_a_time_window() -> None:
    plan = route("what did I cook last Saturday?")
    assert plan.window is not None
    assert plan.window.start == datetime(2024, 3, 9, tzinfo=UTC)
    assert plan.window.end == datetime(2024, 3, 10, tzinfo=UTC)
    assert plan.route.weights["time.dense"] > 0
    assert "time" in plan.route.name
    assert any("last Saturday" in r for r in plan.route.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "How many books did I read?",
        "What is the total I spent on gifts?",
        "list all the concerts I went to",
    ],
)
def test_aggregation_diversifies_over_sessions_when_priors_are_on(text: str) -> None:
    plan = route(text, priors=True)
    assert plan.diversify and plan.route.features["aggregation"]
    assert plan.route.weights.get("topic", 0) > 0
    assert router.read_together("auto", router.features(text, NOW), priors=True)[2:]


def test_aggregation_priors_are_off_by_default() -> None:
    text = "How many books did I read?"
    plan = route(text)
    assert plan.route.features["aggregation"] and not plan.diversify
    assert "session" not in plan.route.weights and "topic" not in plan.route.weights
    assert any("priors are off" in r for r in plan.route.reasons)
    assert len(router.read_together("auto", router.features(text, NOW))) == 2  # turn, fact


def test_how_to_adds_procedures() -> None:
    plan = route("How do I deploy the web app again?")
    assert plan.route.weights["procedure"] > 0 and "howto" in plan.route.name


def test_preference_and_assistant_questions_are_recognised() -> None:
    assert route("Can you recommend a good book for my trip?").route.features["preference"]
    assert route("What was the hostel you recommended last time?").route.features["assistant"]
    assert not route("What was the hostel I stayed at?").route.features["assistant"]


def test_named_entities_are_listed_for_the_graph() -> None:
    feats = router.features("Where did Anna and Tom go after Lisbon?", NOW)
    assert {"Anna", "Tom", "Lisbon"} <= set(feats.entities)


def test_first_pass_entropy_sets_the_support_weight() -> None:
    peaked, flat = route("my dog", PEAKED), route("my dog", FLAT)
    assert (
        peaked.route.features["first_pass_entropy"]
        < 0.5
        < flat.route.features["first_pass_entropy"]
    )
    assert peaked.route.weights["support"] < flat.route.weights["support"]


def test_modes_turn_and_all_bypass_routing() -> None:
    assert set(route("anything", mode="turn").route.weights) == {"turn.dense", "turn.lexical"}
    everything = route("anything", mode="all")
    assert everything.route.weights == {**router.ALL_WEIGHTS}
    assert everything.expand == ("fact", "topic")


def test_exclude_removes_lists_and_switches() -> None:
    plan = route("How many books did I read last May?")
    router.exclude(plan, ("time", "fact", "diversify"))
    assert plan.route.weights["time.dense"] == 0 and plan.route.weights["time.lexical"] == 0
    assert plan.expand == () and not plan.diversify


def test_routed_search_fuses_the_turn_lists_by_score() -> None:
    seen = Evidence(agree=0.3, lexical_depth=1.0, lexical_peak=0.2, dense_peak=0.1)
    plan = router.plan("auto", router.features("what did I cook last Saturday?", NOW), PEAKED, seen)
    weights = plan.route.weights
    assert set(plan.scored) == {"turn.dense", "turn.lexical", "time.dense", "time.lexical"}
    assert (weights["turn.dense"], weights["turn.lexical"]) == (1.5, 1.0)
    assert weights["time.dense"] == 1.5 and weights["time.lexical"] == router.TIME_LEXICAL
    assert any("scores scaled" in r for r in plan.route.reasons)


def test_a_rule_asks_for_rank_fusion_with_its_lexical_weight() -> None:
    seen = Evidence(agree=0.3, lexical_depth=1.0, lexical_peak=0.2, dense_peak=0.1)
    plan = router.plan(
        "auto", router.features("my dog", NOW), PEAKED, seen, rule=router.LexicalRule(0.25, 0.5, 0)
    )
    assert plan.scored == () and plan.route.weights["turn.lexical"] == 0.25
    assert plan.route.weights["turn.dense"] == 1.0
