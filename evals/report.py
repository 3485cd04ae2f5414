"""Reports of a run: one JSON file with every number (and the config, git commit, machine,
timings, cold or warm), a markdown summary with memsvc next to each baseline and the
difference, and PNG plots. Written to `reports/<name>-<timestamp>/` unless `--out` says."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from memsvc.evals.profile import stages_markdown
from memsvc.evals.runner import RunResult

import memsvc

HEADLINES = {
    "longmemeval": (
        "session_recall_any@5",
        "session_recall_all@5",
        "session_recall_all@10",
        "session_ndcg@10",
        "turn_recall@5",
        "turn_recall@10",
    ),
    "locomo": (
        "turn_recall@1",
        "turn_recall@5",
        "turn_recall@10",
        "turn_recall@25",
        "turn_all_hit@10",
    ),
}
# The per-type tables: the metric the targets are stated in, per kind.
TYPE_METRICS = {
    "longmemeval": ("session_recall_all@5", "turn_recall@10"),
    "locomo": ("turn_recall@10", "turn_all_hit@10"),
}
PRIMARY = "memsvc"


def report_name(result: RunResult) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    sample = f"-sample{result.config.sample}" if result.config.sample else ""
    return f"{result.dataset.name}{sample}-{stamp}"


def write_reports(result: RunResult, out: Path, command: str) -> dict[str, Path]:
    """Write report.json, report.md and the plots into `out`; return their paths."""
    from memsvc.evals.plots import write_plots  # matplotlib loads only here

    out.mkdir(parents=True, exist_ok=True)
    data = to_json(result, command)
    paths = {"json": out / "report.json", "markdown": out / "report.md"}
    paths["json"].write_text(json.dumps(data, indent=2, default=str) + "\n")
    paths["markdown"].write_text(to_markdown(data))
    paths |= write_plots(data, out)
    dumps = result.systems["memsvc"].dumps if "memsvc" in result.systems else {}
    if dumps:
        paths["hits"] = _write_dumps(result, dumps, out / "hits.jsonl")
    return paths


def _write_dumps(result: RunResult, dumps: dict[str, dict[str, Any]], path: Path) -> Path:
    """One line per question: its gold evidence, type, route and memsvc's voted hits."""
    with path.open("w") as out:
        for q in result.questions:
            if q.question_id not in dumps:
                continue
            line = {
                "dataset": result.dataset.name,
                "question_id": q.question_id,
                "qtype": q.qtype,
                "question": q.text,
                "query_time": q.query_time.isoformat() if q.query_time else None,
                "excluded": q.excluded,
                "gold_turns": list(q.gold_turns),
                "gold_sessions": list(q.gold_sessions),
                **dumps[q.question_id],
            }
            out.write(json.dumps(line, default=str) + "\n")
    return path


def to_json(result: RunResult, command: str) -> dict[str, Any]:
    """Every number of the run as plain JSON."""
    config = {f.name: getattr(result.config, f.name) for f in fields(result.config)}
    config["settings"] = None  # secrets may live there; the embedder is named below
    config["embedder_model"] = result.embedder
    return {
        "name": report_name(result),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "git": git_info(),
        "machine": machine_info(),
        "memsvc_version": memsvc.__version__,
        "config": config,
        "dataset": {
            "kind": result.dataset.kind,
            "name": result.dataset.name,
            "path": str(result.dataset.path),
            "sha256": result.dataset.sha256,
            "notes": result.dataset.notes,
        },
        "counts": result.counts,
        "cold": result.cold,
        "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
        "ingest": asdict(result.ingest),
        "ks": list(result.ks),
        "systems": {
            name: {
                "summary": result.summaries[name].to_dict(),
                "latency_ms": latency_stats(run.latencies_ms),
                "latencies_ms": [round(ms, 3) for ms in run.latencies_ms],  # per question
                "routes": dict(run.routes),
                "granularities_top10": dict(run.granularities),
                **({"stages": run.stages.to_dict()} if run.stages else {}),
            }
            for name, run in result.systems.items()
        },
        "deltas": deltas(result),
        "qa": result.qa or {"status": "off"},
    }


