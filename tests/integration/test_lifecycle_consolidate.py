"""The consolidate job on hand-written scopes: near-duplicates merged with the union of their
provenance, contradictions closed inside one slot only, entity aliases merged with their
relations, every change in history under the job's id, and revert undoing it exactly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from memsvc import ConflictError, Memory
from memsvc.domain import Status
from tests.lifecycle_helpers import MAY, fact, open_memory, put, run, say, state, unit

FEB = datetime(2024, 2, 8, 10, 0, tzinfo=UTC)
WORKS = ("the user", "works_at", "Google")
# Low enough that the hashing embedder puts the dog and cat pairs above it: they must be kept
# apart by their numbers and their negation, not by their vectors.
LOOSE = {"merge_similarity": 0.6}


@pytest.fixture
def mem(tmp_path: Path, database_url: str | None) -> Iterator[Memory]:
    with open_memory(tmp_path, database_url=database_url) as memory:
        yield memory


def duplicates_scope(mem: Memory) -> dict[str, str]:
    t1, t2, t3 = say(mem, "s1", MAY, "I work at Google.", "Still at Google!", "Google, yes.")
    return {
        "first": fact(mem, "The user works at Google.", WORKS, sources=[t1]),
        "again": fact(mem, "The user works at Google now.", WORKS, sources=[t2]),
        "same_text": fact(mem, "the user works at google", WORKS, sources=[t3, t1]),
        "unrelated": fact(mem, "The user likes jazz.", ("the user", "likes", "jazz"), sources=[t1]),
        "two_dogs": fact(mem, "The user has 2 dogs at home.", sources=[t2]),
        "three_dogs": fact(mem, "The user has 3 dogs at home.", sources=[t3]),
        "likes_cats": fact(mem, "The user likes cats a lot.", sources=[t2]),
        "no_cats": fact(mem, "The user does not like cats a lot.", sources=[t3]),
        "turns": ",".join((t1, t2, t3)),
    }


def test_near_duplicates_merge_into_the_earliest_with_the_union_of_sources(mem: Memory) -> None:
    ids = duplicates_scope(mem)
    job = run(mem, "consolidate", **LOOSE)
    assert job.status == "succeeded", job.error
    keeper = unit(mem, ids["first"])
    assert keeper.status is Status.ACTIVE
    assert keeper.provenance.sources == ids["turns"].split(",")
    for loser in ("again", "same_text"):
        gone = unit(mem, ids[loser])
        assert gone.status is Status.SUPERSEDED and gone.superseded_by == keeper.id
        [_, entry] = mem.history(gone.id)
        assert (entry.operation, entry.reason, entry.job_id) == ("supersede", "consolidate", job.id)
    [_, merge] = mem.history(keeper.id)
    assert (merge.operation, merge.reason, merge.job_id) == ("merge", "consolidate", job.id)
    assert merge.before["sources"] == [ids["turns"].split(",")[0]]
    # Other numbers, a negation, another statement: never merged, not even touched.
    for kept in ("unrelated", "two_dogs", "three_dogs", "likes_cats", "no_cats"):
        assert (unit(mem, ids[kept]).status, unit(mem, ids[kept]).version) == (Status.ACTIVE, 1)
    assert job.counts["merge_fact"] == 1 and job.counts["superseded"] == 2


def test_running_consolidate_again_changes_nothing(mem: Memory) -> None:
    duplicates_scope(mem)
    run(mem, "consolidate", **LOOSE)
    before = state(mem)
    again = run(mem, "consolidate", **LOOSE)
    assert again.status == "succeeded" and state(mem) == before
    assert "superseded" not in again.counts and not mem.list_jobs(kind="consolidate")[0].error


def relation(mem: Memory, source: str, label: str, target: str, turn: str, when: datetime) -> str:
    attributes = {"source": source, "label": label, "target": target}
    text = f"{source} {label} {target}"
    return put(mem, "relation", text, attributes=attributes, sources=[turn], valid_from=when)


def test_a_contradiction_supersedes_only_its_own_slot(mem: Memory) -> None:
    [t1] = say(mem, "s1", MAY, "I live in Boston, work at Google and like jazz.")
    [t2] = say(mem, "s2", FEB, "I live in Denver now and like rock.")
    boston = fact(
        mem,
        "The user lives in Boston.",
        ("the user", "lives_in", "Boston"),
        sources=[t1],
        valid_from=MAY,
    )
    denver = fact(
        mem,
        "The user lives in Denver.",
        ("the user", "lives_in", "Denver"),
        sources=[t2],
        valid_from=FEB,
    )
    others = [
        fact(mem, "The user works at Google.", WORKS, sources=[t1], valid_from=MAY),
        fact(
            mem, "The user likes jazz.", ("the user", "likes", "jazz"), sources=[t1], valid_from=MAY
        ),
        fact(
            mem, "The user likes rock.", ("the user", "likes", "rock"), sources=[t2], valid_from=FEB
        ),
        fact(
            mem,
            "Caroline lives in Sweden.",
            ("Caroline", "lives_in", "Sweden"),
            sources=[t1],
            valid_from=MAY,
        ),
    ]
    lived = relation(mem, "user", "lives_in", "Boston", t1, MAY)
    lives = relation(mem, "user", "lives_in", "Denver", t2, FEB)
    likes = relation(mem, "user", "likes", "jazz", t1, MAY)
    job = run(mem, "consolidate", **LOOSE)
    old, new = unit(mem, boston), unit(mem, denver)
    assert old.status is Status.SUPERSEDED and old.superseded_by == denver
    assert old.valid_to == FEB and new.status is Status.ACTIVE and new.version == 1
    entry = mem.history(boston)[-1]
    assert entry.reason.startswith("consolidate") and entry.job_id == job.id
    assert entry.before["status"] == "active" and entry.before["valid_to"] is None
    assert [unit(mem, i).version for i in others] == [1, 1, 1, 1]
    assert unit(mem, lived).superseded_by == lives and unit(mem, lived).valid_to == FEB
    assert [unit(mem, i).status for i in (lives, likes)] == [Status.ACTIVE, Status.ACTIVE]
    assert job.counts["slot_fact"] == 1 and job.counts["slot_relation"] == 1
    assert job.counts["superseded"] == 2


def test_entity_aliases_merge_and_their_relations_follow(mem: Memory) -> None:
    t1, t2, t3 = say(mem, "s1", MAY, "My sister Mel visited.", "Melanie paints.", "Paris!")
    mel = put(
        mem,
        "entity",
        "Mel",
        attributes={"name": "Mel", "type": "person", "aliases": ["Melanie"]},
        sources=[t1, t2],
    )
    melanie = put(
        mem,
        "entity",
        "Melanie",
        attributes={"name": "Melanie", "type": "person", "aliases": ["Mel P."]},
        sources=[t2],
    )
    city = put(
        mem,
        "entity",
        "Paris",
        attributes={"name": "Paris", "type": "place", "aliases": []},
        sources=[t3],
    )
    person = put(
        mem,
        "entity",
        "Paris",
        attributes={"name": "Paris", "type": "person", "aliases": []},
        sources=[t3],
    )
    paints = put(
        mem,
        "relation",
        "Melanie likes painting",
        attributes={
            "source": "Melanie",
            "label": "likes",
            "target": "painting",
            "source_id": melanie,
        },
        sources=[t2],
    )
    sister = put(
        mem,
        "relation",
        "user has_sister Melanie",
        attributes={
            "source": "user",
            "label": "has_sister",
            "target": "Melanie",
            "target_id": melanie,
        },
        sources=[t1],
    )
    job = run(mem, "consolidate", **LOOSE)
    assert job.status == "succeeded", job.error
    kept, gone = unit(mem, mel), unit(mem, melanie)
    assert gone.status is Status.SUPERSEDED and gone.superseded_by == mel
    assert kept.attributes["aliases"] == ["Mel P.", "Melanie"]
    assert kept.provenance.sources == [t1, t2]
    assert unit(mem, paints).attributes["source_id"] == mel
    assert unit(mem, sister).attributes["target_id"] == mel
    assert [h.operation for h in mem.history(sister)] == ["create", "repoint"]
    # A place and a person with one name are two things.
    assert [unit(mem, i).status for i in (city, person)] == [Status.ACTIVE, Status.ACTIVE]
    assert job.counts["relations_repointed"] == 2


def test_revert_restores_the_exact_previous_state(mem: Memory) -> None:
    ids = duplicates_scope(mem)
    [t] = say(mem, "s2", FEB, "I live in Denver now.")
    fact(
        mem,
        "The user lives in Boston.",
        ("the user", "lives_in", "Boston"),
        sources=[t],
        valid_from=MAY,
    )
    fact(
        mem,
        "The user lives in Denver.",
        ("the user", "lives_in", "Denver"),
        sources=[t],
        valid_from=FEB,
    )
    before = state(mem)
    query: dict[str, Any] = {"user_id": "u", "granularities": ["fact"], "k": 20}
    found_before = {
        h.memory.id for h in mem.search("where does the user work and live", **query).hits
    }
    job = run(mem, "consolidate", **LOOSE)
    assert state(mem) != before
    result = mem.revert_job(job.id)
    assert result.restored == 4 and result.removed == 0
    assert result.job.counts["reverted_at"] and result.job.counts["restored"] == 4
    assert state(mem) == before
    assert {
        h.memory.id for h in mem.search("where does the user work and live", **query).hits
    } == found_before
    history = mem.history(ids["again"])
    assert [h.operation for h in history] == ["create", "supersede", "revert"]
    restored, original = history[-1].after, history[-2].before
    assert history[-1].job_id == job.id and restored.pop("version") == 3
    assert restored == {k: v for k, v in original.items() if k != "version"}
    with pytest.raises(ConflictError, match="already reverted"):
        mem.revert_job(job.id)


def test_revert_refuses_when_a_unit_changed_after_the_job(mem: Memory) -> None:
    ids = duplicates_scope(mem)
    job = run(mem, "consolidate", **LOOSE)
    mem.update(ids["first"], importance=0.9, reason="edited by hand")
    with pytest.raises(ConflictError, match="changed after the job"):
        mem.revert_job(job.id)
    assert unit(mem, ids["again"]).status is Status.SUPERSEDED  # nothing half-reverted


def test_dry_run_reports_the_plan_and_changes_nothing(mem: Memory) -> None:
    ids = duplicates_scope(mem)
    before = state(mem)
    job = run(mem, "consolidate", dry_run=True, **LOOSE)
    assert job.status == "succeeded" and job.dry_run
    assert job.counts["planned_merge_fact"] == 1
    [example] = job.counts["examples"]
    assert example["keep"] == ids["first"] and set(example["supersede"]) == {
        ids["again"],
        ids["same_text"],
    }
    assert state(mem) == before
    assert all(h.job_id is None for i in ids.values() if "," not in i for h in mem.history(i))
    with pytest.raises(ConflictError, match="dry run"):
        mem.revert_job(job.id)


def test_a_cancelled_job_stops_between_batches(tmp_path: Path) -> None:
    jobs = {"run_in_process": True, "poll_s": 0.05}
    with open_memory(tmp_path / "c", jobs=jobs) as mem:
        groups = []
        for name in ("apple", "violin", "kayak", "lantern", "compass", "teapot"):
            [t1, t2] = say(mem, f"s-{name}", MAY, f"My {name} is here.", "Yes.")
            text = f"The user keeps the {name} in the attic"
            groups.append(
                (fact(mem, text + ".", sources=[t1]), fact(mem, text.upper(), sources=[t2]))
            )
        job = mem.create_job("consolidate", user_id="u", params={"batch_size": 1, "pause_s": 0.3})
        deadline = time.monotonic() + 20
        while mem.get_job(job.id).progress == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        mem.cancel_job(job.id)
        while mem.get_job(job.id).finished_at is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)  # the handler notices at its next report
        assert mem.get_job(job.id).status == "cancelled"
        states = [(unit(mem, a).status, unit(mem, b).status) for a, b in groups]
    merged = states.count((Status.ACTIVE, Status.SUPERSEDED))
    assert merged + states.count((Status.ACTIVE, Status.ACTIVE)) == len(groups)
    assert 1 <= merged < len(groups)
