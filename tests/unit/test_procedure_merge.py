"""Runs of one goal merged into one procedure: counts, paths ranked by the Wilson bounds of
their record, per-step variants, the summary a hit shows, and which runs belong together."""

from __future__ import annotations

from typing import Any

import pytest
from memsvc.operations import procedure_merge as pm
from memsvc.operations.extract.steps import instruction, tool_step
from memsvc.operations.extract.types import ProcedureCandidate
from memsvc.operations.procedure_writes import match

from memsvc.domain import Granularity, MemoryUnit, Scope
from memsvc.domain.reliability import Reliability, wilson_lower

STAGING = [
    tool_step("build_image", {"service": "web", "tag": "1.0.0"}),
    tool_step("push_image", {"image": "reg/web:1.0.0"}),
    tool_step("kubectl_apply", {"manifest": "web.yaml", "namespace": "staging"}),
]
NO_PUSH = [STAGING[0], STAGING[2]]


def run(
    first_turn: str,
    steps: list[Any],
    outcome: str | None,
    goal: str = "deploy the web app to staging",
    notes: list[str] | None = None,
) -> dict[str, Any]:
    candidate = ProcedureCandidate(
        goal,
        list(steps),
        outcome,
        [first_turn, first_turn + "-b"],
        0.9,
        notes=notes or [],  # type: ignore[arg-type]
    )
    return pm.from_candidate(candidate, None)


def merged(*runs: dict[str, Any]) -> dict[str, Any]:
    attrs = runs[0]
    for other in runs[1:]:
        attrs = pm.merge(attrs, other)
    return attrs


def unit(attrs: dict[str, Any]) -> MemoryUnit:
    return MemoryUnit(
        id="p1",
        scope=Scope("t", "u", None, None),
        granularity=Granularity.PROCEDURE,
        content=pm.render(attrs),
        attributes=attrs,
    )


def test_wilson_lower_bound_is_cautious_about_small_counts() -> None:
    assert wilson_lower(0, 0) == 0.0
    assert wilson_lower(1, 1) == pytest.approx(0.2065, abs=1e-3)
    assert wilson_lower(7, 8) == pytest.approx(0.5291, abs=1e-3)
    assert wilson_lower(70, 80) > wilson_lower(7, 8)  # same rate, more evidence


def test_net_reliability_is_neutral_untested_and_sinks_with_failures() -> None:
    assert Reliability().net == 0.0
    assert Reliability(5, 0).net > Reliability(5, 1).net > 0 > Reliability(0, 3).net
    assert Reliability(0, 4).keeps_failing and not Reliability(0, 3).keeps_failing


def test_runs_of_one_goal_add_up_their_outcomes() -> None:
    attrs = merged(
        run("t1", STAGING, "success"), run("t2", STAGING, "success"), run("t3", STAGING, None)
    )

    assert (attrs["success_count"], attrs["failure_count"], attrs["runs"]) == (2, 0, 3)
    assert [p["success"] for p in attrs["paths"]] == [2]
    assert attrs["reliability"]["summary"] == "succeeded 2 of 2 times"


def test_the_path_that_works_is_recommended_over_the_one_that_fails() -> None:
    attrs = merged(
        run("t1", NO_PUSH, "failure", notes=["kubectl_apply: image not found"]),
        run("t2", NO_PUSH, "failure", notes=["kubectl_apply: image not found"]),
        run("t3", STAGING, "success"),
        run("t4", STAGING, "success"),
        run("t5", STAGING, "failure", notes=["push_image: 503 registry down"]),
    )

    assert attrs["steps"] == [s.text for s in STAGING]
    assert [(p["success"], p["failure"]) for p in attrs["paths"]] == [(2, 1), (0, 2)]
    summary = attrs["reliability"]["summary"]
    assert summary.startswith("succeeded 2 of 5 times; failed when kubectl_apply: image not found")
    assert "these steps succeeded 2 of 3 (1 other variant)" in summary
    push = attrs["step_details"][1]
    assert [v["text"] for v in push["variants"]] == [STAGING[1].text, pm.SKIPPED]


def test_a_run_heard_again_replaces_itself_instead_of_counting_twice() -> None:
    partial = run("t1", STAGING[:1], None)
    finished = run("t1", STAGING, "success")

    attrs = merged(partial, finished, finished)

    assert attrs["runs"] == 1 and attrs["success_count"] == 1
    assert [len(p["steps"]) for p in attrs["paths"]] == [3]  # the partial path is gone
    assert attrs["goals"] == [{"text": "deploy the web app to staging", "count": 1}]


def test_reported_outcomes_count_for_the_recommended_steps() -> None:
    attrs = run("t1", STAGING, "success")
    for i in range(3):
        attrs = pm.with_feedback(attrs, {"id": f"f{i}", "outcome": "failure", "notes": ["quota"]})

    assert (attrs["success_count"], attrs["failure_count"]) == (1, 3)
    assert attrs["paths"][0]["failure"] == 3
    assert "failed when quota" in attrs["reliability"]["summary"]


def test_a_procedure_that_keeps_failing_is_flagged() -> None:
    failing = merged(*(run(f"t{i}", STAGING, "failure") for i in range(4)))
    mixed = merged(*(run(f"t{i}", STAGING, o) for i, o in enumerate(["failure"] * 3 + ["success"])))

    assert failing["reliability"]["keeps_failing"]
    assert failing["reliability"]["summary"].endswith("keeps failing")
    assert not mixed["reliability"]["keeps_failing"]


def test_old_runs_live_on_as_counts() -> None:
    attrs = merged(*(run(f"t{i}", STAGING, "success") for i in range(pm.MAX_TRACES + 5)))

    assert len(attrs["traces"]) == pm.MAX_TRACES
    assert attrs["success_count"] == attrs["runs"] == pm.MAX_TRACES + 5


def test_the_same_goal_in_other_words_with_the_same_steps_is_the_same_procedure() -> None:
    staging = unit(run("t1", STAGING, "success"))

    assert match(staging, run("t2", STAGING, None, goal="Please deploy the web app to staging"))
    assert match(staging, run("t3", STAGING, None, goal="ship the web app to staging"))
    assert not match(staging, run("t4", STAGING, None, goal="restart the billing service"))


def test_a_run_that_names_another_environment_is_another_procedure() -> None:
    staging = unit(run("t1", STAGING, "success"))
    production = [
        *STAGING[:2],
        tool_step("kubectl_apply", {"manifest": "web.yaml", "namespace": "production"}),
    ]

    assert not match(staging, run("t2", production, None, goal="deploy the web app to production"))
    # Failed before any step named an environment: its goal alone says which one it was.
    assert not match(staging, run("t3", STAGING[:2], None, goal="deploy the web app to production"))


def test_how_tos_in_words_merge_with_tool_runs_of_the_same_commands() -> None:
    said = [
        instruction(f"run {s.tool} " + " ".join(f"--{k}={v}" for k, v in s.args.items()))
        for s in STAGING
    ]
    attrs = merged(run("t1", STAGING, "success"), run("t2", said, "success"))

    assert len(attrs["paths"]) == 1 and attrs["paths"][0]["success"] == 2
