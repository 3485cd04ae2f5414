"""Extraction on the write path: derived units with provenance both ways, idempotent re-runs,
supersession within one slot only, `as_of` queries, cascades, graph reads, procedures."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from memsvc import Memory, NotFoundError
from memsvc.domain import Status

MAY = datetime(2023, 5, 8, 10, 0, tzinfo=UTC)
FEB = datetime(2024, 2, 8, 10, 0, tzinfo=UTC)


def say(memory: Memory, session: str, when: datetime, *texts: str, extract: str = "sync") -> None:
    memory.add(
        [{"role": "user", "content": t} for t in texts],
        user_id="u",
        session_id=session,
        occurred_at=when,
        extract=extract,
    )


def units(memory: Memory, granularity: str, statuses: tuple[str, ...] = ("active",)) -> list:
    return memory.list(
        user_id="u", granularities=[granularity], statuses=list(statuses), limit=200
    ).items


def test_facts_entities_relations_point_to_their_turns_and_back(memory: Memory) -> None:
    say(memory, "s1", MAY, "I live in Boston and I work at Google.", "My dog Rex loves the park.")
    facts = {f.content for f in units(memory, "fact")}
    assert {"The user lives in Boston.", "The user works at Google."} <= facts
    assert {e.content for e in units(memory, "entity")} >= {"Boston", "Google", "Rex"}
    fact = next(f for f in units(memory, "fact") if f.content == "The user works at Google.")
    assert fact.origin == "extraction" and fact.producer == "rules/3"
    assert fact.valid_from == MAY
    [turn] = memory.provenance(fact.id).sources
    assert turn.content == "I live in Boston and I work at Google."
    derived = {u.content for u in memory.provenance(turn.id).derived}
    assert "The user works at Google." in derived and "Google" in derived


def test_extracting_again_creates_nothing_new(memory: Memory) -> None:
    say(memory, "s1", MAY, "I live in Boston and I work at Google.")
    before = {g: len(units(memory, g)) for g in ("fact", "entity", "relation")}
    memory.service.extract(memory.service.get("default", units(memory, "turn")[0].id).scope)
    say(memory, "s1", MAY, "I live in Boston and I work at Google.")  # re-sent: a duplicate
    assert {g: len(units(memory, g)) for g in ("fact", "entity", "relation")} == before


def test_a_fact_heard_again_extends_its_sources(memory: Memory) -> None:
    say(memory, "s1", MAY, "I work at Google.")
    say(memory, "s2", FEB, "I work at Google.")
    [fact] = [f for f in units(memory, "fact") if "Google" in f.content]
    assert len(fact.sources) == 2 and fact.version == 2
    assert [h.operation for h in memory.history(fact.id)] == ["create", "merge"]


def test_new_value_supersedes_only_its_slot_and_keeps_history(memory: Memory) -> None:
    say(memory, "s1", MAY, "I live in Boston.", "I work at Google.", "I like jazz.")
    say(memory, "s2", FEB, "I live in Denver now.")
    old = next(f for f in units(memory, "fact", ("superseded",)) if "Boston" in f.content)
    new = next(f for f in units(memory, "fact") if "Denver" in f.content)
    assert old.superseded_by == new.id and old.valid_to == new.valid_from
    active = {f.content for f in units(memory, "fact")}
    assert {"The user works at Google.", "The user likes jazz."} <= active
    assert [h.operation for h in memory.history(old.id)] == ["create", "supersede"]
    assert memory.history(old.id)[-1].before["status"] == "active"


def test_search_defaults_to_now_and_as_of_asks_about_the_past(memory: Memory) -> None:
    say(memory, "s1", MAY, "I live in Boston.")
    say(memory, "s2", FEB, "I live in Denver now.")
    now = memory.search("where does the user live", user_id="u", granularities=["fact"], k=5)
    assert [h.memory.content for h in now.hits] == ["The user lives in Denver."]
    then = memory.search(
        "where does the user live",
        user_id="u",
        granularities=["fact"],
        k=5,
        as_of=datetime(2023, 9, 1, tzinfo=UTC),
    )
    assert [h.memory.content for h in then.hits] == ["The user lives in Boston."]


def test_hard_cascade_delete_of_a_session_removes_what_only_it_produced(memory: Memory) -> None:
    say(memory, "s1", MAY, "I work at Google.", "My dog Rex loves the park.")
    say(memory, "s2", FEB, "I work at Google.")
    session = next(u for u in units(memory, "session") if u.session_id == "s1")
    memory.delete(session.id, hard=True, cascade=True)
    remaining = {f.content for f in units(memory, "fact")}
    assert "The user works at Google." in remaining  # also heard in s2
    assert not any("Rex" in f for f in remaining)
    assert all(u.session_id != "s1" for u in units(memory, "turn"))


def test_cascade_delete_of_a_session_leaves_no_session_behind(memory: Memory) -> None:
    say(memory, "s1", MAY, "My dog Rex loves the park.")
    session = next(u for u in units(memory, "session") if u.session_id == "s1")
    deleted = memory.delete(session.id, cascade=True).deleted
    assert session.id in deleted
    assert [u for u in units(memory, "session") if u.session_id == "s1"] == []  # none re-made
    turn = units(memory, "turn", ("deleted",))[0]
    memory.delete(turn.id, cascade=True)  # again: nothing changes, and no session is made
    assert [u for u in units(memory, "session") if u.session_id == "s1"] == []


def test_graph_reads(memory: Memory) -> None:
    say(memory, "s1", MAY, "My sister Anna lives in Lisbon.", "I visited Anna in Lisbon.")
    [anna] = memory.entities(user_id="u", name="ann")
    view = memory.entity(anna.id)
    assert any(r.attributes["label"].startswith("has") for r in view.incoming)
    hood = memory.neighbors(anna.id, depth=1)
    assert anna.id in {e.id for e in hood.entities}
    with pytest.raises(NotFoundError):
        memory.entity(units(memory, "turn")[0].id)


def test_procedure_from_a_task_trace_counts_outcomes(memory: Memory) -> None:
    steps = [
        {"role": "user", "content": "Deploy the web app", "metadata": {"task": "deploy web app"}},
        {
            "role": "assistant",
            "content": "Running the tests",
            "metadata": {"task": "deploy web app", "tool_calls": [{"name": "pytest"}]},
        },
        {
            "role": "assistant",
            "content": "Pushing the image",
            "metadata": {
                "task": "deploy web app",
                "tool_calls": [{"name": "docker push"}],
                "outcome": "success",
            },
        },
    ]
    memory.add(steps, user_id="u", session_id="t1", occurred_at=MAY, extract="sync")
    [procedure] = units(memory, "procedure")
    assert procedure.attributes["success_count"] == 1
    updated = memory.record_outcome(procedure.id, "failure", notes="registry down")
    assert updated.attributes["failure_count"] == 1 and updated.version == procedure.version + 1
    assert memory.history(procedure.id)[-1].operation == "outcome"


def test_async_extraction_runs_as_a_job(memory: Memory) -> None:
    result = memory.add(
        [{"role": "user", "content": "I adopted a cat named Luna."}],
        user_id="u",
        session_id="s9",
        occurred_at=MAY,
        extract="async",
    )
    assert result.extraction == "queued" and result.job_id
    deadline = time.monotonic() + 20
    while memory.get_job(result.job_id).status != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.05)
    job = memory.get_job(result.job_id)
    assert job.status == "succeeded" and job.counts["created"]["fact"] >= 1
    assert any("Luna" in f.content for f in units(memory, "fact"))


def test_a_value_that_returns_after_being_replaced_is_current_again(memory: Memory) -> None:
    say(memory, "s1", MAY, "I live in Boston.")
    say(memory, "s2", FEB, "I live in Denver now.")
    say(memory, "s3", datetime(2024, 9, 1, tzinfo=UTC), "I live in Boston.")
    active = [f.content for f in units(memory, "fact") if "live" in f.content]
    assert active == ["The user lives in Boston."]
    closed = {f.content: f for f in units(memory, "fact", ("superseded",))}
    assert closed["The user lives in Denver."].valid_to == datetime(2024, 9, 1, tzinfo=UTC)
    assert (
        closed["The user lives in Boston."].valid_to
        == closed["The user lives in Denver."].valid_from
    )


def _merge_away(memory: Memory, loser_id: str, keeper_id: str) -> None:
    """What consolidation does to a duplicate: superseded by its keeper, validity left open."""
    with memory.service._uow("default") as uow:  # test setup through the unit of work
        loser = uow.units.get(loser_id)
        loser.status, loser.superseded_by = Status.SUPERSEDED, keeper_id
        uow.units.save(loser)
        uow.commit()


def test_hearing_a_merged_duplicate_again_extends_its_keeper(memory: Memory) -> None:
    say(memory, "s1", MAY, "I work at Google.")
    say(memory, "s2", MAY, "My dog Rex loves the park.")
    [google] = [f for f in units(memory, "fact") if "Google" in f.content]
    [rex] = [f for f in units(memory, "fact") if "Rex" in f.content]
    _merge_away(memory, google.id, rex.id)  # any keeper will do for the bookkeeping
    say(memory, "s3", FEB, "I work at Google.")
    assert len(memory.get(rex.id).sources) == 2
    assert memory.get(google.id).sources == google.sources


def test_as_of_ignores_duplicates_merged_away(memory: Memory) -> None:
    say(memory, "s1", MAY, "I live in Boston.")
    say(memory, "s2", MAY, "I work at Google.")
    [boston] = [f for f in units(memory, "fact") if "Boston" in f.content]
    [google] = [f for f in units(memory, "fact") if "Google" in f.content]
    _merge_away(memory, boston.id, google.id)
    then = memory.search(
        "where does the user live",
        user_id="u",
        granularities=["fact"],
        as_of=datetime(2023, 9, 1, tzinfo=UTC),
    )
    assert boston.id not in [h.memory.id for h in then.hits]


def test_a_packed_context_shows_the_current_fact_and_what_it_replaced(memory: Memory) -> None:
    say(memory, "s1", MAY, "I live in Lisbon.", "The weather here is lovely.")
    say(memory, "s2", FEB, "I live in Porto now.", "The move went well.")
    result = memory.search("Where do I live?", user_id="u", context_budget=400)
    assert result.context is not None
    facts = result.context.split("## Session")[0]
    assert "The user lives in Porto. (since 2024-02-08; before: The user lives in Lisbon." in facts
    current = next(i for i in result.context_items if i.granularity == "fact")
    assert memory.get(current.unit_id).content == "The user lives in Porto."
    assert current.sources and memory.get(current.sources[0]).content == "I live in Porto now."


def test_messages_added_one_at_a_time_are_each_extracted(memory: Memory) -> None:
    texts = [f"I bought a lamp number {i} today." for i in range(14)]
    texts[0], texts[-1] = "I work at Initech.", "I live in Tallinn."
    for text in texts:
        say(memory, "long", MAY, text)
    facts = {f.content for f in units(memory, "fact")}
    assert {"The user works at Initech.", "The user lives in Tallinn."} <= facts


def test_inline_extraction_reads_the_new_turns_and_a_few_before_them() -> None:
    from memsvc.operations.extraction import CONTEXT_TURNS, _recent

    from memsvc.domain import Granularity, MemoryUnit, Scope

    turns = [
        MemoryUnit(f"t{i}", Scope("t"), Granularity.TURN, "x", attributes={"position": i})
        for i in range(40)
    ]
    kept = _recent(turns, {"t38", "t39"})
    assert [t.id for t in kept] == [f"t{i}" for i in range(38 - CONTEXT_TURNS, 40)]
    assert _recent(turns, {"gone"}) == turns  # nothing new known: the whole session


def test_a_move_said_in_passing_is_superseded_by_a_later_relocation(memory: Memory) -> None:
    """Issue 11 (a): the move was said in passing, beside a new job, with "we" and a
    relative date; a later "we just relocated" must replace it, and leave the job alone."""
    say(
        memory,
        "s1",
        MAY,
        "We finally moved to Lisbon last month, and I started a new job at Acme Robotics.",
    )
    say(memory, "s2", FEB, "Quick update: we just relocated to Porto, the rent is half.")
    lisbon = next(f for f in units(memory, "fact", ("superseded",)) if "Lisbon" in f.content)
    porto = next(f for f in units(memory, "fact") if "Porto" in f.content)
    assert lisbon.attributes["predicate"] == porto.attributes["predicate"] == "lives_in"
    assert lisbon.superseded_by == porto.id and lisbon.valid_to == porto.valid_from
    assert lisbon.valid_from == datetime(2023, 4, 1, tzinfo=UTC)  # "last month", from May 8
    active = {f.content for f in units(memory, "fact")}
    assert "The user started a new job at Acme Robotics." in active
    assert not any("Lisbon" in text for text in active)


def test_a_how_to_said_in_one_sentence_becomes_a_procedure_with_its_steps(memory: Memory) -> None:
    """Issue 11 (b)."""
    say(
        memory,
        "s1",
        MAY,
        "To deploy the app I run make build, then push the image to the registry, "
        "then kubectl apply -f deploy.yaml.",
    )
    [procedure] = units(memory, "procedure")
    assert procedure.attributes["goal"] == "deploy the app"
    assert procedure.attributes["steps"] == [
        "run make build",
        "push the image to the registry",
        "kubectl apply -f deploy.yaml",
    ]
