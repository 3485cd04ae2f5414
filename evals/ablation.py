"""Ablation of memsvc's router: the routed search next to `mode="all"` and `mode="turn"`, and
the routed search with each retriever left out in turn, on one reused scope database. It
shows what every component earns (issue 5). Writes ablation.json, ablation.md and a PNG.

    python -m memsvc.evals.ablation locomo --data locomo10.json
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from memsvc.evals.cache import DEFAULT_CACHE_DIR
from memsvc.evals.loaders import Kind
from memsvc.evals.metrics import DEFAULT_KS
from memsvc.evals.report import HEADLINES, git_info, latency_stats
from memsvc.evals.runner import RunConfig, run

from memsvc.settings import Settings

Mode = Literal["auto", "all", "turn"]
Extract = Literal["auto", "off", "sync", "async"]
# (label, mode, retrievers left out). "support" drops every supporting list at once.
# PRIORS is the one variant that adds: the aggregation priors (session and topic lists and
# diversification), off by default since issue 11.
PRIORS = "+ aggregation priors"
VARIANTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("routed (auto)", "auto", ()),
    ("mode=all", "all", ()),
    ("mode=turn", "turn", ()),
    ("- fact keys", "auto", ("fact",)),
    ("- time window", "auto", ("time",)),
    ("- neighbours", "auto", ("neighbour",)),
    ("- feedback", "auto", ("feedback",)),
    ("- author", "auto", ("author",)),
    ("- graph", "auto", ("graph",)),
    (PRIORS, "auto", ()),
    ("- all support", "auto", ("support",)),
    ("- turn.dense", "auto", ("turn.dense",)),
    ("- turn.lexical", "auto", ("turn.lexical",)),
)


@dataclass(slots=True)
class Row:
    label: str
    mode: str
    excluded: list[str]
    overall: dict[str, float]
    by_type: dict[str, dict[str, float]]
    p50_ms: float


def ablate(config: RunConfig) -> list[Row]:
    """Run every variant on the same scopes, one row each."""
    rows = []
    for label, mode, excluded in VARIANTS:
        typer.echo(f"ablation: {label}", err=True)
        variant = replace(
            config, mode=cast(Mode, mode), exclude=excluded, baselines=False, qa=False
        )
        if label == PRIORS:
            variant.settings = with_priors(config.settings or Settings())
        result = run(variant)
        summary = result.summaries["memsvc"]
        rows.append(
            Row(
                label,
                mode,
                list(excluded),
                dict(summary.overall),
                {t: dict(v) for t, v in summary.by_type.items()},
                latency_stats(result.systems["memsvc"].latencies_ms).get("p50", 0.0),
            )
        )
    return rows


def with_priors(settings: Settings) -> Settings:
    retrieval = settings.retrieval.model_copy(update={"aggregation_priors": True})
    return settings.model_copy(update={"retrieval": retrieval})


def to_markdown(kind: str, rows: list[Row], command: str) -> str:
    metrics = HEADLINES[kind]
    base = rows[0].overall
    lines = [
        f"`{command}`",
        "",
        "| variant | " + " | ".join(metrics) + " | p50 ms |",
        "|" + "---|" * (len(metrics) + 2),
    ]
    for row in rows:
        cells = []
        for m in metrics:
            value = row.overall.get(m)
            delta = "" if row is rows[0] or value is None else f" ({value - base[m]:+.3f})"
            cells.append("–" if value is None else f"{value:.3f}{delta}")
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {row.p50_ms:.0f} |")
    return "\n".join(lines) + "\n"


def _plot(kind: str, rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = "turn_recall@10"
    labels = [r.label for r in rows]
    values = [r.overall.get(metric, 0.0) for r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.2))
    ax.barh(labels[::-1], values[::-1], color=["#4c72b0"] * (len(rows) - 1) + ["#dd8452"])
    ax.axvline(values[0], color="#dd8452", linestyle="--", linewidth=1)
    ax.set_xlabel(metric)
    ax.set_xlim(min(values) - 0.05, max(values) + 0.02)
    ax.set_title(f"memsvc ablation on {kind}: {metric}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(
    kind: Annotated[str, typer.Argument(help="locomo or longmemeval")],
    data: Annotated[Path, typer.Option(help="Dataset file")],
    sample: Annotated[int | None, typer.Option(help="Stratified sample of N questions")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    extract: Annotated[str, typer.Option(help="Extraction at ingest: off or sync")] = "sync",
    cache_dir: Annotated[Path, typer.Option()] = DEFAULT_CACHE_DIR,
    out: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Ablate the router on one dataset (the scopes are ingested once and reused)."""
    if kind not in ("locomo", "longmemeval") or extract not in ("off", "sync"):
        raise typer.BadParameter("kind is locomo or longmemeval; extract is off or sync")
    config = RunConfig(
        kind=cast(Kind, kind),
        data=data,
        ks=DEFAULT_KS,
        sample=sample,
        seed=seed,
        extract=cast(Extract, extract),
        cache_dir=cache_dir,
        progress=False,
        settings=Settings(),
    )
    rows = ablate(config)
    folder = out or Path("reports") / f"ablation-{kind}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    command = "python -m memsvc.evals.ablation " + " ".join(sys.argv[1:])
    (folder / "ablation.json").write_text(
        json.dumps(
            {
                "command": command,
                "git": git_info(),
                "kind": kind,
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
        )
    )
    markdown = to_markdown(kind, rows, command)
    (folder / "ablation.md").write_text(markdown)
    _plot(kind, rows, folder / "ablation.png")
    typer.echo(markdown)
    typer.echo(f"written to {folder}")


if __name__ == "__main__":
    typer.run(main)
