"""Throughput of the lifecycle jobs on the LoCoMo conversations, through the public SDK.

    python -m memsvc.evals.lifecycle_bench --data locomo10.json

Each conversation is ingested into its own user scope of a fresh embedded store
(`memsvc.Memory`, SQLite + FAISS, the configured embedder; `extract="sync"`, so facts,
entities and relations exist). Then, per scope and in this order, one job of each kind runs
on the store's in-process runner, and once more to measure a re-run:

- consolidate (the units it reads: facts, entities, relations);
- compress (the units it reads: the scope's turns and sessions; summaries and topics);
- forget, as a dry run one year later (every unit is evaluated and would be archived);
- forget now (every unit is evaluated; nothing is old enough to archive).

A job's time is its own (`finished_at - started_at` of the job row), so the runner's polling
is not counted; throughput is units read per second of job time, summed over the scopes.
With `--write-benchmarks FILE` the section "Lifecycle jobs" of that file is replaced (or
appended) with the table and the command; other sections are left alone.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from memsvc.evals.cache import DEFAULT_CACHE_DIR, harness_embedder
from memsvc.evals.loaders import Dataset, Haystack, load
from memsvc.evals.report import git_info, machine_info
from memsvc.evals.systems import ingest_haystack, wait_job
from tqdm import tqdm

from memsvc import Memory, Settings
from memsvc.schemas import JobOut, StatsOut

SECTION = "## Lifecycle jobs"


@dataclass(slots=True)
class KindResult:
    """One job kind over every scope: units read, job seconds, and what the jobs changed."""

    name: str
    units: int = 0
    seconds: float = 0.0
    jobs: int = 0
    changes: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.units / self.seconds if self.seconds else 0.0

    def add(self, job: JobOut, units: int, keys: tuple[str, ...]) -> None:
        if job.status != "succeeded":
            raise RuntimeError(f"{self.name} job {job.id} {job.status}: {job.error}")
        assert job.started_at and job.finished_at
        self.units += units
        self.seconds += (job.finished_at - job.started_at).total_seconds()
        self.jobs += 1
        for key in keys:
            value = job.counts.get(key, 0)
            if isinstance(value, int):
                self.changes[key] = self.changes.get(key, 0) + value


# What each kind reads, and the counts worth reporting.
RUNS: list[tuple[str, str, dict[str, Any], bool, tuple[str, ...]]] = [
    ("consolidate", "consolidate", {}, False, ("superseded", "relations_repointed")),
    ("consolidate (re-run)", "consolidate", {}, False, ("superseded",)),
    ("compress", "compress", {}, False, ("summarised", "topics_created")),
    ("compress (re-run)", "compress", {}, False, ("summarised", "unchanged")),
    ("forget, dry run a year later", "forget", {"later_days": 365}, True, ("would_archive",)),
    ("forget", "forget", {}, False, ("archived",)),
]


def run(data: Path, embedder: str | None, conversations: int | None, cache_dir: Path) -> dict:
    dataset = load(data, "locomo")
    haystacks = list(dataset.haystacks.values())[:conversations]
    with (
        tempfile.TemporaryDirectory(prefix="memsvc-lifecycle-") as folder,
        Memory(_settings(Path(folder), embedder, cache_dir)) as memory,
    ):
        ingest_s = _ingest(memory, haystacks)
        results = [KindResult(name) for name, *_ in RUNS]
        for haystack in tqdm(haystacks, desc="jobs", unit="scope"):
            _jobs(memory, haystack.scope_id, results)
        health = [memory.stats(user_id=h.scope_id) for h in haystacks]
    return _report(dataset, haystacks, ingest_s, results, health, embedder)


def _settings(folder: Path, embedder: str | None, cache_dir: Path) -> Settings:
    settings = Settings()
    model = harness_embedder(settings.embedder, cache_dir).model_copy(
        update={"model": embedder or settings.embedder.model}
    )
    jobs = settings.jobs.model_copy(update={"poll_s": 0.05, "run_in_process": True})
    return settings.model_copy(update={"data_dir": folder, "embedder": model, "jobs": jobs})


def _ingest(memory: Memory, haystacks: list[Haystack]) -> float:
    total = sum(len(s.turns) for h in haystacks for s in h.sessions)
    start = time.perf_counter()
    with tqdm(total=total, desc="ingest (extract=sync)", unit="turn") as bar:
        for haystack in haystacks:
            ingest_haystack(memory, haystack, "sync", bar.update)
    return time.perf_counter() - start


def _jobs(memory: Memory, user: str, results: list[KindResult]) -> None:
    for (_, kind, extra, dry_run, keys), result in zip(RUNS, results):
        before = memory.stats(user_id=user)
        params: dict[str, Any] = {}
        if "later_days" in extra:
            [newest] = memory.list(user_id=user, limit=1).items
            last = newest.created_at
            params["now"] = (last + timedelta(days=extra["later_days"])).isoformat()
        job = wait_job(
            memory, memory.create_job(kind, user_id=user, params=params, dry_run=dry_run)
        )
        result.add(job, _units_read(kind, before.by_granularity_status, job), keys)


def _units_read(kind: str, counts: dict[str, dict[str, int]], job: JobOut) -> int:
    if kind == "compress":
        return sum(counts.get(g, {}).get("active", 0) for g in ("turn", "session"))
    return int(job.counts.get("scanned", 0))


def _report(
    dataset: Dataset,
    haystacks: list[Haystack],
    ingest_s: float,
    results: list[KindResult],
    health: list[StatsOut],
    embedder: str | None,
) -> dict[str, Any]:
    turns = sum(len(s.turns) for h in haystacks for s in h.sessions)
    units = sum(h.total for h in health)
    return {
        "dataset": {"name": dataset.name, "sha256": dataset.sha256, "scopes": len(haystacks)},
        "turns": turns,
        "units_after": units,
        "ingest_s": round(ingest_s, 1),
        "embedder": embedder or Settings().embedder.model,
        "results": [
            {**asdict(r), "seconds": round(r.seconds, 2), "units_per_s": round(r.rate, 1)}
            for r in results
        ],
        "health_after": {
            "duplicate_pairs": sum(h.duplicate_pairs for h in health),
            "superseded_share": round(sum(h.superseded_share for h in health) / len(health), 4),
            "topics": sum(h.by_granularity.get("topic", 0) for h in health),
        },
        "git": git_info(),
        "machine": machine_info(),
    }


def to_markdown(report: dict[str, Any], command: str) -> str:
    """The "Lifecycle jobs" section of BENCHMARKS.md."""
    git, machine = report["git"], report["machine"]
    lines = [
        SECTION,
        "",
        f"LoCoMo ({report['dataset']['scopes']} conversations, {report['turns']} turns, "
        f'{report["units_after"]} units after ingest with `extract="sync"` and the jobs), '
        f"embedder `{report['embedder']}`, embedded store (SQLite + FAISS), in-process runner, "
        f"{machine['cpus']} CPUs ({machine['cpu']}), commit `{(git['commit'] or '?')[:10]}`"
        f"{' (dirty)' if git['dirty'] else ''}. One job per kind and conversation scope; time "
        "is job time (`finished_at - started_at`), units are the units the job reads.",
        "",
        "| job | jobs | units read | job time (s) | units/s | changes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        changes = ", ".join(f"{k} {v}" for k, v in r["changes"].items()) or "none"
        lines.append(
            f"| {r['name']} | {r['jobs']} | {r['units']} | {r['seconds']:.2f} | "
            f"{r['units_per_s']:.0f} | {changes} |"
        )
    after = report["health_after"]
    lines += [
        "",
        f"After the jobs: {after['topics']} topic units, {after['duplicate_pairs']} duplicate "
        f"fact pairs left, mean superseded share {after['superseded_share']:.1%}. Ingest took "
        f"{report['ingest_s']:.0f} s (not part of the job times).",
        "",
        "Command:",
        "",
        "```",
        command,
        "```",
        "",
    ]
    return "\n".join(lines)


def replace_section(path: Path, section: str) -> None:
    """Put `section` in place of the file's "Lifecycle jobs" section (or append it)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip() + "\n\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n")


def main(
    data: Annotated[Path, typer.Option(help="LoCoMo file (gzip or plain JSON)")],
    embedder: Annotated[str | None, typer.Option(help="Embedder (default: settings)")] = None,
    conversations: Annotated[int | None, typer.Option(help="Only the first N")] = None,
    cache_dir: Annotated[Path, typer.Option(help="Embedding cache")] = DEFAULT_CACHE_DIR,
    out: Annotated[Path | None, typer.Option(help="Write the JSON report here")] = None,
    write_benchmarks: Annotated[Path | None, typer.Option(help="Update this file")] = None,
) -> None:
    """Measure consolidate, compress and forget throughput on LoCoMo."""
    command = "python -m memsvc.evals.lifecycle_bench " + shlex.join(sys.argv[1:])
    report = run(data, embedder, conversations, cache_dir)
    section = to_markdown(report, command)
    print(section)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({**report, "command": command}, indent=2))
    if write_benchmarks:
        replace_section(write_benchmarks, section)


if __name__ == "__main__":
    typer.run(main)
