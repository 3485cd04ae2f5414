"""`memsvc eval procedures`: does procedural memory find the right how-to, put what worked
ahead of what failed, and settle as runs come in?

On a generated task-trace set (`procedure_data.py`), every run is added through the public
SDK (`memsvc.Memory`, one session per run, `extract="sync"`, `outcome=...`) in one
interleaved order per scope; after each run the evaluator reads its goal's procedure
(`list(granularities=["procedure"])`) to see when the recommended steps stop changing.
Then every paraphrased how-to query is searched (auto mode: the router has to see that it is
a how-to) and the procedure hits are scored; BM25, dense and their RRF over the raw traces
(one document per run, `baselines.py`) answer the same queries. Metrics: `procedure_metrics`.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from memsvc.evals.baselines import Tokenizer, build_index
from memsvc.evals.procedure_data import TraceConfig, TraceSet, generate
from memsvc.evals.procedure_metrics import (
    Item,
    Run,
    majority_goal,
    score_system,
    summary_stats,
    traces_to_stable,
)
from tqdm import tqdm

from memsvc import Memory, Unit
from memsvc.embedding import build_embedder
from memsvc.settings import Settings

PAGE = 500


@dataclass(slots=True)
class ProcedureEvalConfig:
    traces: TraceConfig = field(default_factory=TraceConfig)
    settings: Settings | None = None  # default: Settings() with a temporary data dir
    search_k: int = 10
    baselines: bool = True
    progress: bool = True


@dataclass(slots=True)
class _Ingested:
    first_turn: dict[str, str] = field(default_factory=dict)  # trace id -> its first turn id
    snapshots: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # goal -> steps
    add_ms: list[float] = field(default_factory=list)


def run_procedures(config: ProcedureEvalConfig) -> dict[str, Any]:
    """Generate the set, run memsvc and the baselines, and return the report as JSON data."""
    data = generate(config.traces)
    with tempfile.TemporaryDirectory(prefix="memsvc-eval-procedures-") as tmp:
        settings = (config.settings or Settings()).model_copy(update={"data_dir": Path(tmp)})
        with Memory(settings) as memory:
            ingested = _ingest(memory, data, config.progress)
            runs = _runs(data, ingested)
            answers, routing, search_ms = _ask_memsvc(memory, data, runs, config)
            units = _all_procedures(memory, data)
        systems = {"memsvc": answers}
        if config.baselines:
            systems |= _ask_baselines(settings, data, config.progress)
    asked = {q.id: q.goal for q in data.queries}
    by_trace = {r.trace_id: r for r in runs.values()}
    scores = {name: score_system(a, asked, by_trace) for name, a in systems.items()}
    return {
        "config": _config_dict(config, settings),
        "counts": {
            "goals": len(data.goals),
            "targets": sum(g.target for g in data.goals.values()),
            "traces": len(data.traces),
            "queries": len(data.queries),
        },
        "systems": {name: _scores_dict(s) for name, s in scores.items()},
        "routing": routing,
        "convergence": _convergence(data, ingested, units, runs),
        "latency_ms": {
            "add_trace": summary_stats(ingested.add_ms),
            "search": summary_stats(search_ms),
        },
    }


def _ingest(memory: Memory, data: TraceSet, progress: bool) -> _Ingested:
    out = _Ingested()
    for trace in tqdm(data.traces, desc="add traces", unit="trace", disable=not progress):
        start = time.perf_counter()
        result = memory.add(
            trace.messages,
            user_id=trace.scope,
            session_id=trace.id,
            extract="sync",
            outcome=trace.outcome,
        )
        out.add_ms.append((time.perf_counter() - start) * 1000)
        out.first_turn[trace.id] = result.memories[0].id
        unit = _holder(_procedures(memory, trace.scope), result.memories[0].id)
        steps = tuple(unit.attributes.get("steps", [])) if unit else ()
        out.snapshots.setdefault(trace.goal, []).append(steps)
    return out


def _procedures(memory: Memory, scope: str) -> list[Unit]:
    found: list[Unit] = []
    cursor = None
    while True:
        page = memory.list(user_id=scope, granularities=["procedure"], cursor=cursor, limit=PAGE)
        found += page.items
        if not page.next_cursor:
            return found
        cursor = page.next_cursor


def _holder(units: Sequence[Unit], first_turn: str) -> Unit | None:
    """The procedure that holds the run starting at `first_turn`."""
    return next((u for u in units if first_turn in _trace_ids(u)), None)


def _trace_ids(unit: Unit) -> list[str]:
    return [str(t.get("id")) for t in unit.attributes.get("traces", [])]


def _runs(data: TraceSet, ingested: _Ingested) -> dict[str, Run]:
    """Runs by the id memsvc knows them by: a procedure names a run by its first turn."""
    return {ingested.first_turn[t.id]: Run(t.id, t.goal, t.variant, t.outcome) for t in data.traces}


def _item(unit: Unit, runs: dict[str, Run]) -> Item:
    """A procedure as a ranked answer: its majority goal, the path rank of each run, and
    whether its recommended path is one a known-good run succeeded with."""
    paths = {p["id"]: i for i, p in enumerate(unit.attributes.get("paths", []))}
    mine = [t for t in unit.attributes.get("traces", []) if str(t.get("id")) in runs]
    places = {runs[str(t["id"])].trace_id: (0, paths.get(t.get("path"), len(paths))) for t in mine}
    works = any(paths.get(t.get("path")) == 0 and _worked(runs[str(t["id"])]) for t in mine)
    return Item(majority_goal(_trace_ids(unit), runs), places, works)


def _worked(run: Run) -> bool:
    return run.variant == "good" and run.outcome == "success"


def _ask_memsvc(
    memory: Memory,
    data: TraceSet,
    runs: dict[str, Run],
    config: ProcedureEvalConfig,
) -> tuple[dict[str, list[Item]], dict[str, Any], list[float]]:
    answers: dict[str, list[Item]] = {}
    routed = first = 0
    latencies = []
    for query in tqdm(data.queries, desc="search memsvc", unit="q", disable=not config.progress):
        start = time.perf_counter()
        result = memory.search(query.text, user_id=query.scope, k=config.search_k)
        latencies.append((time.perf_counter() - start) * 1000)
        routed += "howto" in result.route.name
        first += bool(result.hits) and result.hits[0].granularity == "procedure"
        hits = [h.memory for h in result.hits if h.granularity == "procedure"]
        answers[query.id] = [_item(u, runs) for u in hits]
    n = max(len(data.queries), 1)
    routing = {"routed_howto": round(routed / n, 3), "procedure_first": round(first / n, 3)}
    return answers, routing, latencies


def _ask_baselines(
    settings: Settings, data: TraceSet, progress: bool
) -> dict[str, dict[str, list[Item]]]:
    """BM25, dense and their RRF over the raw traces of each scope: one document per run
    (`traces`), and one per message with a run ranked at its best message (`turns`)."""
    embedder = build_embedder(settings.embedder, None)
    out: dict[str, dict[str, list[Item]]] = {}
    runs = {t.id: Run(t.id, t.goal, t.variant, t.outcome) for t in data.traces}
    tokenizer = Tokenizer()
    try:
        for scope in tqdm(sorted({t.scope for t in data.traces}), disable=not progress):
            traces = [t for t in data.traces if t.scope == scope]
            queries = [q for q in data.queries if q.scope == scope]
            vectors = embedder.embed_batch([q.text for q in queries])
            for unit, rows in (("traces", _trace_rows(traces)), ("turns", _turn_rows(traces))):
                texts = [r[2] for r in rows]
                index = build_index(rows, np.asarray(embedder.embed_batch(texts)), tokenizer)
                for query, vector in zip(queries, vectors):
                    for name, (hits, _) in index.search(query.text, vector).items():
                        order = dict.fromkeys(str(h.session_id) for h in hits)
                        items = [_trace_item(runs[t]) for t in order]
                        out.setdefault(f"{name} ({unit})", {})[query.id] = items
    finally:
        embedder.close()
    return out


def _trace_rows(traces: Sequence[Any]) -> list[tuple[str, str, str]]:
    return [(t.id, t.id, t.text) for t in traces]


def _turn_rows(traces: Sequence[Any]) -> list[tuple[str, str, str]]:
    return [
        (f"{t.id}#{i}", t.id, line)
        for t in traces
        for i, line in enumerate(t.text.split("\n"))
        if line.strip()
    ]


def _trace_item(run: Run) -> Item:
    return Item(run.goal, {run.trace_id: (0, 0)}, _worked(run))


def _all_procedures(memory: Memory, data: TraceSet) -> list[Unit]:
    return [
        u for scope in sorted({t.scope for t in data.traces}) for u in _procedures(memory, scope)
    ]


def _convergence(
    data: TraceSet, ingested: _Ingested, units: list[Unit], runs: dict[str, Run]
) -> dict[str, Any]:
    """Traces until each healthy goal's recommended steps settle, whether they settle on
    the known-good variant, how many procedures a goal's runs spread over, and flags."""
    holders: dict[str, set[str]] = {}
    for unit in units:
        for trace_id in _trace_ids(unit):
            if trace_id in runs:
                holders.setdefault(runs[trace_id].goal, set()).add(unit.id)
    healthy = [g for g in data.goals.values() if not g.broken]
    stable = [traces_to_stable(ingested.snapshots[g.id]) for g in healthy]
    on_good = [_settled_on_good(g.id, units, runs) for g in healthy]
    flagged = {u.id for u in units if u.attributes.get("reliability", {}).get("keeps_failing")}
    broken = [g for g in data.goals.values() if g.broken]
    return {
        "traces_to_stable": summary_stats(stable),
        "stable_before_last_trace": round(
            statistics.fmean(s < data.config.traces_per_goal for s in stable), 3
        )
        if stable
        else 0.0,
        "settled_on_known_good": round(statistics.fmean(on_good), 3) if on_good else 0.0,
        "procedures_per_goal": summary_stats([len(holders.get(g, ())) for g in data.goals]),
        "flagged_broken_goals": _share(broken, holders, flagged),
        "flagged_healthy_goals": _share(healthy, holders, flagged),
        "broken_goals": len(broken),
    }


