"""The whole eval pipeline on tiny LongMemEval- and LoCoMo-format files written here, through
`memsvc.Memory` with the hashing embedder: ingest, search, baselines, metrics, reports."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from memsvc.evals.extraction_speed import extract_haystack
from memsvc.evals.loaders import load
from memsvc.evals.report import write_reports
from memsvc.evals.runner import RunConfig, RunResult, run
from memsvc.operations.extract.rules import RulesExtractor

from memsvc import Memory
from memsvc.settings import Settings
from tests.llm_server import ScriptedLLMServer, json_reply, text


def _lme_item(qid: str, qtype: str, topic: str) -> dict[str, Any]:
    evidence = [
        {
            "role": "user",
            "content": f"I adopted a puppy called {topic} last week.",
            "has_answer": True,
        },
        {"role": "assistant", "content": "Congratulations on the new puppy!", "has_answer": False},
    ]
    filler = [
        {"role": "user", "content": "Can you suggest a pasta recipe for dinner?"},
        {"role": "assistant", "content": "Try a simple tomato and basil spaghetti."},
    ]
    other = [
        {"role": "user", "content": "I am planning a trip to Lisbon in autumn."},
        {"role": "assistant", "content": "Lisbon is lovely in October."},
    ]
    return {
        "question_id": qid,
        "question_type": qtype,
        "question": "What is the name of the puppy I adopted?",
        "answer": topic,
        "question_date": "2023/05/30 (Tue) 10:00",
        "haystack_dates": [
            "2023/05/01 (Mon) 09:00",
            "2023/05/20 (Sat) 18:30",
            "2023/05/25 (Thu) 08:15",
        ],
        "haystack_session_ids": [f"filler_{qid}", f"answer_{qid}", "shared_trip"],
        "haystack_sessions": [filler, evidence, other],
        "answer_session_ids": [f"answer_{qid}"],
    }


def _write_lme(path: Path) -> None:
    items = [
        _lme_item("q1", "single-session-user", "Biscuit"),
        _lme_item("q2", "multi-session", "Pepper"),
        _lme_item("q3_abs", "single-session-user", "Nobody"),
    ]
    path.write_bytes(gzip.compress(json.dumps(items).encode()))


def _write_locomo(path: Path) -> None:
    conversation = {
        "speaker_a": "Alice",
        "speaker_b": "Bob",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [
            {"speaker": "Alice", "dia_id": "D1:1", "text": "I started pottery classes on Monday."},
            {
                "speaker": "Bob",
                "dia_id": "D1:2",
                "text": "Look at what I made!",
                "blip_caption": "a photo of a blue ceramic bowl",
            },
        ],
        "session_2_date_time": "10:00 am on 20 May, 2023",
        "session_2": [
            {"speaker": "Alice", "dia_id": "D2:1", "text": "My sister visited from Oslo."},
            {"speaker": "Bob", "dia_id": "D2:2", "text": "Did you go hiking together?"},
        ],
        "session_3_date_time": "9:00 am on 1 June, 2023",  # no session_3: ignored
    }
    qa = [
        {
            "question": "When did Alice start pottery?",
            "answer": "May 2023",
            "evidence": ["D1:1"],
            "category": 2,
        },
        {
            "question": "What did Bob make?",
            "answer": "a bowl",
            "evidence": ["D1:2; D1:02"],
            "category": 4,
        },
        {
            "question": "Who visited Alice?",
            "answer": "her sister",
            "evidence": ["D2:1", "D9:9"],
            "category": 1,
        },
        {
            "question": "What is Bob's cat called?",
            "adversarial_answer": "Tom",
            "evidence": ["D2:2"],
            "category": 5,
        },
        {"question": "Where does Alice live?", "answer": "unknown", "evidence": [], "category": 3},
    ]
    path.write_text(json.dumps([{"sample_id": "conv-x", "conversation": conversation, "qa": qa}]))


def _settings(tmp_path: Path, llm_url: str | None = None) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "home",
        embedder={"model": "hash-64"},
        llm={"base_url": llm_url, "model": "judge"},
    )


def _run(
    tmp_path: Path, kind: str, data: Path, llm_url: str | None = None, **options: Any
) -> RunResult:
    config = RunConfig(
        kind=kind,  # type: ignore[arg-type]
        data=data,
        cache_dir=tmp_path / "cache",
        progress=False,
        settings=_settings(tmp_path, llm_url),
        **options,
    )
    return run(config)


def test_longmemeval_pipeline_writes_json_markdown_and_plots(tmp_path: Path) -> None:
    data = tmp_path / "lme.json.gz"
    _write_lme(data)
    result = _run(tmp_path, "longmemeval", data)
    paths = write_reports(result, tmp_path / "report", "memsvc eval longmemeval --data x")

    report = json.loads(paths["json"].read_text())
    assert set(report["systems"]) == {"memsvc", "bm25", "dense", "rrf"}
    memsvc = report["systems"]["memsvc"]["summary"]
    assert memsvc["excluded"] == {"abstention": 1}
    assert memsvc["n_overall"]["turn_recall@10"] == 2
    # Three sessions per scope: with k >= 3 every system finds the answer session.
    for system in report["systems"].values():
        assert system["summary"]["overall"]["session_recall_all@5"] == 1.0
    assert report["counts"]["questions"] == 3
    assert report["cold"] is True
    assert report["git"]["commit"]
    assert report["qa"]["status"] == "skipped"
    assert set(report["deltas"]) == {"bm25", "dense", "rrf"}
    assert report["systems"]["memsvc"]["latency_ms"]["n"] == 3
    markdown = paths["markdown"].read_text()
    assert "Δ memsvc − bm25" in markdown
    assert "QA skipped (no MEMSVC_LLM_BASE_URL)" in markdown
    assert paths["recall_at_k"].read_bytes()[:4] == b"\x89PNG"
    assert any(p.suffix == ".png" and "per_type" in p.name for p in paths.values())


def test_dump_hits_writes_each_questions_gold_route_and_voted_hits(tmp_path: Path) -> None:
    data = tmp_path / "lme.json.gz"
    _write_lme(data)
    result = _run(tmp_path, "longmemeval", data, dump_hits=True, baselines=False)
    paths = write_reports(result, tmp_path / "report", "memsvc eval longmemeval --dump-hits")
    lines = [json.loads(line) for line in paths["hits"].read_text().splitlines()]
    assert len(lines) == 3
    scored = next(line for line in lines if not line["excluded"])
    assert scored["gold_turns"] and scored["route"]["weights"]
    top = scored["hits"][0]
    assert top["turn"] and {v[0] for v in top["votes"]} & {"turn.dense", "turn.lexical"}


def test_coverage_scores_packed_contexts_for_memsvc_and_the_baselines(tmp_path: Path) -> None:
    data = tmp_path / "lme.json.gz"
    _write_lme(data)
    result = _run(tmp_path, "longmemeval", data, coverage=True)
    for name in ("memsvc", "bm25", "dense", "rrf"):
        overall = result.summaries[name].overall
        for budget in (512, 1024, 2048):
            assert 0.0 <= overall[f"coverage@{budget}"] <= 1.0
        # Three short sessions per scope: 2,048 tokens hold every gold turn.
        assert overall["coverage@2048"] == 1.0


def test_type_filter_keeps_only_that_question_type(tmp_path: Path) -> None:
    data = tmp_path / "lme.json.gz"
    _write_lme(data)
    every = load(data, "longmemeval").questions
    wanted = every[0].qtype
    result = _run(tmp_path, "longmemeval", data, types=(wanted,))
    assert result.questions and {q.qtype for q in result.questions} == {wanted}
    assert len(result.questions) == sum(1 for q in every if q.qtype == wanted) < len(every)


def test_second_run_reuses_ingested_scopes_and_embeddings(tmp_path: Path) -> None:
    data = tmp_path / "lme.json.gz"
    _write_lme(data)
    first = _run(tmp_path, "longmemeval", data)
    second = _run(tmp_path, "longmemeval", data)
    assert first.ingest.scopes_ingested == 3
    assert second.ingest.scopes_ingested == 0
    assert second.ingest.scopes_reused == 3
    assert second.counts["texts_embedded"] == 0
    assert not second.cold
    assert second.summaries["memsvc"].overall == first.summaries["memsvc"].overall


def test_jobs_after_ingest_compress_each_scope_in_its_own_scope_database(
    tmp_path: Path,
) -> None:
    data = tmp_path / "lme.json.gz"
    _write_lme(data)
    plain = _run(tmp_path, "longmemeval", data)
    compressed = _run(tmp_path, "longmemeval", data, jobs=("compress",))
    assert compressed.ingest.scopes_ingested == 3  # not the scopes of the plain run
    assert compressed.ingest.database != plain.ingest.database
    assert compressed.ingest.job_seconds > 0
    memory = Memory(
        _settings(tmp_path).model_copy(
            update={
                "database_url": f"sqlite:///{compressed.ingest.database}/memsvc.db",
                "data_dir": Path(str(compressed.ingest.database)),
            }
        )
    )
    try:
        [question] = [q for q in compressed.questions if not q.excluded][:1]
        sessions = memory.list(user_id=question.scope_id, granularities=["session"]).items
        assert sessions and all(s.attributes.get("summary") for s in sessions)
    finally:
        memory.close()


def test_locomo_pipeline_scores_evidence_and_excludes_adversarial(tmp_path: Path) -> None:
    data = tmp_path / "locomo.json"
    _write_locomo(data)
    dataset = load(data, "locomo")
    bowl = dataset.haystacks["conv-x"].sessions[0].turns[1]
    assert bowl.key_text.startswith("Bob: Look at what I made!")
    assert "blue ceramic bowl" in bowl.key_text
    assert [q.gold_turns for q in dataset.questions][:3] == [("D1:1",), ("D1:2",), ("D2:1",)]

    result = _run(tmp_path, "locomo", data)
    summary = result.summaries["memsvc"]
    assert summary.excluded == {"adversarial": 1, "no-evidence": 1}
    assert summary.n_overall["turn_recall@25"] == 3
    assert summary.overall["turn_recall@25"] == 1.0  # four turns: everything is in the top 25
    assert set(summary.by_type) == {"temporal", "single-hop", "multi-hop"}
    hits = result.systems["memsvc"].hits["conv-x:q0"]
    assert {h.session_id for h in hits} <= {"session_1", "session_2"}


@pytest.mark.parametrize("verdict", [True, False])
def test_qa_answers_and_judges_through_an_openai_compatible_server(
    tmp_path: Path, verdict: bool
) -> None:
    data = tmp_path / "lme.json.gz"
    _write_lme(data)
    script = []
    for _ in range(3):  # two scored questions and one abstention: reader, then judge
        script += [text("Biscuit."), json_reply({"correct": verdict, "reason": "r"})]
    with ScriptedLLMServer(script) as server:
        result = _run(tmp_path, "longmemeval", data, llm_url=server.base_url)
        requests = server.requests
    assert result.qa["status"] == "done"
    assert result.qa["judged"] == 3
    assert result.qa["accuracy"] == (1.0 if verdict else 0.0)
    assert result.qa["prompt_tokens"] > 0
    assert result.qa["accuracy_by_type"].keys() == {
        "abstention",
        "multi-session",
        "single-session-user",
    }
    reader_prompt = requests[0].body["messages"][1]["content"]
    assert "Question: What is the name of the puppy I adopted?" in reader_prompt
    assert "[2023-05-20" in reader_prompt  # memories carry their dates


def test_url_runs_the_same_evaluation_against_a_server_over_http(tmp_path: Path) -> None:
    from memsvc.api.app import create_app

    from memsvc.bootstrap import build
    from tests.servers import app_server

    data = tmp_path / "lme.json.gz"
    _write_lme(data)
    container = build(_settings(tmp_path / "server"))
    try:
        with app_server(create_app(container=container)) as base_url:
            config = RunConfig(
                kind="longmemeval",
                data=data,
                cache_dir=tmp_path / "cache",
                url=base_url,
                progress=False,
                settings=_settings(tmp_path),
            )
            result = run(config)
    finally:
        container.close()
    assert result.ingest.database == base_url
    assert result.ingest.scopes_ingested == 3
    assert result.summaries["memsvc"].overall["session_recall_all@5"] == 1.0
    assert result.systems["memsvc"].texts["q1"]  # hits came back over HTTP


def test_cli_runs_an_evaluation_and_writes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memsvc.evals.cli import eval_app
    from typer.testing import CliRunner

    data = tmp_path / "lme.json.gz"
    _write_lme(data)
    monkeypatch.setenv("MEMSVC_EMBEDDER_MODEL", "hash-64")  # configuration, as a user sets it
    monkeypatch.delenv("MEMSVC_LLM_BASE_URL", raising=False)
    args = ["longmemeval", "--data", str(data), "--sample", "2", "--seed", "1", "--k", "1"]
    args += ["--k", "3", "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "r")]
    outcome = CliRunner().invoke(eval_app, [*args, "--no-progress", "--no-baselines"])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["ks"] == [1, 3]
    assert report["counts"]["questions"] == 2
    assert set(report["systems"]) == {"memsvc"}
    assert report["config"]["embedder_model"] == "hash-64"


def test_extraction_speed_extracts_each_session_as_one_batch(tmp_path: Path) -> None:
    data = tmp_path / "locomo.json"
    _write_locomo(data)
    haystack = load(data, "locomo").haystacks["conv-x"]
    results = extract_haystack(RulesExtractor(), haystack)
    assert len(results) == 2  # one batch per session
    facts = [f.text for f in results[0].facts]
    assert any("Alice" in text and "pottery" in text for text in facts)
