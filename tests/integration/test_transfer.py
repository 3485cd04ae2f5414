"""Export and import between real SQLite stores: round trips are exact, imports are
idempotent and continue where they stopped, bad input is refused whole, and an import
writes into the caller's tenant only."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from memsvc.operations.transfer import ImportCommand, Transfer

from memsvc import ConflictError, ForbiddenError, Memory, ValidationError
from memsvc.bootstrap import build
from memsvc.compat.mem0 import Memory as Mem0Memory
from memsvc.domain.auth import Principal
from memsvc.transfer_handlers import import_ as import_handler
from memsvc.transfer_handlers import memsvc_items
from tests.conftest import make_settings

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
QUERIES = ["Where does Alice live now?", "Which company do I work for?", "how many dogs"]


def populate(memory: Memory) -> None:
    """A scope with every kind of history: extraction, a superseded value, an edit, a soft
    delete, a compressed session and a topic, another user and an agent's memories."""
    talk = [
        ("s1", "I live in Lisbon and I work at Acme Robotics.", 0),
        ("s1", "My dog Rex loves the beach near Cascais.", 0),
        ("s2", "We moved to Porto last week, the flat is lovely.", 30),
        ("s2", "I now work at Bolt Labs as a designer.", 30),
        ("s3", "Rex and our new dog Nova went hiking in Gerês.", 60),
    ]
    for session, text, days in talk:
        memory.add(
            [
                {"role": "user", "content": text},
                {"role": "assistant", "content": f"Noted: {text[:20]}"},
            ],
            user_id="alice",
            session_id=session,
            occurred_at=T0 + timedelta(days=days),
            extract="sync",
        )
    howto = "To deploy the web app I run build_image --tag=1.4.3, then push_image --tag=1.4.3."
    memory.add(
        [{"role": "user", "content": howto}],
        user_id="alice",
        session_id="s4",
        occurred_at=T0 + timedelta(days=61),
        extract="sync",
        outcome="success",
    )
    memory.add([{"role": "user", "content": "Bob likes chess."}], user_id="bob", session_id="b1")
    memory.add(
        [{"role": "user", "content": "The build runs on Fridays."}],
        agent_id="ci-bot",
        session_id="c",
    )
    turn = memory.list(user_id="alice", granularities=["turn"], limit=1).items[0]
    memory.update(turn.id, importance=0.9, pinned=True, reason="important")
    fact = memory.list(user_id="alice", granularities=["fact"], limit=1).items[0]
    memory.delete(fact.id)
    for kind in ("compress", "consolidate"):
        run_job(memory, kind, "alice")


