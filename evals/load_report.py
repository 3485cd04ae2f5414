"""Reports of `memsvc bench load`: load.json (every figure, the config, commit and machine),
load.md (the summary), load.png (latency percentiles per operation, requests/s over time).
Written to `reports/load-<timestamp>/` unless `--out` says."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memsvc.evals.load import LoadResult, Sample
from memsvc.evals.report import git_info, latency_stats, machine_info

OPS = ("add", "search")
OK = {"add": "201", "search": "200"}


def write_load(result: LoadResult, out: Path | None, command: str) -> Path:
    """Write load.json, load.md and load.png; return the folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = out or Path("reports") / f"load-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    data = to_json(result, command)
    (folder / "load.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    (folder / "load.md").write_text(to_markdown(data))
    write_plot(data, folder / "load.png")
    return folder


def to_json(result: LoadResult, command: str) -> dict[str, Any]:
    elapsed = max(result.elapsed_s, 1e-9)
    ops = {op: _op_stats([s for s in result.samples if s.op == op], op, elapsed) for op in OPS}
    consistency = asdict(result.consistency) | {"passed": result.consistency.passed}
    return {
        "created": result.created,
        "command": command,
        "git": git_info(),
        "machine": machine_info(),
        "config": asdict(result.config),
        "server": {"url": result.url, "started_by_bench": result.config.url is None},
        "embedder": result.embedder,
        "elapsed_s": result.elapsed_s,
        "cpu_s": result.cpu_s,
        "server_cpu_ms_per_request": _cpu_per_request(result),
        "load_average": result.load_average,
        "requests": len(result.samples),
        "requests_per_s": len(result.samples) / elapsed,
        "ops": ops,
        "timeline": _timeline(result.samples),
        "consistency": consistency,
        "raw_embedding": result.raw_embedding,
    }


def _cpu_per_request(result: LoadResult) -> float | None:
    """Server CPU time per request of the timed phase: what a request costs the server, less
    dependent on what else the machine runs than its latency."""
    if "server" not in result.cpu_s or not result.samples:
        return None
    return 1000 * result.cpu_s["server"] / len(result.samples)


def _op_stats(samples: list[Sample], op: str, elapsed: float) -> dict[str, Any]:
    ok = [s.ms for s in samples if s.outcome == OK[op]]
    return {
        "requests": len(samples),
        "requests_per_s": len(samples) / elapsed,
        "ok": len(ok),
        "latency_ms": latency_stats(ok),
        "outcomes": dict(Counter(s.outcome for s in samples)),
    }


def _timeline(samples: list[Sample]) -> dict[str, list[int]]:
    """Requests answered in each second of the run, per operation."""
    seconds = int(max((s.start + s.ms / 1000 for s in samples), default=0)) + 1
    out = {op: [0] * seconds for op in OPS}
    for s in samples:
        out[s.op][int(s.start + s.ms / 1000)] += 1
    return out


def to_markdown(data: dict[str, Any]) -> str:
    c, m, g = data["config"], data["machine"], data["git"]
    verdict = data["consistency"]
    lines = [
        "# memsvc bench load",
        "",
        f"`{data['command']}`",
        "",
        f"- date {data['created']}; commit {g['commit']}{' (dirty)' if g['dirty'] else ''}",
        f"- machine: {m['cpus']} cores, {m['cpu']}; server embedder {data['embedder']}"
        + ("; started by the bench (rate limit off)" if data["server"]["started_by_bench"] else ""),
        f"- {c['clients']} clients for {c['seconds']:g} s, write share {c['write_share']:g}, "
        f"{c['users']} user scopes prefilled with {c['prefill']} turns each, "
        f"adds of one message with extract={c['extract']}, searches with k={c['k']}",
        f"- CPU seconds of the timed phase: {_cpu(data['cpu_s'])}"
        + _per_request(data["server_cpu_ms_per_request"]),
        f"- 1-minute load average of the machine: {_load(data['load_average'])}",
        "",
        f"**{data['requests']:,} requests in {data['elapsed_s']:.1f} s: "
        f"{data['requests_per_s']:.1f} requests/s**",
        "",
        "| operation | requests | requests/s | ok | p50 ms | p95 ms | p99 ms | outcomes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for op, s in data["ops"].items():
        lat = s["latency_ms"]
        pct = [f"{lat[p]:.1f}" if lat.get("n") else "–" for p in ("p50", "p95", "p99")]
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(s["outcomes"].items())) or "–"
        lines.append(
            f"| {op} | {s['requests']:,} | {s['requests_per_s']:.1f} | {s['ok']:,} "
            f"| {' | '.join(pct)} | {outcomes} |"
        )
    lines += _raw_embedding(data)
    lines += [
        "",
        f"Consistency: **{'passed' if verdict['passed'] else 'FAILED'}**: "
        f"{verdict['acknowledged']:,} acknowledged writes (prefill included), "
        f"{len(verdict['lost'])} lost, {len(verdict['duplicated'])} stored twice, "
        f"{verdict['unacknowledged_stored']} stored without a 201, "
        f"{len(verdict['missing_scopes'])} scopes missing from GET /v1/scopes.",
        "",
        "Latencies are of successful requests, measured by the client (SDK call to parsed "
        "result), on the same machine as the server.",
    ]
    return "\n".join(lines) + "\n"


def _raw_embedding(data: dict[str, Any]) -> list[str]:
    """Adds/s beside the rate the embedder alone reaches on the same texts."""
    raw = data.get("raw_embedding") or {}
    if not raw:
        return []
    adds = data["ops"]["add"]["ok"] / max(data["elapsed_s"], 1e-9)
    return [
        "",
        f"Raw batched embedding of the same {raw['texts']:,.0f} texts, in the bench's process "
        f"after the timed phase: {raw['per_s']:.1f} texts/s. "
        f"Acknowledged adds reached **{adds / raw['per_s']:.2f}** of it ({adds:.1f} adds/s).",
    ]


def _per_request(ms: float | None) -> str:
    return "" if ms is None else f" ({ms:.1f} ms of server CPU per request)"


def _load(load: dict[str, float]) -> str:
    return " → ".join(f"{v:.1f}" for v in load.values()) or "–"


def _cpu(cpu: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items()) or "–"


def write_plot(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    percentiles = ("p50", "p95", "p99")
    for i, op in enumerate(OPS):
        lat = data["ops"][op]["latency_ms"]
        values = [lat.get(p, 0.0) for p in percentiles]
        left.bar([x + i * 0.4 for x in range(3)], values, width=0.4, label=op)
    left.set_xticks([x + 0.2 for x in range(3)], percentiles)
    left.set(ylabel="ms", title="latency of successful requests")
    left.legend()
    full = int(data["config"]["seconds"])  # the last second only finishes what was sent
    for op in OPS:
        right.plot(data["timeline"][op][:full], label=op)
    right.set(xlabel="second of the run", ylabel="requests/s", title="throughput")
    right.legend()
    c = data["config"]
    fig.suptitle(f"memsvc bench load: {c['clients']} clients, write share {c['write_share']:g}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
