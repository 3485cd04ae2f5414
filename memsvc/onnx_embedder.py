"""The bundled sentence-transformers model run by ONNX Runtime: the same vectors as the torch
backend (`onnx`), or nearly the same (cosine ~.99) at about twice its speed on a CPU
(`onnx-int8`: weights quantised to int8 per channel, activations per text at run time).

The ONNX file is exported from the model's own weights on first use (torch and transformers
are needed then, never afterwards) and kept beside the model, or under `fallback_dir` when
the model's folder is read-only. A fresh export is checked against the torch model on a few
sentences before it is kept: a file that does not reproduce the model is never used.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from memsvc.domain import UnavailableError

logger = logging.getLogger(__name__)
EXPORT_DIR = "onnx"
LEFTOVER = ".onnx.tmp"  # the suffix of an export being written
FORMAT = 1  # bump when the exported graph changes: older files are exported again
# Sentences a fresh export is checked on, and the least cosine each backend must reach
# against the torch model on every one of them: a guard against a broken export, not a
# measure of quality (int8 reaches .99 on sentences, .94 on "ok"; recall is what
# BENCHMARKS.md measures).
PROBES = (
    "My sister Ana moved to Porto in spring.",
    "Which city does my sibling live in?",
    "I had pasta for lunch today, then we went to the beach near the old lighthouse.",
    "ok",
)
LEAST_COSINE = {"onnx": 0.9999, "onnx-int8": 0.9}


class OnnxEmbedder:
    """Mean-pooled, L2-normalised embeddings of a BERT-style sentence-transformers model
    (the pooling and normalisation are inside the exported graph) from an ONNX file."""

    def __init__(
        self, path: Path, model_dir: Path, name: str, batch_size: int = 64, threads: int = 1
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(_max_length(model_dir))
        self._tokenizer.enable_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.name = name
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self._batch_size = batch_size

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors in input order; texts are run longest first in batches (less padding).
        Sessions run concurrently: no lock (each call has its own tokenizer encodings)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        feeds = {
            "input_ids": ids,
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.zeros_like(ids),
        }
        result = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        return np.asarray(result[0], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class OnnxRun:
    """How an ONNX embedder runs: its backend, texts per batch and ONNX Runtime threads."""

    backend: str = "onnx-int8"
    batch_size: int = 64
    threads: int = 1


def onnx_embedder(
    model_dir: Path, name: str, run: OnnxRun, fallback_dir: Path | None = None
) -> OnnxEmbedder:
    """The `run.backend` ("onnx" or "onnx-int8") embedder of the model in `model_dir`, named
    `name`; its export is made on first use (see `exported`)."""
    if run.backend not in LEAST_COSINE:
        raise ValueError(f"not an ONNX backend: {run.backend!r}")
    path = exported(model_dir, run.backend, fallback_dir)
    # Dynamic quantisation scales activations per run, over the whole batch: a text's int8
    # vector would depend on its batch-mates (cosine ~.99 between two batchings). One text
    # per run keeps a text's vector its own (the cache, a re-embedding and a fresh store
    # agree) and costs little: at one thread, batches gain an int8 CPU run little.
    batch_size = 1 if run.backend == "onnx-int8" else run.batch_size
    return OnnxEmbedder(path, model_dir, name, batch_size, run.threads)


_export_lock = threading.Lock()


def exported(model_dir: Path, backend: str, fallback_dir: Path | None) -> Path:
    """The ONNX file of `backend` for the model, looked for beside the model, then under
    `fallback_dir`; exported (and checked) into the first writable of them on first use."""
    name = f"model-{backend}-v{FORMAT}.onnx"
    with _export_lock:
        for folder in _folders(model_dir, fallback_dir):
            if (folder / name).exists():
                return folder / name
        folder = export_folder(model_dir, fallback_dir)
        logger.warning(
            "exporting %s to ONNX (%s) into %s: once, ~10-30 s", model_dir.name, backend, folder
        )
        fp32 = folder / f"model-onnx-v{FORMAT}.onnx"
        if not fp32.exists():
            _keep(folder, fp32.name, lambda tmp: _export(model_dir, tmp), model_dir, "onnx")
        if backend == "onnx-int8":
            _keep(folder, name, lambda tmp: _quantize(fp32, tmp), model_dir, backend)
        _drop_leftovers(folder)
        return folder / name


def export_folder(model_dir: Path, fallback_dir: Path | None) -> Path:
    """Where a new export goes: beside the model if that folder is writable, else the
    fallback (a folder per model under the data directory)."""
    folder = next((f for f in _folders(model_dir, fallback_dir) if _writable(f)), None)
    if folder is None:
        raise UnavailableError(
            f"no writable folder for the ONNX export of {model_dir.name}: set "
            "MEMSVC_EMBEDDER_EXPORT_DIR (or MEMSVC_DATA_DIR) to a writable folder, or "
            "MEMSVC_EMBEDDER_BACKEND=torch"
        )
    return folder


def _folders(model_dir: Path, fallback_dir: Path | None) -> list[Path]:
    """Where exports are looked for: beside the model, then the fallback (one folder per
    model, named after the model's path)."""
    key = model_dir.resolve().as_posix().strip("/").replace("/", "_")[-120:]
    out = [model_dir / EXPORT_DIR]
    if fallback_dir is not None:
        out.append(fallback_dir / key)
    return out


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _keep(
    folder: Path, name: str, make: Callable[[Path], None], model_dir: Path, backend: str
) -> None:
    """Make the file under a temporary name, check it, then move it into place (atomic: a
    process starting meanwhile sees the whole file or none)."""
    fd, tmp_name = tempfile.mkstemp(dir=folder, suffix=LEFTOVER)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        make(tmp)
        _check(tmp, model_dir, backend)
        tmp.chmod(0o644)
        os.replace(tmp, folder / name)
    finally:
        tmp.unlink(missing_ok=True)


def _drop_leftovers(folder: Path) -> None:
    """Remove the temporary files of exports killed half-way (an hour old: not another
    process's export in progress)."""
    for path in folder.glob(f"*{LEFTOVER}"):
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > 3600:
                path.unlink()


def _pooled_model(model_dir: Path) -> Any:
    """The transformer with mean pooling and L2 normalisation on top, as one torch module."""
    import torch
    from transformers import AutoModel

    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens"):
        raise UnavailableError(f"the onnx backend needs a mean-pooled model; {model_dir} is not")

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = AutoModel.from_pretrained(str(model_dir))

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return Pooled().eval()


def _export(model_dir: Path, out: Path) -> None:
    import torch

    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {"input_ids", "attention_mask", "token_type_ids"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated, still exact
        torch.onnx.export(
            _pooled_model(model_dir),
            (sample, sample, torch.zeros_like(sample)),
            str(out),
            input_names=sorted(axes, key=["input_ids", "attention_mask", "token_type_ids"].index),
            output_names=["embedding"],
            dynamic_axes={
                **{a: {0: "batch", 1: "tokens"} for a in axes},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def _quantize(fp32: Path, out: Path) -> None:
    """Dynamic int8 quantisation, per output channel: per-tensor scales moved the vectors
    too far (cosine to torch 0.90 at worst, against 0.98 per channel)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it logs advice about pre-processing to the root logger
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


def _check(path: Path, model_dir: Path, backend: str) -> None:
    """Refuse an export whose vectors stray from the torch model's on the probe sentences."""
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(model_dir), device="cpu").encode(
        list(PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    candidate = OnnxEmbedder(path, model_dir, "candidate")
    cosines = np.sum(candidate.embed_batch(PROBES) * reference, axis=1)
    if float(cosines.min()) < LEAST_COSINE[backend]:
        raise UnavailableError(
            f"the {backend} export of {model_dir.name} does not reproduce the model "
            f"(cosine {cosines.min():.4f} < {LEAST_COSINE[backend]}); use backend torch"
        )


def _max_length(model_dir: Path) -> int:
    """Tokens a text is cut to, as sentence-transformers does (its config, else 512)."""
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length", 512))
    return 512