def run_job(memory: Memory, kind: str, user: str) -> None:
    job = memory.create_job(kind, user_id=user)
    deadline = time.monotonic() + 60
    while memory.get_job(job.id).status not in ("succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline, "job did not finish"
        time.sleep(0.05)
    assert memory.get_job(job.id).status == "succeeded"


def lines_of(memory: Memory, **scope: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in memory.export(**scope)]


def without_imports(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Units with their history minus the entries the import itself appended."""
    out = []
    for record in records[1:]:
        history = [h for h in record["history"] if h["operation"] != "import"]
        out.append({"unit": record["unit"], "history": history})
    return out


def source_settings(data_dir: Path) -> Any:
    # Sessions of the hashing embedder lie far apart: a wide topic distance still groups them.
    return make_settings(data_dir, lifecycle={"topic_distance": 1.9})


@pytest.fixture(scope="module")
def source_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One populated store for the module's tests (they read it; imports go elsewhere)."""
    data_dir = tmp_path_factory.mktemp("source")
    with Memory(source_settings(data_dir)) as memory:
        populate(memory)
    return data_dir


@pytest.fixture
def source(source_dir: Path) -> Iterator[Memory]:
    with Memory(source_settings(source_dir)) as memory:
        yield memory


def test_round_trip_keeps_every_unit_its_history_and_its_search_results(
    source: Memory, tmp_path: Path
) -> None:
    exported = lines_of(source, user_id="alice")
    header, records = exported[0], exported[1:]
    granularities = {r["unit"]["granularity"] for r in records}
    assert granularities == {"turn", "session", "topic", "fact", "entity", "relation", "procedure"}
    assert {r["unit"]["status"] for r in records} >= {"active", "deleted"}
    assert header["counts"] == {
        "units": len(records),
        "history": sum(len(r["history"]) for r in records),
    }
    assert all(r["unit"]["user_id"] == "alice" for r in records)
    with Memory(make_settings(tmp_path / "b")) as target:
        result = target.import_([json.dumps(r) + "\n" for r in exported])
        assert (result.read, result.created, result.skipped) == (len(records), len(records), 0)
        again = lines_of(target, user_id="alice")
        assert without_imports(again) == [
            {"unit": r["unit"], "history": r["history"]} for r in records
        ]
        imports = [h for r in again[1:] for h in r["history"] if h["operation"] == "import"]
        assert len(imports) == len(records)
        for query in QUERIES:
            for mode in ("auto", "all"):
                mine = source.search(query, user_id="alice", k=8, mode=mode, context_budget=400)
                theirs = target.search(query, user_id="alice", k=8, mode=mode, context_budget=400)
                # The same hits in the same order; scores only nearly equal, since lexical
                # scores (fused by value) count terms over the whole store and the source
                # holds other users too.
                assert [h.memory.id for h in theirs.hits] == [h.memory.id for h in mine.hits]
                assert [h.score for h in theirs.hits] == pytest.approx(
                    [h.score for h in mine.hits], rel=0.05
                )
                assert theirs.context == mine.context


def test_provenance_edges_hold_after_import(source: Memory, tmp_path: Path) -> None:
    exported = list(source.export(user_id="alice"))
    fact = next(
        json.loads(line)["unit"]
        for line in exported[1:]
        if json.loads(line)["unit"]["granularity"] == "fact"
        and json.loads(line)["unit"]["status"] == "active"
    )
    with Memory(make_settings(tmp_path / "b")) as target:
        target.import_(exported)
        walked = target.provenance(fact["id"])
        assert {u.id for u in walked.sources} == {
            u.id for u in source.provenance(fact["id"]).sources
        }
        assert any(u.granularity == "turn" for u in walked.sources)


def test_importing_again_changes_nothing(source: Memory, tmp_path: Path) -> None:
    exported = list(source.export())
    with Memory(make_settings(tmp_path / "b")) as target:
        first = target.import_(exported)
        before = lines_of(target)
        second = target.import_(exported)
        assert (second.created, second.skipped, second.history) == (0, first.read, 0)
        assert lines_of(target)[1:] == before[1:]


def test_an_import_cut_in_half_continues_where_it_stopped(source: Memory, tmp_path: Path) -> None:
    exported = list(source.export())
    half = exported[: len(exported) // 2]  # a file cut at a line: the header and some units
    with Memory(make_settings(tmp_path / "whole")) as whole:
        whole.import_(exported)
        expected = without_imports(lines_of(whole))
    with Memory(make_settings(tmp_path / "resumed")) as resumed:
        done = resumed.import_(half)
        rest = resumed.import_(exported)
        assert done.created + rest.created == len(exported) - 1
        assert rest.skipped == done.created
        assert without_imports(lines_of(resumed)) == expected
        for query in QUERIES:
            assert [h.memory.id for h in resumed.search(query, k=5).hits] == [
                h.memory.id for h in whole_hits(tmp_path / "whole", query)
            ]


def whole_hits(data_dir: Path, query: str) -> list[Any]:
    with Memory(make_settings(data_dir)) as memory:
        return list(memory.search(query, k=5).hits)


class Interrupted(Exception):
    pass


def test_an_interrupted_import_keeps_its_finished_batches(source: Memory, tmp_path: Path) -> None:
    exported = list(source.export())
    reads = 0

    def lines() -> Iterator[str]:
        """The first read (the check) sees everything; the second stops two-thirds in, as
        a process killed mid-import would."""
        nonlocal reads
        reads += 1
        for n, line in enumerate(exported):
            if reads == 2 and n > 2 * len(exported) // 3:
                raise Interrupted
            yield line

    box = build(make_settings(tmp_path / "b"))
    try:
        transfer = Transfer(box.uow, box.embedder, sizes=(5, 500))  # small batches
        items = memsvc_items(lines, "default")
        with pytest.raises(Interrupted):
            transfer.import_(ImportCommand("default", items))
        with Memory(box.settings) as target:
            stored = len(lines_of(target)) - 1
            assert 0 < stored < len(exported) - 1
            result = target.import_(exported)
            assert result.skipped == stored
            assert len(lines_of(target)) == len(exported)
    finally:
        box.close()


def test_a_malformed_line_is_refused_with_its_number_and_nothing_is_written(
    source: Memory, tmp_path: Path
) -> None:
    exported = list(source.export())
    broken = json.loads(exported[-1])
    broken["unit"]["status"] = "forgotten"
    bad_json = [*exported[:-1], json.dumps(broken) + "\n"]
    cases = {
        "status": bad_json,
        "not JSON": [*exported[:3], "{oops\n", *exported[3:]],
        "version": [json.dumps({**json.loads(exported[0]), "version": 2}) + "\n", *exported[1:]],
        "mem0": ['{"results": []}\n'],
    }
    with Memory(make_settings(tmp_path / "b")) as target:
        for expected, lines in cases.items():
            with pytest.raises(ValidationError, match=expected):
                target.import_(lines)
        assert lines_of(target)[0]["counts"]["units"] == 0


def test_the_import_writes_into_the_callers_tenant_whatever_the_file_names(
    source: Memory, tmp_path: Path
) -> None:
    exported = list(source.export(user_id="alice"))
    assert json.loads(exported[0])["tenant_id"] == "default"
    settings = make_settings(tmp_path / "b")
    with Memory(settings, tenant_id="acme") as acme:
        acme.import_(exported)
        assert {u.tenant_id for u in acme.list(user_id="alice", limit=500).items} == {"acme"}
    with Memory(settings) as default:
        assert default.list(user_id="alice").items == []


def test_ids_of_another_tenant_in_the_same_database_refuse_the_import_whole(
    source: Memory, source_dir: Path
) -> None:
    exported = list(source.export(user_id="alice"))
    with Memory(source_settings(source_dir), tenant_id="acme") as acme:
        with pytest.raises(ConflictError, match="outside your tenant"):
            acme.import_(exported)
        assert acme.list(user_id="alice", statuses=["active", "deleted"]).items == []


def test_a_key_narrowed_to_a_user_imports_only_that_users_memories(
    source: Memory, tmp_path: Path
) -> None:
    exported = list(source.export())  # alice, bob and the agent
    with Memory(make_settings(tmp_path / "b")) as target:
        narrowed = Principal("default", "k1", "admin", user_id="alice")
        with pytest.raises(ForbiddenError, match="line"):
            import_handler(target.service, narrowed, lambda: exported)
        assert lines_of(target)[0]["counts"]["units"] == 0
        only_alice = list(source.export(user_id="alice"))
        result = import_handler(target.service, narrowed, lambda: only_alice)
        assert result.created == len(only_alice) - 1


def test_a_message_already_stored_here_keeps_its_key_and_the_import_does_not(
    source: Memory, tmp_path: Path
) -> None:
    exported = list(source.export(user_id="alice", session_id="s1"))
    with Memory(make_settings(tmp_path / "b")) as target:
        target.add(
            [{"role": "user", "content": "I live in Lisbon and I work at Acme Robotics."}],
            user_id="alice",
            session_id="s1",
            occurred_at=T0,
            extract="off",
        )
        result = target.import_(exported)
        assert result.key_clashes >= 1
        assert result.created == len(exported) - 1


def test_an_export_of_a_session_holds_its_turns_and_session_only(source: Memory) -> None:
    records = lines_of(source, user_id="alice", session_id="s2")[1:]
    assert {r["unit"]["granularity"] for r in records} == {"turn", "session"}
    assert {r["unit"]["session_id"] for r in records} == {"s2"}
    agent = lines_of(source, agent_id="ci-bot")[1:]
    assert agent and {r["unit"]["agent_id"] for r in agent} == {"ci-bot"}


MEM0_EXPORT = {
    "results": [
        {
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "memory": "Likes to play cricket on weekends",
            "hash": "285d07801ae42054732314853e9eadd7",
            "metadata": {"category": "hobbies"},
            "created_at": "2024-07-26T10:29:36.630547-07:00",
            "updated_at": None,
            "user_id": "alex",
            "role": "user",
        },
        {
            "id": "b4a45ed0-1111-4222-8333-444455556666",
            "memory": "Is allergic to peanuts",
            "hash": "9a1f",
            "metadata": None,
            "created_at": "2024-08-01T08:00:00Z",
            "updated_at": "2024-08-02T08:00:00Z",
            "user_id": "alex",
            "agent_id": "diet-bot",
            "run_id": "trip-1",
            "categories": ["health"],
        },
    ],
    "relations": [],
}


def test_a_mem0_export_becomes_facts_with_import_provenance(tmp_path: Path) -> None:
    with Memory(make_settings(tmp_path)) as memory:
        result = memory.import_([json.dumps(MEM0_EXPORT)], format="mem0")
        assert (result.read, result.created) == (2, 2)
        cricket = memory.get("3c90c3cc-0d44-4b50-8888-8dd25736052a")
        assert (cricket.granularity, cricket.origin, cricket.producer) == (
            "fact",
            "import",
            "import/mem0",
        )
        assert cricket.attributes["metadata"] == {"category": "hobbies"}
        assert cricket.attributes["mem0"] == {
            "hash": "285d07801ae42054732314853e9eadd7",
            "role": "user",
        }
        assert cricket.created_at == datetime(2024, 7, 26, 17, 29, 36, 630547, tzinfo=UTC)
        peanuts = memory.get("b4a45ed0-1111-4222-8333-444455556666")
        assert (peanuts.agent_id, peanuts.session_id) == ("diet-bot", "trip-1")
        hits = memory.search("what food must alex avoid?", user_id="alex", k=3).hits
        assert peanuts.id in [h.memory.id for h in hits]
        again = memory.import_([json.dumps(MEM0_EXPORT)], format="mem0")
        assert (again.created, again.skipped) == (0, 2)


def test_mem0_code_reads_back_what_it_exported(tmp_path: Path) -> None:
    with Memory(make_settings(tmp_path)) as memory:
        memory.import_([json.dumps(MEM0_EXPORT["results"])], format="mem0")  # mem0 1.0: a list
        items = Mem0Memory(memory).get_all(user_id="alex")["results"]
        by_id = {i["id"]: i for i in items}
        cricket = by_id["3c90c3cc-0d44-4b50-8888-8dd25736052a"]
        assert cricket["memory"] == "Likes to play cricket on weekends"
        assert cricket["metadata"] == {"category": "hobbies"}
        history = Mem0Memory(memory).history(cricket["id"])
        assert [h["event"] for h in history] == ["ADD"]


def test_mem0_pages_one_a_line_and_bad_items_say_which(tmp_path: Path) -> None:
    first, second = MEM0_EXPORT["results"]
    pages = [json.dumps({"count": 2, "next": "p2", "results": [first]}), json.dumps(second)]
    with Memory(make_settings(tmp_path)) as memory:
        assert memory.import_(pages, format="mem0").created == 2
        with pytest.raises(ValidationError, match="memory 2: memory"):
            memory.import_([json.dumps([first, {"id": "x", "memory": ""}])], format="mem0")
        with pytest.raises(ValidationError, match="mem0 export is"):
            memory.import_(['{"memories": []}'], format="mem0")


def test_a_memory_longer_than_this_deployments_limit_is_refused(
    source: Memory, tmp_path: Path
) -> None:
    exported = list(source.export(user_id="alice", session_id="s1"))
    with Memory(make_settings(tmp_path / "b", limits={"max_content_chars": 20})) as target:
        with pytest.raises(ValidationError, match="longer than 20 characters"):
            target.import_(exported)
        assert lines_of(target)[0]["counts"]["units"] == 0
