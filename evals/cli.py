"""Command line of the harness: `eval_app` (`memsvc eval longmemeval|locomo|synth`) and
`bench_app` (`memsvc bench`, `memsvc bench load`). Also: `python -m memsvc.evals.cli ...`."""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from memsvc.evals.cache import DEFAULT_CACHE_DIR
from memsvc.evals.loaders import Kind
from memsvc.evals.metrics import DEFAULT_KS

from memsvc.settings import BUNDLED_MODEL, Settings

eval_app = typer.Typer(
    help="Retrieval (and optional QA) evaluation on LongMemEval and LoCoMo, with baselines. "
    "Datasets: LoCoMo (GitHub snap-research/LoCoMo, data/locomo10.json; CC BY-NC 4.0) and "
    "LongMemEval (Hugging Face xiaowu0162/longmemeval-cleaned, code GitHub "
    "xiaowu0162/LongMemEval; MIT). `memsvc eval fetch NAME` downloads one, checked by sha256.",
    no_args_is_help=True,
)

Data = Annotated[Path, typer.Option("--data", help="Dataset file (gzip or plain JSON)")]
Sample = Annotated[
    int | None, typer.Option(help="Stratified sample of N questions (by question type)")
]
Seed = Annotated[int, typer.Option(help="Seed of the sample")]
Ks = Annotated[list[int] | None, typer.Option("--k", help="Cut-offs (repeat; default 1 3 5 10 20)")]
SearchK = Annotated[int, typer.Option(help="Hits memsvc returns per question")]
Mode = Annotated[str, typer.Option(help="memsvc search mode: auto, all or turn")]
Extract = Annotated[
    str, typer.Option(help="Extraction at ingest: auto (the SDK default), off, sync or async")
]
CacheDir = Annotated[Path, typer.Option(help="Embedding cache and reusable scope databases")]
Url = Annotated[str | None, typer.Option(help="Evaluate a memsvc server (MemoryClient)")]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(help="Embedded memsvc on this database (e.g. postgresql+pgserver:///DIR)"),
]
ApiKey = Annotated[str | None, typer.Option(help="API key for --url")]
Baselines = Annotated[bool, typer.Option(help="Run BM25, dense and RRF baselines")]
Qa = Annotated[bool, typer.Option(help="Answer and judge with the configured LLM, if any")]
QaK = Annotated[int, typer.Option(help="Hits given to the QA reader")]
Reingest = Annotated[bool, typer.Option(help="Drop the reusable scope database first")]
Out = Annotated[Path | None, typer.Option(help="Report folder (default reports/<name>-<time>)")]
Embedder = Annotated[str | None, typer.Option(help="Embedder model (default: settings)")]
Progress = Annotated[bool, typer.Option(help="Progress bars")]
Coverage = Annotated[
    bool, typer.Option(help="Evidence coverage of packed contexts at 512/1024/2048 tokens")
]
DumpHits = Annotated[
    bool, typer.Option(help="Also write hits.jsonl: each question's route and voted hits")
]
Profile = Annotated[
    bool, typer.Option(help="Time each stage of memsvc's searches: a p50/p95 table in the report")
]
Exclude = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Leave a retriever out of memsvc's route (repeat; ablations)"),
]

Jobs = Annotated[
    list[str] | None,
    typer.Option("--job", help="Lifecycle job run on each scope after ingest (repeat, in order)"),
]

Types = Annotated[
    list[str] | None,
    typer.Option("--type", help="Only questions of this type, after --sample (repeat)"),
]


def _settings(embedder: str | None) -> Settings:
    settings = Settings()
    if not embedder:
        return settings
    model = settings.embedder.model_copy(update={"model": embedder})
    return settings.model_copy(update={"embedder": model})


