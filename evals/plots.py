"""PNG plots of a report: recall@k curves per system and per-type bars (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a window; set before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
from memsvc.evals.report import TYPE_METRICS  # noqa: E402

CURVES = {
    "longmemeval": ("turn_recall", "session_recall_any", "session_recall_all"),
    "locomo": ("turn_recall", "turn_all_hit"),
}


def write_plots(data: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write recall_at_k.png and one per_type_<metric>.png per type metric."""
    kind = data["dataset"]["kind"]
    paths = {"recall_at_k": out / "recall_at_k.png"}
    _curves(data, CURVES[kind], paths["recall_at_k"])
    for metric in TYPE_METRICS[kind]:
        path = out / f"per_type_{metric.replace('@', '_at_')}.png"
        if _bars(data, metric, path):
            paths[f"per_type_{metric}"] = path
    return paths


def _curves(data: dict[str, Any], families: tuple[str, ...], path: Path) -> None:
    ks = data["ks"]
    fig, axes = plt.subplots(1, len(families), figsize=(5 * len(families), 4), squeeze=False)
    for ax, family in zip(axes[0], families):
        for name, system in data["systems"].items():
            overall = system["summary"]["overall"]
            points = [(k, overall[f"{family}@{k}"]) for k in ks if f"{family}@{k}" in overall]
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, marker="o", label=name, linewidth=2.5 if name == "memsvc" else 1.2)
        ax.set(title=family, xlabel="k", ylabel="recall", ylim=(0, 1.02))
        ax.set_xscale("log")
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    fig.suptitle(f"{data['dataset']['name']}: recall@k")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _bars(data: dict[str, Any], metric: str, path: Path) -> bool:
    systems = data["systems"]
    types = sorted({t for s in systems.values() for t in s["summary"]["by_type"]})
    if not types:
        return False
    width = 0.8 / max(1, len(systems))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(types)), 4.5))
    for i, (name, system) in enumerate(systems.items()):
        by_type = system["summary"]["by_type"]
        values = [by_type.get(t, {}).get(metric, 0.0) for t in types]
        ax.bar([x + i * width for x in range(len(types))], values, width, label=name)
    ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(types))], types)
    ax.tick_params(axis="x", labelrotation=20)
    # Headroom above 1.0 so the legend's row never hides a bar.
    ax.set(title=f"{data['dataset']['name']}: {metric} per type", ylim=(0, 1.2))
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", loc="upper center", ncol=len(systems), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
