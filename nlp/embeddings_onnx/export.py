"""Building the ONNX models: the fp32 export of the bundled weights, its int8 quantisation, the cache."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.embeddings import ModelIntegrityError
from nlp.machine_cache import cache_home, cached_sha256, file_sha256

__all__ = ["build_onnx_model", "cpu_int8_flags", "default_onnx_dir"]

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_OPSET = 17
_MODEL_FILE = "model.onnx"
_MANIFEST_FILE = "manifest.json"
# Largest |difference| allowed between the fresh fp32 export and torch on a padded probe batch.
_EXPORT_TOLERANCE = 1e-3


def cpu_int8_flags() -> dict[str, bool]:
    """Which int8-relevant instruction sets this CPU reports (Linux ``/proc/cpuinfo``; else all False)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    return {f: f in flags for f in ("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8")}


def _has_vnni() -> bool:
    flags = cpu_int8_flags()
    return flags["avx512_vnni"] or flags["avx_vnni"] or flags["amx_int8"]


def default_onnx_dir() -> Path:
    """Where exports are cached by default: once per machine, in ``nlp.machine_cache.cache_home()``.

    An export depends only on the bundled weights and the installed libraries, so every project,
    test session and CI run on the machine shares one, and ``make clean`` keeps it.
    """
    return cache_home() / "onnx"


def _variant(quantize: bool, reduce_range: bool) -> str:
    if not quantize:
        return "fp32"
    return "int8-r7" if reduce_range else "int8"


def _load_encoder(model_dir: Path):
    """The torch module that is exported: token ids in, last hidden state out."""
    import torch
    from transformers import AutoModel

    # Eager attention traces to plain ops; the SDPA path may branch on the mask's contents.
    bert = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    ).eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    # The wrapper must be in eval mode too: the exporter restores the wrapper's own mode to
    # every submodule afterwards, which would switch dropout on for the check below.
    return Encoder().eval()


def _export_fp32(model_dir: Path, target: Path) -> None:
    """Trace the bundled transformer to ONNX at ``target`` and check it against torch."""
    import onnxruntime as ort
    import torch

    encoder = _load_encoder(model_dir)
    # A padded probe: with an all-ones mask the tracer could fold the padding logic away.
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs
        # onnxscript and fails on transformers' mask helpers; the tracer and index warnings are
        # about shape-dependent branches that the check below verifies numerically.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
        warnings.filterwarnings("ignore", message=r".*legacy TorchScript-based ONNX export")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=r"Exporting aten::index operator")
        with torch.no_grad():
            torch.onnx.export(
                encoder,
                (ids, mask, types),
                str(target),
                dynamo=False,
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=_OPSET,
                do_constant_folding=True,
            )
            expected = encoder(ids, mask, types).numpy()
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    feed = {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": types.numpy()}
    got = session.run(None, feed)[0]
    keep = mask.numpy().astype(bool)
    err = float(np.abs(got[keep] - expected[keep]).max())
    if err > _EXPORT_TOLERANCE:
        raise RuntimeError(f"ONNX export of {model_dir} differs from torch by {err:.2g}; not caching it")


def _quantize(source: Path, target: Path, reduce_range: bool, keep_fp32: Sequence[str] = ()) -> None:
    """int8 dynamic quantisation of ``source``'s weight matmuls, except the nodes in ``keep_fp32``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        # Per-channel weights keep the small FFN rows accurate; reduce_range (7-bit) only helps
        # CPUs without VNNI, where u8 x s8 products can saturate int16 accumulators.
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=reduce_range,
        # Only weight matmuls: the attention score matmuls (activation x activation) and the
        # embedding Gather stay fp32, which costs little time and lifts the worst-case cosine.
        op_types_to_quantize=["MatMul"],
        extra_options={"MatMulConstBOnly": True},
        nodes_to_exclude=list(keep_fp32),
    )


def _read_manifest(directory: Path) -> dict | None:
    try:
        return json.loads((directory / _MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return None


def build_onnx_model(
    model_dir: Path,
    source_sha256: str,
    cache_dir: Path | None = None,
    quantize: bool = True,
    reduce_range: bool | None = None,
) -> Path:
    """Path of the cached ONNX model for these source weights, exporting it first if missing.

    The directory is built under a temporary name and renamed into place, so a crash or a
    concurrent build never leaves a half-written model; a lost race reuses the winner's.

    Args:
        model_dir: the sentence-transformers model directory, already hash-verified.
        source_sha256: sha256 of ``model_dir``'s ``model.safetensors``; the cache key.
        cache_dir: root of the ONNX cache; defaults to ``default_onnx_dir()``.
        quantize: int8 dynamic quantisation of the weight matmuls.
        reduce_range: 7-bit weights; ``None`` picks them only on CPUs without VNNI.

    Raises:
        ModelIntegrityError: a cached model no longer matches the hash recorded at export.
    """
    if reduce_range is None:
        reduce_range = quantize and not _has_vnni()
    variant = _variant(quantize, reduce_range)
    root = Path(cache_dir if cache_dir is not None else default_onnx_dir()) / source_sha256
    final = root / variant
    manifest = _read_manifest(final)
    if manifest is not None and (final / _MODEL_FILE).is_file():
        # Checked against the export's record on every use, but hashed only when the file changed.
        actual = cached_sha256(final / _MODEL_FILE)
        if actual != manifest.get("onnx_sha256"):
            raise ModelIntegrityError(
                f"{final / _MODEL_FILE}: sha256 {actual} differs from the {manifest.get('onnx_sha256')} "
                "recorded when it was exported; delete that directory to rebuild it"
            )
        return final / _MODEL_FILE

    fp32 = build_onnx_model(model_dir, source_sha256, cache_dir, quantize=False) if quantize else None
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{variant}-", dir=root))
    try:
        started = time.perf_counter()
        if fp32 is None:
            _export_fp32(model_dir, staging / _MODEL_FILE)
        else:
            _quantize(fp32, staging / _MODEL_FILE, reduce_range)
        record = {
            "source_sha256": source_sha256,
            "variant": variant,
            "onnx_sha256": file_sha256(staging / _MODEL_FILE),
            "seconds": round(time.perf_counter() - started, 2),
            "versions": _versions(),
        }
        (staging / _MANIFEST_FILE).write_text(json.dumps(record, indent=2))
        if final.exists():
            # Left by a crash between writing the model and its manifest; never read as valid.
            shutil.rmtree(final)
        try:
            os.rename(staging, final)
        except OSError:
            if _read_manifest(final) is None:
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final / _MODEL_FILE


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