def _evaluate(
    kind: Kind, embedder: str | None, out: Path | None, ks: list[int] | None, **options: Any
) -> None:
    from memsvc.evals.report import report_name, write_reports
    from memsvc.evals.runner import RunConfig, run

    config = RunConfig(
        kind=kind, ks=tuple(ks or DEFAULT_KS), settings=_settings(embedder), **options
    )
    result = run(config)
    folder = out or Path("reports") / report_name(result)
    command = " ".join(["memsvc", "eval", kind, *map(shlex.quote, sys.argv[3:])])
    paths = write_reports(result, folder, command)
    typer.echo(paths["markdown"].read_text())
    typer.echo(f"reports written to {folder}")


def _command(kind: Kind) -> Callable[..., None]:  # one body for both datasets
    def command(
        data: Data,
        sample: Sample = None,
        seed: Seed = 0,
        k: Ks = None,
        search_k: SearchK = 100,
        mode: Mode = "auto",
        extract: Extract = "auto",
        cache_dir: CacheDir = DEFAULT_CACHE_DIR,
        url: Url = None,
        api_key: ApiKey = None,
        baselines: Baselines = True,
        qa: Qa = True,
        qa_k: QaK = 10,
        reingest: Reingest = False,
        out: Out = None,
        embedder: Embedder = None,
        progress: Progress = True,
        exclude: Exclude = None,
        job: Jobs = None,
        qtype: Types = None,
        dump_hits: DumpHits = False,
        coverage: Coverage = False,
        database_url: DatabaseUrl = None,
        profile: Profile = False,
    ) -> None:
        # The parameters above (locals() also holds the closure's `kind`).
        options = {name: value for name, value in locals().items() if name != "kind"}
        _check_choice("mode", mode, ("auto", "all", "turn"))
        _check_choice("extract", extract, ("auto", "off", "sync", "async"))
        options["ks"] = options.pop("k")
        options["exclude"] = tuple(exclude or ())
        options["jobs"] = tuple(options.pop("job") or ())
        options["types"] = tuple(options.pop("qtype") or ())
        for job_kind in options["jobs"]:
            _check_choice("job", job_kind, ("consolidate", "compress", "forget"))
        _evaluate(kind, **options)

    command.__doc__ = f"Evaluate memsvc and the baselines on a {kind} file. {ORIGINS[kind]}"
    return command


ORIGINS = {
    "locomo": "LoCoMo (Maharana et al., ACL 2024) is data/locomo10.json of GitHub "
    "snap-research/LoCoMo, licensed CC BY-NC 4.0 (non-commercial use only); "
    "`memsvc eval fetch locomo` downloads it.",
    "longmemeval": "LongMemEval (Wu et al., ICLR 2025; code GitHub xiaowu0162/LongMemEval) is "
    "on Hugging Face as xiaowu0162/longmemeval-cleaned (longmemeval_s_cleaned.json, "
    "longmemeval_oracle.json), licensed MIT; `memsvc eval fetch longmemeval-s` (or "
    "longmemeval-oracle) downloads it. Generated sets (`memsvc eval synth`) use its format.",
}


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise typer.BadParameter(f"{name} must be one of {', '.join(choices)}", param_hint=name)


eval_app.command("longmemeval")(_command("longmemeval"))
eval_app.command("locomo")(_command("locomo"))


@eval_app.command("fetch")
def fetch(
    name: Annotated[str, typer.Argument(help="locomo, longmemeval-s or longmemeval-oracle")],
    cache_dir: Annotated[Path, typer.Option(help="Where datasets are kept")] = DEFAULT_CACHE_DIR
    / "datasets",
    url: Annotated[
        str | None, typer.Option(help="Download from here instead (a mirror); still checked")
    ] = None,
    sha256: Annotated[
        str | None, typer.Option(help="Expect this sha256 instead of the pinned one")
    ] = None,
) -> None:
    """Download a public dataset into the cache directory and print its path; it is kept only
    if its sha256 is the pinned one (see docs/evaluation.md for origins and licenses)."""
    from memsvc.evals.datasets import DATASETS, FetchError
    from memsvc.evals.datasets import fetch as download

    dataset = DATASETS.get(name)
    if dataset is None:
        raise typer.BadParameter(f"one of {', '.join(DATASETS)}", param_hint="NAME")
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256.strip()):
        raise typer.BadParameter("64 hexadecimal digits", param_hint="--sha256")
    typer.echo(f"{dataset.origin}; license {dataset.license}", err=True)
    with _download_bar(dataset.name) as step:
        try:
            path, downloaded = download(dataset, cache_dir, url=url, sha256=sha256, progress=step)
        except FetchError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(
        ("downloaded, sha256 checked: " if downloaded else "cached, sha256 checked: ") + str(path),
        err=True,
    )
    typer.echo(str(path))