def deltas(result: RunResult) -> dict[str, dict[str, float]]:
    """memsvc minus each baseline, per overall metric."""
    if PRIMARY not in result.summaries:
        return {}
    mine = result.summaries[PRIMARY].overall
    return {
        name: {m: mine[m] - v for m, v in s.overall.items() if m in mine}
        for name, s in result.summaries.items()
        if name != PRIMARY
    }


def latency_stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    arr = np.asarray(values)
    stats = {f"p{p}": float(np.percentile(arr, p)) for p in (50, 95, 99)}
    return {"n": len(values), "mean": float(arr.mean()), **stats}


def git_info() -> dict[str, Any]:
    """The commit the measured code came from. `mixed_roots` lists the folders memsvc's
    modules were loaded from when there is more than one (say, a snapshot for the core and an
    editable install for the rest): then the commit does not describe the code measured."""
    root = Path(memsvc.__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    # The folders pyproject maps into the namespace: each must come from the same checkout.
    mapped = ("memsvc", *(f"memsvc.{p}" for p in ("stores", "operations", "retrieval", "api")))
    loaded = [sys.modules.get(name) for name in (*mapped, "memsvc.evals")]
    roots = sorted(
        {str(Path(m.__file__).resolve().parent.parent) for m in loaded if m and m.__file__}
    )
    info: dict[str, Any] = {
        "commit": git("rev-parse", "HEAD") or None,
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }
    if len(roots) > 1:
        info["mixed_roots"] = roots
    return info


def machine_info() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


# -- markdown ---------------------------------------------------------------------------------
def fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.3f}"


def fmt_delta(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:+.3f}"


def to_markdown(data: dict[str, Any]) -> str:
    """The human summary of a report's JSON."""
    kind = data["dataset"]["kind"]
    systems = data["systems"]
    lines = _header(data)
    headline = [m for m in HEADLINES[kind] if _has(systems, m)]
    lines += ["", "## Overall", "", *_overall_table(systems, headline)]
    covered = [m for m in ("coverage@512", "coverage@1024", "coverage@2048") if _has(systems, m)]
    if covered:
        title = "## Evidence coverage of a packed context (tokens as chars / 4)"
        lines += ["", title, "", *_overall_table(systems, covered)]
    for metric in TYPE_METRICS[kind]:
        if _has(systems, metric):
            lines += ["", f"## Per type: {metric}", "", *_type_table(systems, metric)]
    every = sorted({m for s in systems.values() for m in s["summary"]["overall"]}, key=_order)
    lines += ["", "## All metrics", "", *_all_table(systems, every)]
    lines += ["", "## QA", "", _qa_line(data["qa"])]
    if PRIMARY in systems:
        mine = systems[PRIMARY]
        lines += [
            "",
            "## memsvc routes",
            "",
            f"Routes taken: {_counts(mine['routes'])}. "
            f"Granularities of the first ten hits: {_counts(mine['granularities_top10'])}.",
        ]
        if mine.get("stages"):
            lines += ["", "## Where memsvc's search time goes", *stages_markdown(mine["stages"])]
    return "\n".join(lines) + "\n"


def _header(data: dict[str, Any]) -> list[str]:
    c, t, g, m = data["counts"], data["timings_s"], data["git"], data["machine"]
    excluded = data["systems"].get(PRIMARY, {}).get("summary", {}).get("excluded", {})
    ingest = data["ingest"]
    return [
        f"# memsvc eval: {data['dataset']['name']}",
        "",
        f"- command: `{data['command']}`",
        f"- date: {data['created']}; commit {g['commit']}{' (dirty)' if g['dirty'] else ''}",
        f"- machine: {m['cpus']} cores, {m['cpu']}; embedder "
        f"{data['config'].get('embedder_model') or 'default'}",
        f"- questions: {c['questions']} ({c['scored']} scored; excluded {excluded or 'none'}); "
        f"scopes {c['scopes']}, turns {c['turns']}",
        f"- run: {'cold' if data['cold'] else 'warm'} (texts embedded {c['texts_embedded']}, "
        f"scopes ingested {ingest['scopes_ingested']}, reused {ingest['scopes_reused']}); "
        f"wall {t.get('total', 0):.1f} s ("
        + ", ".join(f"{k} {v:.1f}" for k, v in t.items() if k != "total")
        + ")",
        "- latency: eval runs read question embeddings from the cache; `memsvc bench` "
        "measures search with query embedding.",
        *_jobs_line(data),
    ]