def _settled_on_good(goal: str, units: list[Unit], runs: dict[str, Run]) -> float:
    """1.0 when the goal's main procedure recommends the path its good runs succeeded with."""
    mine = [u for u in units if majority_goal(_trace_ids(u), runs) == goal]
    if not mine:
        return 0.0
    main = max(mine, key=lambda u: len(_trace_ids(u)))
    traces = main.attributes.get("traces", [])
    good = [
        t.get("path")
        for t in traces
        if str(t.get("id")) in runs
        and runs[str(t["id"])].variant == "good"
        and t.get("outcome") == "success"
    ]
    paths = main.attributes.get("paths", [])
    if not good or not paths:
        return 0.0
    common = max(set(good), key=good.count)
    return 1.0 if paths[0]["id"] == common else 0.0


def _share(goals: Sequence[Any], holders: dict[str, set[str]], flagged: set[str]) -> float:
    if not goals:
        return 0.0
    return round(statistics.fmean(bool(holders.get(g.id, set()) & flagged) for g in goals), 3)


def _scores_dict(scores: Any) -> dict[str, Any]:
    return {
        "recall@1": round(scores.recall[1], 3),
        "recall@3": round(scores.recall[3], 3),
        "working@1": round(scores.working, 3),
        "good_above_bad": None
        if scores.good_above_bad is None
        else round(scores.good_above_bad, 3),
        "queries": scores.queries,
        "pairs": scores.pairs,
    }


