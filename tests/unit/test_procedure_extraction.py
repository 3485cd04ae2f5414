"""The rules extractor on task traces in the shapes agents and people write them: OpenAI-style
tool calls with their results, step lists, and how-tos in prose."""

from __future__ import annotations

import json
from typing import Any

import pytest
from memsvc.operations.extract.goals import goal_phrase, goal_similarity
from memsvc.operations.extract.procedures import find_procedures
from memsvc.operations.extract.steps import instruction, tool_step, value_pattern

from memsvc.domain import Granularity, MemoryUnit, Scope

SCOPE = Scope("tenant", "user-1", None, "session-1")


def turn(position: int, content: str, role: str = "user", **metadata: Any) -> MemoryUnit:
    attributes: dict[str, Any] = {"role": role, "position": position}
    if metadata:
        attributes["metadata"] = metadata
    return MemoryUnit(
        id=f"turn-{position}",
        scope=SCOPE,
        granularity=Granularity.TURN,
        content=content,
        attributes=attributes,
    )


def call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def texts(candidate: Any) -> list[str]:
    return [step.text for step in candidate.steps]


def test_a_prose_how_to_becomes_a_procedure_with_its_steps_in_order() -> None:
    said = (
        "To deploy the app I run make build, then push the image to the registry, "
        "then kubectl apply -f deploy.yaml."
    )
    [procedure] = find_procedures([turn(0, said)])

    assert procedure.goal == "deploy the app"
    assert texts(procedure) == [
        "run make build",
        "push the image to the registry",
        "kubectl apply -f deploy.yaml",
    ]
    assert procedure.source_turn_ids == ["turn-0"] and procedure.outcome is None


def test_a_how_to_over_several_sentences_keeps_its_preconditions_apart() -> None:
    said = (
        "Here's how I rotate the API keys: make sure you are on the VPN; then generate a new "
        "key in the console. Then update the secret in vault. Finally restart the workers."
    )
    [procedure] = find_procedures([turn(0, said)])

    assert procedure.goal == "rotate the API keys"
    assert procedure.preconditions == ["make sure you are on the VPN"]
    assert texts(procedure) == [
        "generate a new key in the console",
        "update the secret in vault",
        "restart the workers",
    ]


def test_a_step_list_under_its_header_becomes_a_procedure() -> None:
    said = "Steps to reset the router:\n1. Unplug it\n2. Wait 30 seconds\n3. Plug it back in"
    [procedure] = find_procedures([turn(0, said)])

    assert procedure.goal == "reset the router"
    assert texts(procedure) == ["Unplug it", "Wait 30 seconds", "Plug it back in"]


def test_a_listed_answer_takes_its_goal_from_the_request_it_answers() -> None:
    answer = "- back up the database\n- run the migrations\n- check the dashboard"
    [procedure] = find_procedures(
        [turn(0, "How do I upgrade the schema?"), turn(1, answer, "assistant")]
    )

    assert procedure.goal == "upgrade the schema"
    assert procedure.source_turn_ids == ["turn-1"]
    assert procedure.confidence < 0.8  # the assistant's answer, not a person's practice


@pytest.mark.parametrize(
    "said",
    [
        "To be honest, I think the movie was great.",
        "To get there I took the train.",
        "I love hiking, then I go for a swim.",
    ],
)
def test_a_sentence_without_a_goal_and_two_steps_is_no_procedure(said: str) -> None:
    assert find_procedures([turn(0, said)]) == []


def test_tool_calls_and_their_results_become_tool_steps_with_argument_patterns() -> None:
    trace = [
        turn(0, "Please deploy the web app to staging (ticket OPS-1234)."),
        turn(1, "", "assistant", tool_calls=[call("c1", "build_image", tag="1.4.2")]),
        turn(2, "Successfully built 3f9a2c1d", "tool", tool_call_id="c1"),
        turn(3, "", "assistant", tool_calls=[call("c2", "push_image", image="reg/web:1.4.2")]),
        turn(4, json.dumps({"error": "503: the registry was down"}), "tool", tool_call_id="c2"),
        turn(5, "The push failed.", "assistant", outcome="failure"),
    ]
    [procedure] = find_procedures(trace)

    assert procedure.goal == "deploy the web app to staging"
    assert [(s.tool, s.args) for s in procedure.steps] == [
        ("build_image", {"tag": "<version>"}),
        ("push_image", {"image": "reg/web:<version>"}),
    ]
    assert procedure.outcome == "failure"
    assert procedure.notes == ["push_image: 503: the registry was down"]
    assert procedure.source_turn_ids == [f"turn-{i}" for i in range(6)]


def test_a_call_retried_after_an_error_is_one_step() -> None:
    trace = [
        turn(0, "Restart billing."),
        turn(1, "", "assistant", tool_calls=[call("a", "restart", service="billing")]),
        turn(2, "error: timed out", "tool", tool_call_id="a"),
        turn(3, "", "assistant", tool_calls=[call("b", "restart", service="billing")]),
        turn(4, "restarted", "tool", tool_call_id="b"),
    ]
    [procedure] = find_procedures(trace)

    assert texts(procedure) == ['restart(service="billing")']


def test_an_outcome_on_the_closing_message_closes_the_run_before_it() -> None:
    trace = [
        turn(0, "Back up the orders database."),
        turn(1, "", "assistant", tool_calls=[call("a", "backup", database="orders")]),
        turn(2, "done", "tool", tool_call_id="a"),
        turn(3, "Thanks, that worked.", "user", outcome="success"),
    ]
    [procedure] = find_procedures(trace)

    assert procedure.outcome == "success"
    assert procedure.source_turn_ids[-1] == "turn-3"


def test_a_command_line_step_is_the_tool_call_it_describes() -> None:
    said = instruction("run build_image --service=web --tag=1.4.2")
    called = tool_step("build_image", {"service": "web", "tag": "1.4.3"})

    assert said.text == called.text == 'build_image(service="web", tag="<version>")'
    assert instruction("kubectl apply -f deploy.yaml").tool is None  # positional words


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("staging", "staging"),
        ("registry/web:1.4.2", "registry/web:<version>"),
        ("ticket 48213", "ticket <number>"),
        ("2024-05-01", "<date>"),
        ("deploy-2024-05-01.yaml", "deploy-<date>.yaml"),
        ("3f9a2c1d", "<id>"),
        ("v2", "v2"),
        (12, "<number>"),
        (True, True),
    ],
)
def test_argument_values_of_one_run_become_placeholders(value: Any, pattern: Any) -> None:
    assert value_pattern(value) == pattern


@pytest.mark.parametrize(
    ("said", "goal"),
    [
        (
            "Hi! Could you please deploy the web app to staging for me? Thanks",
            "deploy the web app to staging",
        ),
        ("How do I rotate the API keys?", "rotate the API keys"),
        ("Time to restore the orders database (ticket OPS-9)", "restore the orders database"),
        ("What are the steps to back up the database?", "back up the database"),
        ("hello", ""),
    ],
)
def test_a_goal_is_the_request_without_its_wrapping(said: str, goal: str) -> None:
    assert goal_phrase(said) == goal


def test_goals_differing_in_a_word_or_a_particle_are_different_goals() -> None:
    assert (
        goal_similarity("Please deploy the web app to staging.", "deploy web app to staging") == 1
    )
    assert (
        goal_similarity("deploy the web app to staging", "deploy the web app to production") < 0.75
    )
    assert goal_similarity("roll out the search API", "roll back the search API") < 0.75