def _jobs_line(data: dict[str, Any]) -> list[str]:
    jobs = data["config"].get("jobs") or ()
    if not jobs:
        return []
    spent = data["ingest"].get("job_seconds", 0.0)
    return [f"- lifecycle jobs after each scope's ingest: {', '.join(jobs)} ({spent:.1f} s)"]


def _has(systems: dict[str, Any], metric: str) -> bool:
    return any(metric in s["summary"]["overall"] for s in systems.values())


def _order(metric: str) -> tuple[str, int]:
    name, _, k = metric.partition("@")
    return name, int(k or 0)


def _overall_table(systems: dict[str, Any], metrics: list[str]) -> list[str]:
    head = ["system", *metrics, "p50 ms", "p95 ms"]
    rows = [_row(head), _row(["---"] * len(head))]
    mine = systems.get(PRIMARY, {}).get("summary", {}).get("overall", {})
    for name, system in systems.items():
        overall, lat = system["summary"]["overall"], system["latency_ms"]
        values = [fmt(overall.get(m)) for m in metrics]
        rows.append(_row([name, *values, _ms(lat.get("p50")), _ms(lat.get("p95"))]))
        if name != PRIMARY and mine:
            diff = [fmt_delta(_sub(mine.get(m), overall.get(m))) for m in metrics]
            rows.append(_row([f"Δ memsvc − {name}", *diff, "", ""]))
    return rows


def _type_table(systems: dict[str, Any], metric: str) -> list[str]:
    names = list(systems)
    others = [n for n in names if n != PRIMARY]
    head = ["type", "n", *names] + (["Δ vs best baseline"] if PRIMARY in names and others else [])
    rows = [_row(head), _row(["---"] * len(head))]
    first = systems[names[0]]["summary"]
    for qtype in sorted(first["by_type"]):
        values = {n: systems[n]["summary"]["by_type"].get(qtype, {}).get(metric) for n in names}
        row = [qtype, str(first["n_by_type"].get(qtype, 0)), *(fmt(values[n]) for n in names)]
        if len(head) > len(row):
            best = max((values[n] for n in others if values[n] is not None), default=None)
            row.append(fmt_delta(_sub(values.get(PRIMARY), best)))
        rows.append(_row(row))
    return rows


def _all_table(systems: dict[str, Any], metrics: list[str]) -> list[str]:
    names = list(systems)
    rows = [_row(["metric", "n", *names]), _row(["---"] * (len(names) + 2))]
    for m in metrics:
        n = next((s["summary"]["n_overall"].get(m) for s in systems.values()), None)
        rows.append(
            _row([m, str(n), *(fmt(systems[x]["summary"]["overall"].get(m)) for x in names)])
        )
    return rows


def _qa_line(qa: dict[str, Any]) -> str:
    if qa.get("status") != "done":
        return qa.get("reason") or "QA not requested (--no-qa)."
    by_type = ", ".join(f"{t} {fmt(v)}" for t, v in qa["accuracy_by_type"].items())
    return (
        f"{qa['system']} top-{qa['context_hits']} hits, reader and judge {qa['model']}: "
        f"accuracy {fmt(qa['accuracy'])} over {qa['judged']} judged ({by_type}); "
        f"errors {qa['errors'] or 'none'}; tokens {qa['prompt_tokens']} prompt + "
        f"{qa['completion_tokens']} completion; {qa['seconds']:.0f} s"
    )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _sub(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b
