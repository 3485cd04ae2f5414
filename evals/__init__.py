"""memsvc's evaluation harness (`memsvc eval`, `memsvc bench`).

It measures what users get: memsvc is driven through the public SDK only (`memsvc.Memory`
in-process, or `memsvc.MemoryClient` against a server), and the baselines share memsvc's
embedding module and its content-addressed cache, so every system sees the same vectors.

Modules: `loaders` (LongMemEval, LoCoMo), `runner` (one run end to end), `systems` (memsvc
via the SDK, baselines), `baselines` (BM25, dense flat, RRF), `metrics` (docs/evaluation.md),
`cache` (embedding cache pre-fill, reusable scope databases), `sampling`, `qa` (optional LLM
reader and judge), `report` / `plots` (JSON, markdown, PNG), `bench`, `load` and
`load_report` (`memsvc bench load`: concurrent clients against `memsvc serve`), `synthetic`,
`cli`.
"""
