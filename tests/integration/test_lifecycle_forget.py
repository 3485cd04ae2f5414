"""The forget job: archiving by the retention formula (importance and retrieval hits make
memories last), never touching pinned units, purging after the grace period (turns only when
the policy says so), per-tenant policies, dry runs and revert."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from memsvc import ConflictError, Memory
from memsvc.domain import Status
from tests.lifecycle_helpers import (
    MAY,
    fact,
    open_memory,
    run,
    say,
    set_access,
    state,
    statuses,
    unit,
)

# S = 10 days * (1 + 1 * importance) * (1 + 1 * hits); archived below R = 0.5.
POLICY = {"base_days": 10, "importance_gain": 1.0, "access_gain": 1.0, "archive_below": 0.5}


@pytest.fixture
def mem(tmp_path: Path, database_url: str | None) -> Iterator[Memory]:
    with open_memory(tmp_path, database_url=database_url) as memory:
        yield memory


def scope(mem: Memory) -> dict[str, str]:
    [turn] = say(mem, "s1", MAY, "I once tried sushi in Osaka.")
    ids = {
        "turn": turn,
        "minor": fact(mem, "The user tried sushi.", sources=[turn]),
        "important": fact(mem, "The user is allergic to peanuts.", sources=[turn]),
        "recalled": fact(mem, "The user visited Osaka.", sources=[turn]),
        "pinned": fact(mem, "The user's passport number ends in 42.", sources=[turn]),
    }
    for name in ("minor", "recalled", "pinned"):
        mem.update(ids[name], importance=0.1)
    mem.update(ids["important"], importance=0.9)
    mem.update(ids["pinned"], pinned=True)
    ids["session"] = mem.list(user_id="u", granularities=["session"]).items[0].id
    return ids


def at(mem: Memory, unit_id: str, days: float) -> str:
    return (unit(mem, unit_id).created_at + timedelta(days=days)).isoformat()


def expected(importance: float, hits: int, days: float) -> float:
    return math.exp(-days / (10 * (1 + importance) * (1 + hits)))


def test_forgetting_archives_by_the_formula_and_never_touches_pinned(mem: Memory) -> None:
    ids = scope(mem)
    born = unit(mem, ids["recalled"]).created_at
    set_access(mem, ids["recalled"], 3, born + timedelta(days=10))
    pinned_before = unit(mem, ids["pinned"])
    job = run(mem, "forget", now=at(mem, ids["minor"], 12), **POLICY)
    assert job.status == "succeeded", job.error
    # minor: R = exp(-12/11) = 0.34; important: exp(-12/19) = 0.53; recalled: 3 hits, last
    # 2 days ago: exp(-2/44) = 0.96; the turn and its session (importance 0.5): exp(-12/15)
    # = 0.45.
    assert expected(0.1, 0, 12) < expected(0.5, 0, 12) < 0.5 < expected(0.9, 0, 12)
    assert expected(0.1, 3, 2) > 0.5
    names = ("minor", "important", "recalled", "turn", "session")
    assert statuses(mem, *(ids[n] for n in names)) == [
        Status.ARCHIVED,
        Status.ACTIVE,
        Status.ACTIVE,
        Status.ARCHIVED,
        Status.ARCHIVED,
    ]
    archived = unit(mem, ids["minor"])
    assert archived.attributes["retention"] == pytest.approx(expected(0.1, 0, 12), abs=1e-4)
    assert [h.operation for h in mem.history(ids["minor"])][-1] == "archive"
    assert mem.history(ids["minor"])[-1].job_id == job.id
    pinned = unit(mem, ids["pinned"])
    assert (pinned.status, pinned.version) == (Status.ACTIVE, pinned_before.version)
    assert job.counts["archived"] == 3 and job.counts["pinned_skipped"] == 1


def test_archived_memories_leave_default_search_and_come_back_on_request(mem: Memory) -> None:
    ids = scope(mem)
    run(mem, "forget", now=at(mem, ids["minor"], 12), **POLICY)
    query = {"user_id": "u", "granularities": ["fact"], "k": 10}
    assert ids["minor"] not in {h.memory.id for h in mem.search("sushi", **query).hits}
    found = mem.search("sushi", include_archived=True, **query).hits
    assert ids["minor"] in {h.memory.id for h in found}


def test_purge_after_the_grace_period_keeps_turns_unless_the_policy_says_so(mem: Memory) -> None:
    ids = scope(mem)
    run(mem, "forget", now=at(mem, ids["minor"], 400), **POLICY)
    too_soon = run(mem, "forget", now=at(mem, ids["minor"], 420), grace_days=30, **POLICY)
    assert too_soon.counts["purged"] == 0
    job = run(mem, "forget", now=at(mem, ids["minor"], 431), grace_days=30, **POLICY)
    assert job.counts["purged"] == 3  # the facts; turn and session stay archived
    gone = unit(mem, ids["minor"])
    assert (gone.status, gone.content, gone.attributes) == (Status.DELETED, "", {})
    assert all(h.before is None or "content" not in h.before for h in mem.history(ids["minor"]))
    assert state(mem)[ids["minor"]]["vector"] is None
    episodes = (ids["turn"], ids["session"], ids["pinned"])
    assert statuses(mem, *episodes) == [Status.ARCHIVED, Status.ARCHIVED, Status.ACTIVE]
    run(mem, "forget", now=at(mem, ids["minor"], 431), purge_turns=True, **POLICY)
    assert statuses(mem, *episodes) == [Status.DELETED, Status.DELETED, Status.ACTIVE]
    left = {i: s["content"] for i, s in state(mem).items() if "sushi" in s["content"].lower()}
    assert left == {}


def test_a_tenant_policy_overrides_the_defaults(tmp_path: Path) -> None:
    lifecycle = {"retention": POLICY, "retention_by_tenant": {"default": {"archive_below": 0.0}}}
    with open_memory(tmp_path, lifecycle=lifecycle) as mem:
        ids = scope(mem)
        job = run(mem, "forget", now=at(mem, ids["minor"], 40))
        assert job.counts["archived"] == 0
        assert (
            run(mem, "forget", now=at(mem, ids["minor"], 40), archive_below=0.5).counts["archived"]
            == 5
        )


def test_dry_run_reports_what_would_be_forgotten_and_changes_nothing(mem: Memory) -> None:
    ids = scope(mem)
    before = state(mem)
    job = run(mem, "forget", dry_run=True, now=at(mem, ids["minor"], 12), **POLICY)
    assert job.counts["would_archive"] == 4 and job.counts["archived"] == 0  # no hits this time
    assert {e["id"] for e in job.counts["examples"]} == {
        ids[n] for n in ("minor", "recalled", "turn", "session")
    }
    assert state(mem) == before


def test_revert_of_an_archiving_run_brings_everything_back(mem: Memory) -> None:
    ids = scope(mem)
    before = state(mem)
    job = run(mem, "forget", now=at(mem, ids["minor"], 12), **POLICY)
    assert mem.revert_job(job.id).restored == 4
    assert state(mem) == before
    run(mem, "forget", now=at(mem, ids["minor"], 500), grace_days=0, **POLICY)  # archives
    purging = run(mem, "forget", now=at(mem, ids["minor"], 500), grace_days=0, **POLICY)
    assert purging.counts["purged"] == 3
    with pytest.raises(ConflictError, match="cannot be restored"):
        mem.revert_job(purging.id)


def test_a_superseded_fact_is_purged_once_forgotten_and_never_archived(mem: Memory) -> None:
    ids = scope(mem)
    old = fact(
        mem,
        "The user lives in Osaka.",
        sources=[ids["turn"]],
        importance=0.0,
        status=Status.SUPERSEDED,
        superseded_by=ids["important"],
    )
    # S = 10 days: R(5) = 0.61 (kept), R(12) = 0.30 (forgotten, but 12 < 30 days of grace).
    for days in (5, 12):
        run(mem, "forget", now=at(mem, old, days), grace_days=30, **POLICY)
        assert statuses(mem, old) == [Status.SUPERSEDED]
    job = run(mem, "forget", now=at(mem, old, 31), grace_days=30, **POLICY)
    assert job.counts["purged"] >= 1
    gone = unit(mem, old)
    assert (gone.status, gone.content, gone.attributes) == (Status.DELETED, "", {})


def test_a_session_is_purged_after_its_turns_in_a_run_of_small_batches(mem: Memory) -> None:
    turns = say(mem, "s1", MAY, "I once tried sushi in Osaka.", "It was great.")
    [session] = [u.id for u in mem.list(user_id="u", granularities=["session"]).items]
    policy = {**POLICY, "purge_turns": True, "grace_days": 0}
    run(mem, "forget", now=at(mem, session, 400), **policy)  # archives all three
    # One unit per batch, turns first: purging them rebuilds the session before its turn.
    job = run(mem, "forget", now=at(mem, session, 401), batch_size=1, **policy)
    assert statuses(mem, *turns, session) == [Status.DELETED] * 3
    assert job.counts["purged"] == 3 and "skipped_stale" not in job.counts