@contextmanager
def _download_bar(name: str) -> Iterator[Callable[[int, int | None], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    with Progress(
        TextColumn(name), BarColumn(), DownloadColumn(), console=Console(stderr=True)
    ) as bar:
        task = bar.add_task(name, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@eval_app.command("synth")
def synth(
    out: Annotated[Path, typer.Option(help="Output file (.json, or .json.gz for gzip)")],
    filler: Annotated[
        Path, typer.Option(help="LongMemEval or LoCoMo file whose chats surround the facts")
    ],
    seed: Annotated[int, typer.Option(help="Seed: same seed and filler, same bytes")] = 0,
    style: Annotated[
        str | None, typer.Option(help="long or chat (default: chat for LoCoMo filler)")
    ] = None,
    personas: Annotated[int, typer.Option(help="Personas, one haystack each")] = 4,
    sessions: Annotated[int, typer.Option(help="Sessions per persona")] = 60,
    months: Annotated[int, typer.Option(help="Months the sessions spread over")] = 8,
    max_turns: Annotated[int, typer.Option(help="Turns kept per filler session")] = 12,
    max_chars: Annotated[int, typer.Option(help="Longer filler turns are cut near this")] = 1500,
    negatives: Annotated[int, typer.Option(help="Distractors per fact, on average")] = 2,
) -> None:
    """Generate a LongMemEval-style test set (score it with `memsvc eval longmemeval`)."""
    options = dict(locals())  # the parameters above: SynthConfig's fields, and `out`
    from memsvc.evals.synth import SynthConfig, generate, write

    del options["out"]
    if style not in (None, "long", "chat"):
        raise typer.BadParameter("style must be one of long, chat", param_hint="style")
    if not filler.is_file():
        raise typer.BadParameter(f"no such file: {filler}", param_hint="--filler")
    try:
        items = generate(SynthConfig(**options))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    write(items, out)
    typer.echo(f"{len(items)} questions over {personas} personas written to {out}")
    for name, n in sorted(Counter(_type_of(i) for i in items).items()):
        typer.echo(f"  {name}: {n}")


def _type_of(item: dict[str, Any]) -> str:
    return item["question_type"] + ("_abs" if item["question_id"].endswith("_abs") else "")


@eval_app.command("procedures")
def procedures(
    seed: Seed = 0,
    scopes: Annotated[int, typer.Option(help="Generated scopes (agents)")] = 3,
    targets: Annotated[int, typer.Option(help="Goals with queries, per scope")] = 10,
    distractors: Annotated[int, typer.Option(help="Near-neighbour goals, per scope")] = 10,
    traces: Annotated[int, typer.Option(help="Runs per goal")] = 8,
    search_k: SearchK = 10,
    baselines: Baselines = True,
    out: Out = None,
    embedder: Embedder = None,
    progress: Progress = True,
) -> None:
    """Procedural memory on generated task traces: recall of the right how-to, known-good
    variants above known-bad ones, traces until a procedure settles; baselines over the
    raw traces."""
    from datetime import UTC, datetime

    from memsvc.evals.procedure_data import TraceConfig
    from memsvc.evals.procedures import ProcedureEvalConfig, run_procedures, write_report

    trace_config = TraceConfig(
        seed=seed, scopes=scopes, targets=targets, distractors=distractors, traces_per_goal=traces
    )
    config = ProcedureEvalConfig(trace_config, _settings(embedder), search_k, baselines, progress)
    report = run_procedures(config)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = out or Path("reports") / f"procedures-seed{seed}-{stamp}"
    command = " ".join(["memsvc", "eval", "procedures", *map(shlex.quote, sys.argv[3:])])
    typer.echo(write_report(report, folder, command).read_text())
    typer.echo(f"reports written to {folder}")


bench_app = typer.Typer(
    help="Benchmarks: `memsvc bench` (one scope as it grows), `memsvc bench load` and "
    "`memsvc bench embedders`.",
    invoke_without_command=True,
)


@bench_app.callback()
def bench(
    ctx: typer.Context,
    sizes: Annotated[
        list[int] | None, typer.Option("--size", help="Scope sizes in turns (repeat)")
    ] = None,
    queries: Annotated[int, typer.Option(help="Searches per size")] = 200,
    k: Annotated[int, typer.Option(help="Hits per search")] = 10,
    cheap_above: Annotated[
        int, typer.Option(help="Above this size use the documented cheaper configuration")
    ] = 20_000,
    extract: Extract = "auto",
    out: Out = None,
    embedder: Embedder = None,
    progress: Progress = True,
    db: Annotated[
        str | None,
        typer.Option("--db", help="postgres|sqlite: one store at scale (evals/scale.py)"),
    ] = None,
    turns: Annotated[int, typer.Option(help="--db: turns in the store")] = 1_000_000,
    database_url: Annotated[
        str | None, typer.Option(help="--db: an existing database instead of a new one")
    ] = None,
    profile: Annotated[
        bool,
        typer.Option(help="Time each stage of memsvc's searches: a p50/p95 table per size"),
    ] = False,
) -> None:
    """Ingest throughput, search latency and memory as a scope grows, next to dense flat;
    with --db, a whole store of --turns turns (PostgreSQL + pgvector or SQLite + FAISS)."""
    if ctx.invoked_subcommand is not None:
        return
    from memsvc.evals.bench import BenchConfig, run_bench, write_bench

    if db is not None:
        from memsvc.evals.scale import ScaleConfig, run_scale, write_scale

        scale = ScaleConfig(db=db, turns=turns, queries=queries, k=k, progress=progress)
        scale.database_url = database_url
        scaled = run_scale(scale)
        typer.echo(json.dumps(scaled.figures, indent=2))
        typer.echo(f"report written to {write_scale(scaled, out) / 'scale.json'}")
        return

    _check_choice("extract", extract, ("auto", "off", "sync", "async"))
    config = BenchConfig(
        sizes=tuple(sizes or (1_000, 10_000, 100_000)),
        queries=queries,
        k=k,
        cheap_above=cheap_above,
        embedder=embedder,
        extract=extract,  # type: ignore[arg-type]  # checked above
        progress=progress,
        profile=profile,
    )
    result = run_bench(config)
    folder = write_bench(result, out)
    typer.echo((folder / "bench.md").read_text())
    typer.echo(f"reports written to {folder}")


@bench_app.command("embedders")
def embedders(
    locomo: Annotated[Path | None, typer.Option(help="LoCoMo file: recall@10 on it")] = None,
    longmemeval: Annotated[
        Path | None, typer.Option(help="LongMemEval file: recall@10 on a sample of it")
    ] = None,
    sample: Annotated[int, typer.Option(help="LongMemEval questions (stratified)")] = 30,
    seed: Seed = 0,
    turns: Annotated[
        int, typer.Option(min=100, help="Synthetic turns embedded and ingested")
    ] = 1000,
    long_texts: Annotated[int, typer.Option(min=10, help="Long texts embedded")] = 200,
    queries: Annotated[int, typer.Option(min=10, help="Searches timed")] = 200,
    backend: Annotated[
        list[str] | None, typer.Option("--backend", help="Only these backends (repeat)")
    ] = None,
    cache_dir: CacheDir = DEFAULT_CACHE_DIR,
    out: Out = None,
    progress: Progress = True,
) -> None:
    """The embedding backends (torch, onnx, onnx-int8) side by side: embedding texts/s, ingest
    turns/s, search p95 and recall@10 on LoCoMo and a LongMemEval sample, in one run."""
    options = dict(locals())  # the parameters above: the config's fields, and `out`
    from memsvc.evals.embedder_bench import (
        BACKENDS,
        EmbedderBenchConfig,
        run_embedder_bench,
        write_embedder_bench,
    )

    del options["out"]
    for name in backend or ():
        _check_choice("backend", name, BACKENDS)
    options["backends"] = tuple(options.pop("backend") or BACKENDS)
    config = EmbedderBenchConfig(**options)
    results = run_embedder_bench(config)
    command = " ".join(["memsvc", "bench", "embedders", *map(shlex.quote, sys.argv[3:])])
    folder = write_embedder_bench(results, config, out, command)
    typer.echo((folder / "embedders.md").read_text())
    typer.echo(f"reports written to {folder}")


@bench_app.command("load")
def load(
    clients: Annotated[int, typer.Option(min=1, max=256, help="Concurrent clients")] = 8,
    seconds: Annotated[float, typer.Option(min=1, help="Length of the timed phase")] = 30.0,
    write_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests that are adds")
    ] = 0.5,
    embedder: Annotated[
        str, typer.Option(help="Embedder of the server the bench starts (hash-384 is fast)")
    ] = BUNDLED_MODEL,
    url: Annotated[
        str | None,
        typer.Option(
            help="Load a running server instead (comma-separated replicas: clients spread)"
        ),
    ] = None,
    api_key: ApiKey = None,
    users: Annotated[int, typer.Option(min=1, help="User scopes the clients share")] = 4,
    prefill: Annotated[int, typer.Option(min=0, help="Turns per user before timing")] = 50,
    k: Annotated[int, typer.Option(min=1, help="Hits per search")] = 10,
    extract: Annotated[
        str, typer.Option(help="Extraction of each add: auto, sync, async, off")
    ] = "auto",
    seed: Annotated[int, typer.Option(help="Seed of the texts and the mix")] = 0,
    out: Out = None,
    progress: Progress = True,
) -> None:
    """Concurrent clients adding and searching against `memsvc serve` for a bounded time.

    Reports requests/s, p50/p95/p99 and errors per operation, then checks that every
    acknowledged write is stored exactly once (exit code 1 if not)."""
    from memsvc.evals.load import LoadConfig, run_load
    from memsvc.evals.load_report import write_load

    _check_choice("extract", extract, ("auto", "sync", "async", "off"))
    config = LoadConfig(
        clients=clients,
        seconds=seconds,
        write_share=write_share,
        embedder=embedder,
        url=url,
        api_key=api_key,
        users=users,
        prefill=prefill,
        k=k,
        extract=extract,  # type: ignore[arg-type]  # checked above
        seed=seed,
        progress=progress,
    )
    result = run_load(config)
    command = " ".join(["memsvc", "bench", "load", *map(shlex.quote, _load_args())])
    folder = write_load(result, out, command)
    typer.echo((folder / "load.md").read_text())
    typer.echo(f"reports written to {folder}")
    if not result.consistency.passed:
        raise typer.Exit(1)


def _load_args() -> list[str]:
    """The arguments after `load` on this command line (without an API key's value)."""
    args = sys.argv[sys.argv.index("load") + 1 :] if "load" in sys.argv else []
    return ["***" if i and args[i - 1] == "--api-key" else a for i, a in enumerate(args)]


def _main_app() -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help="memsvc evaluation harness")
    app.add_typer(eval_app, name="eval")
    app.add_typer(bench_app, name="bench")
    return app


if __name__ == "__main__":
    # `python -m memsvc.evals.cli longmemeval ...` works as well as `... eval longmemeval ...`.
    args = sys.argv[1:]
    if args and args[0] in ("longmemeval", "locomo", "synth", "procedures"):
        sys.argv.insert(1, "eval")
    _main_app()(prog_name="memsvc")
