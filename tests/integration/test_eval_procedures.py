"""`memsvc eval procedures`: the seeded trace generator, and the evaluator end to end on a
tiny generated set with the hashing embedder (memsvc through the SDK and the baselines)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from memsvc.evals.cli import eval_app
from memsvc.evals.procedure_data import TraceConfig, generate
from memsvc.evals.procedure_metrics import Item, Run, good_above_bad, traces_to_stable
from memsvc.evals.procedures import ProcedureEvalConfig, run_procedures, write_report
from typer.testing import CliRunner

from tests.conftest import make_settings

TINY = TraceConfig(seed=3, scopes=1, targets=3, distractors=3, traces_per_goal=4)


def tools_of(goal: object) -> set[str]:
    return {tool for tool, _ in goal.good}  # type: ignore[attr-defined]


def test_generated_sets_are_seeded_and_have_near_neighbour_distractors() -> None:
    data = generate(TINY)

    assert [t.messages for t in generate(TINY).traces] == [t.messages for t in data.traces]
    assert [t.messages for t in generate(TraceConfig(seed=4)).traces] != [
        t.messages for t in data.traces
    ]
    targets = [g for g in data.goals.values() if g.target]
    distractors = [g for g in data.goals.values() if not g.target]
    assert len(targets) == 3 and len(distractors) == 3
    for d in distractors:  # shares two of task, object and environment with some target
        assert any(
            sum(a == b for a, b in zip((d.family, d.obj, d.env), (t.family, t.obj, t.env))) == 2
            for t in targets
        )
    assert {q.goal for q in data.queries} == {g.id for g in targets}
    assert len(data.traces) == 6 * 4


def test_every_goal_has_a_good_and_a_different_bad_variant_over_shared_tools() -> None:
    data = generate(TraceConfig(seed=0, scopes=2))
    for goal in data.goals.values():
        assert goal.good != goal.bad
    tools = Counter(tool for g in data.goals.values() for tool in tools_of(g))
    assert tools["http_check"] > len(data.goals) / 2  # one vocabulary across tasks
    runs = Counter((t.variant, t.outcome) for t in data.traces)
    assert runs[("good", "success")] > runs[("good", "failure")] > 0
    assert runs[("bad", "failure")] > runs[("bad", "success")]
    assert {t.shape for t in data.traces} == {"tool_calls", "list", "prose"}


def test_good_above_bad_compares_the_best_places_of_each_variant() -> None:
    runs = {
        "g1": Run("g1", "A", "good", "success"),
        "b1": Run("b1", "A", "bad", "failure"),
    }
    merged = [Item("A", {"b1": (0, 1), "g1": (0, 0)})]
    apart = [Item("A", {"b1": (0, 0)}), Item("A", {"g1": (0, 0)})]

    assert good_above_bad(merged, "A", runs) == 1.0
    assert good_above_bad(apart, "A", runs) == 0.0
    assert good_above_bad(merged, "B", runs) is None


def test_traces_to_stable_counts_until_the_last_change() -> None:
    assert traces_to_stable([("a",), ("a",), ("a",)]) == 1
    assert traces_to_stable([("a",), ("b",), ("b",), ("b",)]) == 2
    assert traces_to_stable([("a",), ("b",), ("a",)]) == 3


def test_the_evaluator_scores_memsvc_and_the_baselines_on_a_tiny_set(tmp_path: Path) -> None:
    config = ProcedureEvalConfig(TINY, make_settings(tmp_path), search_k=10, progress=False)

    report = run_procedures(config)

    systems = report["systems"]
    assert set(systems) == {
        "memsvc",
        *(f"{n} ({u})" for n in ("bm25", "dense", "rrf") for u in ("traces", "turns")),
    }
    for scores in systems.values():
        assert 0.0 <= scores["recall@1"] <= scores["recall@3"] <= 1.0
        assert scores["queries"] == 6
    assert report["routing"]["routed_howto"] > 0.5  # paraphrased how-tos reach procedures
    assert report["convergence"]["procedures_per_goal"]["mean"] >= 1.0
    markdown = write_report(report, tmp_path / "out", "memsvc eval procedures").read_text()
    assert "| memsvc |" in markdown and (tmp_path / "out" / "report.json").exists()


def test_the_command_runs_from_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "report"
    args = ["procedures", "--scopes", "1", "--targets", "2", "--distractors", "1"]
    args += ["--traces", "3", "--embedder", "hash-256", "--no-progress", "--no-baselines"]
    result = CliRunner().invoke(
        eval_app, [*args, "--out", str(out)], env={"MEMSVC_DATA_DIR": str(tmp_path)}
    )

    assert result.exit_code == 0, result.output
    assert "| memsvc |" in result.output and (out / "report.md").exists()
