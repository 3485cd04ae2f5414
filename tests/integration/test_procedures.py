"""Procedural memory end to end on a real SQLite store: agents' runs added with their outcome
merge into one procedure per goal, how-to searches find it ranked by relevance and
reliability and say why, failing procedures sink and are flagged, feedback closes the loop."""

from __future__ import annotations

import json
from typing import Any

from memsvc.operations.procedure_writes import embedded_texts

from memsvc import Memory

AGENT = "ops-agent"


def tool_run(
    request: str, calls: list[tuple[str, dict[str, Any]]], error: str | None = None
) -> list[dict[str, Any]]:
    """An OpenAI-style run: the request, each call and its result; `error` fails the last."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": request}]
    for i, (name, arguments) in enumerate(calls):
        call_id = f"call-{abs(hash((request, name, i)))}"
        function = {"name": name, "arguments": json.dumps(arguments)}
        messages.append(
            {
                "role": "assistant",
                "tool_calls": [{"id": call_id, "type": "function", "function": function}],
            }
        )
        failed = error is not None and i == len(calls) - 1
        result = json.dumps({"error": error}) if failed else "ok"
        messages.append({"role": "tool", "tool_call_id": call_id, "content": result})
    return messages


DEPLOY = [
    ("build_image", {"service": "web", "tag": "1.4.2"}),
    ("push_image", {"image": "registry/web:1.4.2"}),
    ("kubectl_apply", {"manifest": "web.yaml", "namespace": "staging"}),
]


def add(memory: Memory, session: str, messages: list[dict[str, Any]], outcome: str | None) -> None:
    memory.add(messages, user_id=AGENT, session_id=session, extract="sync", outcome=outcome)  # type: ignore[arg-type]


def procedures(memory: Memory, statuses: tuple[str, ...] = ("active",)) -> list:
    return memory.list(
        user_id=AGENT, granularities=["procedure"], statuses=list(statuses), limit=100
    ).items


def test_runs_of_one_goal_merge_into_one_procedure_with_counts_history_and_provenance(
    memory: Memory,
) -> None:
    add(memory, "r1", tool_run("Deploy the web app to staging.", DEPLOY), "success")
    add(memory, "r2", tool_run("Please deploy the web app to staging", DEPLOY), "success")
    failed = tool_run("Can you deploy the web app to staging?", DEPLOY[:2], "503: registry down")
    add(memory, "r3", failed, "failure")

    [procedure] = procedures(memory)
    a = procedure.attributes
    assert a["goal"] == "deploy the web app to staging"
    assert (a["success_count"], a["failure_count"], a["runs"]) == (2, 1, 3)
    assert a["steps"][1] == 'push_image(image="registry/web:<version>")'
    assert "failed when push_image: 503: registry down" in a["reliability"]["summary"]
    assert [h.operation for h in memory.history(procedure.id)] == ["create", "merge", "merge"]
    assert procedure.version == 3
    sessions = {u.session_id for u in memory.provenance(procedure.id).sources}
    assert sessions == {"r1", "r2", "r3"}


def test_a_session_extracted_again_does_not_count_its_run_twice(memory: Memory) -> None:
    messages = tool_run("Deploy the web app to staging.", DEPLOY)
    memory.add(messages[:3], user_id=AGENT, session_id="r1", extract="sync")
    memory.add(messages[3:], user_id=AGENT, session_id="r1", extract="sync", outcome="success")

    [procedure] = procedures(memory)
    assert procedure.attributes["runs"] == 1 and procedure.attributes["success_count"] == 1
    assert len(procedure.attributes["steps"]) == 3


def test_a_how_to_query_routes_to_the_procedure_and_the_hit_says_why(memory: Memory) -> None:
    add(memory, "r1", tool_run("Deploy the web app to staging.", DEPLOY), "success")
    add(
        memory,
        "r2",
        tool_run("Restart the billing service.", [("restart", {"service": "billing"})]),
        None,
    )

    found = memory.search("How do I deploy the web app to staging?", user_id=AGENT, k=5)

    assert "howto" in found.route.name
    top = found.hits[0]
    assert top.granularity == "procedure" and top.memory.attributes["goal"].startswith("deploy")
    votes = {v.retriever for v in top.retrievers}
    assert {"procedure", "procedure.dense", "procedure.reliability"} <= votes
    assert top.memory.attributes["reliability"]["summary"] == "succeeded 1 of 1 time"


def test_a_procedure_that_keeps_failing_sinks_and_is_flagged_in_the_context(
    memory: Memory,
) -> None:
    helm = [("helm_upgrade", {"release": "web", "namespace": "staging"})]
    for i in range(4):
        add(
            memory,
            f"h{i}",
            tool_run("Upgrade the web release on staging with helm", helm, "timeout"),
            "failure",
        )
        add(
            memory,
            f"k{i}",
            tool_run("Upgrade the web release on staging with kubectl", DEPLOY),
            "success",
        )

    found = memory.search(
        "How do I upgrade the web release on staging?", user_id=AGENT, k=5, context_budget=400
    )

    ranked = [h.memory for h in found.hits if h.granularity == "procedure"]
    assert ranked[-1].attributes["steps"] == ['helm_upgrade(release="web", namespace="staging")']
    assert ranked[0].attributes["success_count"] == 4
    assert ranked[-1].attributes["reliability"]["keeps_failing"]
    assert found.context is not None
    assert (
        "[procedure KEEPS FAILING, do not rely on it] upgrade the web release on staging with helm"
        in found.context
    )


def test_reported_outcomes_count_for_the_recommended_steps(memory: Memory) -> None:
    add(memory, "r1", tool_run("Deploy the web app to staging.", DEPLOY), "success")
    [procedure] = procedures(memory)

    updated = memory.record_outcome(procedure.id, "failure", notes="cluster quota exceeded")

    assert (updated.attributes["success_count"], updated.attributes["failure_count"]) == (1, 1)
    assert updated.attributes["paths"][0]["failure"] == 1
    assert "failed when cluster quota exceeded" in updated.attributes["reliability"]["summary"]
    assert memory.history(procedure.id)[-1].operation == "outcome"


def test_a_goal_in_other_words_joins_the_procedure_when_its_steps_agree(memory: Memory) -> None:
    add(memory, "r1", tool_run("Deploy the web app to staging.", DEPLOY), "success")
    add(memory, "r2", tool_run("Ship the web app to staging.", DEPLOY), "success")
    other = [*DEPLOY[:2], ("kubectl_apply", {"manifest": "web.yaml", "namespace": "production"})]
    add(memory, "r3", tool_run("Deploy the web app to production.", other), "success")

    found = {p.attributes["goal"]: p.attributes for p in procedures(memory)}
    assert set(found) == {"deploy the web app to staging", "deploy the web app to production"}
    staging = found["deploy the web app to staging"]
    assert staging["runs"] == 2
    assert "ship the web app to staging" in [g["text"] for g in staging["goals"]]


def test_a_procedure_that_turns_out_to_be_another_is_absorbed_with_history(memory: Memory) -> None:
    # The first run names the goal in other words: it starts a procedure of its own...
    add(memory, "r1", tool_run("Ship the web app to staging.", DEPLOY), "success")
    # ...this one failed before its steps said much: a second procedure...
    add(memory, "r2", tool_run("Deploy the web app to staging.", DEPLOY[:1], "boom"), "failure")
    # ...until a full run shows both are the same.
    add(memory, "r3", tool_run("Deploy the web app to staging.", DEPLOY), "success")

    [kept] = procedures(memory)
    [gone] = procedures(memory, ("superseded",))
    assert kept.attributes["runs"] == 3 and gone.superseded_by == kept.id
    assert memory.history(gone.id)[-1].operation == "supersede"


def test_a_how_to_in_prose_and_a_step_list_become_procedures(memory: Memory) -> None:
    prose = (
        "To renew the certificate I run certbot renew, then reload nginx, "
        "then check the expiry date."
    )
    listed = (
        "Steps to rotate the logs:\n1. stop the shipper\n2. move the files\n3. start the shipper"
    )
    add(memory, "p1", [{"role": "user", "content": prose}], "success")
    add(memory, "p2", [{"role": "user", "content": listed}], None)

    goals = {p.attributes["goal"]: p.attributes["steps"] for p in procedures(memory)}
    assert goals == {
        "renew the certificate": ["run certbot renew", "reload nginx", "check the expiry date"],
        "rotate the logs": ["stop the shipper", "move the files", "start the shipper"],
    }


def test_procedures_stay_in_their_own_scope(memory: Memory) -> None:
    add(memory, "r1", tool_run("Deploy the web app to staging.", DEPLOY), "success")
    memory.add(
        tool_run("Deploy the web app to staging.", DEPLOY),
        user_id="someone-else",
        session_id="r9",
        extract="sync",
        outcome="failure",
    )

    [mine] = procedures(memory)
    assert (mine.attributes["success_count"], mine.attributes["failure_count"]) == (1, 0)


def test_a_purge_knows_every_text_a_procedure_was_embedded_as(memory: Memory) -> None:
    add(memory, "r1", tool_run("Deploy the web app to staging.", DEPLOY), "success")
    add(memory, "r2", tool_run("Ship the web app to staging.", DEPLOY), "success")
    [procedure] = procedures(memory)

    with memory._container.uow("default", write=False) as uow:
        texts = embedded_texts(uow, [uow.units.get(procedure.id)])

    # Its vector was made from each of them in turn; a purge drops all their cached vectors.
    assert texts == [
        "deploy the web app to staging (also: ship the web app to staging)",
        "deploy the web app to staging",
    ]