def _config_dict(config: ProcedureEvalConfig, settings: Settings) -> dict[str, Any]:
    from dataclasses import asdict

    return {**asdict(config.traces), "embedder": settings.embedder.model, "k": config.search_k}


def to_markdown(report: dict[str, Any], command: str) -> str:
    """The report as the markdown BENCHMARKS.md quotes."""
    c, conv = report["counts"], report["convergence"]
    lines = [
        "# memsvc eval procedures",
        "",
        f"`{command}`",
        "",
        f"{c['traces']} traces of {c['goals']} goals ({c['targets']} asked about), "
        f"{c['queries']} paraphrased how-to queries; embedder `{report['config']['embedder']}`.",
        "",
        "| system | recall@1 | recall@3 | working@1 | good above bad (queries) |",
        "|---|---|---|---|---|",
    ]
    for name, s in report["systems"].items():
        gab = "-" if s["good_above_bad"] is None else f"{s['good_above_bad']:.3f}"
        lines.append(
            f"| {name} | {s['recall@1']:.3f} | {s['recall@3']:.3f} | {s['working@1']:.3f} "
            f"| {gab} ({s['pairs']}) |"
        )
    r = report["routing"]
    lines += [
        "",
        f"Routed as how-to: {r['routed_howto']:.3f}; a procedure is the first hit: "
        f"{r['procedure_first']:.3f}.",
        f"Traces until a goal's recommended steps stop changing: {conv['traces_to_stable']} "
        f"(stable before the last trace: {conv['stable_before_last_trace']:.3f}); settled on "
        f"the known-good variant: {conv['settled_on_known_good']:.3f}; procedures per goal: "
        f"{conv['procedures_per_goal']}.",
        f"Flagged as failing: {conv['flagged_broken_goals']:.3f} of {conv['broken_goals']} "
        f"broken goals, {conv['flagged_healthy_goals']:.3f} of healthy ones.",
        f"Latency ms: {report['latency_ms']}.",
    ]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out: Path, command: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps({**report, "command": command}, indent=2) + "\n")
    path = out / "report.md"
    path.write_text(to_markdown(report, command))
    return path
